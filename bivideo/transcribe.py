"""Stage 3: speech -> words with times, through either Whisper engine behind one interface.

A Transcript is the stage's artifact: the language and the words, each with start and end
times, grouped in Whisper's segments, each segment in its own spoken language (a talk may
switch between Mandarin and English). Chinese comes out in Simplified characters whatever
the model emits, and Whisper's known hallucinations are removed (bivideo.guards).
"""

from __future__ import annotations

import functools
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from bivideo import audio, guards, models, timing
from bivideo.errors import BivideoError
from bivideo.model import LANGUAGES, Language, Segment, Transcript, Word, other_language
from bivideo.settings import ENGINES

if TYPE_CHECKING:  # numpy is imported where it is used: `bivideo burn` needs none of this module
    import numpy as np

FORMAT = 4  # bump when what a transcript holds changes, so cached ones are redone
SEED = 0  # for the temperature fallback's sampling: reruns give the same text
Progress = Callable[[float], None]  # called with the seconds of audio done so far


class Engine(Protocol):
    """Takes float32 samples (audio.floats): the talk's int16 audio, a clip at a time."""

    name: str
    model: Any  # the loaded model (faster_whisper.WhisperModel or whisper.Whisper), for the translate task

    def __hash__(self) -> int: ...  # engines are cached by identity

    def language_probabilities(self, samples: np.ndarray) -> dict[str, float]: ...

    def segments(self, samples: np.ndarray, language: str | None, speech: list[tuple[float, float]],
                 progress: Progress, task: str = "transcribe") -> Iterator[Segment]:
        """Whisper's segments; `language` None: the engine tells English from Mandarin
        itself, per 30 s window where it can."""


class FasterWhisper:
    """faster-whisper (CTranslate2): int8 on CPU, float16 on CUDA when a GPU is present."""

    name = "faster-whisper"

    def __init__(self, model: str):
        import ctranslate2
        from faster_whisper import WhisperModel

        _one_malloc_arena()
        cuda = ctranslate2.get_cuda_device_count() > 0
        self.model = WhisperModel(str(models.ctranslate2_dir(model)), device="cuda" if cuda else "cpu",
                                  compute_type="float16" if cuda else "int8", cpu_threads=os.cpu_count() or 0)
        self.model.model = _EnglishOrMandarin(self.model.model)
        self.model.feature_extractor = _blockwise_features(self.model.feat_kwargs)

    def language_probabilities(self, samples):
        _, _, probabilities = self.model.detect_language(audio=samples)
        return dict(probabilities)

    def segments(self, samples, language, speech, progress, task="transcribe"):
        import ctranslate2
        from faster_whisper.vad import VadOptions

        # a hard passage makes Whisper retry with sampling (temperature fallback): seeded, the
        # same talk gives the same subtitles on every run
        ctranslate2.set_random_seed(SEED)
        # no language: `multilingual` reads it off each 30 s window's encoder output, which
        # decoding needs anyway (a separate detection would cost another encoder pass)
        found, _ = self.model.transcribe(samples, language=language or "en", multilingual=language is None,
                                         task=task, word_timestamps=True, vad_filter=True,
                                         vad_parameters=VadOptions(**audio.VAD_OPTIONS),
                                         condition_on_previous_text=False)
        for s in found:
            progress(s.end)
            yield Segment(s.start, s.end, s.text, tuple(
                Word(w.word, w.start, w.end, w.probability) for w in s.words or ()))


def _glibc(function: str, *arguments: int) -> None:
    """Call one of glibc's malloc tunings; elsewhere (musl, macOS) there is nothing to tune."""
    import ctypes

    if sys.platform.startswith("linux"):
        try:
            getattr(ctypes.CDLL(None), function)(*arguments)
        except (OSError, AttributeError):  # a libc without it
            pass


def _one_malloc_arena() -> None:
    """glibc gives threads that allocate at the same time heaps (arenas) of their own and
    keeps what they free there: CTranslate2's decoding threads held ~150 MB more at the peak of an
    8-minute talk. With one arena for the process, decoding 2 minutes took the same time
    (medians 15.5 s against 15.3 s)."""
    _glibc("mallopt", -8, 1)  # M_ARENA_MAX = 1


