"""The two Whisper engines behind one interface (`Engine`): faster-whisper (CTranslate2) and
openai-whisper (PyTorch), each loaded once per process. What they hear and how their
segments are turned into a transcript is transcribe.py's."""

from __future__ import annotations

import functools
import gc
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Protocol

from bivideo import audio, model_choice, weights
from bivideo.datatypes import Segment, Word
from bivideo.errors import BivideoError
from bivideo.settings import ENGINES

if TYPE_CHECKING:  # numpy is imported where it is used
    import numpy as np

SEED = 0  # for the temperature fallback's sampling: reruns give the same text
Progress = Callable[[float], None]  # called with the seconds of audio done so far


class Engine(Protocol):
    """Takes float32 samples (audio.floats): the talk's int16 audio, a clip at a time."""

    name: str
    model: Any  # the loaded model (faster_whisper.WhisperModel or whisper.Whisper), for the translate task
    decoders: int  # how many `segments` calls may run at once, each with its own `decoder` number

    def __hash__(self) -> int: ...  # engines are cached by identity

    def language_probabilities(self, samples: np.ndarray) -> dict[str, float]: ...

    def segments(self, samples: np.ndarray, language: str | None, speech: list[tuple[float, float]],
                 progress: Progress, task: str = "transcribe", decoder: int = 0, terms: str = "",
                 likely: str | None = None) -> Iterator[Segment]:
        """Whisper's segments; `language` None: the engine tells English from Mandarin
        itself, per 30 s window where it can, decoding as for `likely` (the talk's likely
        language) where it decodes the two differently. `terms`: words the talk may hold (the
        glossary's, glossary.prompt), given to every 30 s window as context before it. A
        decoding with terms is a second opinion (transcribe.redecode_for_terms), and a prompt
        of names can send Whisper looping to its longest output (38 s for 6 s of Mandarin,
        through every temperature of the fallback, five samples at each): it is greedy, and
        stops at `most_tokens` for the audio it is given."""


FALLBACK = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # both engines' default temperatures
TOKENS_PER_SECOND = 10  # more than fast speech takes in either language; a loop stops soon


def most_tokens(samples: int) -> int:
    """Pure: the most tokens a window of the audio (`samples` long) may take, at most the
    224 both engines allow after a prompt."""
    return min(224, 16 + int(TOKENS_PER_SECOND * min(30.0, samples / audio.SAMPLE_RATE)))


DECODERS = 2  # faster-whisper models decoding at once on a CPU of two cores or more


