"""The one place that runs the stages, for `make`, `make --preview`, `burn`, `translate`,
`studio` and `batch` alike: probe -> audio -> transcribe -> cues -> translate -> subtitle
files -> burn (or preview stills).

A video goes through `start` (everything before the burn), then `finish` (the burn, or the
preview stills). `batch` runs the two halves of different videos at once; the commands run
them back to back (`run`). `translate` is the same flow for a subtitle file without its video.

Each stage's artifact lives in the video's work folder under a name keyed by everything it
depends on, so a rerun with unchanged inputs and settings reuses it instead of redoing it.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from bivideo import (
    artifacts,
    audio,
    engines,
    given_subtitles,
    glossary,
    highlight,
    model_choice,
    post_texts,
    preview,
    render,
    segmentation,
    standard,
    subtitle_files,
    subtitles,
    sync_check,
    transcribe,
    translate,
    translation_units,
)
from bivideo.datatypes import SUBTITLE_FILES, Cue, Transcript, Word, other_language
from bivideo.edits import Merged
from bivideo.errors import BivideoError
from bivideo.job import Job, open_job
from bivideo.outputs import Outputs
from bivideo.settings import Mode, Settings
from bivideo.ui import Reporter

# --- the two halves, and the whole ---------------------------------------------------------


def start(mode: Mode, source: Path, settings: Settings, reporter: Reporter, srt: Path | None = None) -> Job:
    """The video's subtitles: made (transcribed, translated, written, with the post's files)
    for make and preview, or read from the subtitle files (or `srt`) for burn."""
    if mode == "burn":
        return on_disk(source, settings, reporter, srt)
    job = prepare(open_job(source, settings, reporter), settings, reporter)
    job.written += post_texts.write(job.outputs, _post_texts(job, settings, reporter), reporter)
    return job


def finish(mode: Mode, job: Job, settings: Settings, reporter: Reporter) -> list[Path]:
    """The videos burned (make, burn) or the preview stills drawn; returns every file written
    for the video, the subtitle files first."""
    return list(dict.fromkeys(job.written + _pictures(mode, job, settings, reporter)))


def run(mode: Mode, source: Path, settings: Settings, reporter: Reporter, srt: Path | None = None) -> list[Path]:
    """`start` then `finish`, for one video: the model is let go before the burn, and the
    post's texts (vocabulary lookups, glosses) are made after it, or when it fails. The burn
    is the job's peak of memory, and what the vocabulary loads (word frequencies, lemmas,
    jieba's tags: about 60 MB, kept by their libraries) need not sit beside it."""
    if mode == "burn":
        return finish(mode, start(mode, source, settings, reporter, srt), settings, reporter)
    job = prepare(open_job(source, settings, reporter), settings, reporter)
    engines.unload_engines()  # one video: the model's work is done
    try:
        pictures = _pictures(mode, job, settings, reporter)
    except Exception:  # the post's files stay with the subtitle files when the burn fails
        post_texts.write(job.outputs, _post_texts(job, settings, reporter), reporter)
        raise
    texts = post_texts.write(job.outputs, _post_texts(job, settings, reporter), reporter)
    return list(dict.fromkeys(job.written + texts + pictures))


def _pictures(mode: Mode, job: Job, settings: Settings, reporter: Reporter) -> list[Path]:
    return preview.stills(job, settings, reporter) if mode == "preview" else render.render(job, settings, reporter)


def _post_texts(job: Job, settings: Settings, reporter: Reporter) -> dict[str, str]:
    """The texts of the post's files (transcript.md, vocab.csv) for the prepared cues."""
    return post_texts.texts(job.cues, job.source.stem, job.cue_words(), settings, reporter)


# --- the subtitles: made, or read back from the files --------------------------------------


