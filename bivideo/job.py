"""One talk between the stages: what was probed, which of its audio tracks holds the talk, what
an audio-only talk's videos show, where its artifacts (the work folder) and its outputs live,
and, once its subtitles are made or read, its cues in both languages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bivideo import artifacts, audio, burn, highlight, probe, subtitles, toolchain
from bivideo.datatypes import Cue
from bivideo.errors import BivideoError
from bivideo.outputs import Outputs
from bivideo.settings import Settings
from bivideo.ui import Reporter


@dataclass
class Job:
    """One video between the stages: what was probed, where its artifacts and outputs live,
    and (once prepared) its cues in both languages."""

    source: Path
    info: probe.MediaInfo
    work: Path
    outputs: Outputs
    still: burn.Still | None = None  # an audio-only talk's picture (or its background and title)
    track: int = 0  # the audio track transcribed and kept, 0-based
    cues: list[Cue] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    stale: set[int] = field(default_factory=set)  # cues whose spoken line was edited since it was translated

    def audio_key(self, track: int | None = None) -> str:
        """The key of the talk's audio (track `track`, else the chosen one) in the work folder."""
        return artifacts.key("audio", self.work.name, self.track if track is None else track)

    def audio_path(self, track: int | None = None) -> Path:
        """Where the talk's audio (track `track`, else the chosen one) is kept as Whisper hears it."""
        return self.work / f"audio-{self.audio_key(track)}.wav"

    def cue_words(self) -> list[highlight.Record | None]:
        """Each cue's spoken words with their times, as transcribed (None for a cue whose
        spoken line's words were edited since)."""
        shown = [subtitles.line(c, c.language) for c in self.cues]
        return highlight.match(self.cues, shown, self.outputs.last_words())


def open_job(source: Path, settings: Settings, reporter: Reporter) -> Job:
    """Check the tools and the input, set up the video's work and output folders, and choose
    its audio track."""
    toolchain.ffmpeg_with_libass()  # fail before any slow work if burning can't happen
    toolchain.cjk_font()
    info = probe.probe(source)
    tracks = len(info.audio_codecs)
    if settings.audio_track is not None and tracks and settings.audio_track > tracks:
        raise BivideoError(f"--audio-track {settings.audio_track}: {source.name} has only {tracks} audio "
                           f"track{'s' if tracks > 1 else ''}")
    still = _still(source, info, settings, reporter)
    folder = artifacts.writable_folder(settings.output_dir or source.parent)
    if settings.target and settings.source == settings.target:
        raise BivideoError(f"--from and --to are both {settings.target!r}")
    work = artifacts.work_folder(source)
    job = Job(source, info, work, Outputs(folder, source.stem, work, source, settings.force), still)
    job.track = _track(job, settings, reporter)
    return job


def _still(source: Path, info: probe.MediaInfo, settings: Settings, reporter: Reporter) -> burn.Still | None:
    """What an audio-only talk's videos show: --picture, else the plain background with --title
    (default: the file's name, underscores read as spaces)."""
    if not info.audio_only:
        if settings.picture or settings.title is not None:
            reporter.note(f"--picture and --title are for audio-only recordings: {source.name} has a picture "
                          "of its own")
        return None
    if settings.picture and settings.title is not None:
        reporter.note("--title is drawn on the plain background only: --picture is shown as it is")
    size = probe.picture_size(settings.picture) if settings.picture else None
    title = settings.title if settings.title is not None else source.stem.replace("_", " ")
    return burn.Still(settings.picture, size, title)


def _track(job: Job, settings: Settings, reporter: Reporter) -> int:
    """The audio track to transcribe and keep (0-based): --audio-track, else the only one, else
    the one with the most speech. Measured once and remembered in the work folder; the chosen
    track's audio is kept there for the transcription."""
    count = len(job.info.audio_codecs)
    if settings.audio_track is not None and count:
        return settings.audio_track - 1
    if count <= 1:
        return 0
    record = job.work / f"tracks-{artifacts.key('tracks', audio.TRACK_WINDOWS, audio.TRACK_WINDOW)}.json"
    if record.is_file() and not settings.force:
        shares = [float(share) for share in artifacts.read_json(record)]
    else:
        wavs = {track: job.audio_path(track) for track in range(count)}
        with reporter.stage("audio tracks", None):
            audio.extract_tracks(job.source, wavs)
            shares = [audio.speech_share(audio.sample(wav)) for wav in wavs.values()]
        artifacts.write_json(record, shares)
    chosen = max(range(count), key=lambda track: (shares[track], -track))  # a tie: the first
    for track in range(count):
        if track != chosen:
            job.audio_path(track).unlink(missing_ok=True)
    measured = ", ".join(f"track {track + 1} {share:.0%}" for track, share in enumerate(shares))
    reporter.note(f"audio: track {chosen + 1} of {count}, the one with the most speech ({measured}); "
                  "--audio-track N chooses another")
    return chosen
