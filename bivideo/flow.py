"""The one way a video goes through bivideo, for `make`, `make --preview`, `burn` and `batch`
alike: `start` (everything before the burn), then `finish` (the burn, or the preview stills).
`batch` runs the two halves of different videos at once; the commands run them back to back.
"""

from __future__ import annotations

from pathlib import Path

from bivideo import pipeline, preview
from bivideo.settings import Mode, Settings
from bivideo.ui import Reporter


def start(mode: Mode, source: Path, settings: Settings, reporter: Reporter, srt: Path | None = None) -> pipeline.Job:
    """The video's subtitles: made (transcribed, translated, written) for make and preview, or
    read from the subtitle files (or `srt`) for burn."""
    if mode == "burn":
        return on_disk(source, settings, reporter, srt)
    return pipeline.prepare(pipeline.open_job(source, settings, reporter), settings, reporter)


def on_disk(source: Path, settings: Settings, reporter: Reporter, srt: Path | None = None) -> pipeline.Job:
    """The video with the subtitles already written for it (or `srt`): nothing is transcribed
    or translated."""
    return pipeline.load_subtitles(pipeline.open_job(source, settings, reporter), settings, reporter, srt)


def finish(mode: Mode, job: pipeline.Job, settings: Settings, reporter: Reporter) -> list[Path]:
    """The videos burned (make, burn) or the preview stills drawn; returns every file written
    for the video, the subtitle files first."""
    made = preview.stills(job, settings, reporter) if mode == "preview" else pipeline.render(job, settings, reporter)
    return list(dict.fromkeys(job.written + made))


def run(mode: Mode, source: Path, settings: Settings, reporter: Reporter, srt: Path | None = None) -> list[Path]:
    return finish(mode, start(mode, source, settings, reporter, srt), settings, reporter)
