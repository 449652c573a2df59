"""One talk between the stages: what was probed, where its artifacts (the work folder) and its
outputs live, and, once its subtitles are made or read, its cues in both languages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bivideo import artifacts, highlight, probe, subtitles, toolchain
from bivideo.datatypes import Cue
from bivideo.errors import BivideoError
from bivideo.outputs import Outputs
from bivideo.settings import Settings


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

    def audio_track(self, settings: Settings) -> int:
        """The 0-based audio track to use (--audio-track counts from 1)."""
        return settings.audio_track - 1 if self.info.audio_codecs else 0

    def cue_words(self) -> list[highlight.Record | None]:
        """Each cue's spoken words with their times, as transcribed (None for a cue whose
        spoken line's words were edited since)."""
        shown = [subtitles.line(c, c.language) for c in self.cues]
        return highlight.match(self.cues, shown, self.outputs.last_words())


def open_job(source: Path, settings: Settings) -> Job:
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
    return Job(source, info, work, Outputs(folder, source.stem, work, source, settings.force))
