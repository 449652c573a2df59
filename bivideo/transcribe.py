"""Stage 3: speech -> words with times, through either Whisper engine behind one interface.

A Transcript is the stage's artifact: the language and the words, each with start and end
times, grouped in Whisper's segments, each segment in its own spoken language (a talk may
switch between Mandarin and English). Chinese comes out in Simplified characters whatever
the model emits, and Whisper's known hallucinations are removed (bivideo.hallucinations).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import replace
from difflib import SequenceMatcher
from itertools import pairwise
from typing import TYPE_CHECKING, Literal, cast

from bivideo import audio, background, hallucinations, soundalike, word_timing
from bivideo.datatypes import LANGUAGES, Language, Segment, Transcript, Word, main_language, other_language
from bivideo.engines import Engine, Progress, choose_language, trim_heap
from bivideo.glossary import Glossary

if TYPE_CHECKING:  # numpy is imported where it is used: `bivideo burn` needs none of this module
    import numpy as np
    import opencc

FORMAT = 4  # bump when what a transcript holds changes, so cached ones are redone
@functools.cache
def _to_simplified() -> opencc.OpenCC:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    return _to_simplified().convert(text)


# In a window taken for the wrong language, Whisper either writes what it hears in its own
# script (English speech decoded as `zh` comes out in English: the label follows the script)
# or guesses a translation with low confidence (Mandarin decoded as `en`: mean word
# probability 0.28-0.65 on the switching talks of tests/test_language.py, against 0.79-0.99
# for the English read in them). Below these, a segment's language is checked; real
# Mandarin speech often scores 0.5-0.7.
UNSURE = {"en": 0.75, "zh": 0.5}


def _cjk(text: str) -> int:
    return sum("\u4e00" <= c <= "\u9fff" for c in text)


def _script(text: str) -> Language | Literal[""]:
    """"zh" (Chinese characters), "en" (Latin letters) or "" (digits, punctuation)."""
    return "zh" if _cjk(text) else "en" if any(c.isascii() and c.isalpha() for c in text) else ""


def split_by_script(segment: Segment) -> list[Segment]:
    """Pure: the segment cut where its words change script: forced to one language, Whisper
    writes both into one segment when the speaker switches without a pause."""
    pieces: list[list[Word]] = []
    script = ""
    for word in segment.words:
        current = _script(word.text)
        if pieces and (not current or not script or current == script):
            pieces[-1].append(word)
        else:
            pieces.append([word])
        script = current or script
    if len(pieces) < 2:
        return [segment]
    # English words carry their leading space, Chinese ones need none
    return [replace(segment, start=words[0].start, end=words[-1].end, words=tuple(words),
                    text="".join(w.text for w in words)) for words in pieces]


def whole_words(words: tuple[Word, ...]) -> tuple[Word, ...]:
    """Pure: English words put back together. In a window taken for Mandarin, Whisper's word
    timestamps split English into tokens ("night", "fall"); a token with no leading space
    continues the word before it. The first word gets its leading space, as English words
    carry one (nor does such a window put one before its segments)."""
    out: list[Word] = []
    for word in words:
        if out and not word.text.startswith(" ") and word.text[:1].isalnum() and out[-1].text[-1:].isalnum():
            last = out[-1]
            out[-1] = Word(last.text + word.text, last.start, word.end, min(last.probability, word.probability))
        else:
            out.append(word if out or word.text.startswith(" ") else replace(word, text=" " + word.text))
    return tuple(out)


def mean_probability(segment: Segment) -> float:
    return sum(w.probability for w in segment.words) / len(segment.words) if segment.words else 0.0


def suspects(segments: list[Segment]) -> list[list[Segment]]:
    """Pure: runs of consecutive segments whose likelihood betrays a language other than
    the one they were decoded in."""
    return runs_of(segments, lambda segment: mean_probability(segment) < UNSURE[segment.language])


def runs_of(segments: list[Segment], picked: Callable[[Segment], bool],
            joins: Callable[[list[Segment], Segment], bool] = lambda run, segment: True) -> list[list[Segment]]:
    """Pure: the runs of consecutive `picked` segments, a segment starting a new run where
    it does not `join` the run before it."""
    runs: list[list[Segment]] = []
    for i, segment in enumerate(segments):
        if not picked(segment):
            continue
        if runs and runs[-1][-1] is segments[i - 1] and joins(runs[-1], segment):
            runs[-1].append(segment)
        else:
            runs.append([segment])
    return runs


def _shift(segment: Segment, offset: float, language: Language | Literal[""]) -> Segment:
    words = tuple(replace(w, start=float(w.start + offset), end=float(w.end + offset)) for w in segment.words)
    return replace(segment, start=float(segment.start + offset), end=float(segment.end + offset), words=words,
                   language=language)


NO_TERMS = Glossary()


def transcribe(engine: Engine, pcm: np.ndarray, language: str, progress: Progress,
               terms: Glossary = NO_TERMS) -> Transcript:
    """Transcribe the int16 samples `pcm` (audio.load), with word times checked against the
    speech in the audio (bivideo.word_timing). `terms`: what the speaker will say, where a
    term may have been misheard given to the engine (redecode_for_terms), and kept in the
    glossary's spelling where a word sounds like one."""
    vad = audio.fine_speech_regions(pcm)  # one VAD pass: what to decode, and where words can be
    decoded = decode(engine, pcm, language, progress, audio.padded(vad), terms)
    return fit_to_speech(soundalike.respelled(decoded, terms), speech_regions(pcm, vad))


