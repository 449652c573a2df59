"""Word times checked against the audio, in the transcribe stage (both engines).

Whisper's word times come from cross-attention, not from the sound: the first word after a
pause often starts where the speech before the pause ended (it takes the silence before it),
a phrase's first word may start late, and a sentence's last word often ends while it is
still being said. Subtitles built from those times appear seconds before anyone speaks, or
leave early. So every word is moved onto the speech heard in the audio (audio.heard):

- a start in silence moves forward to where the speech starts, an end in silence back to
  where it stops;
- a word stretched over a pause is given to one side of it: the speech after the pause when
  it starts a segment or follows punctuation (the usual error), the speech before when it
  closes a sentence, a clause or a segment, else wherever most of it is heard;
- a word lying wholly in silence goes to the speech on its side, keeping its length;
- the first and last words of a stretch of speech reach its edges (at most MAX_EDGE_SHIFT away).

Pure functions over times.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import replace

from bivideo.audio import grouped
from bivideo.datatypes import CLAUSE_END, SENTENCE_END, Segment, Word
from bivideo.standard import NOTICEABLE_PAUSE

SPLIT_GAP = 0.25  # s: a silence this long inside a word's span is a pause the word cannot cross
MIN_OVERLAP = 0.1  # s: less speech than this inside a word's span is the edge of another word's
# How far the first and last words heard in a stretch of speech may be moved to its edges
# (the VAD that decoding follows can miss a quiet first second of speech, and Whisper its
# first words): further than that, the speech there is something Whisper did not transcribe.
MAX_EDGE_SHIFT = 1.5
TOUCH = 0.05  # s: a neighbouring word this close to a stretch of speech is said in it
PUNCTUATION_END = SENTENCE_END + CLAUSE_END


def _side_of_pause(word: Word, previous: Word | None, first_of_segment: bool, last_of_segment: bool) -> str:
    """Where a word that Whisper stretched over a pause was really said: "after" it (the usual
    error: the first word after a pause takes the silence before it), "before" it (a word that
    closes a sentence, a clause or a segment), or "most" (wherever most of it is heard)."""
    if first_of_segment:
        return "after"
    if word.text.strip().endswith(PUNCTUATION_END):
        return "before"
    if previous is not None and previous.text.strip().endswith(PUNCTUATION_END):
        return "after"
    return "before" if last_of_segment else "most"


def _next_speech(word: Word, regions: list[tuple[float, float]]) -> Word:
    """`word` moved to the start of the first speech after its start, keeping its length."""
    after = bisect.bisect_right([a for a, _ in regions], word.start)
    if after == len(regions):
        return _previous_speech(word, regions)
    a, b = regions[after]
    return replace(word, start=a, end=word.end if word.end > a + MIN_OVERLAP else min(b, a + word.end - word.start))


def _previous_speech(word: Word, regions: list[tuple[float, float]]) -> Word:
    """`word` moved to the end of the last speech before its end, keeping its length."""
    before = bisect.bisect_left([b for _, b in regions], word.end)
    if before == 0:
        return _next_speech(word, regions) if regions and regions[0][0] > word.start else word
    a, b = regions[before - 1]
    return replace(word, start=word.start if word.start < b - MIN_OVERLAP else max(a, b - (word.end - word.start)),
                   end=b)


def fit_word(word: Word, regions: list[tuple[float, float]], side: str,
             previous_end: float = -math.inf, next_start: float = math.inf) -> Word:
    """Pure: `word` with its times moved onto the speech `regions` (sorted, disjoint), given
    where (by Whisper's times) the word before it ends and the word after it starts."""
    length = word.end - word.start
    heard = [(max(a, word.start), min(b, word.end)) for a, b in regions if b > word.start and a < word.end]
    heard = [(a, b) for a, b in heard if b - a >= min(MIN_OVERLAP, length / 2)]
    if not heard:  # in silence, or only at the very edge of speech
        return _previous_speech(word, regions) if side == "before" else _next_speech(word, regions)
    # the speech heard within the word, in stretches separated by pauses it cannot cross
    stretches = grouped(heard, SPLIT_GAP)
    if side == "after":
        chosen = stretches[-1]
        # speech only at its start, where the word before ends: that is the word before's
        if word.end - chosen[-1][1] >= SPLIT_GAP and previous_end >= chosen[0][0] - TOUCH:
            return _next_speech(replace(word, start=chosen[-1][1]), regions)
    elif side == "before":
        chosen = stretches[0]
        # speech only at its end, where the word after starts: that is the word after's
        if chosen[0][0] - word.start >= SPLIT_GAP and next_start <= chosen[-1][1] + TOUCH:
            return _previous_speech(replace(word, end=chosen[0][0]), regions)
    else:
        chosen = max(stretches, key=lambda pieces: sum(b - a for a, b in pieces))
    return replace(word, start=chosen[0][0], end=chosen[-1][1])


def to_edges(words: list[Word], regions: list[tuple[float, float]]) -> list[Word]:
    """Pure: the first word heard in a stretch of speech (no pause of NOTICEABLE_PAUSE inside)
    starts where the stretch starts, and a word ends where the speech it ends in stops, when no
    other word is said before then (Whisper often starts a phrase's first word late, and ends
    a phrase's last word while it is still being said); each moved by at most MAX_EDGE_SHIFT, never
    over a neighbouring word or across a noticeable pause."""
    out = list(words)
    for stretch in grouped(regions, NOTICEABLE_PAUSE):  # speech with no pause a listener notices
        start, stop = stretch[0][0], stretch[-1][1]
        inside = [i for i, w in enumerate(out) if start - 1e-6 <= w.start < stop]
        if not inside:
            continue
        first = inside[0]
        if out[first].start - start <= MAX_EDGE_SHIFT and (first == 0 or out[first - 1].end <= start + 1e-6):
            out[first] = replace(out[first], start=start)
        for i in inside:
            following = out[i + 1].start if i + 1 < len(out) else math.inf
            ends = [b for _, b in stretch if out[i].end < b <= following + 1e-6 and b - out[i].end <= MAX_EDGE_SHIFT]
            if ends:
                out[i] = replace(out[i], end=max(ends))
    return out


def fit_segments(segments: list[Segment], regions: list[tuple[float, float]]) -> list[Segment]:
    """Pure: every word of every segment fitted to the speech, times kept in order."""
    said = [w for segment in segments for w in segment.words]
    fitted: list[Word] = []
    previous_start = 0.0
    for segment in segments:
        for i, word in enumerate(segment.words):
            side = _side_of_pause(word, segment.words[i - 1] if i else None, i == 0, i == len(segment.words) - 1)
            k = len(fitted)
            if regions:
                word = fit_word(word, regions, side, said[k - 1].end if k else -math.inf,
                                said[k + 1].start if k + 1 < len(said) else math.inf)
            start = max(word.start, previous_start)  # never before the word said before it
            fitted.append(replace(word, start=start, end=max(word.end, start)))
            previous_start = start
    edged = iter(to_edges(fitted, regions))
    out = []
    for segment in segments:
        words = tuple(next(edged) for _ in segment.words)
        out.append(replace(segment, words=words, start=words[0].start if words else segment.start,
                           end=words[-1].end if words else segment.end))
    return out
