"""Stage 4: words with times -> subtitle cues (what is on screen, and when).

A cue holds one stretch of speech: its times, the spoken (source) text in its language and,
after the translate stage, the other language's (target) text. The language is per cue, so a
talk that switches between Mandarin and English mid-way gets both languages on every cue.

Segmentation is a shortest-path search over the places a cue may end (like a subtitler
choosing the best break, not the first one that fits): each cue must fit one line of its
language and 7 s; breaking costs least at sentence ends, then clause punctuation, then
before a conjunction or preposition, and is never allowed inside a Chinese word, a number or
an English term, and only at great cost between article+noun, pronoun+verb, adjective+noun
or first+last name. A noticeable pause ends a cue, unless the piece it leaves could not stay
up for the minimum duration: then the piece joins its neighbour across a pause too short to
be seen (CHAIN_GAP). Cues are then timed for reading: stretched into the following silence up
to the reading speed and minimum duration, with gaps under half a second closed to two frames.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Set
from dataclasses import dataclass, replace
from itertools import pairwise
from types import ModuleType

from bivideo.datatypes import CLAUSE_END, SENTENCE_END, Cue, Language, Word, other_language
from bivideo.standard import (
    CHAIN_GAP,
    DEFAULT_FPS,
    MAX_CPS,
    MAX_DURATION,
    MAX_LEAD,
    MAX_LINE,
    MIN_DURATION,
    MIN_GAP_FRAMES,
    NOTICEABLE_PAUSE,
    TRANSLATION_WIDTH,
    display_width,
)

# Breaking before these is natural ("… | because we …").
EN_BREAK_BEFORE = frozenset(
    "and but or nor so yet because although though while whereas if unless until when whenever where "
    "after before since that which who whom whose than as of in on at to for from with without about "
    "into onto over under between through during against among across".split())
# Breaking after these splits article+noun, pronoun+verb or a possessive from its noun.
EN_NO_BREAK_AFTER = frozenset(
    "a an the this that these those my your his her its our their i you he she we they it "
    "very more most so too quite such no not".split())
ZH_BREAK_BEFORE = frozenset(
    "但是 但 而且 而 所以 因为 如果 虽然 然后 并且 或者 还是 以及 和 跟 与 因此 不过 可是 就是 于是".split())
ZH_NO_BREAK_AFTER = frozenset(
    "的 地 得 这 那 这个 那个 一个 这些 那些 我 你 他 她 它 我们 你们 他们 很 最 更 太 不".split())
ZH_ATTACH_BEFORE = frozenset("的 了 吗 呢 吧 啊 呀 们 着 过 个 地 得".split())

# Break costs: lower is better.
COST_SENTENCE, COST_CLAUSE, COST_SEGMENT, COST_CONJUNCTION, COST_PLAIN, COST_FORBIDDEN = 0, 1, 2, 3, 6, 30
COST_PER_CUE = 2  # prefer fuller cues to many fragments
COST_MERGE = 4  # a sentence or segment end left inside a cue
COST_SLOW = 12  # the text cannot be read in the time it can stay up
# A cue that cannot reach the minimum duration before the next one starts makes that one wait:
# worse than any place to break, and worse than crossing a pause under CHAIN_GAP (COST_PAUSE),
# which in turn only a cue too short to read justifies.
COST_SHORT = 200
COST_PAUSE = 60
COST_LONG_TRANSLATION = 3  # its translation will likely need more than one line


@dataclass(frozen=True)
class Token:
    """The smallest unit a cue boundary may not cut: an English word, or a Chinese word (as
    jieba sees it) made of one or more of Whisper's pieces."""

    text: str
    start: float
    end: float
    language: Language
    segment_end: bool = False  # Whisper ended a segment here (its own idea of a sentence)


@functools.cache
def segmenter() -> ModuleType:
    """jieba, its dictionary looked up in SQLite rather than loaded whole (bivideo.jieba_words)."""
    import jieba

    from bivideo import jieba_words

    jieba.setLogLevel(logging.WARNING)
    jieba_words.attach(jieba.dt)
    return jieba


_TERM_CHAR = re.compile(r"[0-9A-Za-z.\-_+#/%@']")


@functools.lru_cache(maxsize=4096)
def _jieba_cuts(text: str) -> frozenset[int]:
    """Character offsets between jieba's words (term rule or not)."""
    cuts, offset = set(), 0
    for piece in segmenter().cut(text):
        offset += len(piece)
        cuts.add(offset)
    return frozenset(cuts)


@functools.lru_cache(maxsize=4096)
def chinese_boundaries(text: str) -> frozenset[int]:
    """Character offsets where a Chinese line may be cut: between jieba words, but never
    inside a run of Latin letters/digits (an English term, a number, a version like 3.11)."""
    return frozenset(c for c in _jieba_cuts(text) if 0 < c < len(text)
                     and not (_TERM_CHAR.match(text[c - 1]) and _TERM_CHAR.match(text[c])))


