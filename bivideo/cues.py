"""Stage 4: words with times -> subtitle cues (what is on screen, and when).

A cue holds one stretch of speech: its times, the spoken (source) text in its language and,
after the translate stage, the other language's (target) text. The language is per cue, so a
talk that switches between Mandarin and English mid-way gets both languages on every cue.

Segmentation is a shortest-path search over the places a cue may end (like a subtitler
choosing the best break, not the first one that fits): each cue must fit one line of its
language and 7 s; breaking costs least at sentence ends, then clause punctuation, then
before a conjunction or preposition, and is never allowed inside a Chinese word, a number or
an English term, and only at great cost between article+noun, pronoun+verb, adjective+noun
or first+last name. Cues are then timed for reading: stretched into the following silence up
to the reading speed and minimum duration, with gaps under half a second closed to two frames.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from dataclasses import asdict, dataclass, replace

from bivideo.standard import (CHAIN_GAP, MAX_CPS, MAX_DURATION, MAX_LINE, MIN_DURATION, MIN_GAP_FRAMES,
                              TRANSLATION_WIDTH, display_width)
from bivideo.transcribe import Word

SENTENCE_END = tuple(".?!。？！…")
CLAUSE_END = tuple(",;:，、；：—")
LONG_PAUSE = 2.0  # a silence this long always ends a cue

# Breaking before these is natural ("… | because we …").
EN_BREAK_BEFORE = frozenset(
    "and but or nor so yet because although though while whereas if unless until when whenever where "
    "after before since that which who whom whose than as of in on at to for from with without about "
    "into onto over under between through during against among across".split())
# Breaking after these splits article+noun, pronoun+verb or a possessive from its noun.
EN_NO_BREAK_AFTER = frozenset(
    "a an the this that these those my your his her its our their i you he she we they it "
    "very more most so too quite such no not".split())
ZH_BREAK_BEFORE = frozenset("但是 但 而且 而 所以 因为 如果 虽然 然后 并且 或者 还是 以及 和 跟 与 因此 不过 可是 就是 于是".split())
ZH_NO_BREAK_AFTER = frozenset("的 地 得 这 那 这个 那个 一个 这些 那些 我 你 他 她 它 我们 你们 他们 很 最 更 太 不".split())
ZH_ATTACH_BEFORE = frozenset("的 了 吗 呢 吧 啊 呀 们 着 过 个 地 得".split())

# Break costs: lower is better.
COST_SENTENCE, COST_CLAUSE, COST_SEGMENT, COST_CONJUNCTION, COST_PLAIN, COST_FORBIDDEN = 0, 1, 2, 3, 6, 30
COST_PER_CUE = 2  # prefer fuller cues to many fragments
COST_MERGE = 4  # a sentence or segment end left inside a cue
COST_SLOW = 12  # the text cannot be read in the time it can stay up
COST_SHORT = 8  # the cue cannot reach the minimum duration before the next one starts
COST_LONG_TRANSLATION = 3  # its translation will likely need more than one line


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


@dataclass(frozen=True)
class Token:
    """The smallest unit a cue boundary may not cut: an English word, or a Chinese word (as
    jieba sees it) made of one or more of Whisper's pieces."""

    text: str
    start: float
    end: float
    language: str
    segment_end: bool = False  # Whisper ended a segment here (its own idea of a sentence)


@functools.cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


_TERM_CHAR = re.compile(r"[0-9A-Za-z.\-_+#/%@']")


def chinese_boundaries(text: str) -> set[int]:
    """Character offsets where a Chinese line may be cut: between jieba words, but never
    inside a run of Latin letters/digits (an English term, a number, a version like 3.11)."""
    cuts, offset = set(), 0
    for piece in _jieba().cut(text):
        offset += len(piece)
        cuts.add(offset)
    return {c for c in cuts if 0 < c < len(text)
            and not (_TERM_CHAR.match(text[c - 1]) and _TERM_CHAR.match(text[c]))}


def tokens_for(words: list[Word], language: str, segment_ends: set[int] = frozenset()) -> list[Token]:
    """Words -> tokens. English words stay as they are; Chinese pieces are joined until the
    boundary after them is one jieba (and our term rule) allows."""
    if language != "zh":
        return [Token(w.text, w.start, w.end, language, i in segment_ends) for i, w in enumerate(words)]
    text = "".join(w.text for w in words)
    allowed = chinese_boundaries(text)
    tokens: list[Token] = []
    pending: list[Word] = []
    offset = 0

    def close(segment_end: bool) -> None:
        tokens.append(Token("".join(w.text for w in pending), pending[0].start, pending[-1].end,
                            language, segment_end))
        pending.clear()

    for i, word in enumerate(words):
        if pending and display_width("".join(w.text for w in pending) + word.text, language) > MAX_LINE[language]:
            close(False)  # no allowed cut within a whole line: cut between Whisper's pieces after all
        pending.append(word)
        offset += len(word.text)
        if i == len(words) - 1 or offset in allowed or i in segment_ends:
            close(i in segment_ends)
    return tokens


