"""Any OpenAI-compatible chat endpoint: OpenAI, and the presets mainland users have (DeepSeek,
Qwen on DashScope, a local Ollama), or any server given by URL (llama.cpp, vLLM...).

A unit's cue lines go out numbered, with the units around them as context, the glossary and
each line's budget (the most characters that fit one subtitle line and can be read in the
time the cue is up); the reply must be JSON with exactly the numbers asked for. A reply that
isn't is refused (LineMismatch), so the caller can ask again or fall back to translating the
unit whole. The same contract serves a re-ask for lines over budget and the --refine pass.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from bivideo.errors import BivideoError

NAMES = {"en": "English", "zh": "Simplified Chinese"}


@dataclass(frozen=True)
class Preset:
    url: str
    model: str  # the default; BIVIDEO_<NAME>_MODEL overrides it
    key: str | None  # the environment variable holding the API key; None: a local server needs none


PRESETS = {
    "openai": Preset("https://api.openai.com/v1", "gpt-4o-mini", "OPENAI_API_KEY"),
    "deepseek": Preset("https://api.deepseek.com/v1", "deepseek-chat", "DEEPSEEK_API_KEY"),
    # DashScope's OpenAI-compatible mode (mainland endpoint)
    "qwen": Preset("https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen-plus", "DASHSCOPE_API_KEY"),
    "ollama": Preset("http://127.0.0.1:11434/v1", "qwen2.5:7b", None),
}
KEY_VARIABLES = tuple(p.key for p in PRESETS.values() if p.key)


def model_variable(name: str) -> str:
    return f"BIVIDEO_{name.upper()}_MODEL"


class LineMismatch(ValueError):
    """The reply's numbered lines are not exactly the ones asked for."""


class ServerError(RuntimeError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status} {detail}".strip())
        self.status = status


@dataclass(frozen=True)
class Ask:
    """One request: the numbered lines to answer, and what the model should know about them.
    Numbers are strings, as in the JSON; every number in `lines` has a budget."""

    lines: dict[str, str]  # number -> source line (for refine: the line to correct)
    source: str
    target: str
    budgets: dict[str, dict]  # number -> budget (bivideo.translate.Budget.to_json)
    before: str = ""  # context, not to translate
    after: str = ""
    glossary: str = ""  # "term => rendering" lines
    tight: tuple[str, ...] = ()  # numbers whose budget calls for a condensed rendering
    kept: dict[str, str] = field(default_factory=dict)  # re-ask: the lines already accepted
    too_long: dict[str, tuple[str, float]] = field(default_factory=dict)  # re-ask: number -> (reply, its width)
    sources: dict[str, str] = field(default_factory=dict)  # refine: number -> source line


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    return url + ("/chat/completions" if url.endswith("/v1") else "/v1/chat/completions")


def parse_reply(content: str, numbers: list[str]) -> dict[str, str]:
    """Pure: the numbered lines from the model's reply, exactly `numbers`, or LineMismatch."""
    match = re.search(r"\{.*\}", content, re.DOTALL)  # models sometimes wrap JSON in prose or fences
    try:
        data = json.loads(match.group() if match else content)
    except json.JSONDecodeError:
        raise LineMismatch("reply is not JSON") from None
    if not isinstance(data, dict) or set(data) != set(numbers):
        got = sorted(data) if isinstance(data, dict) else repr(data)
        raise LineMismatch(f"asked for lines {', '.join(numbers)}, got {got}")
    return {n: str(data[n]).strip() for n in numbers}


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)


def _budget_rules(ask: Ask) -> list[str]:
    half = " (a Latin letter, digit or space counts half)" if ask.target == "zh" else ""
    parts = [f"Each line must fit its budget: at most max_chars characters{half}, the lesser of one subtitle "
             "line (one_line) and what can be read in the seconds it is shown (readable). Budgets: "
             + _json({n: ask.budgets[n] for n in ask.lines})]
    if ask.tight:
        parts.append("Tight budgets (give a faithful but condensed rendering: drop fillers and repetition, keep "
                     f"the meaning): lines {', '.join(ask.tight)}.")
    return parts


