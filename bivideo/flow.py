"""The one way a video goes through bivideo, for `make`, `make --preview`, `burn` and `batch`
alike: `start` (everything before the burn), then `finish` (the burn, or the preview stills).
`batch` runs the two halves of different videos at once; the commands run them back to back.
`translate` is the same flow for a subtitle file without its video: read, translate, write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from bivideo import artifacts, given, pipeline, post, preview, standard, subtitles, transcribe
from bivideo.errors import BivideoError
from bivideo.model import other_language
from bivideo.settings import Mode, Settings
from bivideo.ui import Reporter

T = TypeVar("T")


def start(mode: Mode, source: Path, settings: Settings, reporter: Reporter, srt: Path | None = None) -> pipeline.Job:
    """The video's subtitles: made (transcribed, translated, written, with the post's files)
    for make and preview, or read from the subtitle files (or `srt`) for burn."""
    if mode == "burn":
        return on_disk(source, settings, reporter, srt)
    job = pipeline.prepare(pipeline.open_job(source, settings, reporter), settings, reporter)
    job.written += post.write(job.outputs, pipeline.post_texts(job, settings, reporter))
    return job


def on_disk(source: Path, settings: Settings, reporter: Reporter, srt: Path | None = None) -> pipeline.Job:
    """The video with the subtitles already written for it (or `srt`): nothing is transcribed
    or translated."""
    return pipeline.load_subtitles(pipeline.open_job(source, settings, reporter), settings, reporter, srt)


def finish(mode: Mode, job: pipeline.Job, settings: Settings, reporter: Reporter) -> list[Path]:
    """The videos burned (make, burn) or the preview stills drawn; returns every file written
    for the video, the subtitle files first."""
    return list(dict.fromkeys(job.written + _pictures(mode, job, settings, reporter)))


def _pictures(mode: Mode, job: pipeline.Job, settings: Settings, reporter: Reporter) -> list[Path]:
    return preview.stills(job, settings, reporter) if mode == "preview" else pipeline.render(job, settings, reporter)


def run(mode: Mode, source: Path, settings: Settings, reporter: Reporter, srt: Path | None = None) -> list[Path]:
    """`start` then `finish`, but the post's texts (vocabulary lookups, glosses) are made while
    the video burns: they need only the cues, and the burn leaves some CPU idle."""
    if mode == "burn":
        return finish(mode, start(mode, source, settings, reporter, srt), settings, reporter)
    job = pipeline.prepare(pipeline.open_job(source, settings, reporter), settings, reporter)
    transcribe.unload_engines()  # one video: the model's work is done
    texts = _meanwhile(lambda: pipeline.post_texts(job, settings, reporter), reporter)
    try:
        pictures = _pictures(mode, job, settings, reporter)
    except Exception:  # the post's files stay with the subtitle files when the burn fails
        post.write(job.outputs, texts.result())
        raise
    return list(dict.fromkeys(job.written + post.write(job.outputs, texts.result()) + pictures))


def _meanwhile(work: Callable[[], T], reporter: Reporter) -> Future[T]:
    """`work` started in a thread whose stages draw no bar (the main thread's is on screen).
    A daemon thread, so an interrupted burn does not wait for it; it writes no file."""
    future: Future[T] = Future()

    def target() -> None:
        with reporter.barless():
            try:
                future.set_result(work())
            except BaseException as error:  # noqa: BLE001 - raised again by future.result()
                future.set_exception(error)

    threading.Thread(target=target, name="meanwhile", daemon=True).start()
    return future


def translate(path: Path, settings: Settings, reporter: Reporter) -> list[Path]:
    """`bivideo translate SUBS`: the other language's SRT and the bilingual SRT (and the
    spoken language's, cleaned of tags, unless that is SUBS itself); returns the files."""
    fps = standard.DEFAULT_FPS
    spoken, main, words = given.read(path, settings, reporter, fps)
    text_translator = pipeline.text_translator(settings, reporter)
    if text_translator is None:
        raise BivideoError("the whisper translator works from the audio: `bivideo translate` has none; "
                           "choose another --translator (or `bivideo make VIDEO --subtitles SUBS`)")
    folder = artifacts.writable_folder(settings.output_dir or path.parent)
    outputs = pipeline.Outputs(folder, given.stem(path), artifacts.work_folder(path), path, reporter, settings.force)
    target = settings.target or other_language(main)
    translated = pipeline.translate_text(spoken, settings, reporter, path, text_translator, words)
    done = given.fitted(translated, fps, words)
    written = []
    if outputs.path(f"{main}.srt").resolve() != path.resolve():
        written.append(outputs.write_text(f"{main}.srt", subtitles.srt_for_language(done, main)))
    written.append(outputs.write_text(f"{target}.srt", subtitles.srt_for_language(done, target)))
    written.append(outputs.write_text("bilingual.srt", subtitles.bilingual_srt(done)))
    return written