def _bare(text: str) -> str:
    return text.strip().strip("\"'“”‘’()（）[]").lower()


def break_cost(before: Token, after: Token) -> int:
    """How good a place the boundary between two tokens is for ending a cue."""
    text = before.text.strip()
    if text.endswith(SENTENCE_END):
        return COST_SENTENCE
    if text.endswith(CLAUSE_END):
        return COST_CLAUSE
    if before.segment_end:
        return COST_SEGMENT
    if before.language == "zh":
        if after.text.strip() in ZH_ATTACH_BEFORE or text in ZH_NO_BREAK_AFTER:
            return COST_FORBIDDEN
        if after.text.strip() in ZH_BREAK_BEFORE:
            return COST_CONJUNCTION
        return COST_PLAIN + 2 if text[-1:].isdigit() else COST_PLAIN  # "100 | 个" reads badly
    word, following = _bare(text), after.text.strip()
    if word in EN_NO_BREAK_AFTER:
        return COST_FORBIDDEN
    if text[:1].isupper() and following[:1].isupper() and word != "i":
        return COST_FORBIDDEN  # two capitalised words in a row: most likely a name
    if _bare(following) in EN_BREAK_BEFORE:
        return COST_CONJUNCTION
    return COST_PLAIN


def join(tokens: list[Token] | list[Word]) -> str:
    return "".join(t.text for t in tokens).strip()


def _segment(tokens: list[Token], gap: float) -> list[tuple[int, int]]:
    """Best cue boundaries by dynamic programming: (start, end) token index pairs."""
    n = len(tokens)
    costs = [break_cost(a, b) if a.language == b.language else COST_SENTENCE  # a language change is a natural break
             for a, b in zip(tokens, tokens[1:])] + [COST_SENTENCE]
    best = [0.0] + [math.inf] * n
    choice = [0] * (n + 1)
    for j in range(1, n + 1):
        language = tokens[j - 1].language
        end_cost = costs[j - 1]
        available_until = tokens[j].start - gap if j < n else math.inf
        merged = 0  # cost of the strong boundaries inside the cue
        for i in range(j - 1, -1, -1):
            if tokens[i].language != language:
                break
            if i < j - 1 and costs[i] <= COST_SEGMENT:
                merged += COST_MERGE
            if i < j - 1 and tokens[i + 1].start - tokens[i].end >= LONG_PAUSE:
                break
            text = join(tokens[i:j])
            width = display_width(text, language)
            single = i == j - 1
            if not single and (width > MAX_LINE[language] or tokens[j - 1].end - tokens[i].start > MAX_DURATION):
                break
            shown = min(available_until, tokens[i].start + MAX_DURATION) - tokens[i].start
            cost = best[i] + end_cost + COST_PER_CUE + merged
            if shown < MIN_DURATION:
                cost += COST_SHORT
            # the translation must be readable too: estimate its width from the usual ratio
            target = other_language(language)
            translation = width * TRANSLATION_WIDTH[language]
            if width > MAX_CPS[language] * max(shown, 1e-3) or translation > MAX_CPS[target] * max(shown, 1e-3):
                cost += COST_SLOW
            if translation > MAX_LINE[target]:
                cost += COST_LONG_TRANSLATION
            if cost < best[j]:
                best[j], choice[j] = cost, i
    spans, j = [], n
    while j > 0:
        spans.append((choice[j], j))
        j = choice[j]
    return spans[::-1]


def retime(cues: list[Cue], fps: float) -> list[Cue]:
    """Time cues for reading: each stays up long enough to be read (reading speed and minimum
    duration) if the silence after it allows, never past 7 s, never closer than two frames to
    the next; a gap under half a second is closed to exactly two frames ("chaining")."""
    gap, frame = MIN_GAP_FRAMES / fps, 1 / fps
    out: list[Cue] = []
    for i, cue in enumerate(cues):
        # words closer than two frames to the previous cue's end: show this cue a moment later
        start = max(cue.start, out[-1].end + gap) if out else cue.start
        next_start = cues[i + 1].start if i + 1 < len(cues) else math.inf
        target = other_language(cue.language)
        reading = max(display_width(cue.source, cue.language) / MAX_CPS[cue.language],
                      display_width(cue.target, target) / MAX_CPS[target])
        end = max(cue.end, start + MIN_DURATION, start + reading)
        if next_start - end < CHAIN_GAP:
            end = next_start - gap
        end = min(end, start + MAX_DURATION, next_start - gap)  # 7 s wins over chaining
        out.append(replace(cue, start=start, end=max(end, start + frame)))
    return out


