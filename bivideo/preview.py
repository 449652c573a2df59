"""`bivideo preview`: stills of the final look (the ASS, font and frame the burn uses) at
chosen times or cue midpoints, and one contact sheet, from one ffmpeg run that seeks to each
time instead of encoding the video: a few seconds whatever the video's length.

Each picture is the keyframe at or before the asked time (decoding on to the exact frame
would cost up to a keyframe interval of decoding per still); the subtitles on it are drawn
exactly as they will be at the asked time.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from bivideo import artifacts, burn, pipeline, toolchain
from bivideo.errors import BivideoError
from bivideo.pipeline import Job
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


def cue_midpoints(job: Job, count: int = MAX_STILLS) -> list[float]:
    """Midpoints of up to `count` cues spread evenly over the talk."""
    cues = job.cues
    if len(cues) > count:
        cues = [cues[round(k * (len(cues) - 1) / (count - 1))] for k in range(count)]
    return [(c.start + c.end) / 2 for c in cues] or [job.info.duration / 2]


def label(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}m{rest:06.3f}s"


def ffmpeg_args(ffmpeg: str, video: Path, times: list[float], pattern: str, sheet: str) -> list[str]:
    """Pure: one ffmpeg run writing a still per time (`pattern`: numbered from 1) with the
    burn's filter, and a contact sheet. `times` ascending, no repeats."""
    inputs, graph = [], []
    for k, at in enumerate(times):
        inputs += ["-noaccurate_seek", "-ss", f"{at:.3f}", "-i", str(video.resolve())]
        # one frame, stamped with the asked time so the subtitles drawn are those shown then
        graph.append(f"[{k}:v]trim=end_frame=1,setpts={at:.3f}/TB[f{k}]")
    # the frames in one stream through one subtitles filter: libass and the font load once
    columns = min(SHEET_COLUMNS, len(times))
    rows = -(-len(times) // columns)
    graph.append("".join(f"[f{k}]" for k in range(len(times)))
                 + f"interleave=nb_inputs={len(times)},{burn.video_filter()},split[stills][c];"
                 + f"[c]scale={THUMB_WIDTH}:-2,tile={columns}x{rows}:nb_frames={len(times)}:color=black[sheet]")
    return [ffmpeg, "-hide_banner", "-v", "error", "-nostdin", "-y", *inputs, "-filter_complex", ";".join(graph),
            "-map", "[stills]", "-fps_mode", "passthrough", "-frames:v", str(len(times)), pattern,
            "-map", "[sheet]", "-frames:v", "1", "-update", "1", sheet]


def stills(job: Job, settings: pipeline.Settings, reporter: Reporter, times: list[float] | None = None) -> list[Path]:
    """Write the stills and the contact sheet into `<stem>.preview/`; returns them (sheet last).
    `settings` is what render gets too, so the stills show the same frame as the burn."""
    times = sorted(set(times or cue_midpoints(job)))
    late = [t for t in times if t >= job.info.duration]
    if late:
        raise BivideoError(f"--at {late[0]:g}: past the end of {job.source.name} ({job.info.duration:.1f} s)")
    folder = job.outputs.path("preview")
    stage = job.work / "preview"
    shutil.rmtree(stage, ignore_errors=True)
    burn.stage_subtitles(stage, pipeline.styled_ass(job))
    names = [f"still-{k:02d}-{label(t)}.png" for k, t in enumerate(times, 1)]
    args = ffmpeg_args(toolchain.ffmpeg_with_libass(), job.source, times, "frame-%02d.png", "contact-sheet.png")
    with reporter.stage("preview", None):
        done = subprocess.run(args, cwd=stage, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise BivideoError(f"ffmpeg failed while drawing the preview: {lines[-1] if lines else done.returncode}")
    folder.mkdir(exist_ok=True)
    for old in folder.glob("still-*.png"):  # the last preview's stills (only ours: fixed names)
        old.unlink()
    frames = [f"frame-{k:02d}.png" for k in range(1, len(times) + 1)]
    written = []
    for staged, name in [*zip(frames, names), ("contact-sheet.png", "contact-sheet.png")]:
        with artifacts.atomic_path(folder / name) as tmp:  # the work folder may be on another disk
            shutil.copyfile(stage / staged, tmp)
        written.append(folder / name)
    return written