def speech_regions(pcm: np.ndarray, vad: list[tuple[float, float]] | None = None) -> list[tuple[float, float]]:
    """Where words can be heard: the speech the words' times are fitted to (and the studio draws)."""
    return audio.heard(audio.energy_speech_regions(pcm), audio.fine_speech_regions(pcm) if vad is None else vad)


def fit_to_speech(transcript: Transcript, speech: list[tuple[float, float]]) -> Transcript:
    """Pure: the transcript with every word's times moved onto the `speech` regions."""
    return replace(transcript, segments=tuple(word_timing.fit_segments(list(transcript.segments), speech)))


MIN_UNTRANSCRIBED = 1.0  # s: speech this long with no word in it was skipped, not silence


def untranscribed(segments: list[Segment], speech: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pure: the stretches of speech of at least MIN_UNTRANSCRIBED seconds with no word in
    them: a whole region, or its part before the first word, between two words or after the
    last (Mandarin decoded as English often comes out as nothing at all)."""
    words = sorted((w.start, w.end) for s in segments for w in s.words)
    out, i = [], 0
    for a, b in speech:
        while i < len(words) and words[i][1] <= a:
            i += 1
        edge, j = a, i
        while j < len(words) and words[j][0] < b:
            if words[j][0] - edge >= MIN_UNTRANSCRIBED:
                out.append((edge, words[j][0]))
            edge = max(edge, words[j][1])
            j += 1
        if b - edge >= MIN_UNTRANSCRIBED:
            out.append((edge, b))
    return out


def _key(word: Word) -> str:
    return "".join(c for c in word.text.lower() if c.isalnum())


def heard_already(again: list[Segment], segments: list[Segment], start: float, end: float) -> bool:
    """Pure: whether most of the words decoded again from `start` to `end` are, in order,
    words `segments` already hold within that stretch's length either side. In noise,
    Whisper's word times can stray seconds from their speech, which then looks skipped:
    decoding it again wrote its words twice."""
    reach = end - start
    new = [k for s in again for w in s.words if (k := _key(w))]
    near = [k for s in segments for w in s.words
            if start - reach <= w.start and w.end <= end + reach and (k := _key(w))]
    matched = sum(block.size for block in SequenceMatcher(None, new, near, autojunk=False).get_matching_blocks())
    return 2 * matched > len(new)


def _within(segments: list[Segment], start: float, end: float) -> list[Segment]:
    """Pure: the words said between `start` and `end` (a decoded clip is padded on both
    sides, so it may hear words of its neighbours again), by segment."""
    out = []
    for segment in segments:
        words = tuple(w for w in segment.words if start <= (w.start + w.end) / 2 <= end)
        if words:
            out.append(segment if len(words) == len(segment.words) else replace(
                segment, start=words[0].start, end=words[-1].end, words=words, text="".join(w.text for w in words)))
    return out


def _decode_run(engine: Engine, pcm: np.ndarray, language: Language | None, start: float, end: float,
                speech: list[tuple[float, float]], progress: Progress, decoder: int = 0,
                prompt: str = "", likely: Language | None = None) -> list[Segment]:
    """Segments of the audio from `start` to `end` (padded), in `language`, on the talk's
    clock. With `language` None the engine picks it (decoding as for `likely`, the talk's
    likely language), and each segment is labelled (and cut, where a switch with no pause
    put both languages in one) by the script it came out in. `prompt`: terms the engine is
    given as context (Glossary.prompt)."""
    offset = max(0.0, start - audio.PAD)
    clip = audio.floats(pcm[int(offset * audio.SAMPLE_RATE):int((end + audio.PAD) * audio.SAMPLE_RATE)])
    clip_speech = [(max(a, offset) - offset, b - offset) for a, b in speech if b > offset and a < end + audio.PAD]
    out: list[Segment] = []
    for segment in engine.segments(clip, language, clip_speech, lambda t: progress(offset + t), decoder=decoder,
                                   terms=prompt, likely=likely):
        segment = _shift(segment, offset, language or "")
        for piece in [segment] if language else split_by_script(segment):
            spoken = language or _script(piece.text) or (out[-1].language if out else "en")
            piece = replace(piece, language=spoken)
            if spoken == "en" and language is None:  # a window taken for Mandarin writes no spaces
                words = whole_words(piece.words)
                piece = replace(piece, words=words, text="".join(w.text for w in words))
            if spoken == "zh":
                piece = replace(piece, text=simplified(piece.text), words=tuple(
                    replace(w, text=simplified(w.text)) for w in piece.words))
            out.append(piece)
    return out


SPAN = 300.0  # s: the most audio given to the engine at once, where a pause allows (two decoders
# decode two spans at once: at 600 a 30-minute talk's transcription peaked near 900 MB)
CUT_GAP = 1.0  # s: the shortest gap between (padded) speech regions a span may end in
LATE = 0.75  # a span ends in the longest such gap past this share of its longest length


def spans(speech: list[tuple[float, float]], total: float, longest: float = SPAN,
          gap: float = CUT_GAP) -> list[tuple[float, float]]:
    """Pure: 0 to `total` s cut into spans of at most `longest` seconds, each cut in the
    middle of a gap of at least `gap` between speech regions (a longer span where no such
    gap comes in time): the longest gap in the span's last quarter, else the last one. The
    engines hold several copies of what they are given (the audio of its speech, its Mel
    features, the VAD's input), so a talk decoded whole needs memory in proportion to its
    length; span by span, a few hundred MB whatever the length. The cuts lie in silence at
    least half `gap` from speech (more than audio.PAD), so no span's audio holds another's
    words. In noise the VAD misses speech, and a short gap may be a word it did not hear
    (a cut there split a sentence between two spans): the longest is the surest pause."""
    cuts: list[float] = [0.0]
    latest: float | None = None
    widest: tuple[float, float | None] = (0.0, None)  # (gap, cut)
    for (_, end), (start, next_end) in pairwise(speech):
        if start - end >= gap:
            latest = (end + start) / 2
            if latest - cuts[-1] >= LATE * longest and start - end > widest[0]:
                widest = (start - end, latest)
        if next_end - cuts[-1] > longest and latest is not None:
            cuts.append(widest[1] or latest)
            latest, widest = None, (0.0, None)
    return list(zip(cuts, [*cuts[1:], total]))


PARTS = 2  # a talk long enough is decoded in an even number of parts, at least two, ...
MIN_PART = 30.0  # s: ... of at least this length each (a part is decoded in 30 s windows)
PART_SLACK = 1.15  # parts end at a pause, so one may be a little longer than an even share


def part_length(total: float, language: Language | None) -> float:
    """Pure: the longest part (see `spans`) a `total`-second talk is decoded in: an even
    number of parts, at most SPAN long, so that two decoders share them evenly. The parts
    depend on the talk alone, never on the machine: every machine decodes the same audio
    in the same windows. English is decoded in spans of SPAN, as faster-whisper decodes it
    alone (engines.FasterWhisper): a part starts with no previous text and in other windows,
    and in noise the halves of a 79 s talk lost up to 0.06 more WER than the whole
    (tools/noisy_report.py, 5 of its 6 noises); that costs the second decoder on English
    talks shorter than two spans (transcription 7 s -> 14 s for 158 s of speech)."""
    if total < PARTS * MIN_PART or language == "en":
        return SPAN
    count = PARTS * math.ceil(total / (PARTS * SPAN))
    return min(SPAN, total / count * PART_SLACK)


def _decode_parts(engine: Engine, pcm: np.ndarray, language: Language | None, parts: list[tuple[float, float]],
                  speech: list[tuple[float, float]], progress: Progress,
                  likely: Language | None = None) -> list[Segment]:
    """The parts' segments, in order. Decoder k decodes parts k, k + n, ... (n decoders) in
    turn, all at once (decoder 0 in this thread), so each part goes to the same decoder
    on every run. Progress: the seconds of every part done so far, together."""
    done = [0.0] * len(parts)

    def decoded(k: int) -> list[list[Segment]]:
        out = []
        for index in range(k, len(parts), engine.decoders):
            start, end = parts[index]

            def advance(t: float, index: int = index, start: float = start) -> None:
                done[index] = max(0.0, t - start)
                progress(sum(done))

            out.append(_decode_run(engine, pcm, language, start, end, speech, advance, decoder=k, likely=likely))
            trim_heap()
        return out

    others = [background.started(functools.partial(decoded, k), f"decoder {k}") for k in range(1, engine.decoders)]
    by_decoder = [decoded(0), *(other.result() for other in others)]
    return [segment for index in range(len(parts))
            for segment in by_decoder[index % engine.decoders][index // engine.decoders]]


def first_language(engine: Engine, pcm: np.ndarray, speech: list[tuple[float, float]]) -> Language:
    """English or Mandarin, as the engine hears the talk's first 30 s of speech: how
    faster-whisper alone picks a talk's language (one encoder pass). English if none is spoken."""
    import numpy as np

    if not speech:
        return "en"

    first = np.concatenate([audio.clip(pcm, a, b) for a, b in speech] or [pcm[:0]])[:int(WINDOW * audio.SAMPLE_RATE)]
    return cast(Language, choose_language(engine.language_probabilities(audio.floats(first))))


def decode(engine: Engine, pcm: np.ndarray, language: str, progress: Progress,
           speech: list[tuple[float, float]], terms: Glossary = NO_TERMS) -> Transcript:
    """Whisper's transcript, word times as the model gave them. With `language` "auto", the
    engine picks English or Mandarin per 30 s window, and each run of segments whose
    likelihood betrays the other language is decoded again in it, so a talk that switches,
    pause or no pause, is transcribed in each language where it is spoken. `speech`: the
    regions to decode; `terms`, the glossary (redecode_for_terms)."""
    auto = language == "auto"
    chosen: Language | None = None if language not in LANGUAGES else cast(Language, language)
    likely = chosen or first_language(engine, pcm, speech)
    total = len(pcm) / audio.SAMPLE_RATE
    segments = _decode_parts(engine, pcm, chosen, spans(speech, total, part_length(total, likely)), speech, progress,
                             likely)
    # Whisper sometimes ends a 30 s window early and skips the speech left in it (quiet speech
    # after loud, most of all; Mandarin in a window taken for English): decode each stretch of
    # speech it left without a word on its own (unless it turns out to hold words already there)
    for start, end in audio.merge_regions(untranscribed(segments, speech)):
        again = _within(_decode_run(engine, pcm, chosen, start, end, speech, lambda t: None, likely=likely),
                        start, end)
        if not heard_already(again, segments, start, end):
            segments += again
    segments.sort(key=lambda s: s.start)
    if auto:
        segments = redecode_suspects(engine, pcm, segments, speech)
    if terms.pairs:
        segments = redecode_for_terms(engine, pcm, segments, speech, terms)
    kept, removed = hallucinations.clean([s for s in segments if s.words], speech)
    spoken = {lang: sum(len(s.words) for s in kept if s.language == lang) for lang in LANGUAGES}
    main: Language = main_language(spoken) if any(spoken.values()) else chosen or "en"
    return Transcript(language=main, segments=tuple(kept), removed=dict(removed))


REDECODE_MARGIN = 2.0  # s: how far past its own words a suspect run's new decoding may find words


def redecode_suspects(engine: Engine, pcm: np.ndarray, segments: list[Segment],
                      speech: list[tuple[float, float]]) -> list[Segment]:
    """`segments` with each run of suspects (see `suspects`) decoded again in the other
    language, when a language detection over the run's audio says so and the new text is
    likelier. Costs nothing where nothing is suspect."""
    out = list(segments)
    for run in suspects(segments):
        language, start, end = other_language(run[0].language), run[0].start, run[-1].end
        if choose_language(engine.language_probabilities(
                audio.floats(audio.clip(pcm, max(0.0, start - audio.PAD), end + audio.PAD)))) != language:
            continue
        # word times decoded in the wrong language are rough, and the right language's first
        # or last word may lie outside the run
        at = out.index(run[0])
        low, high = _room(out, at, len(run))
        again = _within(_decode_run(engine, pcm, language, low, high, speech, lambda t: None), low, high)
        if again and mean_probability(_joined(again)) > mean_probability(_joined(run)):
            out[at:at + len(run)] = again
    return out


def _room(segments: list[Segment], at: int, count: int) -> tuple[float, float]:
    """Pure: the time the `count` segments from `at` own, for decoding them again: up to
    their neighbours' words, at most REDECODE_MARGIN past their own."""
    start, end = segments[at].start, segments[at + count - 1].end
    low = max(segments[at - 1].end if at else 0.0, start - REDECODE_MARGIN)
    following = segments[at + count].start if at + count < len(segments) else end + REDECODE_MARGIN
    return low, min(following, end + REDECODE_MARGIN)


TERM_UNSURE = 0.5  # a word heard with less probability than this may be a term misheard
WINDOW = 30.0  # s: Whisper's window; a run decoded again with the glossary fits in one


def term_suspects(segments: list[Segment]) -> list[list[Segment]]:
    """Pure: runs of consecutive segments, each within one WINDOW and one language, that may
    hold a glossary term misheard: a word heard with probability under TERM_UNSURE, or an
    English word no dictionary has ("FFM", "Deepo")."""
    def unsure(segment: Segment) -> bool:
        return any(w.probability < TERM_UNSURE or (
            segment.language == "en" and not soundalike.ordinary(soundalike.letters(w.text))) for w in segment.words)

    return runs_of(segments, unsure, lambda run, segment: run[0].language == segment.language
                   and segment.end - run[0].start <= WINDOW)


def redecode_for_terms(engine: Engine, pcm: np.ndarray, segments: list[Segment], speech: list[tuple[float, float]],
                       terms: Glossary) -> list[Segment]:
    """`segments` with each run that may hold a misheard term (term_suspects) decoded again
    with the glossary's spoken forms as the engine's context, kept where the glossary's
    terms then come out more often. The glossary steers only where it finds its terms: a
    prompt of names as context changes how Whisper writes all else (CER of the Mandarin
    recordings of ../shared/media 0.15 -> 0.21 with ten unrelated terms before every window),
    so elsewhere the words are as heard without it."""
    out = list(segments)
    for run in term_suspects(segments):
        at = out.index(run[0])
        low, high = _room(out, at, len(run))
        language = run[0].language or None  # none: the engine picks it, and both columns steer
        again = _within(_decode_run(engine, pcm, language, low, high, speech, lambda t: None,
                                    prompt=terms.prompt(language)), low, high)
        if _terms_in(again, terms) > _terms_in(run, terms):
            out[at:at + len(run)] = again
    return out


def _terms_in(segments: list[Segment], terms: Glossary) -> int:
    """Pure: how many times the glossary's forms occur in the segments, spelled as the
    glossary spells them once sound-alikes are respelled."""
    heard = soundalike.respelled(Transcript("en", tuple(segments)), terms)
    text = "".join(s.text for s in heard.segments)
    return sum(text.count(form) for form in terms.spoken(None))


def _joined(segments: list[Segment]) -> Segment:
    return replace(segments[0], words=tuple(w for s in segments for w in s.words))
