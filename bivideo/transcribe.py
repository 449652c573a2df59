"""Stage 3: speech -> words with times, through either Whisper engine behind one interface.

A Transcript is the stage's artifact: the language and the words, each with start and end
times, grouped in Whisper's segments. Chinese comes out in Simplified characters whatever
the model emits.
"""

from __future__ import annotations

import functools
import importlib
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Callable, Iterator, Protocol

import numpy as np

from bivideo import audio, models
from bivideo.errors import BivideoError

LANGUAGES = ("en", "zh")
ENGINES = ("faster-whisper", "openai-whisper")
Progress = Callable[[float], None]  # called with the seconds of audio done so far


@dataclass(frozen=True)
class Word:
    text: str  # as Whisper spells it, English words with their leading space
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Transcript:
    language: str
    segments: tuple[Segment, ...]

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Transcript:
        return cls(language=data["language"], segments=tuple(
            Segment(s["start"], s["end"], s["text"], tuple(Word(**w) for w in s["words"]))
            for s in data["segments"]))


class Engine(Protocol):
    name: str

    def language_probabilities(self, samples: np.ndarray) -> dict[str, float]: ...

    def segments(self, samples: np.ndarray, language: str, speech: list[tuple[float, float]],
                 progress: Progress) -> Iterator[Segment]: ...


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

    def segments(self, samples, language, speech, progress):
        from faster_whisper.vad import VadOptions

        found, _ = self.model.transcribe(samples, language=language, word_timestamps=True,
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

    def segments(self, samples, language, speech, progress):
        import whisper

        # openai-whisper has no VAD of its own: decode only the clips where speech was found.
        # A clip ending past the last mel frame sends it into an endless loop (openai/whisper
        # PR 2005), so ends are clamped to the last whole 10 ms frame.
        last = (len(samples) // 160 - 1) / 100
        clips = [t for start, end in audio.merge_regions(speech) if start < min(end, last)
                 for t in (start, min(end, last))]
        if not clips:
            return
        with _tqdm_to(progress):
            result = whisper.transcribe(self.model, samples, language=language, word_timestamps=True,
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


def choose_language(probabilities: dict[str, float]) -> str:
    """Pure: the more likely of English and Mandarin (Cantonese counts as Chinese)."""
    chinese = probabilities.get("zh", 0.0) + probabilities.get("yue", 0.0)
    return "zh" if chinese > probabilities.get("en", 0.0) else "en"


@functools.cache
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    return _to_simplified().convert(text)


def transcribe(engine: Engine, samples: np.ndarray, language: str, progress: Progress) -> Transcript:
    """Detect the language when `language` is "auto", then transcribe with word times."""
    speech = audio.speech_regions(samples)
    if language == "auto":
        first = np.concatenate([samples[int(a * audio.SAMPLE_RATE):int(b * audio.SAMPLE_RATE)]
                                for a, b in speech] or [samples])[: 30 * audio.SAMPLE_RATE]
        language = choose_language(engine.language_probabilities(first))
    segments = list(engine.segments(samples, language, speech, progress))
    if language == "zh":
        segments = [Segment(s.start, s.end, simplified(s.text),
                            tuple(Word(simplified(w.text), w.start, w.end, w.probability) for w in s.words))
                    for s in segments]
    return Transcript(language=language, segments=tuple(s for s in segments if s.words))