def said_at(pieces: list[Word]) -> tuple[float, float]:
    """When a word made of Whisper's pieces is said. A pause of CHAIN_GAP or more between its
    pieces is one Whisper's times put there (a first character pinned to a faint sound before
    the pause, most often): the word is shown whole where most of it is said, the stretch of
    pieces with the most speech."""
    stretches = [[pieces[0]]]
    for before, piece in pairwise(pieces):
        if piece.start - before.end >= CHAIN_GAP:
            stretches.append([piece])
        else:
            stretches[-1].append(piece)
    said = max(stretches, key=lambda stretch: sum(p.end - p.start for p in stretch))
    return said[0].start, max(p.end for p in said)


def tokens_for(words: list[Word], language: Language, segment_ends: Set[int] = frozenset()) -> list[Token]:
    """Words -> tokens. English words stay as they are; Chinese pieces are joined until the
    boundary after them is one jieba (and our term rule) allows, whatever pauses their times
    hold (see `said_at`). A term wider than a line is cut between jieba's words after all; a
    single jieba word stays whole, however wide."""
    if language != "zh":
        return [Token(w.text, w.start, w.end, language, i in segment_ends) for i, w in enumerate(words)]
    text = "".join(w.text for w in words)
    allowed, between_words = chinese_boundaries(text), _jieba_cuts(text)
    tokens: list[Token] = []
    pending: list[Word] = []
    offset, segment_end = 0, False
    for i, word in enumerate(words):
        pending.append(word)
        offset += len(word.text)
        segment_end = segment_end or i in segment_ends
        last = i == len(words) - 1
        overflows = not last and display_width("".join(w.text for w in [*pending, words[i + 1]]),
                                                 language) > MAX_LINE[language]
        if last or offset in allowed or (overflows and offset in between_words):
            tokens.append(Token("".join(w.text for w in pending), *said_at(pending), language, segment_end))
            pending, segment_end = [], False
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
             for a, b in pairwise(tokens)] + [COST_SENTENCE]
    best = [0.0] + [math.inf] * n
    choice = [0] * (n + 1)
    for j in range(1, n + 1):
        language = tokens[j - 1].language
        end_cost = costs[j - 1]
        available_until = tokens[j].start - gap if j < n else math.inf
        merged = 0  # cost of the strong boundaries and the pauses inside the cue
        for i in range(j - 1, -1, -1):
            if tokens[i].language != language:
                break
            if i < j - 1 and costs[i] <= COST_SEGMENT:
                merged += COST_MERGE
            if i < j - 1:
                pause = tokens[i + 1].start - tokens[i].end
                if pause >= CHAIN_GAP:
                    break  # the words after it would be up before they are said
                if pause >= NOTICEABLE_PAUSE:
                    merged += COST_PAUSE
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
    """Time cues for reading: each stays up long enough to be read (reading speed) if the
    silence after it allows, never past 7 s, never closer than two frames to the next; a gap
    under half a second is closed to exactly two frames ("chaining"). Only ends move forward:
    a cue never leaves before its last word has been spoken, and never appears before its
    first; where two cues' words touch, the second waits two frames. Every cue stays up the
    minimum duration: where the next one's words come sooner (the cue builder leaves that only
    to a piece between two pauses a viewer sees), the next cue waits."""
    gap = MIN_GAP_FRAMES / fps
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
        out.append(replace(cue, start=start, end=max(end, cue.end, start + MIN_DURATION)))
    return out


def build(words: list[Word], language: Language, fps: float = DEFAULT_FPS, segment_ends: Set[int] = frozenset(),
          languages: list[Language] | None = None) -> list[Cue]:
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
    for k, share in enumerate(shares[:-1]):
        used += share
        goal = used * len(text)
        later = len(shares) - 2 - k  # cuts still to make after this one: leave points for them
        candidates = [p for p in points[:len(points) - later] if p > begin]
        if not candidates:
            break
        def score(p: int) -> float:
            punct = text[:p].rstrip()[-1:] in SENTENCE_END + CLAUSE_END
            return abs(p - goal) - (0.15 * len(text) if punct else 0)  # noqa: B023 - called in this iteration
        cut = min(candidates, key=score)
        pieces.append(text[begin:cut])
        begin = cut
    pieces.append(text[begin:])
    return pieces + [""] * (len(shares) - len(pieces))


def _fits(text: str, language: str, lines: int = 1) -> bool:
    """Whether `text` can be shown in at most `lines` lines of `language`."""
    text = text.strip()
    if lines == 1 or _fits(text, language):
        return display_width(text, language) <= MAX_LINE[language]
    return all(_fits(half, language) for half in divide(text, language, [0.5, 0.5]))


def two_lines(text: str, language: str) -> str:
    """`text` as shown: one line when it fits, else two lines broken near the middle at an
    allowed point (after punctuation by preference)."""
    text = text.strip()
    if _fits(text, language):
        return text
    return "\n".join(half.strip() for half in divide(text, language, [0.5, 0.5]) if half.strip())


def _parts_needed(target: str, language: str, lines: int) -> int:
    """How many cues the translation needs so that each piece fits `lines` lines."""
    width = display_width(target, language)
    parts = max(1, math.ceil(width / (MAX_LINE[language] * lines)))
    while parts < 12 and not all(_fits(t, language, lines) for t in divide(target, language, [1 / parts] * parts)):
        parts += 1
    return parts