def _trim_heap() -> None:
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
            for first in range(0, frames, FEATURE_BLOCK):
                last = min(first + FEATURE_BLOCK, frames)
                stft = self.stft(signal[first * hop:(last - 1) * hop + n_fft], n_fft, hop, window=window,
                                 center=False, return_complex=True).astype("complex64")
                mel[:, first:last] = self.mel_filters @ np.abs(stft) ** 2
            log_spec = np.log10(np.clip(mel, a_min=1e-10, a_max=None))
            log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
            return (log_spec + 4.0) / 4.0

    return Blockwise(**kwargs)


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
        if language is None:  # one language for the whole clip, from its first 30 s of speech
            first = np.concatenate([_clip(samples, a, b) for a, b in zip(clips[::2], clips[1::2])])
            language = choose_language(self.language_probabilities(first[: 30 * audio.SAMPLE_RATE]))
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


def unload_engines() -> None:
    """Let go of the loaded models: a single make needs them no more once its subtitles are
    written, and the burn and the post's word lists then run in about 40 MB less."""
    load_engine.cache_clear()
    gc.collect()  # the engine's reference cycles, if any, go now rather than at some later collection


@functools.cache
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    return _to_simplified().convert(text)


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
    continues the word before it."""
    out: list[Word] = []
    for word in words:
        if out and not word.text.startswith(" ") and word.text[:1].isalnum() and out[-1].text[-1:].isalnum():
            last = out[-1]
            out[-1] = Word(last.text + word.text, last.start, word.end, min(last.probability, word.probability))
        else:
            out.append(word)
    return tuple(out)


def mean_probability(segment: Segment) -> float:
    return sum(w.probability for w in segment.words) / len(segment.words) if segment.words else 0.0


def suspects(segments: list[Segment]) -> list[list[Segment]]:
    """Pure: runs of consecutive segments whose likelihood betrays a language other than
    the one they were decoded in."""
    runs: list[list[Segment]] = []
    for i, segment in enumerate(segments):
        if mean_probability(segment) < UNSURE[segment.language]:
            if runs and runs[-1][-1] is segments[i - 1]:
                runs[-1].append(segment)
            else:
                runs.append([segment])
    return runs


def _shift(segment: Segment, offset: float, language: Language | Literal[""]) -> Segment:
    words = tuple(replace(w, start=float(w.start + offset), end=float(w.end + offset)) for w in segment.words)
    return replace(segment, start=float(segment.start + offset), end=float(segment.end + offset), words=words,
                   language=language)


def transcribe(engine: Engine, pcm: np.ndarray, language: str, progress: Progress) -> Transcript:
    """Transcribe the int16 samples `pcm` (audio.load), with word times checked against the
    speech in the audio (bivideo.timing)."""
    vad = audio.fine_speech_regions(pcm)  # one VAD pass: what to decode, and where words can be
    decoded = decode(engine, pcm, language, progress, audio.padded(vad))
    return fit_to_speech(decoded, speech_regions(pcm, vad))


def speech_regions(pcm: np.ndarray, vad: list[tuple[float, float]] | None = None) -> list[tuple[float, float]]:
    """Where words can be heard: the speech the words' times are fitted to (and the studio draws)."""
    return audio.heard(audio.energy_speech_regions(pcm), audio.fine_speech_regions(pcm) if vad is None else vad)


def fit_to_speech(transcript: Transcript, speech: list[tuple[float, float]]) -> Transcript:
    """Pure: the transcript with every word's times moved onto the `speech` regions."""
    return replace(transcript, segments=tuple(timing.fit_segments(list(transcript.segments), speech)))


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
                speech: list[tuple[float, float]], progress: Progress) -> list[Segment]:
    """Segments of the audio from `start` to `end` (padded), in `language`, on the talk's
    clock. With `language` None the engine picks it, and each segment is labelled (and cut,
    where a switch with no pause put both languages in one) by the script it came out in."""
    offset = max(0.0, start - audio.PAD)
    clip = audio.floats(pcm[int(offset * audio.SAMPLE_RATE):int((end + audio.PAD) * audio.SAMPLE_RATE)])
    clip_speech = [(max(a, offset) - offset, b - offset) for a, b in speech if b > offset and a < end + audio.PAD]
    out: list[Segment] = []
    for segment in engine.segments(clip, language, clip_speech, lambda t: progress(offset + t)):
        segment = _shift(segment, offset, language or "")
        for piece in [segment] if language else split_by_script(segment):
            spoken = language or _script(piece.text) or (out[-1].language if out else "en")
            piece = replace(piece, language=spoken)
            if spoken == "en" and language is None:
                piece = replace(piece, words=whole_words(piece.words))
            if spoken == "zh":
                piece = replace(piece, text=simplified(piece.text), words=tuple(
                    replace(w, text=simplified(w.text)) for w in piece.words))
            out.append(piece)
    return out


