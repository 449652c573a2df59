"""Stage 2: the talk's audio as 16 kHz mono (what Whisper hears), and where the speech is."""

from __future__ import annotations

import subprocess
import wave
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from bivideo import toolchain
from bivideo.artifacts import atomic_path
from bivideo.errors import BivideoError
from bivideo.standard import NOTICEABLE_PAUSE

if TYPE_CHECKING:  # numpy is imported where it is used: `bivideo burn` needs none of this module
    import numpy as np

SAMPLE_RATE = 16_000
# Silero VAD settings of the speech regions bivideo decodes (openai-whisper's clips, the spans, the
# check for skipped speech, faster-whisper's own VAD but in English): half a second of quiet
# ends a region. In English, given, faster-whisper's VAD keeps its own options
# (engines.FasterWhisper.segments).
VAD_OPTIONS = {"min_silence_duration_ms": 500, "speech_pad_ms": 200}
VAD_FRAME = 512  # samples per Silero probability (32 ms)
SPEECH_ON, SPEECH_OFF = 0.5, 0.35  # Silero's own thresholds: speech starts above one, ends below the other
FINE_BRIDGE = 0.1  # s: dips shorter than this inside speech are not silence
# Speech from the signal's energy (audio.energy_speech_regions):
HOP = 0.01  # s: energy frames
DIGITAL_SILENCE_DB = -90.0  # frames quieter than this are zeros joined in, not the room's noise
NEIGHBOURHOOD = 2.0  # s either side over which the local noise floor and speech level are taken (short:
# a talk's noise floor changes from room to room and clip to clip)
RISE = 0.35  # the speech threshold lies this far from the local floor to the local speech level
MIN_RISE_DB = 8.0  # and at least this far above the floor
HEADROOM_DB = 20.0  # and at most this far below the speech level (breaths and rustle are quieter)
BRIDGE = 0.2  # s: quieter stretches inside speech shorter than this (stop consonants) are speech
MIN_BURST = 0.1  # s: louder stretches shorter than this (clicks) are not: a syllable lasts longer
PAD = 0.3  # seconds of audio kept either side when a stretch of speech is decoded on its own


def extract(source: Path, dest: Path, track: int = 0) -> None:
    """Decode audio track `track` (0-based) to 16 kHz mono PCM WAV at `dest` (atomically)."""
    extract_tracks(source, {track: dest})