def prepare(job: Job, settings: Settings, reporter: Reporter) -> Job:
    """Transcribe (or read --subtitles), build cues, translate, and write the subtitle files.
    When the user has edited one, the cues come from the files instead, and only the
    sentences whose spoken line was edited (and not their translation) are translated again."""
    outputs = job.outputs
    kept = [suffix for suffix in SUBTITLE_FILES if outputs.kept(outputs.path(suffix))]
    for suffix in kept:
        outputs.say_kept(outputs.path(suffix), reporter)
    if not kept or not (outputs.path("bilingual.srt").is_file() or outputs.last_cues()):
        if settings.subtitles:
            _given_and_translated(job, settings, settings.subtitles, reporter)
        else:
            _transcribed_and_translated(job, settings, reporter)
    if kept:
        merged = subtitle_files.cues_on_disk(outputs, job.source.name, reporter)
        job.cues = _retranslated(merged, job, settings, reporter) if merged.to_translate else merged.cues
        job.written = subtitle_files.write(outputs, job.cues, reporter, rewrite_edited=bool(merged.to_translate))
        outputs.remember_cues(job.cues)
    return job


def on_disk(source: Path, settings: Settings, reporter: Reporter, srt: Path | None = None) -> Job:
    """The video with the subtitles already written for it (or `srt`): nothing is transcribed
    or translated; the single-language SRTs are brought in step with the bilingual one."""
    job = open_job(source, settings, reporter)
    merged = subtitle_files.cues_on_disk(job.outputs, source.name, reporter, srt)
    job.cues, job.stale = merged.cues, merged.to_translate
    if srt is None:
        job.written = subtitle_files.write(job.outputs, job.cues, reporter)
    if merged.to_translate:
        reporter.note("cue {}: spoken line edited, translation not; `bivideo make` translates it again".format(
            ", ".join(str(i + 1) for i in sorted(merged.to_translate))))
    return job


def _transcribed_and_translated(job: Job, settings: Settings, reporter: Reporter) -> None:
    source, outputs = job.source, job.outputs
    if not job.info.audio_codecs:
        raise BivideoError("no audio stream, nothing to transcribe (`bivideo burn` takes a silent video "
                           "with subtitles you give it)", path=source)
    translator = translate.text_translator(settings, reporter)  # a missing key or a bad glossary fails first
    transcript = _transcript(job, settings, reporter)
    if transcript.removed:
        reporter.note("removed Whisper hallucinations: " + ", ".join(
            f"{count} × {kind}" for kind, count in transcript.removed.items()))
    if not transcript.words:
        tracks = len(job.info.audio_codecs)
        raise BivideoError("no speech found" + (f" on audio track {job.track + 1} of {tracks} (--audio-track N "
                                                "chooses another)" if tracks > 1 else ""), path=source)

    spoken, target = transcript.language, settings.target or other_language(transcript.language)
    if spoken == target:
        raise BivideoError(f"the talk is in {spoken!r} and so is the requested --to")
    built = segmentation.build(transcript.words, spoken, job.info.fps, transcript.segment_ends,
                               transcript.word_languages)
    source_srt = outputs.write_text(f"{spoken}.srt", subtitles.srt_for_language(
        [replace(c, language=spoken) for c in built], spoken), reporter)  # kept should translation fail
    done = translated(built, job, settings, reporter, source_srt, translator, transcript.words)
    job.cues = segmentation.fit_bilingual(done, job.info.fps, transcript.words)
    job.written = subtitle_files.write(outputs, job.cues, reporter)
    outputs.remember_cues(job.cues)
    outputs.remember_words(highlight.records(job.cues, transcript.words))