SPAN = 600.0  # s: the most audio given to the engine at once, where a pause allows
CUT_GAP = 1.0  # s: the shortest gap between (padded) speech regions a span may end in


def spans(speech: list[tuple[float, float]], total: float, longest: float = SPAN,
          gap: float = CUT_GAP) -> list[tuple[float, float]]:
    """Pure: 0 to `total` s cut into spans of at most `longest` seconds, each cut in the
    middle of a gap of at least `gap` between speech regions (a longer span where no such
    gap comes in time). The engines hold several copies of what they are given (the audio
    of its speech, its Mel features, the VAD's input), so a talk decoded whole needs memory
    in proportion to its length; span by span, a few hundred MB whatever the length. The
    cuts lie in silence at least half `gap` from speech (more than audio.PAD), so no span's
    audio holds another's words."""
    cuts, best = [0.0], None
    for (_, end), (start, next_end) in zip(speech, speech[1:]):
        if start - end >= gap:
            best = (end + start) / 2
        if next_end - cuts[-1] > longest and best is not None:
            cuts.append(best)
            best = None
    return list(zip(cuts, cuts[1:] + [total]))


def decode(engine: Engine, pcm: np.ndarray, language: str, progress: Progress,
           speech: list[tuple[float, float]]) -> Transcript:
    """Whisper's transcript, word times as the model gave them. With `language` "auto", the
    engine picks English or Mandarin per 30 s window, and each run of segments whose
    likelihood betrays the other language is decoded again in it, so a talk that switches,
    pause or no pause, is transcribed in each language where it is spoken. `speech`: the
    regions to decode."""
    auto = language == "auto"
    chosen: Language | None = None if language not in LANGUAGES else cast(Language, language)
    segments = []
    for start, end in spans(speech, len(pcm) / audio.SAMPLE_RATE):
        segments += _decode_run(engine, pcm, chosen, start, end, speech, progress)
        _trim_heap()
    # Whisper sometimes ends a 30 s window early and skips the speech left in it (quiet speech
    # after loud, most of all; Mandarin in a window taken for English): decode each stretch of
    # speech it left without a word on its own
    for start, end in audio.merge_regions(untranscribed(segments, speech)):
        segments += _within(_decode_run(engine, pcm, chosen, start, end, speech, lambda t: None), start, end)
    segments.sort(key=lambda s: s.start)
    if auto:
        segments = redecode_suspects(engine, pcm, segments, speech)
    kept, removed = guards.clean([s for s in segments if s.words], speech)
    spoken = {lang: sum(len(s.words) for s in kept if s.language == lang) for lang in LANGUAGES}
    # English first: a tie goes to English
    main_language: Language = max(("en", "zh"), key=lambda lang: spoken[lang]) if any(spoken.values()) \
        else chosen or "en"
    return Transcript(language=main_language, segments=tuple(kept), removed=dict(removed))


REACH = 2.0  # s: how far past its own words a suspect run's new decoding may find words


def redecode_suspects(engine: Engine, pcm: np.ndarray, segments: list[Segment],
                      speech: list[tuple[float, float]]) -> list[Segment]:
    """`segments` with each run of suspects (see `suspects`) decoded again in the other
    language, when a language detection over the run's audio says so and the new text is
    likelier. Costs nothing where nothing is suspect."""
    out = list(segments)
    for run in suspects(segments):
        language, start, end = other_language(run[0].language), run[0].start, run[-1].end
        if choose_language(engine.language_probabilities(
                audio.floats(_clip(pcm, max(0.0, start - audio.PAD), end + audio.PAD)))) != language:
            continue
        # the run owns the time up to its neighbours' words: word times decoded in the
        # wrong language are rough, and the right language's first or last word may lie outside
        at = out.index(run[0])
        low = max(out[at - 1].end if at else 0.0, start - REACH)
        high = min(out[at + len(run)].start if at + len(run) < len(out) else end + REACH, end + REACH)
        again = _within(_decode_run(engine, pcm, language, low, high, speech, lambda t: None), low, high)
        if again and mean_probability(_joined(again)) > mean_probability(_joined(run)):
            out[at:at + len(run)] = again
    return out


def _joined(segments: list[Segment]) -> Segment:
    return replace(segments[0], words=tuple(w for s in segments for w in s.words))