def prompt(ask: Ask) -> str:
    """The translation request; its last line is the numbered lines as JSON."""
    if ask.too_long:
        over = "; ".join(f"line {n}: {text!r} is {width:g} characters, "
                         f"{width - ask.budgets[n]['max_chars']:g} over its {ask.budgets[n]['max_chars']}"
                         for n, (text, width) in ask.too_long.items())
        head = [f"Your translation of these subtitle lines from {NAMES[ask.source]} to {NAMES[ask.target]} "
                f"was too long: {over}.", "Translate them again, shorter, keeping the meaning.",
                f"The other lines of the sentence, kept: {_json(ask.kept)}."]
    else:
        head = [f"Translate these numbered subtitle lines from {NAMES[ask.source]} to {NAMES[ask.target]}.",
                "They are consecutive parts of one spoken sentence: translate the sentence naturally, then give "
                "each number the part of the translation that belongs to its line."]
    return _finish(ask, head)


def refine_prompt(ask: Ask) -> str:
    """The --refine request: the first pass's lines with their source; its last line is the
    translations to correct, as JSON."""
    head = [f"Here are consecutive subtitle lines of one talk in {NAMES[ask.source]} (sources) with their "
            f"{NAMES[ask.target]} translation (the last JSON object). Correct the translation: the same term "
            "translated the same way throughout, natural phrasing, nothing added, nothing lost, and each "
            "number keeps the meaning of its own source line (no drift onto a neighbour). Return every line, "
            "changed or not.", f"Sources: {_json(ask.sources)}"]
    return _finish(ask, head)


def proofread_prompt(ask: Ask) -> str:
    """The studio's "Suggest fixes" request: the spoken lines to correct for mishearings; its
    last line is the lines as JSON."""
    head = ["Proofread these numbered lines of a speech recognition transcript of one talk (each line in English "
            "or Chinese). Correct only likely mishearings: words that sound like what was said but make no sense "
            "here, and names and terms misspelled (the glossary gives their right forms). Change nothing else: no "
            "rephrasing, no punctuation or style changes, each line in its own language. Return every line, "
            "changed or not."]
    return _ending(ask, head, "Context (do not return)", "Terms as they must be written:")


def _finish(ask: Ask, head: list[str]) -> str:
    parts = head + _budget_rules(ask) + ["Keep numbers, URLs, `code` and @handles exactly as written."]
    return _ending(ask, parts, "Context (do not translate)", "Always translate these terms exactly so:")


def _ending(ask: Ask, parts: list[str], context: str, terms: str) -> str:
    """A request's common end: the reply's keys, the context, the glossary, then the lines as JSON."""
    parts = [*parts, f"Reply with only a JSON object with exactly the keys {', '.join(ask.lines)}."]
    if ask.before or ask.after:
        parts.append(f"{context}: before: {ask.before!r}; after: {ask.after!r}.")
    if ask.glossary:
        parts.append(f"{terms}\n{ask.glossary}")
    parts.append(_json(ask.lines))
    return "\n".join(parts)


class OpenAIChat:
    lines = True

    def __init__(self, name: str = "openai", url: str | None = None) -> None:
        preset = PRESETS[name]
        self.name = name
        self.url = _endpoint(url or preset.url)
        self.key_variable = preset.key
        self.key = os.environ.get(preset.key) if preset.key else None
        if preset.key and not self.key and url is None:
            raise BivideoError(f"translator {name!r} needs {preset.key} in the environment "
                               "(or --translator-url for a local server)")
        self.model = os.environ.get(model_variable(name)) or preset.model
        self.identity = f"{name} {self.url} {self.model}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def list_models(self, timeout: float) -> int:
        """The HTTP status of GET …/models, which OpenAI-compatible servers answer for a valid key."""
        import requests  # the HTTP client only when a request is made: the command line lists presets

        models = self.url.removesuffix("/chat/completions") + "/models"
        return requests.get(models, headers=self.headers, timeout=timeout).status_code

    def _ask(self, content: str) -> str:
        import requests

        response = requests.post(self.url, headers=self.headers, timeout=(10, 120), json={
            "model": self.model, "temperature": 0, "response_format": {"type": "json_object"},
            "messages": [{"role": "system", "content": "You are a professional subtitle translator."},
                         {"role": "user", "content": content}]})
        if response.status_code != 200:
            raise ServerError(response.status_code, response.reason or "")
        try:
            return response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LineMismatch("reply is not a chat completion") from None

    def translate_lines(self, ask: Ask) -> dict[str, str]:
        return parse_reply(self._ask(prompt(ask)), list(ask.lines))

    def refine_lines(self, ask: Ask) -> dict[str, str]:
        return parse_reply(self._ask(refine_prompt(ask)), list(ask.lines))

    def proofread_lines(self, ask: Ask) -> dict[str, str]:
        return parse_reply(self._ask(proofread_prompt(ask)), list(ask.lines))