def _transcript(job: Job, settings: Settings, reporter: Reporter) -> Transcript:
    """The talk's transcript, from the work folder when nothing it depends on has changed."""
    model = _model(settings)
    terms = glossary.load(settings.glossary)  # it steers recognition: a new glossary is a new transcript
    path = job.work / "transcript-{}.json".format(artifacts.key(
        job.audio_key(), settings.engine, _model_identity(model), settings.source, terms.digest, transcribe.FORMAT))
    if _reused(path, settings, "transcript", reporter):
        model.tell(reporter)
        return Transcript.from_json(artifacts.read_json(path))
    engine = engines.load_engine(settings.engine, model.model)  # fails fast if unavailable
    model.tell(reporter)  # once it loaded: a model that can't be is one line of error, nothing more
    pcm = talk_samples(job, settings, reporter)  # let go on return, before translation and writing
    with reporter.stage("transcribe", round(len(pcm) / audio.SAMPLE_RATE, 1)) as progress:
        transcript = transcribe.transcribe(engine, pcm, settings.source, progress, terms)
    artifacts.write_json(path, transcript.to_json())
    return transcript


def _given_and_translated(job: Job, settings: Settings, path: Path, reporter: Reporter) -> None:
    """`make --subtitles SUBS`: SUBS is the spoken-language transcript (nothing is transcribed,
    no model is loaded); its cues are translated with their times kept (or cut again to the
    standard with --resegment), then checked against the speech."""
    job.cues = _given_translated(path, job.outputs, job.info.fps or standard.DEFAULT_FPS, settings, reporter, job)
    job.written = subtitle_files.write(job.outputs, job.cues, reporter)
    job.outputs.remember_cues(job.cues)
    job.outputs.remember_words([None] * len(job.cues))  # no word times: nothing to highlight word by word
    if job.info.audio_codecs:
        found = sync_check.score([(c.start, c.end) for c in job.cues],
                                 audio.energy_speech_regions(talk_samples(job, settings, reporter)))
        for line in sync_check.summary(found, path.name, standard.MAX_LEAD):
            reporter.note(line)


def translate_subtitles(path: Path, settings: Settings, reporter: Reporter) -> list[Path]:
    """`bivideo translate SUBS`: the other language's SRT and the bilingual SRT (and the
    spoken language's, cleaned of tags, unless that is SUBS itself); returns the files."""
    folder = artifacts.writable_folder(settings.output_dir or path.parent)
    outputs = Outputs(folder, given_subtitles.stem(path), artifacts.work_folder(path), path, settings.force)
    done = _given_translated(path, outputs, standard.DEFAULT_FPS, settings, reporter)
    return subtitle_files.write(outputs, done, reporter)


def _given_translated(path: Path, outputs: Outputs, fps: float, settings: Settings, reporter: Reporter,
                      job: Job | None = None) -> list[Cue]:
    """Subtitles made elsewhere, read as the spoken language's and translated (by Whisper
    too, when there is the `job`'s audio); the spoken language's SRT is written first."""
    built, main, words = given_subtitles.read(path, settings, reporter, fps)
    translator = translate.text_translator(settings, reporter)
    if translator is None and job is None:
        raise BivideoError("the whisper translator works from the audio: `bivideo translate` has none; "
                           "choose another --translator (or `bivideo make VIDEO --subtitles SUBS`)")
    source_srt = outputs.path(f"{main}.srt")
    if source_srt.resolve() != path.resolve():
        # written first: kept should translation fail
        outputs.write_text(f"{main}.srt", subtitles.srt_for_language(built, main), reporter)
    done = translated(built, job, settings, reporter, source_srt, translator, words)
    return given_subtitles.fitted(done, fps, words)


def _retranslated(merged: Merged, job: Job, settings: Settings, reporter: Reporter) -> list[Cue]:
    """The sentences holding cues whose spoken line was edited, translated again (through the
    translation cache, so nothing else is sent); translations the user edited are kept."""
    groups = [g for g in translation_units.units(merged.cues) if merged.to_translate.intersection(g)]
    order = [i for g in groups for i in g]
    fresh = translated([replace(merged.cues[i], target="") for i in order], job, settings, reporter,
                       job.outputs.path("bilingual.srt"), translate.text_translator(settings, reporter))
    out = list(merged.cues)
    for i, cue in zip(order, fresh):
        if i not in merged.target_edited:
            out[i] = cue
    reporter.note("translated again: the sentence of edited cue {}".format(
        ", ".join(str(i + 1) for i in sorted(merged.to_translate))))
    return out


