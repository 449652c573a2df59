"""Stage 2: the talk's audio as 16 kHz mono (what Whisper hears), and where the speech is."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

from bivideo import toolchain
from bivideo.artifacts import atomic_path
from bivideo.errors import BivideoError

SAMPLE_RATE = 16_000
# Silero VAD settings shared by both engines: half a second of quiet ends a speech region.
VAD_OPTIONS = {"min_silence_duration_ms": 500, "speech_pad_ms": 200}
PAD = 0.3  # seconds of audio kept either side when a stretch of speech is decoded on its own


def extract(source: Path, dest: Path, track: int = 0) -> None:
    """Decode audio track `track` (0-based) to 16 kHz mono PCM WAV at `dest` (atomically)."""
    with atomic_path(dest) as tmp:
        result = subprocess.run(
            [toolchain.ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y",
             "-i", str(source.resolve()), "-map", f"0:a:{track}", "-vn", "-ac", "1",
             "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", str(tmp)],
            capture_output=True, text=True, check=False)
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["unknown ffmpeg error"])[-1]
            raise BivideoError(f"{source.name}: could not decode the audio ({reason})")


def load(path: Path) -> np.ndarray:
    """The WAV written by `extract` as float32 samples in [-1, 1]."""
    with wave.open(str(path), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
    return np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0


def speech_regions(samples: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of speech, from the Silero VAD that ships with faster-whisper."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(samples, VadOptions(**VAD_OPTIONS))
    return [(c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE) for c in chunks]


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