def build(words: list[Word], language: str, fps: float = 25.0, segment_ends: set[int] = frozenset(),
          languages: list[str] | None = None) -> list[Cue]:
    """Cues for a talk. `languages` gives each word's spoken language (mixed talks); by
    default every word is in `language`. `segment_ends` are indices of words that end one of
    Whisper's segments."""
    languages = languages or [language] * len(words)
    tokens: list[Token] = []
    start = 0
    for i in range(1, len(words) + 1):  # tokenise each same-language run on its own
        if i == len(words) or languages[i] != languages[start]:
            run_ends = {k - start for k in segment_ends if start <= k < i}
            tokens += tokens_for(words[start:i], languages[start], run_ends)
            start = i
    spans = _segment(tokens, MIN_GAP_FRAMES / fps)
    built = [Cue(tokens[i].start, tokens[j - 1].end, join(tokens[i:j]), language=tokens[i].language)
             for i, j in spans]
    return retime([c for c in built if c.source], fps)


# --- the bilingual constraint, applied after translation ----------------------------------

def _cut_points(text: str, language: str) -> list[int]:
    """Offsets where a line of `language` may be divided: jieba word boundaries for Chinese,
    spaces for English."""
    if language == "zh":
        return sorted(chinese_boundaries(text))
    return [m.start() for m in re.finditer(r" (?=\S)", text)]


def divide(text: str, language: str, shares: list[float]) -> list[str]:
    """Cut `text` into len(shares) pieces at allowed points, as close as possible to the given
    proportions, preferring points after punctuation. Pure; pieces joined give back `text`."""
    points = _cut_points(text, language)
    pieces, begin, used = [], 0, 0.0
    for share in shares[:-1]:
        used += share
        goal = used * len(text)
        candidates = [p for p in points if p > begin]
        if not candidates:
            break
        def score(p: int) -> float:
            punct = text[:p].rstrip()[-1:] in SENTENCE_END + CLAUSE_END
            return abs(p - goal) - (0.15 * len(text) if punct else 0)
        cut = min(candidates, key=score)
        pieces.append(text[begin:cut])
        begin = cut
    pieces.append(text[begin:])
    return pieces + [""] * (len(shares) - len(pieces))


def _fits(text: str, language: str) -> bool:
    return display_width(text.strip(), language) <= MAX_LINE[language]


def fit_bilingual(cues: list[Cue], fps: float = 25.0) -> list[Cue]:
    """A cue whose translation is longer than one line of its language is split into as
    many cues as it takes (times divided in proportion to the source text), never given a
    third line; a cue too short to split keeps the translation on two lines."""
    gap = MIN_GAP_FRAMES / fps
    out: list[Cue] = []
    for cue in cues:
        target_language = other_language(cue.language)
        parts = math.ceil(display_width(cue.target.strip(), target_language) / MAX_LINE[target_language])
        while parts > 1:
            targets = divide(cue.target.strip(), target_language, [1 / parts] * parts)
            if all(_fits(t, target_language) for t in targets):
                break
            parts += 1
            if parts > 12:
                break
        duration = cue.end - cue.start
        if parts <= 1 or duration < parts * (MIN_DURATION + gap):
            out.append(cue)
            continue
        sources = divide(cue.source, cue.language, [1 / parts] * parts)
        targets = divide(cue.target.strip(), target_language,
                         [max(len(s), 1) / max(len(cue.source), 1) for s in sources])
        if any(not s.strip() or not t.strip() for s, t in zip(sources, targets)):
            out.append(cue)
            continue
        # every piece gets the minimum duration, the rest of the time goes by source length
        spare = duration - parts * MIN_DURATION - (parts - 1) * gap
        start = cue.start
        for k, (source, target) in enumerate(zip(sources, targets)):
            end = cue.end if k == parts - 1 else start + MIN_DURATION + spare * len(source) / len(cue.source)
            out.append(replace(cue, start=start, end=end, source=source.strip(), target=target.strip()))
            start = end + gap
    return retime(out, fps)  # both languages now known: give each cue the time to read both
