"""Translation units, pure: which cues are translated together (a sentence, or a phrase where a
sentence is too long for one request), the length budget of each cue's translation, what one
request asks (`Plan`), and a unit's translation divided back over its cues in proportion to
the source, at punctuation or word boundaries (jieba words for Chinese). No I/O: translate.py
sends the plans."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bivideo import segmentation
from bivideo.datatypes import CLAUSE_END, SENTENCE_END, Cue, Word, other_language
from bivideo.standard import MAX_CPS, MAX_LINE, NOTICEABLE_PAUSE, TRANSLATION_WIDTH, display_width

# The most one unit may hold. MyMemory takes at most 500 bytes of UTF-8 per request (and
# deep-translator refuses 500 characters); Google and LibreTranslate's public servers allow
# 5000 characters, DeepL and Microsoft far more. 400 bytes leaves room for the placeholders
# that guard terms: about 130 Chinese characters or 400 English ones, 25-30 s of speech.
MAX_UNIT_BYTES = 400
# Whisper's translate task hears a unit's audio in one 30 s window (less the padding).
MAX_UNIT_SECONDS = 28.0
LONG_PAUSE = 2.0  # seconds: the speaker stopped; never one unit across it
# In unpunctuated speech a pause this long stands in for a sentence end. Read Mandarin pauses
# 0.9-1.1 s between sentences (zh03); spontaneous speech pauses 0.4-0.7 s inside a phrase
# (zh04), which NOTICEABLE_PAUSE (0.4 s, where cues end) would cut.
SENTENCE_PAUSE = 0.8


def pauses_before(cues: list[Cue], words: list[Word] | None = None) -> list[float]:
    """Pure: the silence before each cue (0 for the first), between the words themselves when
    the transcript is at hand: cue times are stretched for reading and chained, which hides
    the pauses."""
    spoken = segmentation.words_of(cues, words) if words else [None] * len(cues)
    out = [0.0]
    for k in range(1, len(cues)):
        before, after = spoken[k - 1], spoken[k]
        if before and after:
            out.append(max(0.0, after[0].start - before[-1].end))
        else:
            out.append(max(0.0, cues[k].start - cues[k - 1].end))
    return out


def _fits(run: list[int], cues: list[Cue]) -> bool:
    text = joined([cues[i].source for i in run], cues[run[0]].language)
    return len(text.encode()) <= MAX_UNIT_BYTES and cues[run[-1]].end - cues[run[0]].start <= MAX_UNIT_SECONDS


def _ends(cue: Cue, marks: tuple[str, ...]) -> bool:
    return cue.source.rstrip().endswith(marks)


def units(cues: list[Cue], pauses: list[float] | None = None) -> list[list[int]]:
    """Pure: runs of cue indices translated as one request. A unit always ends at a sentence
    end, a change of spoken language or a long pause. Unpunctuated speech (Whisper often
    gives Mandarin none) has no sentence ends to go by, so there a SENTENCE_PAUSE is one.
    A sentence longer than a request may be is cut at the best place inside the cap:
    clause punctuation, else a noticeable pause, else the best break between words; never
    just where a cue count runs out."""
    pauses = pauses or pauses_before(cues)
    runs: list[list[int]] = []
    for i, cue in enumerate(cues):
        previous = cues[i - 1] if i else None
        if (previous is None or previous.language != cue.language or pauses[i] >= LONG_PAUSE
                or _ends(previous, SENTENCE_END)):
            runs.append([i])
        else:
            runs[-1].append(i)
    out: list[list[int]] = []
    for run in runs:
        if not any(_ends(cues[i], SENTENCE_END + CLAUSE_END) for i in run):
            run_cuts = [k for k in range(1, len(run)) if pauses[run[k]] >= SENTENCE_PAUSE]
            pieces = [run[a:b] for a, b in zip([0, *run_cuts], [*run_cuts, len(run)])]
        else:
            pieces = [run]
        for piece in pieces:
            out += _within_cap(piece, cues, pauses)
    return out


def _edges(cue: Cue) -> tuple[str, str]:
    """The first and last word of a cue (jieba words for Chinese)."""
    text = cue.source.strip()
    if cue.language != "zh":
        words = text.split() or [""]
        return words[0], words[-1]
    cuts = sorted(segmentation.chinese_boundaries(text))
    return (text[:cuts[0]], text[cuts[-1]:]) if cuts else (text, text)


def _break_cost(left: Cue, right: Cue) -> int:
    """How good a place the boundary between two cues of one language is, as the cue builder
    judges breaks (before a conjunction is good; after an article or between names is not)."""
    token = lambda text: segmentation.Token(text, 0.0, 0.0, left.language)  # noqa: E731
    return segmentation.break_cost(token(_edges(left)[1]), token(_edges(right)[0]))


def _within_cap(run: list[int], cues: list[Cue], pauses: list[float]) -> list[list[int]]:
    out: list[list[int]] = []
    while not _fits(run, cues):
        # k: the unit is run[:k]; a single cue over the cap goes alone (a cue is one line of text)
        fitting = [k for k in range(1, len(run)) if _fits(run[:k], cues)] or [1]

        def rank(k: int, run: list[int] = run) -> tuple:
            # clause punctuation, then a noticeable pause, then the cue builder's idea of a good
            # break; among equals the latest, so units stay long
            left, right = cues[run[k - 1]], cues[run[k]]
            return (_ends(left, CLAUSE_END), pauses[run[k]] >= NOTICEABLE_PAUSE, -_break_cost(left, right), k)

        cut = max(fitting, key=rank)
        out.append(run[:cut])
        run = run[cut:]
    return [*out, run]


@dataclass(frozen=True)
class Budget:
    """How much of the target language one cue can show: one line, and what can be read in
    the time the cue is up (display width: a half-width character counts 0.5 in Chinese)."""

    line: float
    reading: float
    seconds: float

    @property
    def width(self) -> float:
        return min(self.line, self.reading)

    def to_json(self) -> dict:
        return {"max_chars": int(self.width), "one_line": int(self.line), "seconds": round(self.seconds, 2),
                "readable": int(self.reading)}


def budget(cue: Cue, target: str) -> Budget:
    seconds = max(cue.end - cue.start, 0.0)
    return Budget(MAX_LINE[target], max(1.0, math.floor(MAX_CPS[target] * seconds)), seconds)


def over_budget(lines: list[str], budgets: list[Budget], target: str) -> dict[int, float]:
    """Pure: index -> how far over its budget, for the lines that are."""
    widths = [display_width(line.strip(), target) for line in lines]
    return {k: w - b.width for k, (w, b) in enumerate(zip(widths, budgets)) if w > b.width + 1e-9}


def tight(sources: list[str], budgets: list[Budget], source: str) -> list[int]:
    """Pure: lines whose usual translation would not fit their budget: to be condensed."""
    return [k for k, (text, b) in enumerate(zip(sources, budgets))
            if display_width(text.strip(), source) * TRANSLATION_WIDTH[source] > b.width]


def joined(texts: list[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(t.strip() for t in texts)


def spread(translation: str, sources: list[str], source: str, target: str) -> list[str]:
    """Pure: a sentence's translation divided over its cues, in proportion to each cue's share
    of the source text."""
    widths = [max(display_width(s, source), 0.5) for s in sources]
    pieces = segmentation.divide(translation.strip(), target, [w / sum(widths) for w in widths])
    return [p.strip() for p in pieces]


@dataclass
class Plan:
    """What one unit (or one --refine window) asks of the translator."""

    indices: list[int]
    source: str  # language
    target: str
    lines: list[str]
    budgets: list[Budget]
    before: str  # context, for backends that take it
    after: str
    first_pass: list[str] | None = None  # --refine: the translations to correct


def plans(cues: list[Cue], pauses: list[float] | None = None) -> list[Plan]:
    groups = units(cues, pauses)
    texts = [joined([cues[i].source for i in g], cues[g[0]].language) for g in groups]
    return [_plan(cues, g, texts[k - 1] if k else "", texts[k + 1] if k + 1 < len(texts) else "")
            for k, g in enumerate(groups)]


def _plan(cues: list[Cue], group: list[int], before: str, after: str, first_pass: list[str] | None = None) -> Plan:
    source = cues[group[0]].language
    target = other_language(source)
    return Plan(group, source, target, [cues[i].source for i in group], [budget(cues[i], target) for i in group],
                before, after, first_pass)


REFINE_WINDOW = 30  # cues per --refine request: a minute or two of talk, well inside any model's context
REFINE_CONTEXT = 3  # cues either side shown (source and translation), not corrected


def refine_plans(cues: list[Cue], targets: list[str]) -> list[Plan]:
    """The --refine windows: up to REFINE_WINDOW consecutive cues of one spoken language."""
    windows: list[list[int]] = []
    for i, cue in enumerate(cues):
        if windows and cues[windows[-1][0]].language == cue.language and len(windows[-1]) < REFINE_WINDOW:
            windows[-1].append(i)
        else:
            windows.append([i])

    def shown(indices: range) -> str:
        return " / ".join(f"{cues[i].source} = {targets[i]}" for i in indices)

    return [_plan(cues, w, shown(range(max(0, w[0] - REFINE_CONTEXT), w[0])),
                  shown(range(w[-1] + 1, min(len(cues), w[-1] + 1 + REFINE_CONTEXT))), [targets[i] for i in w])
            for w in windows]