# --- the translation step ------------------------------------------------------------------


def translated(built: list[Cue], job: Job | None, settings: Settings, reporter: Reporter, source_srt: Path,
               translator: translate.TextTranslator | None, words: list[Word] | None = None) -> list[Cue]:
    """Each cue into the other language (per cue: a mixed talk goes both ways), by the text
    `translator`, or by Whisper from the `job`'s audio when that is None. The cues' count,
    times and source text come back unchanged. `words` (the transcript) shows where the
    speaker paused."""
    if translator is not None:
        return translate.translate_text(built, settings, reporter, source_srt, translator, words)
    assert job is not None  # _given_translated refuses whisper without a video
    lines = _whisper_translation(built, job, settings, reporter, words)
    return [replace(c, target=t) for c, t in zip(built, lines)]


def _whisper_translation(built: list[Cue], job: Job, settings: Settings, reporter: Reporter,
                         words: list[Word] | None) -> list[str]:
    """English for every cue from Whisper's translate task, each translation unit from its
    own stretch of audio (offline)."""
    from bivideo import whisper_translation

    whisper_translation.check_languages(built)  # before the slow pass, not after
    pauses = translation_units.pauses_before(built, words)
    groups = translation_units.units(built, pauses)
    clips = whisper_translation.clips(built, groups, words)
    model = _model(settings)
    path = job.work / "whisper-translation-{}.json".format(artifacts.key(
        "audio", job.work.name, settings.engine, _model_identity(model), whisper_translation.FORMAT,
        [(c.source, c.start, c.end) for c in built], groups, clips))
    if _reused(path, settings, "whisper translation", reporter):
        done = [whisper_translation.Unit(**u) for u in artifacts.read_json(path)]
    else:
        engine = engines.load_engine(settings.engine, model.model)
        pcm = talk_samples(job, settings, reporter)  # loaded only here: other translators need no audio
        seconds = round(sum(b - a for a, b in clips), 1)
        with reporter.stage("translate (whisper)", seconds) as progress:
            done = whisper_translation.translate_units(engine, pcm, built, groups, words, progress)
        artifacts.write_json(path, [asdict(u) for u in done])
    lines = [""] * len(built)
    for unit in done:
        for index, line in zip(unit.indices, unit.lines):
            lines[index] = line
    return lines


# --- the work folder's artifacts -----------------------------------------------------------


def talk_samples(job: Job, settings: Settings, reporter: Reporter) -> np.ndarray:
    """The talk's audio as Whisper hears it (int16, audio.load), extracted once into the work folder."""
    wav = job.audio_path()
    if not _reused(wav, settings, "audio", reporter):
        with reporter.stage("audio", None):
            audio.extract(job.source, wav, job.track)
    return audio.load(wav)


def _model(settings: Settings) -> model_choice.Choice:
    """The model the run loads: --model auto chosen for this machine, or the one named."""
    return model_choice.resolve(settings.model, model_choice.here(settings.engine), settings.translator == "whisper")


def _model_identity(model: model_choice.Choice) -> list[str]:
    """What a Whisper artifact depends on: the weights (a folder by where it is) and the
    numbers they are computed in (float16 on a GPU, int8 on CPUs give other words)."""
    path = Path(model.model).expanduser()
    return [str(path.resolve()) if path.exists() else model.model, model.machine.compute_type]


def _reused(path: Path, settings: Settings, label: str, reporter: Reporter) -> bool:
    """True when the artifact at `path` can be reused; says so."""
    if path.is_file() and not settings.force:
        reporter.note(f"{label}: reused {path.name} (inputs and settings unchanged)")
        return True
    return False
