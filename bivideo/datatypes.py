"""The data every stage shares: a transcript's words with times grouped in Whisper's
segments, the cues built from them, and a cue as it is shown (on screen or in an SRT file).

Plain frozen dataclasses and the names of the choices, with no third-party imports, so any
module (the command line included) can import them without loading a model or numpy.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
Status = Literal["pending", "done", "skipped", "failed", "interrupted", "not tried"]
# The subtitle files written beside a talk (<stem>.<suffix>), the bilingual one first: the
# ones a user edits by hand.
SUBTITLE_FILES = ("bilingual.srt", "zh.srt", "en.srt")
STYLED_FILE = "bilingual.ass"  # the styled subtitles of the first video, for restyling by hand
SENTENCE_END = tuple(".?!。？！…")
CLAUSE_END = tuple(",;:，、；：—")


def other_language(language: str) -> Language:
    return "en" if language == "zh" else "zh"


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def line_language(line: str) -> Language:
    """zh for a line with Chinese characters in it, else en."""
    return "zh" if _HAN.search(line) else "en"


@dataclass(frozen=True)
class Word:
    text: str  # as Whisper spells it, English words with their leading space
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    language: Language | Literal[""] = ""  # "": the transcript's language


@dataclass(frozen=True)
class Transcript:
    language: Language  # the main spoken language
    segments: tuple[Segment, ...]
    removed: dict[str, int] = field(default_factory=dict)  # hallucinations dropped, by kind

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def word_languages(self) -> list[Language]:
        return [s.language or self.language for s in self.segments for _ in s.words]

    @property
    def segment_ends(self) -> set[int]:
        """Indices (in `words`) of the last word of each segment."""
        ends, count = set(), 0
        for segment in self.segments:
            count += len(segment.words)
            ends.add(count - 1)
        return ends

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Transcript:
        return cls(language=data["language"], removed=data.get("removed", {}), segments=tuple(
            Segment(s["start"], s["end"], s["text"], tuple(Word(**w) for w in s["words"]),
                    s.get("language") or data["language"])
            for s in data["segments"]))


@dataclass(frozen=True)
class Cue:
    """One stretch of speech on screen: its times, the spoken (source) text in its language
    and, after the translate stage, the other language's (target) text."""

    start: float
    end: float
    source: str
    target: str = ""
    language: Language = "en"  # the spoken language, i.e. the language of `source`

    def text(self, language: str) -> str:
        """This cue's line in `language` (en or zh), whichever of source/target that is."""
        return self.source if language == self.language else self.target

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Shown:
    """One cue as a viewer reads it and an SRT file holds it: its times and its lines, in
    any language and order (a language may wrap over two lines). `file_line` is the line of
    the file its times are on, when it was read from one (0 otherwise)."""

    start: float
    end: float
    lines: tuple[str, ...]
    file_line: int = 0

    @classmethod
    def of(cls, start: float, end: float, zh: str = "", en: str = "") -> Shown:
        """A cue shown with its Chinese line (if any) above its English one (if any)."""
        return cls(start, end, tuple(line for line in (zh, en) if line))

    def by_language(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for line in self.lines:
            if line.strip():
                grouped.setdefault(line_language(line), []).append(line.strip())
        return grouped

    def line(self, language: str) -> str:
        """This cue's text in `language`, a line wrapped over two joined back into one."""
        return ("" if language == "zh" else " ").join(self.by_language().get(language, []))


def main_language(amounts: Mapping[Language, float] | Mapping[str, float]) -> Language:
    """The talk's main language from how much of it is in each (words, cues, lines): the
    larger; a tie goes to English. The one rule for every stage and file."""
    return "zh" if amounts.get("zh", 0) > amounts.get("en", 0) else "en"


def main_language_of(cues: Iterable[Cue]) -> Language:
    """The main language of these cues: the one most of them are spoken in."""
    return main_language(Counter(c.language for c in cues))
