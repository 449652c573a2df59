"""`bivideo make`: probe -> audio -> transcribe -> cues -> translate -> subtitles -> burn.

Each stage's artifact lives in the video's work folder under a name keyed by everything it
depends on, so a rerun with unchanged inputs and settings reuses it instead of redoing it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pysubs2

from bivideo import (
    artifacts,
    audio,
    burn,
    cues,
    edits,
    glossary,
    highlight,
    platforms,
    post,
    probe,
    srtio,
    standard,
    subtitles,
    sync,
    toolchain,
    transcribe,
    translate,
    translators,
)
from bivideo.errors import BivideoError, TranslationFailed
from bivideo.model import LANGUAGES, STYLED_FILE, SUBTITLE_FILES, Cue, Shown, Transcript, Word, other_language
from bivideo.settings import Settings
from bivideo.translation_cache import TranslationCache
from bivideo.ui import Reporter


def _model_identity(model: str) -> str:
    path = Path(model).expanduser()
    return str(path.resolve()) if path.exists() else model


class Outputs:
    """Files written next to the input, and the content hash of each as we wrote it. A file
    that was changed since (or that we never wrote) is the user's: it is kept and used, never
    regenerated, unless `force`, and then only after a timestamped backup."""

    def __init__(self, folder: Path, stem: str, work: Path, source: Path, reporter: Reporter,
                 force: bool = False):
        self.folder, self.stem, self.source, self.reporter, self.force = folder, stem, source, reporter, force
        self.record = work / "written.json"
        self.written = artifacts.read_json(self.record) if self.record.is_file() else {}
        # the cues behind the subtitle files in this folder, as last written: what edits are measured against
        self.cues_record = work / f"cues-{artifacts.key(str(folder.resolve()))}.json"
        # each cue's spoken words with their times, as transcribed: what highlighting matches lines to
        self.words_record = work / f"words-{artifacts.key(str(folder.resolve()))}.json"
        self.announced: set[Path] = set()

    def path(self, suffix: str) -> Path:
        return self.folder / f"{self.stem}.{suffix}"

    @staticmethod
    def _signature(path: Path) -> str:
        # subtitle files are small: hash every byte; a video gets the sampled fingerprint
        return artifacts.sha256_file(path) if path.suffix in (".srt", ".ass") else artifacts.fingerprint(path)

    def edited(self, path: Path) -> bool:
        """True when `path` holds something other than what we last wrote there. A file we
        never wrote there but whose content is what we wrote under its name elsewhere (an
        output folder copied or moved) is ours too."""
        if not path.exists():
            return False
        key, signature = str(path.resolve()), self._signature(path)
        if key in self.written:
            return self.written[key] != signature
        return signature not in {value for written, value in self.written.items() if Path(written).name == path.name}

    def kept(self, path: Path) -> bool:
        """True when `path` is the user's and must not be regenerated."""
        return not self.force and self.edited(path)

    def say_kept(self, path: Path) -> None:
        """Tell the user (once per file) that their edited file is kept and used."""
        if path not in self.announced:
            self.announced.add(path)
            self.reporter.warn(f"kept your edited {path.name} and used it "
                               "(--force regenerates it after a timestamped backup)")

    def claim(self, path: Path) -> None:
        """Make `path` safe to (re)write: back up anything there that isn't our own output."""
        if not path.exists():
            return
        if path.resolve() == self.source.resolve():
            raise BivideoError(f"refusing to overwrite the input {path.name}")
        if self.edited(path):
            backup = self.backup(path)
            self.reporter.warn(f"{path.name} was not written by bivideo or was edited: kept as {backup.name}")

    @staticmethod
    def backup(path: Path) -> Path:
        backup = path.with_name(f"{path.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
        os.replace(path, backup)
        return backup

    def done(self, path: Path) -> None:
        self.written[str(path.resolve())] = self._signature(path)
        artifacts.write_json(self.record, self.written)

    def write_text(self, suffix: str, text: str) -> Path:
        """Write an output, unless the user's edited version is there (then it is kept)."""
        path = self.path(suffix)
        if self.kept(path):
            self.say_kept(path)
        else:
            self.claim(path)
            artifacts.write_text(path, text)
            self.done(path)
        return path

    def update_edited(self, path: Path, text: str) -> None:
        """Rewrite a file the user edited (their edits are in `text`); it stays theirs, and
        what was there is kept as a timestamped backup."""
        if text != path.read_text(encoding="utf-8", errors="replace"):
            backup = self.backup(path)
            artifacts.write_text(path, text)
            self.reporter.note(f"{path.name}: your edits with the new translations; as it was before: {backup.name}")

    def last_cues(self) -> list[Cue]:
        return [Cue(**c) for c in artifacts.read_json(self.cues_record)] if self.cues_record.is_file() else []

    def remember_cues(self, cues_written: list[Cue]) -> None:
        artifacts.write_json(self.cues_record, [c.to_json() for c in cues_written])

    def last_words(self) -> list[highlight.Record | None]:
        if not self.words_record.is_file():
            return []
        return [highlight.Record.from_json(r) if r else None for r in artifacts.read_json(self.words_record)]

    def remember_words(self, records: list[highlight.Record | None]) -> None:
        artifacts.write_json(self.words_record, [r.to_json() if r else None for r in records])


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
    stale: set[int] = field(default_factory=set)  # cues whose spoken line was edited since it was translated


def open_job(source: Path, settings: Settings, reporter: Reporter) -> Job:
    """Check the tools and the input, and set up the video's work and output folders."""
    toolchain.ffmpeg_with_libass()  # fail before any slow work if burning can't happen
    toolchain.cjk_font()
    info = probe.probe(source)
    if info.audio_codecs and not 1 <= settings.audio_track <= len(info.audio_codecs):
        raise BivideoError(f"--audio-track {settings.audio_track}: {source.name} has only "
                           f"{len(info.audio_codecs)} audio tracks")
    folder = artifacts.writable_folder(settings.output_dir or source.parent)
    if settings.target and settings.source == settings.target:
        raise BivideoError(f"--from and --to are both {settings.target!r}")
    work = artifacts.work_folder(source)
    return Job(source, info, work, Outputs(folder, source.stem, work, source, reporter, settings.force))


def prepare(job: Job, settings: Settings, reporter: Reporter) -> Job:
    """Transcribe, build cues, translate, and write the subtitle files (the post's files are
    `post_texts`, written by the flow). When the user has edited one, the cues come from the
    files instead, and only the sentences whose spoken line was edited (and not their
    translation) are translated again."""
    outputs = job.outputs
    kept = [suffix for suffix in SUBTITLE_FILES if outputs.kept(outputs.path(suffix))]
    for suffix in kept:
        outputs.say_kept(outputs.path(suffix))
    if not kept or not (outputs.path("bilingual.srt").is_file() or outputs.last_cues()):
        if settings.subtitles:
            _given_and_translate(job, settings, settings.subtitles, reporter)
        else:
            _transcribe_and_translate(job, settings, reporter)
    if kept:
        merged = _cues_on_disk(job, reporter)
        job.cues = _retranslate(merged, job, settings, reporter) if merged.to_translate else merged.cues
        job.written = _write_subtitles(job, rewrite_edited=bool(merged.to_translate))
        outputs.remember_cues(job.cues)
    return job


def post_texts(job: Job, settings: Settings, reporter: Reporter) -> dict[str, str]:
    """The texts of the post's files (transcript.md, vocab.csv) for the prepared cues."""
    return post.texts(job.cues, job.source.stem, _cue_words(job), settings, reporter)


def load_subtitles(job: Job, settings: Settings, reporter: Reporter, srt: Path | None = None) -> Job:
    """The cues from the subtitle files on disk (or from `srt`), nothing transcribed or
    translated; the single-language SRTs are brought in step with the bilingual one."""
    merged = _cues_on_disk(job, reporter, srt)
    job.cues, job.stale = merged.cues, merged.to_translate
    if srt is None:
        job.written = _write_subtitles(job, rewrite_edited=False)
    if merged.to_translate:
        reporter.note("cue {}: spoken line edited, translation not; `bivideo make` translates it again".format(
            ", ".join(str(i + 1) for i in sorted(merged.to_translate))))
    return job


def _transcribe_and_translate(job: Job, settings: Settings, reporter: Reporter) -> None:
    source, outputs, work = job.source, job.outputs, job.work
    if not job.info.audio_codecs:
        raise BivideoError(f"{source.name}: no audio stream, nothing to transcribe "
                           "(`bivideo burn` takes a silent video with subtitles you give it)")
    translator = text_translator(settings, reporter)  # a missing key or a bad glossary fails before the slow stages
    audio_key = artifacts.key("audio", work.name, _audio_track(job.info, settings))
    transcript_path = work / "transcript-{}.json".format(artifacts.key(
        audio_key, settings.engine, _model_identity(settings.model), settings.source, transcribe.FORMAT))
    if _stage(transcript_path, settings, "transcript", reporter):
        transcript = Transcript.from_json(artifacts.read_json(transcript_path))
    else:
        transcript = _transcribed(job, settings, reporter)
        artifacts.write_json(transcript_path, transcript.to_json())
    if transcript.removed:
        reporter.note("removed Whisper hallucinations: " + ", ".join(
            f"{count} × {kind}" for kind, count in transcript.removed.items()))
    if not transcript.words:
        raise BivideoError(f"{source.name}: no speech found")

    src = transcript.language
    tgt = settings.target or other_language(src)
    if src == tgt:
        raise BivideoError(f"the talk is in {src!r} and so is the requested --to")
    built = cues.build(transcript.words, src, job.info.fps, transcript.segment_ends, transcript.word_languages)
    spoken = subtitles.srt_for_language([replace(c, language=src) for c in built], src)
    source_srt = outputs.write_text(f"{src}.srt", spoken)  # kept should translation fail

    translated = _translate(built, job, settings, reporter, source_srt, translator, transcript.words)
    job.cues = cues.fit_bilingual(translated, job.info.fps, transcript.words)
    job.written = _write_subtitles(job, rewrite_edited=False)
    outputs.remember_cues(job.cues)
    outputs.remember_words(highlight.records(job.cues, transcript.words))


def _transcribed(job: Job, settings: Settings, reporter: Reporter) -> Transcript:
    """The talk's transcript; its audio is let go on return, before translation and writing."""
    engine = transcribe.load_engine(settings.engine, settings.model)  # fails fast if unavailable
    pcm = talk_samples(job, settings, reporter)
    with reporter.stage("transcribe", round(len(pcm) / audio.SAMPLE_RATE, 1)) as progress:
        return transcribe.transcribe(engine, pcm, settings.source, progress)


def _given_and_translate(job: Job, settings: Settings, path: Path, reporter: Reporter) -> None:
    """`make --subtitles SUBS`: SUBS is the spoken-language transcript (nothing is transcribed,
    no model is loaded); its cues are translated with their times kept (or cut again to the
    standard with --resegment), then checked against the speech."""
    from bivideo import given

    outputs, fps = job.outputs, job.info.fps or standard.DEFAULT_FPS
    built, main, words = given.read(path, settings, reporter, fps)
    translator = text_translator(settings, reporter)
    spoken = subtitles.srt_for_language(built, main)
    source_srt = outputs.path(f"{main}.srt")
    if source_srt.resolve() != path.resolve():
        outputs.write_text(f"{main}.srt", spoken)  # kept should translation fail
    translated = _translate(built, job, settings, reporter, source_srt, translator, words)
    job.cues = given.fitted(translated, fps, words)
    job.written = _write_subtitles(job, rewrite_edited=False)
    outputs.remember_cues(job.cues)
    outputs.remember_words([None] * len(job.cues))  # no word times: nothing to highlight word by word
    if job.info.audio_codecs:
        found = sync.score([(c.start, c.end) for c in job.cues],
                           audio.energy_speech_regions(talk_samples(job, settings, reporter)))
        for line in sync.summary(found, path.name, standard.MAX_LEAD):
            reporter.note(line)


def _read_checked(path: Path, reporter: Reporter) -> list[Shown]:
    """An SRT's blocks, as shown (formatting tags such as <i> or {\\an8} from another editor
    are dropped: the burned style is bivideo's); a cue that ends before it starts is an
    error, an overlap a warning."""
    read = srtio.read(path) if path.suffix.lower() == ".srt" else srtio.read_any(path)  # burn --srt talk.vtt
    blocks = [replace(b, lines=tuple(map(standard.visible, b.lines))) for b in read]
    if not blocks:
        raise BivideoError(f"{path.name}: no subtitles in it")
    errors, warnings = srtio.timing_problems(blocks, path.name)
    if errors:
        raise BivideoError(errors[0] + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
    for warning in warnings[:3]:
        reporter.warn(warning)
    if len(warnings) > 3:
        reporter.warn(f"{path.name}: {len(warnings) - 3} more overlapping cues")
    return blocks


def _same_cues(blocks: list[Shown], name: str, other: list[Shown], other_name: str) -> None:
    difference = srtio.first_difference(blocks, name, other, other_name)
    if difference:
        raise BivideoError(f"{difference}: edit the bilingual SRT, or make the cues match")


def _cues_on_disk(job: Job, reporter: Reporter, srt: Path | None = None) -> edits.Merged:
    """Cues from the bilingual SRT (or `srt`) with the user's edits to single-language SRTs,
    compared with the cues last written."""
    outputs, previous = job.outputs, job.outputs.last_cues()
    if srt is not None:
        given = _read_checked(srt, reporter)
        languages = edits.languages_in(given)
        if len(languages) == 1:  # one language: paired with the other language's SRT, if there is one
            language = languages.pop()
            other_one = other_language(language)
            other = outputs.path(f"{other_one}.srt")
            if other.is_file() and other.resolve() != srt.resolve():
                paired = _read_checked(other, reporter)
                _same_cues(given, srt.name, paired, other.name)
                given = [Shown.of(g.start, g.end, **{language: g.line(language), other_one: o.line(other_one)})
                         for g, o in zip(given, paired)]
        return edits.to_cues(given, previous)
    bilingual = outputs.path("bilingual.srt")
    if bilingual.is_file():
        base, base_name = _read_checked(bilingual, reporter), bilingual.name
    elif previous:
        base = srtio.parse(subtitles.bilingual_srt(previous), bilingual.name)
        base_name = f"the last written {bilingual.name}"
    else:
        raise BivideoError(f"no subtitles for {job.source.name} in {outputs.folder}: "
                           f"run `bivideo make {job.source.name} --preview` first")
    before = subtitles.shown(previous) if previous else None
    on_file = base  # what the single-language files are checked against, with its file lines
    for language in LANGUAGES:
        single = outputs.path(f"{language}.srt")
        if outputs.edited(single):
            single_cues = _read_checked(single, reporter)
            _same_cues(single_cues, single.name, on_file, base_name)
            base, conflicts = edits.with_language(base, language, single_cues, before)
            if conflicts:
                reporter.warn(f"cue {', '.join(map(str, conflicts))}: edited differently in {single.name} and "
                              f"{bilingual.name}; used {bilingual.name}")
    return edits.to_cues(base, previous)


def _retranslate(merged: edits.Merged, job: Job, settings: Settings, reporter: Reporter) -> list[Cue]:
    """The sentences holding cues whose spoken line was edited, translated again (through the
    translation cache, so nothing else is sent); translations the user edited are kept."""
    groups = [g for g in translate.units(merged.cues) if merged.to_translate.intersection(g)]
    order = [i for g in groups for i in g]
    fresh = _translate([replace(merged.cues[i], target="") for i in order], job, settings, reporter,
                       job.outputs.path("bilingual.srt"), text_translator(settings, reporter))
    out = list(merged.cues)
    for i, cue in zip(order, fresh):
        if i not in merged.target_edited:
            out[i] = cue
    reporter.note("translated again: the sentence of edited cue {}".format(
        ", ".join(str(i + 1) for i in sorted(merged.to_translate))))
    return out


def _write_subtitles(job: Job, rewrite_edited: bool) -> list[Path]:
    """The three SRTs from the cues, spoken language first. Files the user edited are kept,
    except that with `rewrite_edited` the bilingual one takes the new translations (its
    previous state backed up)."""
    outputs = job.outputs
    spoken = max(LANGUAGES, key=lambda lang: sum(c.language == lang for c in job.cues))
    texts = {f"{spoken}.srt": subtitles.srt_for_language(job.cues, spoken),
             f"{other_language(spoken)}.srt": subtitles.srt_for_language(job.cues, other_language(spoken)),
             "bilingual.srt": subtitles.bilingual_srt(job.cues)}
    written = []
    for suffix, text in texts.items():
        path = outputs.path(suffix)
        if not outputs.edited(path) or outputs.force:
            written.append(outputs.write_text(suffix, text))
        elif suffix == "bilingual.srt" and rewrite_edited:
            outputs.update_edited(path, text)
            written.append(path)
    return written


def _edited_ass(job: Job) -> tuple[str, tuple[int, int]] | None:
    """The user's edited bilingual.ass and the frame size it is styled for, if they have one."""
    path = job.outputs.path(STYLED_FILE)
    if not job.outputs.kept(path):
        return None
    job.outputs.say_kept(path)
    text = path.read_text(encoding="utf-8-sig")
    try:
        info = pysubs2.SSAFile.from_string(text).info
        return text, (int(info["PlayResX"]), int(info["PlayResY"]))
    except (pysubs2.exceptions.Pysubs2Error, KeyError, ValueError):
        raise BivideoError(f"{path.name}: not an ASS file with PlayResX/PlayResY; fix it, or delete it "
                           "to have it generated again") from None


def _cue_words(job: Job) -> list[highlight.Record | None]:
    """Each cue's spoken words with their times, as transcribed (None for a cue whose spoken
    line's words were edited since)."""
    shown = [subtitles.line(c, c.language) for c in job.cues]
    return highlight.match(job.cues, shown, job.outputs.last_words())


def _highlighted_words(job: Job, settings: Settings, reporter: Reporter) -> list[highlight.Record | None] | None:
    """With --highlight words, each cue's words with their times (None for a cue whose
    spoken line's words were edited since: it is shown plain, and said so)."""
    if settings.highlight != "words":
        return None
    found = _cue_words(job)
    plain = [str(i + 1) for i, (cue, record) in enumerate(zip(job.cues, found))
             if cue.source.strip() and record is None]
    if plain:
        reporter.note(f"highlight: cue {', '.join(plain)} shown without it (the words differ from "
                      "those transcribed, so their times are unknown)")
    return found


def targets(job: Job, settings: Settings, reporter: Reporter) -> list[burn.Target]:
    """Each chosen platform's video, with what the user should know about it said up front.
    The edge around `plan_videos`: it looks up the font, the words' times and an edited
    bilingual.ass."""
    videos, warnings = plan_videos(job.cues, job.info, settings, toolchain.cjk_font().family,
                                   _highlighted_words(job, settings, reporter), _edited_ass(job),
                                   job.outputs.path)
    for warning in warnings:
        reporter.warn(warning)
    return videos


def plan_videos(cues_shown: list[Cue], info: probe.MediaInfo, settings: Settings, font: str,
                words: list[highlight.Record | None] | None, edited: tuple[str, tuple[int, int]] | None,
                path_for: Callable[[str], Path]) -> tuple[list[burn.Target], list[str]]:
    """Pure: each chosen platform's video (its frame, its styled subtitles, its bitrate cap)
    and the platform limits this video breaks. A bilingual.ass the user edited (`edited`: its
    text and frame size) is used for the videos of the frame size it was styled for."""
    aspects = platforms.parse_aspects(settings.aspect)
    audio_kbps = platforms.AUDIO_KBPS if info.audio_codecs else 0
    chosen, warnings = [], []
    for platform in platforms.chosen(settings.platform):
        frame = platforms.frame(info.width, info.height, platforms.aspect_for(platform, aspects))
        kbps = platforms.video_kbps(platform, frame, info.duration, audio_kbps)
        warnings += platforms.warnings(platform, info.duration, frame, kbps, audio_kbps)
        if edited and edited[1] == (frame.width, frame.height):
            ass = edited[0]
        else:
            ass = subtitles.bilingual_ass(cues_shown, frame.width, frame.height, font, settings.look,
                                          frame.subtitle_bottom, words)
            if edited:
                warnings.append(f"your edited bilingual.ass is styled for {edited[1][0]}x{edited[1][1]}; the "
                                f"{platform.name} video ({frame.width}x{frame.height}) gets the generated styling")
        chosen.append(burn.Target(path_for(f"{platform.name}.mp4"), frame, ass, kbps))
    return chosen, warnings


def _audio_track(info: probe.MediaInfo, settings: Settings) -> int:
    """The 0-based audio track to use (--audio-track counts from 1)."""
    return settings.audio_track - 1 if info.audio_codecs else 0


def render(job: Job, settings: Settings, reporter: Reporter) -> list[Path]:
    """Style the cues for each platform's frame and burn them, every platform's video from
    one decode of the source; returns the files written."""
    info, outputs = job.info, job.outputs
    videos = targets(job, settings, reporter)
    if info.hdr and not toolchain.has_filter(toolchain.ffmpeg(), "zscale"):
        reporter.warn("HDR source, but this ffmpeg has no zscale filter to tone-map it: "
                      "colours will look washed out (install an ffmpeg built with libzimg)")
    # the styled subtitles of the first video, for reading or restyling by hand
    written = [outputs.write_text(STYLED_FILE, videos[0].ass)]
    soft = outputs.path("soft.mp4") if settings.soft else None
    finals = [t.path for t in videos] + ([soft] if soft else [])
    for path in finals:
        outputs.claim(path)
    with ExitStack() as temporaries:
        temp = {path: temporaries.enter_context(artifacts.atomic_path(path)) for path in finals}
        with reporter.stage("burn", round(info.duration, 1)) as progress:
            used = burn.burn(info, [replace(t, path=temp[t.path]) for t in videos], job.work / "burn", progress,
                             quality=settings.quality, audio_track=_audio_track(info, settings),
                             soft=(temp[soft], subtitles.srt_for_language(job.cues, "zh"),
                                   subtitles.srt_for_language(job.cues, "en")) if soft else None)
    reporter.note("encoded {} with {}".format(", ".join(
        f"{t.path.name} {t.frame.width}x{t.frame.height}{' fitted' if t.frame.fitted else ''}" for t in videos), used))
    for path in finals:
        outputs.done(path)
    return written + finals


def talk_samples(job: Job, settings: Settings, reporter: Reporter):
    """The talk's audio as Whisper hears it (int16, audio.load), extracted once into the work folder."""
    track = _audio_track(job.info, settings)
    wav = job.work / "audio-{}.wav".format(artifacts.key("audio", job.work.name, track))
    if not _stage(wav, settings, "audio", reporter):
        with reporter.stage("audio", None):
            audio.extract(job.source, wav, track)
    return audio.load(wav)


def text_translator(settings: Settings, reporter: Reporter) -> tuple[translators.Backend, glossary.Glossary] | None:
    """The text translator and the glossary (None for whisper, which works from the audio)."""
    terms = glossary.load(settings.glossary)
    name, why = translators.choose(settings.translator)
    if why:
        reporter.note(f"translator: {name} ({why}; --translator chooses another)")
    if settings.refine and name not in translators.LLMS:
        raise BivideoError(f"--refine needs an LLM translator ({', '.join(translators.LLMS)}), not {name}")
    if name == "whisper":
        if settings.target == "zh":
            raise BivideoError("the whisper translator only translates into English; choose another --translator")
        return None
    return translators.make(name, settings.translator_url), terms


def _whisper_translation(built: list[Cue], job: Job, settings: Settings, reporter: Reporter,
                         words: list[Word] | None) -> list[str]:
    """English for every cue from Whisper's translate task, each translation unit from its
    own stretch of audio (offline)."""
    from bivideo.translators import whisper_task

    whisper_task.check_languages(built)  # before the slow pass, not after
    pauses = translate.pauses_before(built, words)
    groups = translate.units(built, pauses)
    clips = whisper_task.clips(built, groups, words)
    path = job.work / "whisper-translation-{}.json".format(artifacts.key(
        "audio", job.work.name, settings.engine, _model_identity(settings.model), whisper_task.FORMAT,
        [(c.source, c.start, c.end) for c in built], groups, clips))
    if _stage(path, settings, "whisper translation", reporter):
        done = [whisper_task.Unit(**u) for u in artifacts.read_json(path)]
    else:
        engine = transcribe.load_engine(settings.engine, settings.model)
        pcm = talk_samples(job, settings, reporter)  # loaded only here: other translators need no audio
        seconds = round(sum(b - a for a, b in clips), 1)
        with reporter.stage("translate (whisper)", seconds) as progress:
            done = whisper_task.translate_units(engine, pcm, built, groups, words, progress)
        artifacts.write_json(path, [asdict(u) for u in done])
    lines = [""] * len(built)
    for unit in done:
        for index, line in zip(unit.indices, unit.lines):
            lines[index] = line
    return lines


def _translate(built: list[Cue], job: Job, settings: Settings, reporter: Reporter, source_srt: Path,
               text_translator: tuple[translators.Backend, glossary.Glossary] | None,
               words: list[Word] | None = None) -> list[Cue]:
    """Each cue into the other language (per cue: a mixed talk goes both ways). The cues'
    count, times and source text come back unchanged. `words` (the transcript) shows where
    the speaker paused."""
    if text_translator is None:
        lines = _whisper_translation(built, job, settings, reporter, words)
        return [replace(c, target=t) for c, t in zip(built, lines)]
    return translate_text(built, settings, reporter, source_srt, text_translator, words)


def translate_text(built: list[Cue], settings: Settings, reporter: Reporter, source_srt: Path,
                   text_translator: tuple[translators.Backend, glossary.Glossary],
                   words: list[Word] | None = None) -> list[Cue]:
    """`_translate` with a text translator: needs no video (`bivideo translate` uses it too)."""
    cache = TranslationCache()
    backend, terms = text_translator
    translator = translate.UnitTranslator(backend, cache, terms, settings.force)
    pauses = translate.pauses_before(built, words)
    try:
        with reporter.stage("translate", len(built)) as progress:
            translations = translate.translate_cues(built, translator, progress, pauses)
        if settings.refine:
            with reporter.stage("refine", len(built)) as progress:
                translations = translate.refine_cues(built, translations, translator, progress)
    except TranslationFailed as error:
        raise TranslationFailed(f"{error}; kept the transcript and {source_srt.name}; "
                                "run again to continue") from None
    finally:
        cache.close()
    units = len(translate.units(built, pauses)) + (len(translate.refine_plans(built, translations))
                                                   if settings.refine else 0)
    reporter.note(f"translation: {translator.hits} of {units} units from the cache, "
                  f"{translator.requests} requests to {backend.name}")
    if translator.over_budget:
        reporter.note(f"translation: {translator.over_budget} lines over their length budget were asked for "
                      f"again; {translator.still_over} still over, accepted")
    return [replace(c, target=t) for c, t in zip(built, translations)]