class FasterWhisper:
    """faster-whisper (CTranslate2): int8 on CPU, float16 on CUDA when a GPU is present.

    On a CPU, two copies of the model decode two parts of the talk at once, each on its
    share of the cores: beam search's small matrix products keep one decoder's threads
    waiting on each other (two threads ran it about as fast as one), so a second decoder
    nearly halves the time. Two copies, not one model with two CTranslate2 workers: a worker
    thread keeps its own sampling generator, and parts must go to the same decoder every run
    for the temperature fallback to sample the same text."""

    name = "faster-whisper"

    def __init__(self, model: str) -> None:
        _one_malloc_arena()
        machine = model_choice.here(self.name)
        self.decoders = 1 if machine.gpus or machine.cpus < 2 else DECODERS
        # each decoder on its share of the cores, also when decoder 0 decodes alone (English,
        # whole): every core for it took 158 s of English in 12.6 s instead of 14.0, but an
        # 8-minute talk's transcription then peaked 40-50 MB higher (tools/bench.py --only memory)
        self.models = [_faster_whisper_model(model, machine, max(1, machine.cpus // self.decoders))
                       for _ in range(self.decoders)]
        self.model = self.models[0]

    def language_probabilities(self, samples: np.ndarray) -> dict[str, float]:
        _, _, probabilities = self.model.detect_language(audio=samples)
        return dict(probabilities)

    def segments(self, samples: np.ndarray, language: str | None, speech: list[tuple[float, float]],
                 progress: Progress, task: str = "transcribe", decoder: int = 0, terms: str = "",
                 likely: str | None = None) -> Iterator[Segment]:
        import ctranslate2
        from faster_whisper.vad import VadOptions

        # a hard passage makes Whisper retry with sampling (temperature fallback): seeded, the
        # same talk gives the same subtitles on every run
        ctranslate2.set_random_seed(SEED)
        # In English (given, or the talk's likely language), faster-whisper decodes as it does
        # alone: its VAD with its own options (regions padded 0.4 s, at most 30 s), and each
        # window prompted with the text before it. It glues the regions together before
        # decoding, and in noise Silero hears speech start late and stop early: regions padded
        # only 0.2 s (audio.VAD_OPTIONS) lost the words at their edges, and without the prompt
        # a window's first words lost their tense ("she calls" for "she called"): up to 0.27
        # more WER (tools/noisy_report.py). Not in Mandarin: its CER rose from 0.26 to 0.31 on
        # tools/sync_bench.py's clean talk. Unless English is given, `multilingual` reads each
        # 30 s window's language off its encoder output, which decoding needs anyway, and a
        # window is never prompted with the other language's text (_words_after_window).
        # `hotwords` go after <|startofprev|> before every window, before any previous text,
        # its first 223 tokens kept; `initial_prompt` would reach the first window only, and a
        # `prefix` would switch hotwords off.
        own = (language or likely) == "en"
        found, _ = self.models[decoder].transcribe(samples, language=language or likely or "en",
                                         multilingual=language != "en",
                                         task=task, vad_filter=True,  # word times: _WordsAfterWindow
                                         vad_parameters=None if own else VadOptions(**audio.VAD_OPTIONS),
                                         condition_on_previous_text=own, hotwords=terms or None,
                                         max_new_tokens=most_tokens(len(samples)) if terms else None,
                                         temperature=0.0 if terms else FALLBACK)
        for s in found:
            progress(s.end)
            yield Segment(s.start, s.end, s.text, tuple(
                Word(w.word, w.start, w.end, w.probability) for w in s.words or ()))


def _faster_whisper_model(model: str, machine: model_choice.Machine, threads: int) -> Any:
    loaded = _words_after_window()(str(weights.ctranslate2_dir(model)), device=machine.device,
                                   compute_type=machine.compute_type, cpu_threads=threads)
    loaded.model = _EnglishOrMandarin(loaded.model)
    loaded.feature_extractor = _blockwise_features(loaded.feat_kwargs)
    return loaded


def _glibc(function: str, *arguments: int) -> None:
    """Call one of glibc's malloc tunings; elsewhere (musl, macOS) there is nothing to tune."""
    import ctypes

    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):  # a libc without it
            getattr(ctypes.CDLL(None), function)(*arguments)


def _one_malloc_arena() -> None:
    """glibc gives threads that allocate at the same time heaps (arenas) of their own and
    keeps what they free there: CTranslate2's decoding threads held ~150 MB more at the peak of an
    8-minute talk. With one arena for the process, decoding 2 minutes took the same time
    (medians 15.5 s against 15.3 s)."""
    _glibc("mallopt", -8, 1)  # M_ARENA_MAX = 1


def trim_heap() -> None:
    """Give the memory freed inside glibc's heap back to the system. Decoding a span frees its
    working memory (VAD batch, Mel features) between blocks still in use, so the heap cannot
    shrink by itself: on a 60-minute talk 100-200 MB stayed resident after each span, on top
    of the next span's peak."""
    _glibc("malloc_trim", 0)


FEATURE_BLOCK = 3000  # Mel frames (30 s) per STFT block


def _blockwise_features(kwargs: dict):
    """faster-whisper's log-Mel features with the same values, computed a block of frames
    at a time: its own takes the STFT of the whole audio at once, about 40 MB per audio
    minute at the peak."""
    import numpy as np
    from faster_whisper.feature_extractor import FeatureExtractor
    from threadpoolctl import threadpool_limits

    class Blockwise(FeatureExtractor):
        def __call__(self, waveform, padding=160, chunk_length=None):
            if chunk_length is not None:
                self.n_samples = chunk_length * self.sampling_rate
                self.nb_max_frames = self.n_samples // self.hop_length
            n_fft, hop = self.n_fft, self.hop_length
            signal = np.pad(np.pad(waveform.astype(np.float32), (0, padding)), n_fft // 2, mode="reflect")
            window = np.hanning(n_fft + 1)[:-1].astype("float32")
            frames = (len(signal) - n_fft) // hop  # the original drops the STFT's last frame
            mel = np.empty((len(self.mel_filters), frames), dtype=np.float32)
            # one BLAS thread: how a threaded product splits its sums depends on OMP_NUM_THREADS
            # (a Ray worker sets it to its CPUs), and the last bit of a feature can change a
            # word's time; with one, every process gets the same features (and ~10 ms per block)
            with threadpool_limits(limits=1, user_api="blas"):
                for first in range(0, frames, FEATURE_BLOCK):
                    last = min(first + FEATURE_BLOCK, frames)
                    stft = self.stft(signal[first * hop:(last - 1) * hop + n_fft], n_fft, hop, window=window,
                                     center=False, return_complex=True).astype("complex64")
                    mel[:, first:last] = self.mel_filters @ np.abs(stft) ** 2
            log_spec = np.log10(np.clip(mel, a_min=1e-10, a_max=None))
            log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
            return (log_spec + 4.0) / 4.0

    return Blockwise(**kwargs)


@functools.cache
def _words_after_window() -> type:
    """faster-whisper's WhisperModel, with each 30 s window's word times found once the
    window is decoded, not during its decoding, and no window prompted with the text of
    another language. Asked for word times, faster-whisper starts the next window at the
    last word's end instead of at the last timestamp Whisper wrote, and in noise, where word
    times stray, that lost words its own path keeps: WER of en06 in brown noise at 0 dB
    0.535 -> 0.581 with only that option changed (tools/noisy_report.py). The word times
    themselves are faster-whisper's own (add_word_timestamps on the window's encoder output,
    the last word's end carried over to the next window)."""
    import inspect

    from faster_whisper import WhisperModel
    from faster_whisper.transcribe import Word as FasterWord

    defaults = inspect.signature(WhisperModel.transcribe).parameters
    punctuation = defaults["prepend_punctuations"].default, defaults["append_punctuations"].default

    class WordsAfterWindow(WhisperModel):
        # the transcription under way (one at a time per model: each decoder has its own)
        _words: dict[tuple, list[list[dict]]] | None = None  # by window and tokens; None: no words wanted
        _last_speech = 0.0  # the end of the last word found, which add_word_timestamps carries over
        _encoded: Any = None  # the encoder output of the window being decoded
        _window_language: str | None = None
        _one_language_since = 0  # the previous text in the window's language begins here

        def encode(self, features):
            self._encoded = super().encode(features)  # the window being decoded
            return self._encoded

        def _split_segments_by_timestamps(self, tokenizer, tokens, time_offset, segment_size, segment_duration,
                                          seek):
            found = super()._split_segments_by_timestamps(tokenizer, tokens, time_offset, segment_size,
                                                          segment_duration, seek)
            if self._words is not None:
                self._last_speech = self.add_word_timestamps(
                    [found[0]], tokenizer, self._encoded, segment_size, *punctuation, self._last_speech)
                for segment in found[0]:
                    self._words.setdefault((seek, tuple(segment["tokens"])), []).append(segment["words"])
            return found

        def get_prompt(self, tokenizer, previous_tokens, *args, **kwargs):
            # a window in another language than the one before it is not prompted with the
            # other language's text (a Mandarin prompt ran an English window's words together)
            if len(previous_tokens) < self._one_language_since:  # faster-whisper reset the prompt
                self._one_language_since = 0
            if tokenizer.language_code != self._window_language:
                self._window_language, self._one_language_since = tokenizer.language_code, len(previous_tokens)
            return super().get_prompt(tokenizer, previous_tokens[self._one_language_since:], *args, **kwargs)

        def generate_segments(self, features, tokenizer, options, log_progress, encoder_output=None):
            self._window_language, self._one_language_since = None, 0
            # words are wanted for transcripts; a translation (whisper_translation) places nothing
            self._words = {} if tokenizer.task != tokenizer.translate else None
            self._last_speech = 0.0
            self._encoded = encoder_output  # the first window's, when the language was detected on it
            for segment in super().generate_segments(features, tokenizer, options, log_progress, encoder_output):
                if self._words is not None:
                    words = self._words[segment.seek, tuple(segment.tokens)].pop(0)
                    segment.words = [FasterWord(**word) for word in words]
                yield segment

    return WordsAfterWindow


class _EnglishOrMandarin:
    """CTranslate2's Whisper with language detection narrowed to English and Mandarin
    (Cantonese counted as Mandarin): a talk in either must never be decoded as Japanese
    or Welsh because one window sounded like it. Everything else is the model's own."""

    def __init__(self, model):
        self._model = model

    def __getattr__(self, name):
        return getattr(self._model, name)

    def detect_language(self, features):
        narrowed = []
        for found in self._model.detect_language(features):
            shares = dict(found)
            zh, en = shares.get("<|zh|>", 0.0) + shares.get("<|yue|>", 0.0), shares.get("<|en|>", 0.0)
            narrowed.append(sorted([("<|zh|>", zh), ("<|en|>", en)], key=lambda pair: -pair[1]))
        return narrowed


class OpenAIWhisper:
    """openai-whisper (PyTorch), on a checkpoint converted from the same CTranslate2 weights."""

    name = "openai-whisper"
    decoders = 1  # PyTorch spreads one decoding over the cores; its progress hook is process-wide

    def __init__(self, model: str) -> None:
        import torch
        from whisper.model import ModelDimensions, Whisper

        checkpoint = torch.load(weights.openai_checkpoint(model), map_location="cpu", weights_only=True)
        self.model = Whisper(ModelDimensions(**checkpoint["dims"]))
        self.model.load_state_dict(checkpoint["model_state_dict"])
        heads = checkpoint.get("alignment_heads")
        if heads:  # the heads whose cross-attention gives word timestamps
            mask = torch.zeros(self.model.dims.n_text_layer, self.model.dims.n_text_head, dtype=torch.bool)
            for layer, head in heads:
                mask[layer, head] = True
            self.model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
        if model_choice.here(self.name).gpus:
            self.model = self.model.cuda()

    def language_probabilities(self, samples: np.ndarray) -> dict[str, float]:
        import whisper

        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(samples), self.model.dims.n_mels)
        _, probabilities = self.model.detect_language(mel.to(self.model.device))
        return probabilities

    def segments(self, samples: np.ndarray, language: str | None, speech: list[tuple[float, float]],
                 progress: Progress, task: str = "transcribe", decoder: int = 0, terms: str = "",
                 likely: str | None = None) -> Iterator[Segment]:
        import numpy as np
        import whisper

        # openai-whisper has no VAD of its own: decode only the clips where speech was found.
        # A clip ending past the last mel frame sends it into an endless loop (openai/whisper
        # PR 2005), so ends are clamped to the last whole 10 ms frame.
        last = (len(samples) // 160 - 1) / 100
        clips = [t for start, end in audio.merge_regions(speech) if start < min(end, last)
                 for t in (start, min(end, last))]
        if not clips:
            return
        # openai-whisper decodes a clip in one language: the talk's, as transcribe.first_language
        # found it, else the clip's own first 30 s of speech
        language = language or likely
        if language is None:
            first = np.concatenate([audio.clip(samples, a, b) for a, b in zip(clips[::2], clips[1::2])])
            language = choose_language(self.language_probabilities(first[: 30 * audio.SAMPLE_RATE]))
        import torch

        torch.manual_seed(SEED)  # the temperature fallback samples: same talk, same subtitles
        # carried: the glossary before every window, not the first only (its last 223 tokens kept)
        with _tqdm_to(progress):
            result = whisper.transcribe(self.model, samples, language=language, task=task, word_timestamps=True,
                                        condition_on_previous_text=False, clip_timestamps=clips,
                                        initial_prompt=terms or None, carry_initial_prompt=True,
                                        sample_len=most_tokens(len(samples)) if terms else None,
                                        temperature=0.0 if terms else FALLBACK,
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


def unload_engines() -> None:
    """Let go of the loaded models: a single make needs them no more once its subtitles are
    written, and the burn and the post's word lists then run in about 150 MB less."""
    load_engine.cache_clear()
    gc.collect()  # the engine's reference cycles, if any, go now rather than at some later collection
    trim_heap()  # and what the model and its work held goes back to the system: 290 MB -> 140 MB


def chinese_share(probabilities: dict[str, float]) -> float:
    """Pure: P(Mandarin or Cantonese) against English, ignoring every other language."""
    chinese = probabilities.get("zh", 0.0) + probabilities.get("yue", 0.0)
    total = chinese + probabilities.get("en", 0.0)
    return chinese / total if total else 0.0


def choose_language(probabilities: dict[str, float]) -> str:
    """Pure: the more likely of English and Mandarin (Cantonese counts as Chinese)."""
    return "zh" if chinese_share(probabilities) > 0.5 else "en"
