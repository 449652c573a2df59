"""The subtitle standard (docs/DESIGN.md "Subtitle standard": Netflix Timed Text Style Guide
figures) as pure checks.

Used by the cue builder to stay inside the limits, by `bivideo check` to report on any SRT,
and by the preview page to highlight cues that break a rule.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bivideo.datatypes import Shown

MAX_LINE = {"en": 42.0, "zh": 16.0}  # display width per line
MAX_CPS = {"en": 20.0, "zh": 9.0}  # reading speed, display width per second
MAX_LINES = 2  # per language
# What a translation's display width typically is, per unit of the source's: the line limits
# themselves (42 English characters for 16 Chinese) give the usual ratio.
TRANSLATION_WIDTH = {"en": MAX_LINE["zh"] / MAX_LINE["en"], "zh": MAX_LINE["en"] / MAX_LINE["zh"]}
MIN_DURATION = 5 / 6
MAX_DURATION = 7.0
CHAIN_GAP = 0.5  # gaps shorter than this are closed to MIN_GAP_FRAMES ("chaining")
MIN_GAP_FRAMES = 2
MAX_LEAD = 0.15  # s: a cue may appear at most this long before its first word is spoken
# A silence this long ends a cue, so the next words appear when they are spoken (unless the
# piece it leaves is too short to read: bivideo.segmentation). Gaps under CHAIN_GAP between
# cues are closed anyway, so a split there costs no blank screen; a little under it, so that
# a pause the viewer hears as one is split on even when the words' times make it a frame or
# two shorter.
NOTICEABLE_PAUSE = 0.4
DEFAULT_FPS = 25.0

# What a viewer never sees: the formatting tags of SRT and WebVTT (<i>, </font>, <v Name>,
# <c.yellow>, inline timestamps <00:01:02.500>) and ASS override blocks ({\an8}, {\i1}). Other
# text in angle brackets ("<img src=x>") is the cue's own, shown and kept as written.
_TAGS = re.compile(r"</?(?:b|i|u|s|font|c|v|lang|ruby|rt)(?:[.\s][^<>\n]*)?>|<\d[\d:.]*>|\{\\[^{}]*\}")

RULES = ("line length", "lines per language", "reading speed", "duration", "gap", "overlap")


def visible(text: str) -> str:
    """`text` as shown: formatting tags removed, spaces they leave behind collapsed."""
    if "<" not in text and "{" not in text:
        return text
    return " ".join(_TAGS.sub("", text).split())


def display_width(text: str, language: str) -> float:
    """Line length as the standard counts it: characters for English; for Chinese, full-width
    characters count 1 and half-width ones (Latin letters, digits, spaces) 0.5."""
    if language != "zh":
        return float(len(text))
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


@dataclass(frozen=True)
class Measures:
    """What the rules are judged on, for one cue: per language its lines' display widths and
    its reading speed, the cue's duration, and the gap to the next cue (None for the last)."""

    widths: dict[str, list[float]]
    cps: dict[str, float]
    duration: float
    gap: float | None


def measure(entry: Shown, next_start: float | None) -> Measures:
    # formatting tags (<i>, {\an8}) are not shown: they take no room on a line
    grouped = Shown(entry.start, entry.end, tuple(visible(line) for line in entry.lines)).by_language()
    duration = entry.end - entry.start
    widths = {lang: [display_width(line, lang) for line in lines] for lang, lines in grouped.items()}
    cps = {lang: sum(w) / duration if duration > 0 else 0.0 for lang, w in widths.items()}
    return Measures(widths, cps, duration, None if next_start is None else next_start - entry.end)


def broken(measures: Measures, fps: float = DEFAULT_FPS) -> list[str]:
    """The rules (from RULES) that a cue with these measures breaks."""
    problems = []
    if any(width > MAX_LINE[lang] for lang, widths in measures.widths.items() for width in widths):
        problems.append("line length")
    if any(len(widths) > MAX_LINES for widths in measures.widths.values()):
        problems.append("lines per language")
    if any(cps > MAX_CPS[lang] + 1e-9 for lang, cps in measures.cps.items()):
        problems.append("reading speed")
    if not MIN_DURATION - 1e-3 <= measures.duration <= MAX_DURATION + 1e-3:
        problems.append("duration")
    gap = measures.gap
    if gap is not None:
        frame = 1 / fps
        if gap < -1e-3:
            problems.append("overlap")
        elif gap < MIN_GAP_FRAMES * frame - 1e-3 or MIN_GAP_FRAMES * frame + frame < gap < CHAIN_GAP - 1e-3:
            # closer than two frames, or a short gap left open instead of chained
            problems.append("gap")
    return problems


def entry_problems(entry: Shown, next_start: float | None, fps: float = DEFAULT_FPS) -> list[str]:
    """The rules (from RULES) that this cue breaks, given when the next cue starts."""
    return broken(measure(entry, next_start), fps)


def problems(entries: list[Shown], fps: float = DEFAULT_FPS) -> list[list[str]]:
    """Per entry, in order: the rules it breaks."""
    return [entry_problems(e, entries[i + 1].start if i + 1 < len(entries) else None, fps)
            for i, e in enumerate(entries)]
