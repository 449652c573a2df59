"""Any OpenAI-compatible chat endpoint (OpenAI, DeepSeek, a local Ollama or llama.cpp server).

A sentence's cue lines go out numbered, with the sentences around them as context and the
glossary; the reply must be JSON with exactly those numbers. A reply that isn't is refused
(LineMismatch), so the caller can ask again or fall back to translating the sentence whole.
"""

from __future__ import annotations

import json
import os
import re

import requests

from bivideo.errors import BivideoError

DEFAULT_URL = "https://api.openai.com/v1"
KEY_VARIABLE = "OPENAI_API_KEY"
MODEL_VARIABLE = "BIVIDEO_OPENAI_MODEL"
DEFAULT_MODEL = "gpt-4o-mini"
NAMES = {"en": "English", "zh": "Simplified Chinese"}


class LineMismatch(ValueError):
    """The reply's numbered lines are not exactly the ones asked for."""


class ServerError(RuntimeError):
    def __init__(self, status: int, detail: str):
        super().__init__(f"HTTP {status} {detail}".strip())
        self.status = status


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    return url + ("/chat/completions" if url.endswith("/v1") else "/v1/chat/completions")


def parse_reply(content: str, count: int) -> list[str]:
    """Pure: the numbered lines from the model's reply, exactly 1..count, or LineMismatch."""
    match = re.search(r"\{.*\}", content, re.DOTALL)  # models sometimes wrap JSON in prose or fences
    try:
        data = json.loads(match.group() if match else content)
    except json.JSONDecodeError:
        raise LineMismatch("reply is not JSON") from None
    if not isinstance(data, dict) or set(data) != {str(i) for i in range(1, count + 1)}:
        raise LineMismatch(f"asked for lines 1-{count}, got {sorted(data) if isinstance(data, dict) else data!r}")
    return [str(data[str(i)]).strip() for i in range(1, count + 1)]


def prompt(lines: list[str], before: str, after: str, glossary: str, source: str, target: str) -> str:
    numbered = {str(i): line for i, line in enumerate(lines, 1)}
    parts = [f"Translate these numbered subtitle lines from {NAMES[source]} to {NAMES[target]}.",
             "They are consecutive parts of one spoken sentence: translate the sentence naturally, then give "
             "each number the part of the translation that belongs to its line.",
             "Keep numbers, URLs, `code` and @handles exactly as written.",
             f"Reply with only a JSON object with exactly the keys {', '.join(numbered)}."]
    if before or after:
        parts.append(f"Context (do not translate): before: {before!r}; after: {after!r}.")
    if glossary:
        parts.append("Always translate these terms exactly so:\n" + glossary)
    parts.append(json.dumps(numbered, ensure_ascii=False))
    return "\n".join(parts)


class OpenAIChat:
    name = "openai"
    lines = True

    def __init__(self, url: str | None):
        self.url = _endpoint(url or DEFAULT_URL)
        self.key = os.environ.get(KEY_VARIABLE)
        if not self.key and url is None:
            raise BivideoError(f"translator 'openai' needs {KEY_VARIABLE} in the environment "
                               "(or --translator-url for a local server)")
        self.model = os.environ.get(MODEL_VARIABLE, DEFAULT_MODEL)
        self.identity = f"openai {self.url} {self.model}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def list_models(self, timeout: float) -> int:
        """The HTTP status of GET …/models, which OpenAI-compatible servers answer for a valid key."""
        models = self.url.removesuffix("/chat/completions") + "/models"
        return requests.get(models, headers=self.headers, timeout=timeout).status_code

    def _ask(self, content: str) -> str:
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

    def translate_lines(self, lines: list[str], before: str, after: str, glossary: str,
                        source: str, target: str) -> list[str]:
        return parse_reply(self._ask(prompt(lines, before, after, glossary, source, target)), len(lines))

    def translate(self, text: str, source: str, target: str) -> str:
        return self.translate_lines([text], "", "", "", source, target)[0]
