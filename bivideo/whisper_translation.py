"""Whisper's own translate task: offline, any spoken language into English.

Each translation unit (see translation_units.units) is translated from its own clip of the
audio, and the English is divided over the unit's cues like any unit's translation. A unit
cannot lose its line to a neighbour: Whisper never sees the neighbour's audio. (Translating
the whole talk and placing Whisper's segments by time left stretches without English where a
window came back short, and put lines a cue late.)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from bivideo import audio, hallucinations, segmentation
from bivideo.datatypes import Cue, Word
from bivideo.engines import Engine, Progress
from bivideo.errors import BivideoError
from bivideo.translation_units import spread

FORMAT = 1  # bump when what a unit's record holds changes, so cached ones are redone


@dataclass(frozen=True)
class Unit:
    """One unit's translation, and the audio each of its lines came from."""

    indices: list[int]  # the cues
    clip: tuple[float, float]  # seconds of the talk's audio Whisper heard for the unit
    text: str  # Whisper's English for the unit
    lines: list[str]  # the English of each cue
    line_clips: list[tuple[float, float]]  # the audio each line came from: the unit's, or the cue's own


def check_languages(cues: list[Cue]) -> None:
    """Whisper translates into English only: English speech would need Chinese."""
    if any(c.language == "en" for c in cues):
        raise BivideoError("the whisper translator only translates into English; this talk has English speech "
                           "that needs Chinese: choose another --translator")


def clips(cues: list[Cue], groups: list[list[int]], words: list[Word] | None) -> list[tuple[float, float]]:
    """Pure: each unit's stretch of audio: its words (or its cues' times without the
    transcript) and a little padding, never overlapping the clips of the units beside it."""
    spoken = segmentation.words_of(cues, words) if words else [None] * len(cues)

    def span(index: int) -> tuple[float, float]:
        said = spoken[index]
        return (said[0].start, said[-1].end) if said else (cues[index].start, cues[index].end)

    spans = [(span(g[0])[0], span(g[-1])[1]) for g in groups]
    out = []
    for k, (start, end) in enumerate(spans):
        # a short silence between two units is shared out at its middle
        floor = (spans[k - 1][1] + start) / 2 if k else 0.0
        ceiling = (end + spans[k + 1][0]) / 2 if k + 1 < len(spans) else end + audio.PAD
        out.append((round(max(start - audio.PAD, floor, 0.0), 3), round(min(end + audio.PAD, ceiling), 3)))
    return out


@functools.cache
def _chinese_tokens(engine: Engine) -> tuple[int, ...]:
    """The vocabulary entries that write Chinese or Japanese: suppressed when translating,
    since Whisper asked to translate a short clip often transcribes it instead."""
    if engine.name == "faster-whisper":
        tokenizer = engine.model.hf_tokenizer
        size, decode = tokenizer.get_vocab_size(), tokenizer.decode
    else:
        from whisper.tokenizer import get_tokenizer

        encoding = get_tokenizer(True, num_languages=engine.model.num_languages).encoding
        size, decode = encoding.n_vocab, encoding.decode
    return tuple(i for i in range(size) if _CJK.search(decode([i])))


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _english(engine: Engine, pcm: np.ndarray, span: tuple[float, float], language: str) -> str:
    """Whisper's English for one clip. The clip is speech already: no VAD, and no word times
    (nothing is placed by time). Temperature 0 only: the fallback ladder of higher
    temperatures cost 5-10 s a clip on garbled speech and gave no better English."""
    clip = audio.floats(pcm[int(span[0] * audio.SAMPLE_RATE):int(span[1] * audio.SAMPLE_RATE)])
    options = {"language": language, "task": "translate", "condition_on_previous_text": False,
               "without_timestamps": True, "suppress_tokens": [-1, *_chinese_tokens(engine)], "temperature": 0.0}
    if engine.name == "faster-whisper":
        segments, _ = engine.model.transcribe(clip, **options)
        text = " ".join(s.text for s in segments)
    else:
        import whisper

        text = whisper.transcribe(engine.model, clip, fp16=engine.model.device.type == "cuda", verbose=None,
                                  **options)["text"]
    # a decoder can loop ("the speed is high, the speed is high, ..."): one copy is kept
    kept, _ = hallucinations.collapse_repeats([Word(f" {w}", 0.0, 0.0, 0.0) for w in text.split()])
    return hallucinations.collapse_repeated_sentences("".join(w.text for w in kept))


def translate_units(engine: Engine, pcm: np.ndarray, cues: list[Cue], groups: list[list[int]],
                    words: list[Word] | None, progress: Progress) -> list[Unit]:
    """Each unit's English from its own clip of the talk's int16 samples `pcm`, divided over
    its cues. Where that leaves a cue without a line (Whisper gave too few words, or none),
    each of the unit's cues is translated from its own clip instead, still inside the unit's."""
    spans = clips(cues, groups, words)
    own = clips(cues, [[i] for i in range(len(cues))], words)
    done, out = 0.0, []
    for group, span in zip(groups, spans):
        language = cues[group[0]].language
        text = _english(engine, pcm, span, language)
        lines = spread(text, [cues[i].source for i in group], language, "en")
        line_clips = [span] * len(group)
        if not all(lines):
            line_clips = [(max(own[i][0], span[0]), min(own[i][1], span[1])) for i in group]
            lines = [_english(engine, pcm, c, language) for c in line_clips]
        out.append(Unit(group, span, text, lines, line_clips))
        done += span[1] - span[0]
        progress(done)
    return out
