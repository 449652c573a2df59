"""Stage 7: burn the styled subtitles into the picture with ffmpeg + libass.

The ASS file and the font sit in a private folder that ffmpeg runs in, so the filter string
names only fixed, safe relative names: whatever characters the user's paths contain never
reach ffmpeg's filter parser. Input and output paths go in as absolute paths (a name
starting with a dash can't be mistaken for an option).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Callable

from bivideo import toolchain
from bivideo.artifacts import atomic_path, write_text
from bivideo.errors import BivideoError
from bivideo.probe import MediaInfo

SUBS, FONTS = "subs.ass", "fonts"
# Settings of the one encode: H.264 High, yuv420p, CRF 20 (visually lossless for talks).
VIDEO_ARGS = ("-c:v", "libx264", "-preset", "fast", "-crf", "20", "-profile:v", "high", "-pix_fmt", "yuv420p")


def video_filter() -> str:
    """Even dimensions (H.264 in yuv420p needs them), then the subtitles on top."""
    return f"scale=trunc(iw/2)*2:trunc(ih/2)*2,subtitles={SUBS}:fontsdir={FONTS}"


def ffmpeg_args(ffmpeg: str, info: MediaInfo, output: Path, video_filter: str) -> list[str]:
    """Pure: the full ffmpeg command line for one burn (audio copied when MP4 can hold it)."""
    audio = ["-c:a", "copy"] if info.audio_codec in ("aac", "mp3", "alac") else ["-c:a", "aac", "-b:a", "160k"]
    return [ffmpeg, "-hide_banner", "-nostdin", "-y", "-i", str(info.path.resolve()),
            "-map", "0:v:0", "-map", "0:a:0", "-vf", video_filter, *VIDEO_ARGS, *audio,
            "-movflags", "+faststart", "-progress", "pipe:1", "-nostats", str(output.resolve())]


def run_ffmpeg(args: list[str], cwd: Path, duration: float, progress: Callable[[float], None]) -> None:
    """Run ffmpeg, reporting output seconds from `-progress`; one-line error on failure."""
    log = cwd / "ffmpeg.log"
    with log.open("w") as stderr, subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=stderr,
                                                   text=True) as proc:
        try:
            for line in proc.stdout:
                name, _, value = line.strip().partition("=")
                if name == "out_time_us" and value.lstrip("-").isdigit():
                    progress(min(duration, max(0, int(value)) / 1e6))
        except BaseException:  # Ctrl-C / SIGTERM: don't leave ffmpeg encoding into a deleted file
            proc.kill()
            raise
    if proc.returncode != 0:
        lines = log.read_text(errors="replace").strip().splitlines()
        raise BivideoError(f"ffmpeg failed while burning subtitles: {lines[-1] if lines else proc.returncode}")


def stage_subtitles(folder: Path, ass: str) -> None:
    """Put `ass` and the CJK font in `folder` under the fixed names video_filter() uses."""
    font = toolchain.cjk_font()
    fonts = folder / FONTS
    shutil.rmtree(fonts, ignore_errors=True)
    fonts.mkdir(parents=True)
    try:
        (fonts / font.path.name).symlink_to(font.path)
    except OSError:  # no symlinks (some Windows setups): copy instead
        shutil.copyfile(font.path, fonts / font.path.name)
    write_text(folder / SUBS, ass)


def burn(info: MediaInfo, ass: str, output: Path, folder: Path, progress: Callable[[float], None]) -> None:
    """Write `output`: the input's video with `ass` burned in, its audio kept."""
    ffmpeg = toolchain.ffmpeg_with_libass()
    stage_subtitles(folder, ass)
    with atomic_path(output) as tmp:
        run_ffmpeg(ffmpeg_args(ffmpeg, info, tmp, video_filter()), folder, info.duration, progress)