def _time_at(offset: int, timed: list[tuple[int, int, Token]], at_end: bool) -> float:
    """The time at character `offset` of a cue's source (spaces not counted), from the words'
    own times; inside a word, in proportion to its characters."""
    for begin, finish, word in timed:
        if begin <= offset < finish or (at_end and offset == finish):
            share = (offset - begin) / max(finish - begin, 1)
            return word.start + share * (word.end - word.start)
    return timed[-1][2].end if timed else 0.0


def _solid(text: str) -> int:
    return len("".join(text.split()))


def words_of(cues: list[Cue], words: list[Word]) -> list[list[Word] | None]:
    """Pure: each cue's words from the transcript, matched by their text in order (cues are
    built from the words, so the texts line up); None for a cue that does not match."""
    out: list[list[Word] | None] = []
    k = 0
    for cue in cues:
        need, taken = "".join(cue.source.split()), list[Word]()
        while k < len(words) and _solid("".join(w.text for w in taken)) < len(need):
            taken.append(words[k])
            k += 1
        out.append(taken if "".join("".join(w.text for w in taken).split()) == need else None)
    return out


def _timed(spoken: list[Token]) -> list[tuple[int, int, Token]]:
    """Each word with the offsets of its characters in the cue's text (spaces not counted)."""
    timed, begin = [], 0
    for word in spoken:
        size = _solid(word.text)
        timed.append((begin, begin + size, word))
        begin += size
    return timed


def _boundaries(cue: Cue, sources: list[str], spoken: list[Token] | None, gap: float) -> list[tuple[float, float]]:
    """(start, end) of each piece. A piece starts where its first word was said (in proportion
    to the text when the words' times are unknown), moved just enough that every piece lasts
    the minimum, but never to more than MAX_LEAD before its first word; it ends two frames
    before the next one, and never before its own last word has been said."""
    parts, total = len(sources), _solid(cue.source)
    offsets, done = [], 0
    for source in sources[:-1]:
        done += _solid(source)
        offsets.append(done)
    step = MIN_DURATION + gap
    feasible = cue.end - cue.start >= parts * step - gap
    timed = _timed(spoken) if spoken else []
    if timed:
        times = [_time_at(o, timed, at_end=False) for o in offsets]
    else:
        times = [cue.start + (cue.end - cue.start) * o / max(total, 1) for o in offsets]
    starts, previous = [cue.start], cue.start
    for k, said in enumerate(times, 1):
        time = min(max(said, previous + step), cue.end - (parts - k) * step + gap) if feasible else said
        if timed:
            time = max(time, said - MAX_LEAD)
        starts.append(max(time, previous + gap))
        previous = starts[-1]
    ends = [s - gap for s in starts[1:]]
    if timed:  # a piece stays up until its last word has been said
        ends = [max(end, _time_at(o, timed, at_end=True)) for end, o in zip(ends, offsets)]
    return list(zip(starts, [*ends, cue.end]))


def fit_bilingual(cues: list[Cue], fps: float = DEFAULT_FPS, words: list[Word] | None = None) -> list[Cue]:
    """The bilingual constraint, after translation: a cue whose translation is longer than one
    line of its language is split into as many cues as it takes, the times divided where the
    corresponding source words were said (from `words`, the transcript the cues were built
    from) or in proportion to the text. A cue too short for one line per piece gets pieces of
    at most two lines; never a third line."""
    gap = MIN_GAP_FRAMES / fps
    spoken_by_cue = words_of(cues, words) if words else [None] * len(cues)
    out: list[Cue] = []
    for cue, spoken in zip(cues, spoken_by_cue):
        language = other_language(cue.language)
        target = cue.target.strip()
        parts = _parts_needed(target, language, 1)
        if parts > 1 and cue.end - cue.start < parts * (MIN_DURATION + gap) - gap:
            # not enough time for one line each: as many pieces as time allows, two lines at most
            by_time = max(1, math.floor((cue.end - cue.start + gap) / (MIN_DURATION + gap)))
            parts = max(by_time, _parts_needed(target, language, 2))
        parts = min(parts, len(_cut_points(cue.source, cue.language)) + 1)  # no more pieces than words
        if parts <= 1:
            out.append(replace(cue, target=two_lines(target, language)))
            continue
        # the translation is cut where its pieces fit; the source (already one line) to match
        targets = divide(target, language, [1 / parts] * parts)
        sources = divide(cue.source, cue.language, [max(_solid(t), 1) / max(_solid(target), 1) for t in targets])
        if any(not s.strip() or not t.strip() for s, t in zip(sources, targets)):
            out.append(replace(cue, target=two_lines(target, language)))  # too few words to divide
            continue
        said = tokens_for(spoken, cue.language) if spoken else None  # whole words, timed as the cue's were
        out += [replace(cue, start=a, end=b, source=s.strip(), target=two_lines(t, language))
                for (a, b), s, t in zip(_boundaries(cue, sources, said, gap), sources, targets)]
    return retime(out, fps)  # both languages now known: give each cue the time to read both