def extract_tracks(source: Path, dests: dict[int, Path]) -> None:
    """Decode each audio track k (0-based) of `dests` to 16 kHz mono PCM WAV at dests[k]
    (atomically), in one ffmpeg run: the file is read once however many tracks it has."""
    with ExitStack() as temporaries:
        outputs = []
        for track, dest in dests.items():
            outputs += ["-map", f"0:a:{track}", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
                        str(temporaries.enter_context(atomic_path(dest)))]
        result = subprocess.run(
            [toolchain.ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(source.resolve()),
             *outputs], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            reason = toolchain.last_line(result.stderr) or "unknown ffmpeg error"
            raise BivideoError(f"could not decode the audio ({reason})", path=source)


BLOCK = 60 * SAMPLE_RATE  # samples: long passes over the audio go a minute at a time


def load(path: Path) -> np.ndarray:
    """The WAV written by `extract` as its int16 samples, read a block at a time. The talk
    is held as int16, half the size of float32 (1.9 MB per audio minute, not 3.8): each pass
    turns a block at a time into what Whisper hears (`floats`)."""
    import numpy as np

    with wave.open(str(path), "rb") as wav:
        pcm = np.empty(wav.getnframes(), dtype=np.int16)
        for first in range(0, len(pcm), BLOCK):
            block = np.frombuffer(wav.readframes(BLOCK), dtype=np.int16)
            pcm[first:first + len(block)] = block
    return pcm


# A recording with several audio tracks (OBS, Zoom: the microphone often on the second) is
# transcribed from the one with the most speech, measured by Silero over up to 20 windows of
# 30 s spread over the talk: at most 10 minutes of each track, a few seconds of VAD.
TRACK_WINDOWS, TRACK_WINDOW = 20, 30.0


def sample(path: Path) -> np.ndarray:
    """Up to TRACK_WINDOWS windows of TRACK_WINDOW seconds spread evenly over the WAV at
    `path` (written by `extract`), joined; the whole of a shorter one."""
    import numpy as np

    size = int(TRACK_WINDOW * SAMPLE_RATE)
    with wave.open(str(path), "rb") as wav:
        total = wav.getnframes()
        if total <= TRACK_WINDOWS * size:
            return np.frombuffer(wav.readframes(total), dtype=np.int16)
        parts = []
        for k in range(TRACK_WINDOWS):
            wav.setpos(k * (total - size) // (TRACK_WINDOWS - 1))
            parts.append(np.frombuffer(wav.readframes(size), dtype=np.int16))
    return np.concatenate(parts)


def speech_share(pcm: np.ndarray) -> float:
    """The share of the int16 samples' time that Silero hears as speech (0 when empty)."""
    if not len(pcm):
        return 0.0
    return sum(end - start for start, end in fine_speech_regions(pcm)) / (len(pcm) / SAMPLE_RATE)


def clip(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    """The samples from `start` to `end` (seconds)."""
    return samples[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]


def floats(pcm: np.ndarray) -> np.ndarray:
    """Pure: int16 samples as float32 in [-1, 1), what Whisper and Silero take. Exact: a
    16-bit integer fits float32's mantissa and the division is by a power of two."""
    import numpy as np

    return pcm.astype(np.float32) / np.float32(32768.0)


def padded(fine: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pure: speech regions for decoding from the unpadded ones: joined across silences
    shorter than VAD_OPTIONS' minimum, then padded (as Silero's own speech timestamps are)."""
    gap, pad = VAD_OPTIONS["min_silence_duration_ms"] / 1000, VAD_OPTIONS["speech_pad_ms"] / 1000
    return [(max(0.0, start - pad), end + pad) for start, end in joined_across(fine, gap)]


def grouped(regions: list[tuple[float, float]], gap: float) -> list[list[tuple[float, float]]]:
    """Pure: sorted regions in groups, a new group after each silence of `gap` or more."""
    groups: list[list[tuple[float, float]]] = []
    for region in regions:
        if groups and region[0] - groups[-1][-1][1] < gap:
            groups[-1].append(region)
        else:
            groups.append([region])
    return groups


def joined_across(regions: list[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    """Pure: sorted regions with the silences shorter than `gap` between them filled in."""
    return [(group[0][0], group[-1][1]) for group in grouped(regions, gap)]


def fine_speech_regions(pcm: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of speech at Silero's frame resolution, with no padding: where
    words can be heard, for checking Whisper's word times (bivideo.word_timing)."""
    return regions_from_probabilities(speech_probabilities(pcm), VAD_FRAME / SAMPLE_RATE)


VAD_CONTEXT = 64  # samples of the frame before that Silero sees with each frame
VAD_BLOCK = 320 * VAD_FRAME  # ~10 s per ONNX run: its working memory grows with the batch (~80 MB at 10000 frames)


def speech_probabilities(pcm: np.ndarray) -> np.ndarray:
    """Silero's speech probability for each VAD_FRAME samples (the last frame zero-padded),
    a block at a time with the model's state carried over: faster-whisper's own call on the
    whole talk builds two copies of it first (about 8 MB per audio minute)."""
    import numpy as np
    from faster_whisper.vad import get_vad_model

    session = get_vad_model().session
    state = {"h": np.zeros((1, 1, 128), np.float32), "c": np.zeros((1, 1, 128), np.float32)}
    context = np.zeros((1, VAD_CONTEXT), np.float32)
    out = []
    for first in range(0, len(pcm), VAD_BLOCK):
        block = floats(pcm[first:first + VAD_BLOCK])
        frames = np.pad(block, (0, -len(block) % VAD_FRAME)).reshape(-1, VAD_FRAME)
        before = np.concatenate([context, frames[:-1, -VAD_CONTEXT:]])
        probabilities, state["h"], state["c"] = session.run(
            None, {"input": np.concatenate([before, frames], axis=1), **state})
        out.append(probabilities.ravel())
        context = frames[-1:, -VAD_CONTEXT:]
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def regions_from_probabilities(probabilities: np.ndarray, frame: float) -> list[tuple[float, float]]:
    """Pure: speech regions from per-frame speech probabilities, with hysteresis (on above
    SPEECH_ON, off below SPEECH_OFF) and dips shorter than FINE_BRIDGE bridged."""
    regions: list[tuple[float, float]] = []
    start = None
    for i, p in enumerate(probabilities):
        if start is None and p >= SPEECH_ON:
            start = i
        elif start is not None and p < SPEECH_OFF:
            regions.append((start * frame, i * frame))
            start = None
    if start is not None:
        regions.append((start * frame, len(probabilities) * frame))
    return joined_across(regions, FINE_BRIDGE)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last + 1) index pairs of the True runs in `mask`."""
    import numpy as np

    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def levels(pcm: np.ndarray, hop: int) -> np.ndarray:
    """Pure: the dB level (mean square of the float samples) of each whole `hop` samples."""
    import numpy as np

    count = len(pcm) // hop
    frames = pcm[:count * hop].reshape(count, hop)
    rows = BLOCK // hop  # in blocks: the float64 squares of the whole talk would be 15 MB per audio minute
    squares = (np.mean(floats(frames[at:at + rows]).astype(np.float64) ** 2, axis=1) for at in range(0, count, rows))
    return np.concatenate([10 * np.log10(mean + 1e-12) for mean in squares] or [np.zeros(0)])


def energy_speech_regions(pcm: np.ndarray, rate: int = SAMPLE_RATE) -> list[tuple[float, float]]:
    """Pure: (start, end) seconds where the energy of the int16 samples `pcm` stands out from
    the local noise floor."""
    import numpy as np

    level = levels(pcm, int(rate * HOP))
    count = len(level)
    if count == 0:
        return []
    speech = np.zeros(count, dtype=bool)
    # Each stretch between digital silences is a recording of its own (joined or edited in),
    # with its own noise floor; within it, the floor and the speech level are taken per
    # second from the frames around it.
    per_second, reach = round(1 / HOP), int(NEIGHBOURHOOD / HOP)
    live = level > DIGITAL_SILENCE_DB
    for first, last in _runs(~live):  # a few zero frames inside a recording do not split it
        if (last - first) * HOP < BRIDGE:
            live[first:last] = True
    for begin, finish in _runs(live):
        recording = level[begin:finish]
        for at in range(0, len(recording), per_second):
            around = recording[max(0, at - reach):at + per_second + reach]
            floor, loud = np.percentile(around, [5, 95])
            threshold = max(floor + RISE * (loud - floor), floor + MIN_RISE_DB, loud - HEADROOM_DB)
            second = recording[at:at + per_second]
            speech[begin + at:begin + at + len(second)] = second > threshold
    for first, last in _runs(~speech):  # bridge short quiet stretches inside speech
        if first > 0 and last < count and (last - first) * HOP < BRIDGE:
            speech[first:last] = True
    return [(first * HOP, last * HOP) for first, last in _runs(speech) if (last - first) * HOP >= MIN_BURST]


def heard(energy: list[tuple[float, float]], vad: list[tuple[float, float]],
          reach: float = 0.2) -> list[tuple[float, float]]:
    """Pure: where words can be heard. The energy's regions in a stretch of speech (regions
    closer than NOTICEABLE_PAUSE) that the VAD also heard (within `reach`): the VAD tells
    speech from noise and clicks, the energy tells to 10 ms where it starts and stops, and a
    quiet first word the VAD missed stays with the speech it leads into. VAD speech with no
    energy region (speech as quiet as the noise around it) is kept as the VAD found it."""
    def near(region: tuple[float, float], others: list[tuple[float, float]], margin: float) -> bool:
        return any(a - margin < region[1] and region[0] < b + margin for a, b in others)

    confirmed = [e for regions in grouped(energy, NOTICEABLE_PAUSE) if any(near(e, vad, reach) for e in regions)
                 for e in regions]
    return sorted(confirmed + [v for v in vad if not near(v, energy, 0.0)])


PEAKS_PER_SECOND = 50  # the studio's waveform: 20 ms a peak, finer than a frame at 25 fps


def peaks(pcm: np.ndarray, per_second: int = PEAKS_PER_SECOND) -> bytes:
    """Pure: the waveform the studio draws, as int8 bytes: each 1/per_second s's peak
    |amplitude| scaled to 0..127 (the last, shorter span included)."""
    import numpy as np

    span = SAMPLE_RATE // per_second
    count = -(-len(pcm) // span)
    padded = np.zeros(count * span, dtype=np.int16)
    padded[:len(pcm)] = pcm
    loudest = np.abs(padded.reshape(count, span).astype(np.int32)).max(axis=1)
    return (loudest * 127 // 32768).astype(np.int8).tobytes()


def merge_regions(regions: list[tuple[float, float]], window: float = 30.0) -> list[tuple[float, float]]:
    """Pure: join neighbouring speech regions while the joined span fits one Whisper window,
    so a decoder that works clip by clip runs once per window, not once per phrase."""
    merged: list[tuple[float, float]] = []
    for start, end in regions:
        if merged and end - merged[-1][0] <= window:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
