"""Talks joined from real recordings (../shared/media), for the tests and tools/ reports."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

from bivideo import audio


def tempo_talk(parts: list[tuple[Path, float, float]], folder: Path) -> np.ndarray:
    """The recordings, each played at `tempo` (ffmpeg atempo: faster or slower speech, pitch
    kept) and cut to its speech, after `pause` seconds of digital silence each, so the pauses
    between them are those; a second of silence at the end. `parts`: (path, tempo, pause)."""
    pieces = []
    for k, (path, tempo, pause) in enumerate(parts):
        wav = folder / f"part{k}.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(path), "-af", f"atempo={tempo}", "-ac", "1",
                        "-ar", str(audio.SAMPLE_RATE), "-c:a", "pcm_s16le", str(wav)], check=True)
        samples = audio.load(wav)
        speech = audio.energy_speech_regions(samples)
        begin, end = (int(t * audio.SAMPLE_RATE) for t in (speech[0][0], speech[-1][1]))
        pieces += [np.zeros(int(pause * audio.SAMPLE_RATE), np.int16), samples[begin:end]]
    return np.concatenate([*pieces, np.zeros(audio.SAMPLE_RATE, np.int16)])


def sixteen_khz(path: Path, dest: Path) -> np.ndarray:
    """Any recording as the 16 kHz mono int16 samples Whisper hears (audio.load reads them as they are)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(path), "-ac", "1", "-ar", str(audio.SAMPLE_RATE),
                    "-c:a", "pcm_s16le", str(dest)], check=True)
    return audio.load(dest)


def espeak_talk(sentences: list[str], folder: Path, pause: float = 1.0) -> np.ndarray:
    """The sentences read by espeak-ng (American English, 150 words a minute), each after
    `pause` seconds of silence; a second of silence at the end."""
    pieces = []
    for k, sentence in enumerate(sentences):
        wav = folder / f"said{k}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), sentence], check=True)
        pieces += [np.zeros(int(pause * audio.SAMPLE_RATE), np.int16), sixteen_khz(wav, folder / f"said{k}.16k.wav")]
    return np.concatenate([*pieces, np.zeros(audio.SAMPLE_RATE, np.int16)])


def wav_file(samples: np.ndarray, dest: Path) -> Path:
    """int16 samples at 16 kHz, mono, written as the WAV file `dest`."""
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(audio.SAMPLE_RATE)
        out.writeframes(samples.astype(np.int16).tobytes())
    return dest
