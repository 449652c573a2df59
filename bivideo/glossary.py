"""Names and terms the translator must not touch (`--glossary terms.tsv`): each line pairs an
English and a Chinese form (`Zhiwei<TAB>志伟`), or repeats a term to keep it as is
(`LLM<TAB>LLM`). Before a machine translator sees a sentence, glossary terms, numbers, URLs,
`code` and @handles are swapped for numbered placeholders, and put back afterwards. Its spoken
forms also steer recognition (`prompt`, transcribe.redecode_for_terms; bivideo.soundalike)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from bivideo.datatypes import line_language
from bivideo.errors import BivideoError

# Spans that pass through untouched, whatever the language.
UNTOUCHED = re.compile(r"https?://\S+|www\.\S+|`[^`]+`|@\w[\w.]*|\d+(?:[.,:]\d+)*%?")
PLACEHOLDER = re.compile(r"[\[【［]\s*(\d+)\s*[\]】］]")
# Both engines keep 223 tokens of a prompt (half of Whisper's 448-token context, less one):
# faster-whisper its first ones, openai-whisper its last. A token is at least one byte of
# UTF-8, so a prompt of at most 223 bytes is never cut inside a term.
PROMPT_BYTES = 223


@dataclass(frozen=True)
class Glossary:
    pairs: tuple[tuple[str, str], ...] = ()  # (English form, Chinese form)

    @property
    def digest(self) -> str:
        return hashlib.sha256(repr(self.pairs).encode()).hexdigest()[:16]

    def terms(self, source: str, target: str) -> list[tuple[str, str]]:
        """(term as spoken, term as it must read) for one direction, longest first."""
        index = {"en": 0, "zh": 1}
        found = [(p[index[source]], p[index[target]]) for p in self.pairs]
        return sorted(found, key=lambda t: -len(t[0]))

    def spoken(self, language: str | None) -> list[str]:
        """The forms a speaker of `language` says (None: a talk in either), each once, in the
        glossary's order."""
        columns = {"en": (0,), "zh": (1,)}.get(language or "", (0, 1))
        return list(dict.fromkeys(pair[c] for pair in self.pairs for c in columns))

    def prompt(self, language: str | None) -> str:
        """The spoken forms as Whisper's context before each window ("WeChat, Qwen, ..."),
        the glossary's first ones as long as they fit PROMPT_BYTES."""
        kept: list[str] = []
        for term in self.spoken(language):
            if len(", ".join([*kept, term]).encode()) > PROMPT_BYTES:
                break
            kept.append(term)
        return ", ".join(kept)

    def lines(self, source: str, target: str) -> str:
        return "\n".join(f"{a} => {b}" for a, b in self.terms(source, target))


def parse(text: str, name: str = "glossary") -> Glossary:
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = [c.strip() for c in line.split("\t")]
        if len(columns) != 2 or not all(columns):
            raise BivideoError(f"{name}: line {number}: expected two terms separated by a tab")
        first, second = columns
        if line_language(first) == "zh" and line_language(second) != "zh":
            first, second = second, first
        pairs.append((first, second))
    return Glossary(tuple(pairs))


def load(path: Path | None) -> Glossary:
    if path is None:
        return Glossary()
    try:
        return parse(Path(path).expanduser().read_text(encoding="utf-8-sig"), Path(path).name)
    except OSError as error:
        raise BivideoError(f"cannot read glossary {path}: {error.strerror}") from None


def protect(text: str, glossary: Glossary, source: str, target: str) -> tuple[str, list[str]]:
    """Pure: `text` with placeholders [0], [1], … and what each must become."""
    replacements: list[str] = []

    def hold(value: str) -> str:
        replacements.append(value)
        return f"[{len(replacements) - 1}]"

    for term, wanted in glossary.terms(source, target):
        flags = re.IGNORECASE if source == "en" else 0
        boundary = r"\b" if source == "en" else ""
        text = re.sub(boundary + re.escape(term) + boundary, lambda m, w=wanted: hold(w), text, flags=flags)
    # untouched spans, but not inside placeholders already made
    parts = re.split(r"(\[\d+\])", text)
    text = "".join(p if PLACEHOLDER.fullmatch(p) else UNTOUCHED.sub(lambda m: hold(m.group()), p) for p in parts)
    return text, replacements


def restore(text: str, replacements: list[str]) -> str:
    """Pure: placeholders back to their terms (translators sometimes change the brackets)."""
    def back(match: re.Match) -> str:
        index = int(match.group(1))
        return replacements[index] if index < len(replacements) else match.group()
    return PLACEHOLDER.sub(back, text)
