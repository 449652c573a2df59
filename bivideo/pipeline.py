"""`bivideo make`: probe -> audio -> transcribe -> cues -> translate -> subtitles -> burn.

Each stage's artifact lives in the video's work folder under a name keyed by everything it
depends on, so a rerun with unchanged inputs and settings reuses it instead of redoing it.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from bivideo import artifacts, audio, burn, cues, glossary, probe, subtitles, toolchain, transcribe, translate, translators
from bivideo.cues import Cue
from bivideo.errors import BivideoError, TranslationFailed
from bivideo.translation_cache import TranslationCache
from bivideo.ui import Reporter


@dataclass(frozen=True)
class Settings:
    source: str = "auto"  # en | zh | auto
    target: str | None = None  # default: the other language
    engine: str = "faster-whisper"
    model: str = "base"
    translator: str = "google"
    translator_url: str | None = None
    glossary: Path | None = None
    output_dir: Path | None = None
    force: bool = False  # redo every stage, ignoring cached artifacts


def _model_identity(model: str) -> str:
    path = Path(model).expanduser()
    return str(path.resolve()) if path.exists() else model


class Outputs:
    """Files written next to the input. A file there that we did not write, or that was
    changed since we wrote it, is never lost: it is kept as a timestamped backup first."""

    def __init__(self, folder: Path, stem: str, record: Path, source: Path, reporter: Reporter):
        self.folder, self.stem, self.record, self.source, self.reporter = folder, stem, record, source, reporter
        self.written = artifacts.read_json(record) if record.is_file() else {}

    def path(self, suffix: str) -> Path:
        return self.folder / f"{self.stem}.{suffix}"

    @staticmethod
    def _signature(path: Path) -> list[int]:
        stat = path.stat()
        return [stat.st_size, stat.st_mtime_ns]

    def claim(self, path: Path) -> None:
        """Make `path` safe to (re)write: back up anything there that isn't our own output."""
        if not path.exists():
            return
        if path.resolve() == self.source.resolve():
            raise BivideoError(f"refusing to overwrite the input {path.name}")
        if self.written.get(str(path.resolve())) != self._signature(path):
            backup = path.with_name(f"{path.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
            os.replace(path, backup)
            self.reporter.warn(f"{path.name} was not written by bivideo or was edited: kept as {backup.name}")

    def done(self, path: Path) -> None:
        self.written[str(path.resolve())] = self._signature(path)
        artifacts.write_json(self.record, self.written)

    def write_text(self, suffix: str, text: str) -> Path:
        path = self.path(suffix)
        self.claim(path)
        artifacts.write_text(path, text)
        self.done(path)
        return path


def _output_folder(settings: Settings, source: Path) -> Path:
    folder = (settings.output_dir or source.parent).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BivideoError(f"cannot create output folder {folder}: {error.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BivideoError(f"output folder {folder} is not writable")
    return folder


def _stage(path: Path, settings: Settings, label: str, reporter: Reporter) -> bool:
    """True when the artifact at `path` can be reused; says so."""
    if path.is_file() and not settings.force:
        reporter.note(f"{label}: reused {path.name} (inputs and settings unchanged)")
        return True
    return False


@dataclass
class Job:
    """One video between the stages: what was probed, where its artifacts and outputs live,
    and (once prepared) its cues in both languages."""

    source: Path
    info: probe.MediaInfo
    work: Path
    outputs: Outputs
    cues: list[Cue] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def open_job(source: Path, settings: Settings, reporter: Reporter) -> Job:
    """Check the tools and the input, and set up the video's work and output folders."""
    toolchain.ffmpeg_with_libass()  # fail before any slow work if burning can't happen
    toolchain.cjk_font()
    info = probe.probe(source)
    folder = _output_folder(settings, source)
    if settings.target and settings.source == settings.target:
        raise BivideoError(f"--from and --to are both {settings.target!r}")
    fingerprint = artifacts.fingerprint(source)
    work = artifacts.cache_dir() / "work" / fingerprint
    work.mkdir(parents=True, exist_ok=True)
    return Job(source, info, work, Outputs(folder, source.stem, work / "written.json", source, reporter))


def prepare(job: Job, settings: Settings, reporter: Reporter) -> Job:
    """Transcribe, build cues, translate, and write the subtitle files (SRT and ASS)."""
    source, outputs, work = job.source, job.outputs, job.work
    translator = _translator(settings)  # a missing key or a bad glossary fails before the slow stages
    audio_key = artifacts.key("audio", work.name)
    transcript_path = work / "transcript-{}.json".format(artifacts.key(
        audio_key, settings.engine, _model_identity(settings.model), settings.source, transcribe.FORMAT))
    if _stage(transcript_path, settings, "transcript", reporter):
        transcript = transcribe.Transcript.from_json(artifacts.read_json(transcript_path))
    else:
        engine = transcribe.load_engine(settings.engine, settings.model)  # fails fast if unavailable
        samples = _samples(job, settings, reporter)
        with reporter.stage("transcribe", round(len(samples) / audio.SAMPLE_RATE, 1)) as progress:
            transcript = transcribe.transcribe(engine, samples, settings.source, progress)
        artifacts.write_json(transcript_path, transcript.to_json())
    if transcript.removed:
        reporter.note("removed Whisper hallucinations: " + ", ".join(
            f"{count} × {kind}" for kind, count in transcript.removed.items()))
    if not transcript.words:
        raise BivideoError(f"{source.name}: no speech found")

    src = transcript.language
    tgt = settings.target or cues.other_language(src)
    if src == tgt:
        raise BivideoError(f"the talk is in {src!r} and so is the requested --to")
    built = cues.build(transcript.words, src, job.info.fps, transcript.segment_ends, transcript.word_languages)
    spoken = subtitles.srt_for_language([replace(c, language=src) for c in built], src)
    source_srt = outputs.write_text(f"{src}.srt", spoken)  # kept should translation fail

    translated = _translate(built, job, settings, reporter, source_srt, translator)
    job.cues = cues.fit_bilingual(translated, job.info.fps, transcript.words)
    job.written = [outputs.write_text(f"{src}.srt", subtitles.srt_for_language(job.cues, src)),
                   outputs.write_text(f"{tgt}.srt", subtitles.srt_for_language(job.cues, tgt)),
                   outputs.write_text("bilingual.srt", subtitles.bilingual_srt(job.cues))]
    return job


def render(job: Job, settings: Settings, reporter: Reporter) -> list[Path]:
    """Style the cues and burn them into the video; returns the files written."""
    info, outputs = job.info, job.outputs
    ass = subtitles.bilingual_ass(job.cues, info.width, info.height, toolchain.cjk_font().family)
    written = [outputs.write_text("bilingual.ass", ass)]
    video = outputs.path("bilingual.mp4")
    outputs.claim(video)
    with reporter.stage("burn", round(info.duration, 1)) as progress:
        burn.burn(info, ass, video, job.work / "burn", progress)
    outputs.done(video)
    return written + [video]


def make(source: Path, settings: Settings, reporter: Reporter) -> list[Path]:
    """Run the whole pipeline; returns the files written."""
    job = prepare(open_job(source, settings, reporter), settings, reporter)
    return job.written + render(job, settings, reporter)


def _samples(job: Job, settings: Settings, reporter: Reporter):
    """The talk's audio as Whisper hears it, extracted once into the work folder."""
    wav = job.work / "audio-{}.wav".format(artifacts.key("audio", job.work.name))
    if not _stage(wav, settings, "audio", reporter):
        with reporter.stage("audio", None):
            audio.extract(job.source, wav)
    return audio.load(wav)


def _translator(settings: Settings) -> tuple[translators.Backend, glossary.Glossary] | None:
    """The text translator and the glossary (None for whisper, which works from the audio)."""
    terms = glossary.load(settings.glossary)
    if settings.translator == "whisper":
        if settings.target == "zh":
            raise BivideoError("the whisper translator only translates into English; choose another --translator")
        return None
    return translators.make(settings.translator, settings.translator_url), terms


def _whisper_translation(built: list[Cue], job: Job, settings: Settings, reporter: Reporter) -> list[str]:
    """English for every cue from Whisper's translate task over the audio (offline)."""
    from bivideo.translators import whisper_task

    whisper_task.check_languages(built)  # before the slow pass, not after
    path = job.work / "whisper-translation-{}.json".format(artifacts.key(
        "audio", job.work.name, settings.engine, _model_identity(settings.model), transcribe.FORMAT))
    if _stage(path, settings, "whisper translation", reporter):
        words = [transcribe.Word(**w) for w in artifacts.read_json(path)]
    else:
        engine = transcribe.load_engine(settings.engine, settings.model)
        samples = _samples(job, settings, reporter)  # loaded only here: other translators need no audio
        with reporter.stage("translate (whisper)", round(len(samples) / audio.SAMPLE_RATE, 1)) as progress:
            words = whisper_task.translate_audio(engine, samples, built[0].language,
                                                 audio.speech_regions(samples), progress)
        artifacts.write_json(path, [asdict(w) for w in words])
    return whisper_task.align(words, built)


def _translate(built: list[Cue], job: Job, settings: Settings, reporter: Reporter, source_srt: Path,
               text_translator: tuple[translators.Backend, glossary.Glossary] | None) -> list[Cue]:
    """Each cue into the other language (per cue: a mixed talk goes both ways). The cues'
    count, times and source text come back unchanged."""
    if text_translator is None:
        return [replace(c, target=t) for c, t in zip(built, _whisper_translation(built, job, settings, reporter))]
    cache = TranslationCache()
    backend, terms = text_translator
    translator = translate.SentenceTranslator(backend, cache, terms, settings.force)
    try:
        with reporter.stage("translate", len(built)) as progress:
            targets = translate.translate_cues(built, translator, progress)
    except TranslationFailed as error:
        raise TranslationFailed(f"{error}; kept the transcript and {source_srt.name}; "
                                "run again to continue") from None
    finally:
        cache.close()
    reporter.note(f"translation: {translator.hits} of {len(translate.sentences(built))} sentences from the cache, "
                  f"{translator.requests} requests to {backend.name}")
    return [replace(c, target=t) for c, t in zip(built, targets)]
