"""Stage 4: words with times -> subtitle cues (what is on screen, and when).

A cue holds one stretch of speech: its times, the spoken (source) text in its language and,
after the translate stage, the other language's (target) text. The language is per cue, so a
talk that switches between Mandarin and English mid-way gets both languages on every cue.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from bivideo.standard import CHAIN_GAP, MAX_DURATION, MAX_LINE, MIN_DURATION, display_width
from bivideo.transcribe import Word

PAUSE = 1.0  # a silence this long always starts a new cue
SENTENCE_END = tuple(".?!。？！")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    source: str
    target: str = ""
    language: str = "en"  # the spoken language, i.e. the language of `source`

    def text(self, language: str) -> str:
        """This cue's line in `language` (en or zh), whichever of source/target that is."""
        return self.source if language == self.language else self.target

    def to_json(self) -> dict:
        return asdict(self)


def other_language(language: str) -> str:
    return "en" if language == "zh" else "zh"


def join_words(words: list[Word]) -> str:
    return "".join(w.text for w in words).strip()


def _group(words: list[Word], language: str) -> list[list[Word]]:
    """Greedy: a cue ends at a sentence end, a pause, or before it would break a limit."""
    groups: list[list[Word]] = []
    for word in words:
        current = groups[-1] if groups else None
        if (current is None
                or current[-1].text.strip().endswith(SENTENCE_END)
                or word.start - current[-1].end >= PAUSE
                or word.end - current[0].start > MAX_DURATION
                or display_width(join_words(current + [word]), language) > MAX_LINE[language]):
            groups.append([word])
        else:
            current.append(word)
    return groups


def _retime(cues: list[Cue], fps: float) -> list[Cue]:
    """Stretch short cues towards the minimum duration and keep a two-frame gap, closing
    small gaps to exactly two frames so subtitles don't flicker off and on."""
    gap = 2 / fps
    out = []
    for i, cue in enumerate(cues):
        next_start = cues[i + 1].start if i + 1 < len(cues) else float("inf")
        end = max(cue.end, min(cue.start + MIN_DURATION, cue.start + MAX_DURATION))
        if next_start - end < CHAIN_GAP:
            end = next_start - gap
        out.append(replace(cue, end=max(min(end, next_start - gap), cue.start + 0.001)))
    return out


def build(words: list[Word], language: str, fps: float = 25.0) -> list[Cue]:
    groups = [g for g in _group(words, language) if join_words(g)]
    return _retime([Cue(g[0].start, g[-1].end, join_words(g), language=language) for g in groups], fps)
