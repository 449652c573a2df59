"""`bivideo make`: probe -> audio -> transcribe -> cues -> translate -> subtitles -> burn.

Each stage's artifact lives in the video's work folder under a name keyed by everything it
depends on, so a rerun with unchanged inputs and settings reuses it instead of redoing it.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from bivideo import (artifacts, audio, burn, cues, glossary, platforms, probe, subtitles, toolchain, transcribe,
                     translate, translators)
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
    # the videos written (see platforms.py and `bivideo make --help`)
    platform: str = "both"  # --for: linkedin | wechat | both | none
    aspect: tuple[str, ...] = ()  # --aspect values: SHAPE or PLATFORM=SHAPE
    soft: bool = False  # also an MP4 with selectable subtitle tracks
    quality: str = "normal"  # draft | normal | high
    audio_track: int = 1  # 1-based, as users count
    chinese: str = "above"  # the Chinese line above or below the English one
    zh_color: str = "#FFFFFF"
    en_color: str = "#F5E7A1"


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
    if info.audio_codecs and not 1 <= settings.audio_track <= len(info.audio_codecs):
        raise BivideoError(f"--audio-track {settings.audio_track}: {source.name} has only "
                           f"{len(info.audio_codecs)} audio tracks")
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
    if not job.info.audio_codecs:
        raise BivideoError(f"{source.name}: no audio stream, nothing to transcribe "
                           "(`bivideo burn` takes a silent video with subtitles you give it)")
    translator = _translator(settings)  # a missing key or a bad glossary fails before the slow stages
    audio_key = artifacts.key("audio", work.name, _audio_track(job.info, settings))
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
    job.cues = cues.fit_bilingual(translated, job.info.fps)
    job.written = [outputs.write_text(f"{src}.srt", subtitles.srt_for_language(job.cues, src)),
                   outputs.write_text(f"{tgt}.srt", subtitles.srt_for_language(job.cues, tgt)),
                   outputs.write_text("bilingual.srt", subtitles.bilingual_srt(job.cues))]
    return job


def _audio_track(info: probe.MediaInfo, settings: Settings) -> int:
    """The 0-based audio track to use (--audio-track counts from 1)."""
    return settings.audio_track - 1 if info.audio_codecs else 0


def render(job: Job, settings: Settings, reporter: Reporter) -> list[Path]:
    """Style the cues for each platform's frame and burn them, every platform's video from
    one decode of the source; returns the files written."""
    info, outputs = job.info, job.outputs
    font = toolchain.cjk_font().family
    look = subtitles.Look(settings.chinese, settings.zh_color, settings.en_color)
    aspects = platforms.parse_aspects(settings.aspect)
    audio_kbps = 0 if not info.audio_codecs else platforms.AUDIO_KBPS
    targets, notes = [], []
    for platform in platforms.chosen(settings.platform):
        frame = platforms.frame(info.width, info.height, platforms.aspect_for(platform, aspects), platform)
        kbps = platforms.video_kbps(platform, frame, info.duration, audio_kbps)
        for warning in platforms.warnings(platform, info.duration, frame, kbps, audio_kbps):
            reporter.warn(warning)
        ass = subtitles.bilingual_ass(job.cues, frame.width, frame.height, font, look, frame.subtitle_bottom)
        targets.append(burn.Target(outputs.path(f"{platform.name}.mp4"), frame, ass, kbps))
        notes.append(f"{platform.name} {frame.width}x{frame.height}{' fitted' if frame.fitted else ''}")
    if info.hdr and not toolchain.has_filter(toolchain.ffmpeg(), "zscale"):
        reporter.warn("HDR source, but this ffmpeg has no zscale filter to tone-map it: "
                      "colours will look washed out (install an ffmpeg built with libzimg)")
    # the styled subtitles of the first video, for reading or restyling by hand
    written = [outputs.write_text("bilingual.ass", targets[0].ass)]
    soft = outputs.path("soft.mp4") if settings.soft else None
    finals = [t.path for t in targets] + ([soft] if soft else [])
    for path in finals:
        outputs.claim(path)
    with ExitStack() as temporaries:
        temp = {path: temporaries.enter_context(artifacts.atomic_path(path)) for path in finals}
        with reporter.stage("burn", round(info.duration, 1)) as progress:
            used = burn.burn(info, [replace(t, path=temp[t.path]) for t in targets], job.work / "burn", progress,
                             quality=settings.quality, audio_track=_audio_track(info, settings),
                             soft=(temp[soft], subtitles.srt_for_language(job.cues, "zh"),
                                   subtitles.srt_for_language(job.cues, "en")) if soft else None)
    reporter.note(f"encoded {', '.join(notes)} with {used}")
    for path in finals:
        outputs.done(path)
    return written + finals


def make(source: Path, settings: Settings, reporter: Reporter) -> list[Path]:
    """Run the whole pipeline; returns the files written."""
    job = prepare(open_job(source, settings, reporter), settings, reporter)
    return job.written + render(job, settings, reporter)


def _samples(job: Job, settings: Settings, reporter: Reporter):
    """The talk's audio as Whisper hears it, extracted once into the work folder."""
    track = _audio_track(job.info, settings)
    wav = job.work / "audio-{}.wav".format(artifacts.key("audio", job.work.name, track))
    if not _stage(wav, settings, "audio", reporter):
        with reporter.stage("audio", None):
            audio.extract(job.source, wav, track)
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
