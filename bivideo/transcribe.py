"""Stage 3: speech -> words with times, through either Whisper engine behind one interface.

A Transcript is the stage's artifact: the language and the words, each with start and end
times, grouped in Whisper's segments, each segment in its own spoken language (a talk may
switch between Mandarin and English). Chinese comes out in Simplified characters whatever
the model emits, and Whisper's known hallucinations are removed (bivideo.guards).
"""

from __future__ import annotations

import bisect
import functools
import importlib
import os
from contextlib import contextmanager
from dataclasses import replace
from typing import Callable, Iterator, Protocol

import numpy as np

from bivideo import audio, guards, models, timing
from bivideo.errors import BivideoError
from bivideo.model import Segment, Transcript, Word

LANGUAGES = ("en", "zh")
FORMAT = 3  # bump when what a transcript holds changes, so cached ones are redone
ENGINES = ("faster-whisper", "openai-whisper")
SEED = 0  # for the temperature fallback's sampling: reruns give the same text
Progress = Callable[[float], None]  # called with the seconds of audio done so far


class Engine(Protocol):
    name: str

    def language_probabilities(self, samples: np.ndarray) -> dict[str, float]: ...

    def segments(self, samples: np.ndarray, language: str, speech: list[tuple[float, float]],
                 progress: Progress, task: str = "transcribe") -> Iterator[Segment]: ...


class FasterWhisper:
    """faster-whisper (CTranslate2): int8 on CPU, float16 on CUDA when a GPU is present."""

    name = "faster-whisper"

    def __init__(self, model: str):
        import ctranslate2
        from faster_whisper import WhisperModel

        cuda = ctranslate2.get_cuda_device_count() > 0
        self.model = WhisperModel(str(models.ctranslate2_dir(model)), device="cuda" if cuda else "cpu",
                                  compute_type="float16" if cuda else "int8", cpu_threads=os.cpu_count() or 0)

    def language_probabilities(self, samples):
        _, _, probabilities = self.model.detect_language(audio=samples)
        return dict(probabilities)

    def segments(self, samples, language, speech, progress, task="transcribe"):
        import ctranslate2
        from faster_whisper.vad import VadOptions

        # a hard passage makes Whisper retry with sampling (temperature fallback): seeded, the
        # same talk gives the same subtitles on every run
        ctranslate2.set_random_seed(SEED)
        found, _ = self.model.transcribe(samples, language=language, task=task, word_timestamps=True,
                                         vad_filter=True, vad_parameters=VadOptions(**audio.VAD_OPTIONS),
                                         condition_on_previous_text=False)
        for s in found:
            progress(s.end)
            yield Segment(s.start, s.end, s.text, tuple(
                Word(w.word, w.start, w.end, w.probability) for w in s.words or ()))


class OpenAIWhisper:
    """openai-whisper (PyTorch), on a checkpoint converted from the same CTranslate2 weights."""

    name = "openai-whisper"

    def __init__(self, model: str):
        import torch
        from whisper.model import ModelDimensions, Whisper

        checkpoint = torch.load(models.openai_checkpoint(model), map_location="cpu", weights_only=True)
        self.model = Whisper(ModelDimensions(**checkpoint["dims"]))
        self.model.load_state_dict(checkpoint["model_state_dict"])
        heads = checkpoint.get("alignment_heads")
        if heads:  # the heads whose cross-attention gives word timestamps
            mask = torch.zeros(self.model.dims.n_text_layer, self.model.dims.n_text_head, dtype=torch.bool)
            for layer, head in heads:
                mask[layer, head] = True
            self.model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
        if torch.cuda.is_available():
            self.model = self.model.cuda()

    def language_probabilities(self, samples):
        import whisper

        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(samples), self.model.dims.n_mels)
        _, probabilities = self.model.detect_language(mel.to(self.model.device))
        return probabilities

    def segments(self, samples, language, speech, progress, task="transcribe"):
        import whisper

        # openai-whisper has no VAD of its own: decode only the clips where speech was found.
        # A clip ending past the last mel frame sends it into an endless loop (openai/whisper
        # PR 2005), so ends are clamped to the last whole 10 ms frame.
        last = (len(samples) // 160 - 1) / 100
        clips = [t for start, end in audio.merge_regions(speech) if start < min(end, last)
                 for t in (start, min(end, last))]
        if not clips:
            return
        import torch

        torch.manual_seed(SEED)  # the temperature fallback samples: same talk, same subtitles
        with _tqdm_to(progress):
            result = whisper.transcribe(self.model, samples, language=language, task=task, word_timestamps=True,
                                        condition_on_previous_text=False, clip_timestamps=clips,
                                        fp16=self.model.device.type == "cuda", verbose=False)
        for s in result["segments"]:
            yield Segment(float(s["start"]), float(s["end"]), s["text"], tuple(
                Word(w["word"], float(w["start"]), float(w["end"]), float(w["probability"]))
                for w in s.get("words", ())))


@contextmanager
def _tqdm_to(progress: Progress) -> Iterator[None]:
    """openai-whisper reports progress only through a tqdm bar over mel frames (100 per
    second); swap in a stand-in that forwards it to our progress callback instead."""
    # `whisper.transcribe` the attribute is the function; the module is only in sys.modules
    module = importlib.import_module("whisper.transcribe")

    class Forward:
        def __init__(self, *args, **kwargs):
            self.done = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, frames):
            self.done += frames
            progress(self.done / 100)

    original = module.tqdm.tqdm
    module.tqdm.tqdm = Forward
    try:
        yield
    finally:
        module.tqdm.tqdm = original


