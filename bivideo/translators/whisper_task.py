"""Whisper's own translate task: offline, any spoken language into English, with word times
that place each English word on the cue being spoken when it was said."""

from __future__ import annotations

from bisect import bisect_left

import numpy as np

from bivideo.cues import Cue
from bivideo.errors import BivideoError
from bivideo.transcribe import Engine, Progress, Segment, Word


def translate_audio(engine: Engine, samples: np.ndarray, language: str, speech: list[tuple[float, float]],
                    progress: Progress) -> list[Word]:
    """English words with times for the whole talk."""
    segments: list[Segment] = list(engine.segments(samples, language, speech, progress, task="translate"))
    return [w for s in segments for w in s.words]


def check_languages(cues: list[Cue]) -> None:
    """Whisper translates into English only: English speech would need Chinese."""
    if any(c.language == "en" for c in cues):
        raise BivideoError("the whisper translator only translates into English; this talk has English speech "
                           "that needs Chinese: choose another --translator")


def align(words: list[Word], cues: list[Cue]) -> list[str]:
    """Pure: each English word goes to the cue nearest its middle; a cue's line is its words."""
    check_languages(cues)
    lines: list[list[str]] = [[] for _ in cues]
    starts = [c.start for c in cues]
    for word in words:
        middle = (word.start + word.end) / 2
        i = bisect_left(starts, middle)
        near = [k for k in (i - 1, i) if 0 <= k < len(cues)]
        if not near:
            continue
        def distance(k: int) -> float:
            return 0.0 if cues[k].start <= middle <= cues[k].end else min(abs(middle - cues[k].start),
                                                                        abs(middle - cues[k].end))
        lines[min(near, key=distance)].append(word.text)
    return ["".join(line).strip() for line in lines]
