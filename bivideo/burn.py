"""Stage 7: encode every platform's video, subtitles burned in by libass, a few minutes at a time.

The source is decoded once (and tone-mapped, frame-rate-fixed once); `split` hands the same
frames to each platform's chain (its frame, its subtitles) and encoder. One ffmpeg encodes
each CHUNK_SECONDS of the talk (without sound), and a last one per video joins the chunks by
stream copy and adds the sound once: libass keeps what it has drawn in caches that grow with
every new cue up to a few hundred MB, so one ffmpeg for a whole talk grows with its length,
and a finished chunk survives an interruption (the next run encodes only what is left). An audio-only talk's
picture is a still (`Still`): a picture repeated, or a plain background with the talk's
title, at STILL_FPS. The ASS files and the font sit in a private folder that ffmpeg runs in,
so the filter string names only fixed, safe relative names: whatever characters the user's
paths contain never reach ffmpeg's filter parser. Input and output paths go in as absolute
paths (a name starting with a dash can't be mistaken for an option).
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from bivideo import artifacts, toolchain
from bivideo.errors import BivideoError
from bivideo.platforms import AUDIO_KBPS, MAX_FPS, STILL_FPS, Frame
from bivideo.probe import MediaInfo

FONTS = "fonts"
SOFT_TRACKS = (("zh.srt", "chi", "中文"), ("en.srt", "eng", "English"))  # file in the folder, ISO 639-2, title
HARDWARE = ("h264_videotoolbox", "h264_nvenc", "h264_qsv")
# Per encoder, per quality: the rate-control arguments (all capped by the platform's bitrate).
# x264's by measurement (tools/encoder_bench.py, README "Development"). normal: veryfast's cheap
# analysis, with a 60-frame lookahead and a lower qcomp so that macroblock-tree rate control
# spends its bits on what stays on screen (a slide, the page behind a speaker inset), and one
# more reference frame, chosen per 8x8 partition (mixed-refs: what full motion under the rate
# cap needs to match fast's SSIM).
_X264 = {"draft": ("-preset", "veryfast", "-crf", "26"),
         "normal": ("-preset", "veryfast", "-crf", "19",
                    "-x264-params", "ref=2:rc-lookahead=60:qcomp=0.5:mixed-refs=1"),
         "high": ("-preset", "slow", "-crf", "18")}
# x264 holds every frame of its lookahead: 6.5 MB each at 1080p, and two 1080p encoders took
# 1.3 GB with 60. Above 720p, normal looks 10 frames ahead, at CRF 17: at 1080p, as LinkedIn
# and WeChat's 9:16 frame get a slides talk, as sharp as 60 at CRF 19 (SSIM), under the same
# cap, each encoder in 300 MB instead of 620. (At 720p the short lookahead loses sharpness on
# slides that a lower CRF does not win back; there 60 frames cost 330 MB.) And the lookahead
# runs in the encoding threads (sync-lookahead=0): the same stream, without the frames its own
# thread buffers, 30 MB less per 1080p encoder, for the 900 MB budget; slower, as the encoders
# wait for it (a 2-minute 1080p talk for both platforms: 0.83x its length instead of 0.55x).
LARGE_FRAME = 1280 * 720
_X264_LARGE = {**_X264, "normal": ("-preset", "veryfast", "-crf", "17", "-x264-params",
                                   "ref=2:rc-lookahead=10:qcomp=0.5:mixed-refs=1:sync-lookahead=0")}
_NVENC = {"draft": ("-preset", "p2", "-cq", "28"), "normal": ("-preset", "p4", "-cq", "23"),
          "high": ("-preset", "p6", "-cq", "19")}
_QSV = {"draft": ("-preset", "veryfast"), "normal": ("-preset", "medium"), "high": ("-preset", "slow")}
# HDR (PQ/HLG) -> SDR BT.709: linear light, Hable curve, back to limited-range BT.709.
BACKGROUND_FPS = 5  # how often a fitted picture's blurred background is drawn
TONEMAP = ("zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0,"
           "zscale=t=bt709:m=bt709:r=tv")
BACKGROUND = "#1E2A38"  # an audio-only talk's plain background: a calm dark slate blue
# How much of the talk one ffmpeg encodes. One subtitles filter over 1080p holds 106 MB after
# 2 minutes of cues and 227 MB after 30 (libass's bitmap and composite caches, 128 + 64 MB
# at most, fill with every cue drawn), so chunks of 2 minutes keep a 30-minute talk's burn
# as small as a 2-minute talk's; each costs one ffmpeg start and seek, about a second.
CHUNK_SECONDS = 120.0
STALE = 86400.0  # s: a chunk no run wants or a killed run's folder goes once this old (another run may use it)


@dataclass(frozen=True)
class Chunk:
    """A stretch of the talk that one ffmpeg encodes: `frames` frames (None: to the end) from
    `start` seconds in."""

    index: int
    start: float
    frames: int | None


@dataclass(frozen=True)
class Still:
    """What an audio-only talk's videos show: `picture` (`size` its width and height), or
    without one the plain background with `title` on it."""

    picture: Path | None
    size: tuple[int, int] | None
    title: str


@dataclass(frozen=True)
class Target:
    """One burned video: where it goes, its frame, its subtitles (ASS text), its bitrate cap."""

    path: Path
    frame: Frame
    ass: str
    kbps: int
    title: str = ""  # ASS drawn under the subtitles: an audio-only talk's title on its plain background


def _test_encode(ffmpeg: str, encoder: str) -> bool:
    """Does `encoder` work here? Listed is not enough: nvenc is listed on machines without
    an NVIDIA GPU, qsv without an Intel iGPU."""
    try:
        return subprocess.run([ffmpeg, "-hide_banner", "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                               "color=c=gray:s=256x256:r=25:d=0.2", "-c:v", encoder, "-profile:v", "high",
                               "-pix_fmt", "yuv420p", "-f", "null", "-"],
                              capture_output=True, timeout=20, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@functools.cache
def encoder(ffmpeg: str) -> str:
    """The first hardware H.264 encoder that passes a tiny test encode, else libx264
    (found once per ffmpeg binary: toolchain.remembered)."""
    def find() -> str:
        listed = subprocess.run([ffmpeg, "-hide_banner", "-encoders"], capture_output=True, text=True,
                                check=False).stdout
        return next((name for name in HARDWARE if f" {name} " in listed and _test_encode(ffmpeg, name)), "libx264")

    return toolchain.remembered(ffmpeg, "h264 encoder", find)


def encoder_args(name: str, quality: str, kbps: int, threads: int = 0, pixels: int = 0) -> list[str]:
    """Pure: H.264 High, yuv420p, quality-targeted but capped at `kbps` (peaks buffered 2 s).
    x264 gets `threads` (0: its own choice, 1.5 per core), and its settings for a frame of
    `pixels`."""
    cap = ["-maxrate", f"{kbps}k", "-bufsize", f"{2 * kbps}k"]
    if name == "libx264":
        settings = _X264_LARGE if pixels > LARGE_FRAME else _X264
        rate = [*settings[quality], *cap, *(["-threads", str(threads)] if threads else [])]
    elif name == "h264_nvenc":
        rate = [*_NVENC[quality], "-rc", "vbr", "-b:v", "0", *cap]
    elif name == "h264_qsv":
        rate = [*_QSV[quality], "-b:v", f"{kbps * 2 // 3}k", *cap]
    else:  # videotoolbox: average bitrate only
        rate = ["-b:v", f"{kbps * 2 // 3}k"]
    return ["-c:v", name, *rate, "-profile:v", "high", "-pix_fmt", "yuv420p"]


def output_fps(info: MediaInfo) -> Fraction:
    """The source's frame rate as an exact fraction (29.97 -> 30000/1001), capped at 60
    (an audio-only talk's: STILL_FPS)."""
    return Fraction(min(info.fps, MAX_FPS)).limit_denominator(1001)


def chunks(duration: float, fps: Fraction, seconds: float) -> list[Chunk]:
    """Pure: the talk cut into chunks of whole frames, `seconds` long but for the last, so
    that joined they hold every frame once at its time. The last takes what is left, up to
    1.5 chunks: a few seconds more would cost an ffmpeg start of their own."""
    per = max(1, round(seconds * fps))
    count = max(1, math.floor(duration * fps / per + 0.5))
    return [Chunk(k, float(k * per / fps), per if k < count - 1 else None) for k in range(count)]


def shared_filters(info: MediaInfo, tonemap: bool, frames: list[Frame], source: tuple[int, int]) -> list[str]:
    """Done once for every output: HDR to SDR, a constant frame rate, down to the largest
    picture the outputs need (a 4K phone video is scaled once, not once per platform),
    8-bit 4:2:0. `source`: the size of the picture decoded."""
    steps = [TONEMAP] if info.hdr and tonemap else []
    if info.vfr or info.fps > MAX_FPS:
        steps.append(f"fps={output_fps(info)}")
    w, h = max((f.picture[2:] for f in frames), key=lambda size: size[0] * size[1], default=(0, 0))
    if len(frames) > 1 and w * h < source[0] * source[1]:
        steps.append(f"scale={w}:{h}")
    return [*steps, "format=yuv420p"]


def distinct(targets: list[Target]) -> list[tuple[Target, list[Path]]]:
    """Pure: the videos to encode, each with the other paths that get the very same video
    (same frame, same subtitles: a vertical talk for both platforms), encoded once at the
    lower of their bitrate caps and copied."""
    groups: dict[tuple[Frame, str, str], tuple[Target, list[Path]]] = {}
    for target in targets:
        look = (target.frame, target.ass, target.title)
        first, copies = groups.get(look, (target, []))
        if copies or first is not target:
            copies.append(target.path)
            first = replace(first, kbps=min(first.kbps, target.kbps))
        groups[look] = (first, copies)
    return list(groups.values())


def _margins(frame: Frame) -> list[tuple[int, int, int, int]]:
    """Pure: the parts (x, y, w, h) of the frame around its fitted picture: the bands above
    and below it, or beside it."""
    x, y, w, h = frame.picture
    around = [(0, 0, frame.width, y), (0, y, x, h), (x + w, y, frame.width - x - w, h),
              (0, y + h, frame.width, frame.height - y - h)]
    return [m for m in around if m[2] > 0 and m[3] > 0]


def frame_filters(frame: Frame, n: int, titled: bool = False, slow_background: bool = False,
                  rebase: bool = False) -> str:
    """Pure: the chain from split output [s{n}] to [v{n}]: the picture in its frame (over a
    blurred, darkened copy of itself when it doesn't fill it), then (`titled`) title{n}.ass,
    then subtitles{n}.ass; with `rebase`, the frames' times then start at 0 (a later chunk's
    frames carry the talk's times for the subtitles).
    The picture is padded to the frame and the blurred margins laid over it: the picture's
    frames keep their own times, and overlay holds the latest margin. So the video's blur
    (`slow_background`) can be drawn BACKGROUND_FPS times a second: it changes slowly behind
    the picture, and this saves a third of the chain's filtering and gives the encoder fewer
    changed pixels. Stills, scattered in time, draw theirs for each."""
    x, y, w, h = frame.picture
    title = f"subtitles=title{n}.ass:fontsdir={FONTS}," if titled else ""
    burn = f"{title}subtitles=subtitles{n}.ass:fontsdir={FONTS},setsar=1{',setpts=PTS-STARTPTS' if rebase else ''}"
    if not frame.fitted:
        return f"[s{n}]scale={w}:{h},{burn}[v{n}]"
    # blur a small copy (cheap), then scale it up to fill the frame
    bw, bh = max(16, frame.width // 8 // 2 * 2), max(16, frame.height // 8 // 2 * 2)
    blur = (f"[bg{n}]{f'fps={BACKGROUND_FPS}:round=down,' if slow_background else ''}"
            f"scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},gblur=sigma=4,"
            f"eq=brightness=-0.18:saturation=0.7,scale={frame.width}:{frame.height}:flags=bilinear")
    margins = _margins(frame)
    chain = [f"[s{n}]split[bg{n}][fg{n}];{blur},split={len(margins)}"
             + "".join(f"[m{n}_{k}]" for k in range(len(margins))),
             f"[fg{n}]scale={w}:{h},pad={frame.width}:{frame.height}:{x}:{y}[p{n}_0]"]
    for k, (mx, my, mw, mh) in enumerate(margins):
        chain.append(f"[m{n}_{k}]crop={mw}:{mh}:{mx}:{my}[c{n}_{k}];"
                     f"[p{n}_{k}][c{n}_{k}]overlay={mx}:{my}[p{n}_{k + 1}]")
    return ";".join(chain) + f";[p{n}_{len(margins)}]{burn}[v{n}]"


def still_input(still: Still, size: tuple[int, int], seconds: float, index: int) -> tuple[list[str], str]:
    """Pure: `seconds` of an audio-only talk's still at STILL_FPS, as ffmpeg's input number
    `index`: (its input arguments, the start of its chain in the filter graph). The picture is
    read as one image however its name looks (no %d patterns) and repeated; the plain
    background is made by the graph itself, `size` large."""
    if still.picture is None:
        return [], f"color=c=0x{BACKGROUND.lstrip('#')}:s={size[0]}x{size[1]}:r={STILL_FPS:g}:d={seconds:.3f},"
    return ["-f", "image2", "-pattern_type", "none", "-loop", "1", "-framerate", f"{STILL_FPS:g}",
            "-t", f"{seconds:.3f}", "-i", str(still.picture.resolve())], f"[{index}:v]"


def can_copy_video(info: MediaInfo) -> bool:
    """The soft-subtitle MP4 keeps the source's picture untouched when MP4 players take it."""
    return info.video_codec == "h264" and info.pix_fmt == "yuv420p" and not info.hdr


def audio_args(info: MediaInfo, track: int, source: int = 0) -> list[str]:
    """Map the chosen track (0-based) of input `source`; copy AAC, re-encode anything else.
    None: no audio."""
    if not info.audio_codecs:
        return []
    codec = ["-c:a", "copy"] if info.audio_codecs[track] == "aac" else ["-c:a", "aac", "-b:a", f"{AUDIO_KBPS}k"]
    return ["-map", f"{source}:a:{track}", *codec]


def chunk_args(ffmpeg: str, info: MediaInfo, targets: list[Target], chunk: Chunk, *,
               encoder_name: str = "libx264", quality: str = "normal", soft_encoded: bool = False,
               tonemap: bool = True, still: Still | None = None, cpus: int = 2) -> list[str]:
    """Pure: the one ffmpeg command line that encodes `chunk` of every target's video, and
    with `soft_encoded` of the soft-subtitle MP4's picture, without sound, into part{n}.mp4 in
    the folder it runs in; over `still` for an audio-only talk. A later chunk seeks to half a
    frame before its start (its first frame is the one at the start) and its frames get the
    talk's times back for the subtitles. The encoders share the `cpus`: each x264 gets its
    share, at least three frame threads, so that ffmpeg 5's one thread, which filters every
    frame and hands it to each encoder in turn, seldom waits for a busy one; and their
    frames' memory does not grow with the machine (x264's own choice is 1.5 per core)."""
    later = chunk.index > 0
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y"]
    if still is None:
        seek = max(0.0, chunk.start - 0.5 / float(output_fps(info)))
        args += [*(["-ss", f"{seek:.6f}"] if later else []), "-i", str(info.path.resolve())]
        head, source = "[0:v]", (info.width, info.height)
    else:  # the still's frames start at 0: the chunk's start is the shift
        largest = max(((t.frame.width, t.frame.height) for t in targets), key=lambda size: size[0] * size[1])
        extra, head = still_input(still, largest, info.duration - chunk.start, 0)
        args += extra
        seek, source = chunk.start, still.size or largest
    # back by what the seek took off: ffmpeg rounds it to the stream's ticks, and setpts would truncate
    shift = [f"setpts=PTS+round({seek:.6f}/TB)"] if later else []
    branches = len(targets) + soft_encoded
    threads = max(3, cpus // branches)
    shared = [*shift, *shared_filters(info, tonemap, [t.frame for t in targets], source)]
    graph = [f"{head}{','.join(shared)},split={branches}" + "".join(f"[s{n}]" for n in range(branches))]
    graph += [frame_filters(t.frame, n, bool(t.title), slow_background=True, rebase=later)
              for n, t in enumerate(targets)]
    if soft_encoded:
        graph.append(f"[s{len(targets)}]scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1"
                     f"{',setpts=PTS-STARTPTS' if later else ''}[v{len(targets)}]")
    args += ["-filter_complex", ";".join(graph)]
    frames = ["-frames:v", str(chunk.frames)] if chunk.frames else []
    sizes = [t.frame.width * t.frame.height for t in targets] + [info.width * info.height] * soft_encoded
    kbps = [t.kbps for t in targets] + [max(t.kbps for t in targets)] * soft_encoded
    for n in range(branches):
        args += ["-map", f"[v{n}]", *encoder_args(encoder_name, quality, kbps[n], threads, sizes[n]), *frames,
                 f"part{n}.mp4"]
    return [*args, "-progress", "pipe:1", "-nostats"]


def mux_args(ffmpeg: str, info: MediaInfo, video: str | None, out: Path, *, audio_track: int = 0,
             soft: bool = False) -> list[str]:
    """Pure: the ffmpeg command line writing `out`: the picture of `video`, a concat list of
    chunks by absolute path (None: the source's own picture, copied), with the talk's
    sound, and with `soft` both languages as subtitle tracks. Everything but the sound is
    copied."""
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y", *(["-f", "concat", "-safe", "0", "-i", video] if video else []),
            "-i", str(info.path.resolve())]
    if soft:
        for name, _, _ in SOFT_TRACKS:
            args += ["-i", name]
    args += ["-map", "0:v:0", "-c:v", "copy", *audio_args(info, audio_track, source=1 if video else 0)]
    if soft:
        first = 2 if video else 1
        for i, (_, language, title) in enumerate(SOFT_TRACKS):
            args += ["-map", f"{first + i}:0", f"-metadata:s:s:{i}", f"language={language}",
                     f"-metadata:s:s:{i}", f"title={title}"]
        args += ["-c:s", "mov_text"]
    return [*args, "-movflags", "+faststart", str(out.resolve()), "-progress", "pipe:1", "-nostats"]


def run_ffmpeg(args: list[str], cwd: Path, duration: float, progress: Callable[[float], None]) -> None:
    """Run ffmpeg, reporting output seconds from `-progress`; one-line error on failure."""
    log = cwd / "ffmpeg.log"
    with log.open("w") as stderr, subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=stderr,
                                                   text=True) as proc:
        assert proc.stdout is not None  # stdout=PIPE
        try:
            for line in proc.stdout:
                name, _, value = line.strip().partition("=")
                if name == "out_time_us" and value.lstrip("-").isdigit():
                    progress(min(duration, max(0, int(value)) / 1e6))
        except BaseException:  # Ctrl-C / SIGTERM: don't leave ffmpeg encoding into a deleted file
            proc.kill()
            raise
    if proc.returncode != 0:
        reason = toolchain.last_line(log.read_text(errors="replace")) or f"exit code {proc.returncode}"
        raise BivideoError(f"ffmpeg failed while burning subtitles: {reason}")


def _after(progress: Callable[[float], None], start: float, done: float) -> None:
    """A chunk's progress as the talk's."""
    progress(start + done)


def ass_files(targets: list[Target]) -> dict[str, str]:
    """Pure: the ASS files the filter graph names, by their fixed names: subtitles{n}.ass and
    (with a title) title{n}.ass for the n-th target."""
    files = {f"subtitles{n}.ass": t.ass for n, t in enumerate(targets)}
    return files | {f"title{n}.ass": t.title for n, t in enumerate(targets) if t.title}


def prepare_folder(folder: Path, subtitle_files: dict[str, str]) -> None:
    """The folder ffmpeg runs in: the CJK font under fonts/, the subtitle files by fixed names."""
    font = toolchain.cjk_font()
    fonts = folder / FONTS
    shutil.rmtree(fonts, ignore_errors=True)
    fonts.mkdir(parents=True)
    try:
        (fonts / font.path.name).symlink_to(font.path)
    except OSError:  # no symlinks (some Windows setups): copy instead
        shutil.copyfile(font.path, fonts / font.path.name)
    for name, text in subtitle_files.items():
        artifacts.write_text(folder / name, text)


def _encode_chunks(plan: list[tuple[Chunk, list[str], list[Path]]], info: MediaInfo, run: Path,
                   progress: Callable[[float], None]) -> None:
    """Run each chunk's ffmpeg (in the run's folder) whose parts are not there yet, and name
    its parts when done."""
    fps = float(output_fps(info))
    for chunk, args, parts in plan:
        if not all(part.exists() for part in parts):
            run_ffmpeg(args, run, info.duration - chunk.start, functools.partial(_after, progress, chunk.start))
            for n, part in enumerate(parts):
                os.replace(run / f"part{n}.mp4", part)
        progress(min(info.duration, chunk.start + (chunk.frames or math.inf) / fps))


def concat_list(parts: list[Path]) -> str:
    """Pure: ffmpeg's concat list of `parts`, quoted (a ' in a path as '\\'')."""
    return "".join("file '{}'\n".format(str(part.resolve()).replace("'", "'\\''")) for part in parts)


def remove_stale(folder: Path, kept: set[Path]) -> None:
    """Delete what other runs left in `folder` a day or more ago: chunks of other subtitles or
    settings, and the folders of runs that were killed (they could not tidy up)."""
    for stale in [*(set(folder.glob("chunk-*.mp4")) - kept), *folder.glob("run-*")]:
        try:
            if time.time() - stale.stat().st_mtime <= STALE:
                continue
            if stale.is_dir():
                shutil.rmtree(stale)
            else:
                stale.unlink()
        except FileNotFoundError:  # another run tidied it first
            pass


def burn(info: MediaInfo, targets: list[Target], folder: Path, progress: Callable[[float], None], *,
         quality: str = "normal", audio_track: int = 0, soft: tuple[Path, str, str] | None = None,
         still: Still | None = None) -> str:
    """Write every target (and, given `soft` = (path, Chinese SRT, English SRT), an MP4 with
    both languages as subtitle tracks), a chunk at a time, over `still` for an audio-only
    talk. Finished chunks go in `folder` by the hash of their command line, subtitles and
    font, so an interrupted run's are kept; ffmpeg runs in a folder of this run's own (two
    burns of one video at once don't meet). Paths are written as given: the caller passes
    temporary names and renames them. Returns the encoder used."""
    ffmpeg = toolchain.ffmpeg_with_libass()
    groups = distinct(targets)
    encoded = [first for first, _ in groups]
    files = ass_files(encoded)
    if soft is not None:
        files.update({name: text for (name, _, _), text in zip(SOFT_TRACKS, soft[1:])})
    folder.mkdir(parents=True, exist_ok=True)
    run = Path(tempfile.mkdtemp(prefix="run-", dir=folder))
    try:
        prepare_folder(run, files)
        name = encoder(ffmpeg)
        soft_encoded = soft is not None and not can_copy_video(info)
        tonemap, cpus, font = toolchain.has_filter(ffmpeg, "zscale"), toolchain.usable_cpus(), toolchain.cjk_font().path
        plan = []
        for chunk in chunks(info.duration, output_fps(info), CHUNK_SECONDS):
            args = chunk_args(ffmpeg, info, encoded, chunk, encoder_name=name, quality=quality,
                              soft_encoded=soft_encoded, tonemap=tonemap, still=still, cpus=cpus)
            key = artifacts.key(args, files, font)
            plan.append((chunk, args, [folder / f"chunk-{key}-{n}.mp4" for n in range(len(encoded) + soft_encoded)]))
        kept = {part for _, _, parts in plan for part in parts}
        remove_stale(folder, kept)
        _encode_chunks(plan, info, run, progress)

        def joining(_: float) -> None:  # the bar stays full, and a stopped batch is still heard
            progress(info.duration)

        videos = [(t.path, False) for t in encoded] + ([(soft[0], True)] if soft is not None and soft_encoded else [])
        for n, (out, with_tracks) in enumerate(videos):
            listed = run / f"chunks{n}.txt"
            artifacts.write_text(listed, concat_list([parts[n] for _, _, parts in plan]))
            run_ffmpeg(mux_args(ffmpeg, info, listed.name, out, audio_track=audio_track, soft=with_tracks), run,
                       info.duration, joining)
        if soft is not None and not soft_encoded:  # the source's own picture
            run_ffmpeg(mux_args(ffmpeg, info, None, soft[0], audio_track=audio_track, soft=True), run, info.duration,
                       joining)
    finally:
        shutil.rmtree(run, ignore_errors=True)
    for finished in kept:
        finished.unlink(missing_ok=True)
    for first, copies in groups:
        for copy in copies:
            shutil.copyfile(first.path, copy)
    return name
