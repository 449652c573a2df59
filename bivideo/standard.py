"""The subtitle standard (DESIGN.md, Netflix Timed Text Style Guide figures) as pure checks.

Used by the cue builder to stay inside the limits, by `bivideo check` to report on any SRT,
and by the preview page to highlight cues that break a rule.
"""

from __future__ import annotations

import re
import unicodedata

from bivideo.model import Shown

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
# A silence this long always ends a cue, so the next words appear when they are spoken. Gaps
# under CHAIN_GAP between cues are closed anyway, so a split there costs no blank screen; a
# little under it, so that a pause the viewer hears as one is split on even when the words'
# times make it a frame or two shorter.
NOTICEABLE_PAUSE = 0.4
DEFAULT_FPS = 25.0

# What a viewer never sees: HTML-like tags (<i>, </font>, WebVTT's <v Name>, <c.yellow>, inline
# timestamps <00:01:02.500>) and ASS override blocks ({\an8}, {\i1}).
_TAGS = re.compile(r"</?[A-Za-z][^<>\n]*>|<\d[\d:.]*>|\{\\[^{}]*\}")

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


def entry_problems(entry: Shown, next_start: float | None, fps: float = DEFAULT_FPS) -> list[str]:
    """The rules (from RULES) that this cue breaks, given when the next cue starts."""
    problems = []
    duration = entry.end - entry.start
    # formatting tags (<i>, {\an8}) are not shown: they take no room on a line
    grouped = Shown(entry.start, entry.end, tuple(visible(line) for line in entry.lines)).by_language()
    if any(display_width(line, lang) > MAX_LINE[lang] for lang, lines in grouped.items() for line in lines):
        problems.append("line length")
    if any(len(lines) > MAX_LINES for lines in grouped.values()):
        problems.append("lines per language")
    if duration > 0 and any(sum(display_width(line, lang) for line in lines) / duration > MAX_CPS[lang] + 1e-9
                            for lang, lines in grouped.items()):
        problems.append("reading speed")
    if not MIN_DURATION - 1e-3 <= duration <= MAX_DURATION + 1e-3:
        problems.append("duration")
    if next_start is not None:
        gap = next_start - entry.end
        frame = 1 / fps
        if gap < -1e-3:
            problems.append("overlap")
        elif gap < MIN_GAP_FRAMES * frame - 1e-3 or MIN_GAP_FRAMES * frame + frame < gap < CHAIN_GAP - 1e-3:
            # closer than two frames, or a short gap left open instead of chained
            problems.append("gap")
    return problems


def problems(entries: list[Shown], fps: float = DEFAULT_FPS) -> list[list[str]]:
    """Per entry, in order: the rules it breaks."""
    return [entry_problems(e, entries[i + 1].start if i + 1 < len(entries) else None, fps)
            for i, e in enumerate(entries)]
