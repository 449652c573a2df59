"""`bivideo preview`: stills of the final look (the ASS, font and frame the burn uses, for
each platform's video) at chosen times or cue midpoints, and a contact sheet per platform,
from one ffmpeg run that seeks to each time instead of encoding the video: a few seconds
whatever the video's length.

Each picture is the keyframe at or before the asked time (decoding on to the exact frame
would cost up to a keyframe interval of decoding per still); the subtitles on it are drawn
exactly as they will be at the asked time.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bivideo import artifacts, burn, platforms, render, toolchain
from bivideo.datatypes import Cue
from bivideo.errors import BivideoError
from bivideo.job import Job
from bivideo.platforms import STILL_FPS, Frame
from bivideo.probe import MediaInfo
from bivideo.settings import Settings
from bivideo.ui import Reporter

MAX_STILLS = 8
SHEET_COLUMNS = 4
THUMB_WIDTH = 480


def parse_times(text: str) -> list[float]:
    """'12, 1:05, 1:02:03.5' -> seconds. Raises BivideoError naming the bad item."""
    times = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        if not re.fullmatch(r"(\d+:){0,2}\d+(\.\d+)?", item):
            raise BivideoError(f"--at {item!r}: not a time (seconds, m:ss or h:mm:ss)")
        seconds = 0.0
        for part in item.split(":"):
            seconds = seconds * 60 + float(part)
        times.append(seconds)
    if not times:
        raise BivideoError("--at: no times given")
    return times


def cue_midpoints(cues: Sequence[Cue], duration: float, count: int = MAX_STILLS) -> list[float]:
    """Pure: midpoints of up to `count` cues spread evenly over a talk of `duration` seconds,
    each of its time within the video: the last cue of a talk cut off mid-sentence can run
    past the end (reading time extends it), and a still there was refused as past the end."""
    cues = [c for c in cues if c.start < duration]
    if len(cues) > count:
        cues = [cues[round(k * (len(cues) - 1) / (count - 1))] for k in range(count)]
    return [(c.start + min(c.end, duration)) / 2 for c in cues] or [duration / 2]


def label(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}m{rest:06.3f}s"


def ffmpeg_args(ffmpeg: str, info: MediaInfo, times: list[float], videos: list[burn.Target], names: list[str],
                tonemap: bool = True, still: burn.Still | None = None) -> list[str]:
    """Pure: one ffmpeg run writing, for each video (a platform's frame, with subtitles{n}.ass
    and title{n}.ass if it has a title), a still per time (`{name}-%02d.png`) and a contact
    sheet (`{name}-sheet.png`). `times` ascending, no repeats. An audio-only talk's pictures
    are its `still`."""
    frames: list[Frame] = [video.frame for video in videos]
    largest = max(((f.width, f.height) for f in frames), key=lambda size: size[0] * size[1])
    inputs, graph = [], []
    for k, at in enumerate(times):
        if still is None:
            inputs += ["-noaccurate_seek", "-ss", f"{at:.3f}", "-i", str(info.path.resolve())]
            head = f"[{k}:v]"
        else:
            extra, head = burn.still_input(still, largest, 1 / STILL_FPS, k)
            inputs += extra
        # one frame, stamped with the asked time so the subtitles drawn are those shown then
        graph.append(f"{head}trim=end_frame=1,setpts={at:.3f}/TB[f{k}]")
    # the frames in one stream through the burn's own chains: libass and the font load once
    shared = [burn.TONEMAP] if info.hdr and tonemap else []
    graph.append("".join(f"[f{k}]" for k in range(len(times))) + f"interleave=nb_inputs={len(times)},"
                 + ",".join([*shared, "format=yuv420p"]) + f",split={len(frames)}"
                 + "".join(f"[s{n}]" for n in range(len(frames))))
    columns = min(SHEET_COLUMNS, len(times))
    rows = -(-len(times) // columns)
    outputs = []
    for n, (video, name) in enumerate(zip(videos, names)):
        graph.append(burn.frame_filters(video.frame, n, bool(video.title)))
        graph.append(f"[v{n}]split[still{n}][c{n}];[c{n}]scale={THUMB_WIDTH}:-2,"
                     f"tile={columns}x{rows}:nb_frames={len(times)}:color=black[sheet{n}]")
        outputs += ["-map", f"[still{n}]", "-fps_mode", "passthrough", "-frames:v", str(len(times)),
                    f"{name}-%02d.png", "-map", f"[sheet{n}]", "-frames:v", "1", "-update", "1", f"{name}-sheet.png"]
    return [ffmpeg, "-hide_banner", "-v", "error", "-nostdin", "-y", *inputs, "-filter_complex", ";".join(graph),
            *outputs]


def stills(job: Job, settings: Settings, reporter: Reporter, times: list[float] | None = None) -> list[Path]:
    """Write each platform's stills and contact sheet into `<stem>.preview/`
    (`<platform>-still-NN-<time>.png`, `<platform>-contact-sheet.png`); returns them.
    `settings` is what render gets too, so the stills show the same frames as the burn."""
    times = sorted(set(times or cue_midpoints(job.cues, job.info.duration)))
    late = [t for t in times if t >= job.info.duration]
    if late:
        raise BivideoError(f"--at {late[0]:g}: past the end of {job.source.name} ({job.info.duration:.1f} s)")
    videos = render.targets(job, settings, reporter)
    names = [platform.name for platform in platforms.chosen(settings.platform)]  # the order of `videos`
    stage = job.work / "preview"
    with reporter.stage("preview", None):
        _draw(job, videos, names, times, stage)
    folder = job.outputs.path("preview")
    folder.mkdir(exist_ok=True)
    for old in [*folder.glob("*still-*.png"), *folder.glob("*contact-sheet.png")]:  # the last preview's (ours)
        old.unlink()
    written = []
    for name in names:
        staged = [(f"{name}-{k:02d}.png", f"{name}-still-{k:02d}-{label(t)}.png") for k, t in enumerate(times, 1)]
        for source, final in [*staged, (f"{name}-sheet.png", f"{name}-contact-sheet.png")]:
            with artifacts.atomic_path(folder / final) as tmp:  # the work folder may be on another disk
                shutil.copyfile(stage / source, tmp)
            written.append(folder / final)
    return written


def backdrops(job: Job, settings: Settings) -> dict[str, Path]:
    """An audio-only talk's still in each chosen platform's frame, as its videos show it but
    with no subtitles (the studio draws them over it): platform name -> PNG in the work folder."""
    videos, _ = render.plan_videos([], job.info, settings, toolchain.cjk_font().family, None, None,
                                   job.outputs.path, job.still)
    names = [platform.name for platform in platforms.chosen(settings.platform)]
    stage = job.work / "backdrop"
    _draw(job, videos, names, [0.0], stage)
    return {name: stage / f"{name}-01.png" for name in names}


def _draw(job: Job, videos: list[burn.Target], names: list[str], times: list[float], stage: Path) -> None:
    """One ffmpeg run drawing each of `videos` at `times` into the emptied folder `stage`
    (`{name}-NN.png` and `{name}-sheet.png`)."""
    shutil.rmtree(stage, ignore_errors=True)
    burn.prepare_folder(stage, burn.ass_files(videos))
    ffmpeg = toolchain.ffmpeg_with_libass()
    args = ffmpeg_args(ffmpeg, job.info, times, videos, names, toolchain.has_filter(ffmpeg, "zscale"), job.still)
    done = subprocess.run(args, cwd=stage, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = toolchain.last_line(done.stderr) or f"exit code {done.returncode}"
        raise BivideoError(f"ffmpeg failed while drawing the preview: {reason}")
