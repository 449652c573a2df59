"""Render planning and the burn's edge: each chosen platform's video (frame, styled subtitles,
bitrate cap), planned purely by `plan_videos`, then burned by burn.burn under temporary names
and recorded in the outputs."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from bivideo import artifacts, burn, highlight, platforms, probe, subtitle_files, subtitles, toolchain
from bivideo.datatypes import STYLED_FILE, Cue
from bivideo.job import Job
from bivideo.settings import Settings
from bivideo.ui import Reporter


def _highlighted_words(job: Job, settings: Settings, reporter: Reporter) -> list[highlight.Record | None] | None:
    """With --highlight words, each cue's words with their times (None for a cue whose
    spoken line's words were edited since: it is shown plain, and said so)."""
    if settings.highlight != "words":
        return None
    found = job.cue_words()
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
                                   _highlighted_words(job, settings, reporter),
                                   subtitle_files.edited_ass(job.outputs, reporter), job.outputs.path, job.still)
    for warning in warnings:
        reporter.warn(warning)
    return videos


def frame_for(info: probe.MediaInfo, still: burn.Still | None, shape: str) -> platforms.Frame:
    """Pure: the talk's frame in `shape`: its video's, or for an audio-only talk its still's."""
    if still is None:
        return platforms.frame(info.width, info.height, shape)
    return platforms.still_frame(still.size, shape)


def plan_videos(cues_shown: list[Cue], info: probe.MediaInfo, settings: Settings, font: str,
                words: list[highlight.Record | None] | None, edited: tuple[str, tuple[int, int]] | None,
                path_for: Callable[[str], Path], still: burn.Still | None = None
                ) -> tuple[list[burn.Target], list[str]]:
    """Pure: each chosen platform's video (its frame, its styled subtitles, its bitrate cap;
    over `still` for an audio-only talk) and the platform limits this video breaks. A
    bilingual.ass the user edited (`edited`: its text and frame size) is used for the videos
    of the frame size it was styled for."""
    aspects = platforms.parse_aspects(settings.aspect)
    audio_kbps = platforms.AUDIO_KBPS if info.audio_codecs else 0
    chosen, warnings = [], []
    for platform in platforms.chosen(settings.platform):
        frame = frame_for(info, still, platforms.aspect_for(platform, aspects))
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
        chosen.append(burn.Target(path_for(platform.video), frame, ass, kbps, _title(still, frame, font, info)))
    return chosen, warnings


def _title(still: burn.Still | None, frame: platforms.Frame, font: str, info: probe.MediaInfo) -> str:
    """Pure: the title drawn on an audio-only talk's plain background, above the room a cue
    takes on two lines per language; "" when there is none."""
    if still is None or still.picture is not None or not still.title.strip():
        return ""
    above = frame.subtitle_bottom + 2 * subtitles.block_height(frame.width, frame.height)
    return subtitles.title_ass(still.title, frame.width, frame.height, font, above, info.duration)



def render(job: Job, settings: Settings, reporter: Reporter) -> list[Path]:
    """Style the cues for each platform's frame and burn them, every platform's video from
    one decode of the source; returns the files written."""
    info, outputs = job.info, job.outputs
    videos = targets(job, settings, reporter)
    if info.hdr and not toolchain.has_filter(toolchain.ffmpeg(), "zscale"):
        reporter.warn("HDR source, but this ffmpeg has no zscale filter to tone-map it: "
                      "colours will look washed out (install an ffmpeg built with libzimg)")
    # the styled subtitles of the first video, for reading or restyling by hand
    written = [outputs.write_text(STYLED_FILE, videos[0].ass, reporter)]
    soft = outputs.path(platforms.SOFT_VIDEO) if settings.soft else None
    finals = [t.path for t in videos] + ([soft] if soft else [])
    for path in finals:
        outputs.claim(path, reporter)
    with ExitStack() as temporaries:
        temp = {path: temporaries.enter_context(artifacts.atomic_path(path)) for path in finals}
        with reporter.stage("burn", round(info.duration, 1)) as progress:
            used = burn.burn(info, [replace(t, path=temp[t.path]) for t in videos], job.work / "burn", progress,
                             quality=settings.quality, audio_track=job.track, still=job.still,
                             soft=(temp[soft], subtitles.srt_for_language(job.cues, "zh"),
                                   subtitles.srt_for_language(job.cues, "en")) if soft else None)
    reporter.note("encoded {} with {}".format(", ".join(
        f"{t.path.name} {t.frame.width}x{t.frame.height}{' fitted' if t.frame.fitted else ''}" for t in videos), used))
    for path in finals:
        outputs.done(path)
    return written + finals

