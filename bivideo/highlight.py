"""`--highlight words`: on the spoken-language line, each word changes colour when it is said,
the way karaoke lyrics do (ASS `\\k` tags, drawn by libass in the burn and the stills).

The words' times come from the transcript (fitted to the speech heard, see word_timing.py):
English words as Whisper gives them; Chinese as jieba words, each Whisper piece's time spread
evenly over its characters. They are recorded per cue when the cues are built. Later, the
line a cue shows is matched to a record by its words (case, spaces and punctuation aside), so
a hand-edited line with the same words keeps their times, and one whose words changed has no
record and is shown plain. Pure: no files are read or written here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from bivideo.datatypes import Cue, Word
from bivideo.segmentation import chinese_boundaries, words_of


@dataclass(frozen=True)
class Timed:
    """A word of a cue's spoken line, with when it is said."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Record:
    """A cue's spoken line as transcribed, word by word."""

    language: str
    words: tuple[Timed, ...]

    def to_json(self) -> dict:
        return {"language": self.language, "words": [[w.text, w.start, w.end] for w in self.words]}

    @classmethod
    def from_json(cls, data: dict) -> Record:
        return cls(data["language"], tuple(Timed(*w) for w in data["words"]))


def key(text: str) -> str:
    """What makes two lines the same words: letters and digits, case aside."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def timed_words(words: list[Word], language: str) -> list[Timed]:
    """The units that light up: English words as they are; for Chinese, jieba words (no cut
    inside a Latin term or number), timed by spreading each Whisper piece over its characters."""
    if language != "zh":
        return [Timed(w.text.strip(), w.start, w.end) for w in words if w.text.strip()]
    chars: list[tuple[str, float, float]] = []
    for word in words:
        text = word.text.strip()
        step = (word.end - word.start) / max(len(text), 1)
        chars += [(ch, word.start + k * step, word.start + (k + 1) * step) for k, ch in enumerate(text)]
    text = "".join(c for c, _, _ in chars)
    cuts = [0, *sorted(chinese_boundaries(text)), len(text)]
    return [Timed(text[a:b], chars[a][1], chars[b - 1][2]) for a, b in pairwise(cuts) if b > a]


def records(cues: list[Cue], words: list[Word]) -> list[Record | None]:
    """Each cue's words with their times (None where a cue's text does not match its words)."""
    timed = [timed_words(spoken, c.language) if spoken else [] for c, spoken in zip(cues, words_of(cues, words))]
    return [Record(c.language, tuple(t)) if t else None for c, t in zip(cues, timed)]


def match(cues: list[Cue], shown: list[str], recorded: list[Record | None]) -> list[Record | None]:
    """For each cue (`shown`: its spoken line as displayed), the record with the same words
    in the same language, the nearest in time when a line is said more than once; None when
    the words changed."""
    by_words: dict[tuple[str, str], list[Record]] = {}
    for record in filter(None, recorded):
        by_words.setdefault((record.language, key("".join(w.text for w in record.words))), []).append(record)
    out = []
    for cue, line in zip(cues, shown):
        found = by_words.get((cue.language, key(line)), []) if key(line) else []  # an emptied line has no words
        out.append(min(found, key=lambda r: abs(r.words[0].start - cue.start)) if found else None)
    return out


def pieces(shown: str, words: tuple[Timed, ...]) -> list[tuple[str, float]] | None:
    """`shown` cut into (text, start) pieces, one per word, each with the punctuation after it
    and the spaces before it; joined they give `shown` back. None when the words differ."""
    wanted = [(key(w.text), w.start) for w in words if key(w.text)]
    if not wanted or "".join(k for k, _ in wanted) != key(shown):
        return None
    out, i = [], 0
    for word_key, start in wanted:
        begin, got = i, ""
        while len(got) < len(word_key):
            got += key(shown[i])
            i += 1
        said = shown[begin:i].lstrip()
        if got != word_key or any(ch.isspace() for ch in said) or _latin(shown[i - 1:i + 1]):
            return None  # the letters line up, but across other word boundaries
        while i < len(shown) and not shown[i].isspace() and not key(shown[i]):
            i += 1
        out.append((shown[begin:i], start))
    text, start = out[-1]
    out[-1] = (text + shown[i:], start)
    return out


def _latin(pair: str) -> bool:
    """Two Latin letters or digits side by side: inside one English word or number."""
    return len(pair) == 2 and all(ch.isascii() and ch.isalnum() for ch in pair)


def karaoke(parts: list[tuple[str, float]], start_cs: int, end_cs: int, escape: Callable[[str], str]) -> str:
    """ASS text for one line: each piece turns from the secondary to the primary colour at its
    start (`\\k`, in centiseconds from the event's start `start_cs`); `escape` makes the text
    literal. Marks are rounded once each, so durations never drift from the words' times."""
    marks, last = [], 0
    for _, at in parts:
        last = max(last, min(round(at * 100) - start_cs, end_cs - start_cs))
        marks.append(last)
    lead = [f"{{\\k{marks[0]}}}"] if marks[0] > 0 else []  # nothing lit until the first word
    ends = [*marks[1:], max(end_cs - start_cs, marks[-1])]
    return "".join(lead + [f"{{\\k{b - a}}}{escape(text)}" for (text, _), a, b in zip(parts, marks, ends)])