@functools.cache
def load_engine(name: str, model: str) -> Engine:
    """Load once per process (a batch loads the model once for all its videos)."""
    if name not in ENGINES:
        raise BivideoError(f"unknown engine {name!r}; choose {' or '.join(ENGINES)}")
    return FasterWhisper(model) if name == "faster-whisper" else OpenAIWhisper(model)


@functools.cache
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    return _to_simplified().convert(text)


REGION_FOR_DETECTION = 1.5  # seconds: shorter speech regions are too short to tell the language
SWITCH_CONFIDENCE = 0.75  # a region must be this sure to differ from the talk's main language


def _clip(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    return samples[int(start * audio.SAMPLE_RATE):int(end * audio.SAMPLE_RATE)]


def chinese_share(probabilities: dict[str, float]) -> float:
    """Pure: P(Mandarin or Cantonese) against English, ignoring every other language."""
    chinese = probabilities.get("zh", 0.0) + probabilities.get("yue", 0.0)
    total = chinese + probabilities.get("en", 0.0)
    return chinese / total if total else 0.0


def choose_language(probabilities: dict[str, float]) -> str:
    """Pure: the more likely of English and Mandarin (Cantonese counts as Chinese)."""
    return "zh" if chinese_share(probabilities) > 0.5 else "en"


def region_languages(shares: list[float | None], main: str) -> list[str]:
    """Pure: each speech region's language from its Chinese share (None: too short to tell).
    A region leaves the main language only when sure; short ones follow the region before."""
    out: list[str] = []
    for share in shares:
        if share is None:
            out.append(out[-1] if out else main)
        elif main == "en":
            out.append("zh" if share >= SWITCH_CONFIDENCE else "en")
        else:
            out.append("en" if share <= 1 - SWITCH_CONFIDENCE else "zh")
    return out


def language_runs(engine: Engine, samples: np.ndarray, speech: list[tuple[float, float]],
                  main: str) -> list[tuple[str, float, float]]:
    """(language, start, end) stretches of the talk, split where the spoken language changes."""
    shares = [chinese_share(engine.language_probabilities(_clip(samples, a, b)))
              if b - a >= REGION_FOR_DETECTION else None for a, b in speech]
    runs: list[tuple[str, float, float]] = []
    for (start, end), language in zip(speech, region_languages(shares, main)):
        if runs and runs[-1][0] == language:
            runs[-1] = (language, runs[-1][1], end)
        else:
            runs.append((language, start, end))
    return runs


def _shift(segment: Segment, offset: float, language: str) -> Segment:
    words = tuple(replace(w, start=float(w.start + offset), end=float(w.end + offset)) for w in segment.words)
    return replace(segment, start=float(segment.start + offset), end=float(segment.end + offset), words=words,
                   language=language)


def transcribe(engine: Engine, samples: np.ndarray, language: str, progress: Progress) -> Transcript:
    """Transcribe with word times checked against the speech in the audio (bivideo.timing)."""
    vad = audio.fine_speech_regions(samples)  # one VAD pass: what to decode, and where words can be
    decoded = decode(engine, samples, language, progress, audio.padded(vad))
    return fit_to_speech(decoded, audio.heard(audio.energy_speech_regions(samples), vad))


def fit_to_speech(transcript: Transcript, speech: list[tuple[float, float]]) -> Transcript:
    """Pure: the transcript with every word's times moved onto the `speech` regions."""
    return replace(transcript, segments=tuple(timing.fit_segments(list(transcript.segments), speech)))


MIN_UNTRANSCRIBED = 1.0  # s: speech this long with no word in it was skipped, not silence


def untranscribed(segments: list[Segment], speech: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pure: the speech regions of at least MIN_UNTRANSCRIBED seconds that no word falls in."""
    middles = sorted((w.start + w.end) / 2 for s in segments for w in s.words)
    return [(a, b) for a, b in speech if b - a >= MIN_UNTRANSCRIBED
            and not any(a <= m <= b for m in middles[max(0, bisect.bisect_left(middles, a) - 1):
                                                      bisect.bisect_right(middles, b) + 1])]


def _decode_run(engine: Engine, samples: np.ndarray, language: str, start: float, end: float,
                speech: list[tuple[float, float]], progress: Progress) -> list[Segment]:
    """Segments of the audio from `start` to `end` (padded), in `language`, on the talk's clock."""
    offset = max(0.0, start - audio.PAD)
    clip = samples[int(offset * audio.SAMPLE_RATE):int((end + audio.PAD) * audio.SAMPLE_RATE)]
    clip_speech = [(max(a, offset) - offset, b - offset) for a, b in speech if b > offset and a < end + audio.PAD]
    out = []
    for segment in engine.segments(clip, language, clip_speech, lambda t: progress(offset + t)):
        segment = _shift(segment, offset, language)
        if language == "zh":
            segment = replace(segment, text=simplified(segment.text), words=tuple(
                replace(w, text=simplified(w.text)) for w in segment.words))
        out.append(segment)
    return out


def decode(engine: Engine, samples: np.ndarray, language: str, progress: Progress,
           speech: list[tuple[float, float]]) -> Transcript:
    """Whisper's transcript, word times as the model gave them. With `language` "auto", the
    talk's main language is detected, and each speech region's own, so a talk that switches
    is transcribed in each language where it is spoken. `speech`: the regions to decode."""
    runs = [(language, 0.0, len(samples) / audio.SAMPLE_RATE)]
    if language == "auto":
        first = np.concatenate([_clip(samples, a, b) for a, b in speech] or [samples])[: 30 * audio.SAMPLE_RATE]
        main = choose_language(engine.language_probabilities(first))
        runs = language_runs(engine, samples, speech, main) if len(speech) > 1 else [(main, *runs[0][1:])]
        if len(runs) == 1:  # one language throughout: decode the whole audio in one go
            runs = [(runs[0][0], 0.0, len(samples) / audio.SAMPLE_RATE)]
    segments: list[Segment] = []
    for run_language, start, end in runs:
        segments += _decode_run(engine, samples, run_language, start, end, speech, progress)
    # Whisper sometimes ends a 30 s window early and skips the speech left in it (quiet speech
    # after loud, most of all): decode each stretch of speech it left without a word on its own
    for start, end in audio.merge_regions(untranscribed(segments, speech)):
        run_language = next((lang for lang, a, b in runs if a <= start < b + audio.PAD), runs[-1][0])
        segments += _decode_run(engine, samples, run_language, start, end, speech, lambda t: None)
    segments.sort(key=lambda s: s.start)
    kept, removed = guards.clean([s for s in segments if s.words], speech)
    spoken = {lang: sum(len(s.words) for s in kept if s.language == lang) for lang in LANGUAGES}
    main_language = max(spoken, key=spoken.get) if any(spoken.values()) else runs[0][0]
    return Transcript(language=main_language, segments=tuple(kept), removed=dict(removed))
