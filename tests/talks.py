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


def joined(recordings: list[np.ndarray], pause: float) -> np.ndarray:
    """Pure: the recordings' samples one after another, `pause` seconds of digital silence
    before each and after the last."""
    silence = np.zeros(int(pause * audio.SAMPLE_RATE), np.int16)
    return np.concatenate([piece for pcm in recordings for piece in (silence, pcm)] + [silence])


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


RADIO_BAND = "highpass=f=300,highpass=f=300,lowpass=f=3000,lowpass=f=3000"  # 300-3000 Hz, 24 dB/octave
NOISE_SEED = 27  # anoisesrc's: the same noise on every run


def _ffmpeg_wav(inputs: list[str], band: str, dest: Path) -> np.ndarray:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-af", band, "-ac", "1", "-ar", str(audio.SAMPLE_RATE),
                    "-c:a", "pcm_s16le", str(dest)], check=True)
    return audio.load(dest).astype(np.float64)


def snr_db(speech: np.ndarray, noise: np.ndarray) -> float:
    """The speech's RMS over its speech (energy_speech_regions: the pauses left out) against
    the noise's RMS over all of it, in dB."""
    regions = audio.energy_speech_regions(speech.astype(np.int16))
    spoken = np.concatenate([audio.clip(speech, a, b) for a, b in regions])
    return float(20 * np.log10(np.sqrt(np.mean(spoken ** 2)) / np.sqrt(np.mean(noise ** 2))))


def noisy_recording(path: Path, colour: str, snr: float, folder: Path) -> Path:
    """The recording at `path` as a radio plays it in noise: it and `colour` noise (ffmpeg's
    anoisesrc: pink, brown...), each band-limited to 300-3000 Hz, mixed `snr` dB apart
    (snr_db, in the band: what the listener hears), as 16 kHz mono WAV in `folder`; made
    once per name."""
    dest = folder / f"{path.stem}.{colour}{snr:g}dB.wav"
    if dest.exists():
        return dest
    speech = _ffmpeg_wav(["-i", str(path)], RADIO_BAND, folder / f"{path.stem}.band.wav")
    noise = _ffmpeg_wav(["-f", "lavfi", "-i", f"anoisesrc=colour={colour}:sample_rate={audio.SAMPLE_RATE}:"
                         f"seed={NOISE_SEED}:amplitude=0.25:duration={len(speech) / audio.SAMPLE_RATE + 1}"],
                        RADIO_BAND, folder / f"{colour}.{path.stem}.wav")[:len(speech)]
    mixed = speech + noise * 10 ** ((snr_db(speech, noise) - snr) / 20)
    mixed *= min(1.0, 32000 / np.abs(mixed).max())  # no clipping: scaling both keeps the SNR
    return wav_file(np.round(mixed), dest)
