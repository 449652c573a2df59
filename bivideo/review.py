"""The review step's pure core (`bivideo studio`): the page's rows as cues and back, each
row's verdict by the subtitle standard, a cue split at the playhead, and the marks of the
sync report (speech with no cue, cues over silence). No I/O: the server (studio.py) reads
and writes the files.

A row is the page's form of a cue: {"start", "end", "zh", "en", "spoken", "words", "stale"}.
`words` are the spoken line's words with their times ([text, start, end], as transcribed),
or None when they are unknown (a line typed by hand).
"""

from __future__ import annotations

import math
import re

from bivideo import highlight, standard, subtitles, sync_check
from bivideo.datatypes import LANGUAGES, Cue, Language, Shown, other_language
from bivideo.errors import BivideoError
from bivideo.segmentation import chinese_boundaries

Row = dict  # the JSON form, see the module's docstring


def row(cue: Cue, record: highlight.Record | None, stale: bool = False) -> Row:
    """A cue as the page shows it: each language's line as the SRT shows it."""
    return {"start": round(cue.start, 3), "end": round(cue.end, 3), "zh": subtitles.line(cue, "zh"),
            "en": subtitles.line(cue, "en"), "spoken": cue.language,
            "words": [[w.text, w.start, w.end] for w in record.words] if record else None, "stale": stale}


def cue(data: Row, number: int) -> Cue:
    """A row of the page as a cue. Raises BivideoError naming the row (1-based `number`)."""
    try:
        start, end = float(data["start"]), float(data["end"])
        lines = {lang: re.sub(r"\s+", " ", str(data[lang])).strip() for lang in LANGUAGES}
        spoken: Language = "zh" if data.get("spoken") == "zh" else "en"
    except (KeyError, TypeError, ValueError):
        raise BivideoError(f"cue {number}: needs a start, an end, and zh and en lines") from None
    if not (math.isfinite(start) and math.isfinite(end)) or not 0 <= start < end:
        raise BivideoError(f"cue {number}: ends ({end:.3f} s) before it starts ({start:.3f} s)")
    if not any(lines.values()):
        raise BivideoError(f"cue {number}: no text")
    return Cue(start, end, lines[spoken], lines[other_language(spoken)], spoken)


def cues(rows: list[Row]) -> list[Cue]:
    return [cue(data, number) for number, data in enumerate(rows, 1)]


def record(data: Row) -> highlight.Record | None:
    """The row's spoken words with their times, as highlight records them."""
    words = data.get("words")
    if not words:
        return None
    return highlight.Record("zh" if data.get("spoken") == "zh" else "en",
                            tuple(highlight.Timed(str(t), float(a), float(b)) for t, a, b in words))


def verdict(entry: Shown, next_start: float | None, fps: float) -> dict:
    """What `bivideo check` finds in one cue: the rules it breaks and the figures behind them."""
    measures = standard.measure(entry, next_start)
    out: dict = {"problems": standard.broken(measures, fps), "duration": round(measures.duration, 3),
                 "gap": None if measures.gap is None else round(measures.gap, 3)}
    for language, widths in measures.widths.items():
        out[language] = {"width": max(widths), "cps": round(measures.cps[language], 2)}
    return out


def verdicts(rows: list[Row], fps: float) -> list[dict]:
    """Each row's verdict, the gap judged against the next row given (none for the last)."""
    shown = subtitles.shown(cues(rows))  # as the bilingual SRT shows them, which `check` reads
    return [verdict(s, shown[i + 1].start if i + 1 < len(shown) else None, fps) for i, s in enumerate(shown)]


def _word_cut(text: str, language: str, share: float) -> int:
    """Where to cut `text` so about `share` of it comes first: at a word boundary (jieba's
    for Chinese), never inside a word."""
    cuts = sorted(chinese_boundaries(text)) if language == "zh" else [m.start() for m in re.finditer(r"\s+", text)]
    if not cuts:
        return len(text) if share >= 0.5 else 0
    return min(cuts, key=lambda c: abs(c - share * len(text)))


def _halves(text: str, language: str, cut: int) -> tuple[str, str]:
    first, second = text[:cut].strip(), text[cut:].strip()
    if language == "zh":  # a comma or stop before the cut would end the first line
        first = subtitles.chinese_display(first)
    return first, second


def split(data: Row, at: float, fps: float) -> tuple[Row, Row]:
    """The row split at `at` seconds. The spoken words said before `at` (by their times, when
    the line's words are those transcribed; else by the share of the cue's time) go to the
    first cue; the translation is divided at the word nearest the same share and both halves
    are marked stale. The second cue starts two frames after the first ends."""
    whole = cue(data, 1)
    gap = standard.MIN_GAP_FRAMES / fps
    if not whole.start + gap < at < whole.end - gap:
        raise BivideoError(f"the playhead ({at:.2f} s) is not inside the cue ({whole.start:.2f}-{whole.end:.2f} s)")
    spoken, other = whole.language, other_language(whole.language)
    line = data[spoken] if isinstance(data.get(spoken), str) else whole.source
    said = record(data)
    parts = highlight.pieces(line, said.words) if said else None
    if parts and said:
        before = sum(1 for w in said.words if highlight.key(w.text) and (w.start + w.end) / 2 < at)
        cut = sum(len(text) for text, _ in parts[:before])
        words = ([[w.text, w.start, w.end] for w in said.words[:before]] or None,
                 [[w.text, w.start, w.end] for w in said.words[before:]] or None)
    else:
        cut = _word_cut(line, spoken, (at - whole.start) / (whole.end - whole.start))
        words = (None, None)
    spoken_halves = _halves(line, spoken, cut)
    share = len(spoken_halves[0]) / max(1, len(spoken_halves[0]) + len(spoken_halves[1]))
    target = str(data.get(other, ""))
    target_halves = _halves(target, other, _word_cut(target, other, share))
    first = {spoken: spoken_halves[0], other: target_halves[0]}
    second = {spoken: spoken_halves[1], other: target_halves[1]}
    return ({**data, **first, "start": whole.start, "end": round(at, 3), "words": words[0], "stale": True},
            {**data, **second, "start": round(at + gap, 3), "end": whole.end, "words": words[1], "stale": True})


def sync_marks(times: list[tuple[float, float]], speech: list[tuple[float, float]]) -> dict:
    """What `check --audio` reports, as marks for the page: the speech regions no cue is on
    screen for, the cues up over silence before their words, and the cues that appear more
    than MAX_LEAD before their speech (0-based)."""
    report = sync_check.score(times, speech)
    return {"uncovered": [[round(a, 3), round(b, 3)] for a, b in speech
                          if not any(start < b and end > a for start, end in times)],
            "over_silence": [c["cue"] - 1 for c in report.over_silence],
            "early": [o["cue"] - 1 for o in report.onsets if -o["error"] > standard.MAX_LEAD]}


def changed(rows: list[Row], loaded: list[Cue]) -> bool:
    """True when the rows differ from the cues the page was given (times to the millisecond)."""
    now = cues(rows)
    return len(now) != len(loaded) or any(
        (round(a.start, 3), round(a.end, 3), subtitles.line(a, "zh"), subtitles.line(a, "en"))
        != (round(b.start, 3), round(b.end, 3), subtitles.line(b, "zh"), subtitles.line(b, "en"))
        for a, b in zip(now, loaded))
