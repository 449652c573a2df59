"""Where the videos go (docs/DESIGN.md "Platforms"): each platform's limits, and the frame we
make for it from a source of any shape. Pure: sizes in, sizes and warnings out.

No official spec was found for WeChat Channels, so its figures are defaults: limits warn,
they never block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bivideo.subtitles import block_height

MAX_FPS = 60.0
MAX_SHORT_SIDE = 1080
ASPECTS = {"16:9": 16 / 9, "1:1": 1.0, "9:16": 9 / 16}
SHAPES = ("keep", *ASPECTS)
AUDIO_KBPS = 160  # when the source's audio has to be re-encoded to AAC
SAFE_MARGIN = 0.05  # of the frame's short side, below the lowest subtitle line
# The bottom of a vertical frame, where the apps lay their buttons and captions over the
# picture (WeChat Channels' buttons, LinkedIn's vertical feed): subtitles stay above it.
# Every platform gets the same frame for the same shape, so identical videos encode once.
BUTTON_ZONE = 0.15
MIN_VIDEO_KBPS = 800  # below this a talk's picture looks visibly smeared
# An audio-only talk's videos show a still picture. 10 fps is the lowest rate LinkedIn takes
# (10 to 60 fps) and puts every subtitle on screen within 0.1 s of its time; x264 spends
# about the same on each frame of a still as of a moving picture: 25 fps cost 2.4x as much
# (a 3-minute memo for both platforms, README "Files as people have them").
STILL_FPS = 10.0
# The plain background takes whatever shape the frame has; `keep` (LinkedIn's default) is a
# 16:9 frame, the feed's own. Each at 1080 on the short side.
BACKGROUND_SHAPES = {"keep": "16:9", "16:9": "16:9", "1:1": "1:1", "9:16": "9:16"}


@dataclass(frozen=True)
class Platform:
    name: str
    default_aspect: str
    min_seconds: float
    max_seconds: float
    max_bytes: float
    video_kbps: int  # bitrate cap for a 1920x1080 frame, scaled by pixel count
    aspect_range: tuple[float, float] | None = None  # width / height accepted
    limit_note: str = ""

    @property
    def video(self) -> str:
        """The suffix of its video: <stem>.<name>.mp4."""
        return f"{self.name}.mp4"


LINKEDIN = Platform("linkedin", "keep", 3, 15 * 60, 5 * 1024**3, 6000, aspect_range=(1 / 2.4, 2.4),
                    limit_note="LinkedIn takes 3 s to 15 min (10 min from the mobile app), at most 5 GB")
WECHAT = Platform("wechat", "9:16", 0, 60 * 60, 1024**3, 4000,
                  limit_note="WeChat Channels takes up to 60 min; keep it under 1 GB")
PLAIN = Platform("bilingual", "keep", 0, math.inf, math.inf, 6000)  # --for none
BY_NAME = {"linkedin": (LINKEDIN,), "wechat": (WECHAT,), "both": (LINKEDIN, WECHAT), "none": (PLAIN,)}
SOFT_VIDEO = "soft.mp4"  # --soft: Chinese and English as selectable subtitle tracks
VIDEOS = (*(p.video for p in (LINKEDIN, WECHAT, PLAIN)), SOFT_VIDEO)  # every video bivideo writes, by suffix


def chosen(for_: str) -> tuple[Platform, ...]:
    return BY_NAME[for_]


def parse_aspects(values: tuple[str, ...] | list[str] | str) -> dict[str, str]:
    """`--aspect` values -> {platform name or "*": shape}. `9:16` applies to every output,
    `wechat=keep` to one platform; later values win. ValueError names a bad value."""
    if isinstance(values, str):  # a single value from bivideo.toml
        values = [values]
    aspects: dict[str, str] = {}
    for value in values:
        name, _, shape = value.rpartition("=")
        name = name.strip() or "*"
        if shape.strip() not in SHAPES or name not in ("*", LINKEDIN.name, WECHAT.name, PLAIN.name):
            raise ValueError(f"{value!r}: expected SHAPE or PLATFORM=SHAPE with SHAPE one of "
                             f"{', '.join(SHAPES)} and PLATFORM linkedin, wechat or bilingual")
        aspects[name] = shape.strip()
    return aspects


def aspect_for(platform: Platform, aspects: dict[str, str]) -> str:
    return aspects.get(platform.name, aspects.get("*", platform.default_aspect))


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


@dataclass(frozen=True)
class Frame:
    """The output picture: its size, where the source picture sits in it (x, y, w, h), and
    how far above the bottom edge the lowest subtitle line goes."""

    width: int
    height: int
    picture: tuple[int, int, int, int]
    subtitle_bottom: int

    @property
    def fitted(self) -> bool:
        """The picture doesn't fill the frame: the rest is a blurred copy of it."""
        return self.picture[2:] != (self.width, self.height)


def frame(source_width: int, source_height: int, shape: str) -> Frame:
    """The frame in `shape` (keep | 16:9 | 1:1 | 9:16). Never upscaled: the
    short side is the source's short side, at most 1080. A source of another shape is fitted
    whole; when that leaves room below it, the subtitles go there, under the picture and
    above the button zone, rather than over it."""
    short = min(MAX_SHORT_SIDE, source_width, source_height)
    if shape == "keep":
        scale = short / min(source_width, source_height)
        width, height = _even(source_width * scale), _even(source_height * scale)
    else:
        ratio = ASPECTS[shape]
        width, height = (_even(short * ratio), short) if ratio >= 1 else (short, _even(short / ratio))
        width, height = _even(width), _even(height)
    buttons = round(height * BUTTON_ZONE) if height > width else 0
    bottom = buttons + round(min(width, height) * SAFE_MARGIN)
    source_ratio, ratio = source_width / source_height, width / height
    if abs(source_ratio / ratio - 1) <= 0.02:  # same shape, give or take rounding: fill the frame
        return Frame(width, height, (0, 0, width, height), bottom)
    scale = min(width / source_width, height / source_height)
    pw, ph = _even(source_width * scale), _even(source_height * scale)
    x = (width - pw) // 2 // 2 * 2
    band = block_height(width, height) + round(min(width, height) * SAFE_MARGIN)  # gap under the picture
    gap = bottom - buttons  # safe margin under the lowest line
    room = height - buttons - ph - band - gap
    if room >= 0:  # picture, subtitle band and margin together, centred above the buttons
        top = room // 2 // 2 * 2
        return Frame(width, height, (x, top, pw, ph), height - top - ph - band)
    return Frame(width, height, (x, (height - ph) // 2 // 2 * 2, pw, ph), bottom)


def still_frame(picture: tuple[int, int] | None, shape: str) -> Frame:
    """The frame in `shape` of an audio-only talk's video: over `picture` (width, height),
    whose short side is made 1080 (a still may be enlarged: the subtitles get the pixels a
    video's would), or over the plain background, which fills every frame."""
    if picture is None:
        ratio = ASPECTS[BACKGROUND_SHAPES[shape]]
        width, height = (_even(MAX_SHORT_SIDE * ratio), MAX_SHORT_SIDE) if ratio >= 1 else \
            (MAX_SHORT_SIDE, _even(MAX_SHORT_SIDE / ratio))
        return frame(width, height, "keep")
    scale = MAX_SHORT_SIDE / min(picture)
    return frame(_even(picture[0] * scale), _even(picture[1] * scale), shape)


def video_kbps(platform: Platform, frame: Frame, duration: float, audio_kbps: float) -> int:
    """The bitrate cap: the platform's, scaled to the frame, lowered if the whole talk would
    otherwise pass the platform's size limit."""
    return int(max(1, min(_cap(platform, frame), _budget(platform, duration, audio_kbps))))


def _cap(platform: Platform, frame: Frame) -> float:
    return platform.video_kbps * frame.width * frame.height / (1920 * 1080)


def _budget(platform: Platform, duration: float, audio_kbps: float) -> float:
    """The video bitrate that fills 95% of the platform's size limit over the whole talk."""
    return platform.max_bytes * 8 / 1000 * 0.95 / max(duration, 1) - audio_kbps


def _bytes(size: float) -> str:
    """A size as people read it: 1 GB, 5 GB, 973 MB (binary units, as the platforms count)."""
    if size >= 1024**3:
        return f"{size / 1024**3:.3g} GB"
    return f"{size / 1024**2:.0f} MB"


def warnings(platform: Platform, duration: float, frame: Frame, kbps: int, audio_kbps: float) -> list[str]:
    """What to tell the user before encoding: limits this video breaks (never a refusal)."""
    found = []
    minutes = f"{duration / 60:.1f} min" if duration >= 60 else f"{duration:.1f} s"
    if not platform.min_seconds <= duration <= platform.max_seconds:
        found.append(f"{platform.name}: the video is {minutes}; {platform.limit_note}")
    cap = _cap(platform, frame)
    if _budget(platform, duration, audio_kbps) < cap:  # the size limit, not the frame, sets the bitrate
        size = (kbps + audio_kbps) * 1000 / 8 * duration
        soft = "; it will look soft" if kbps < MIN_VIDEO_KBPS else ""
        found.append(f"{platform.name}: to stay under its size limit of {_bytes(platform.max_bytes)}, the picture "
                     f"gets {kbps} kb/s instead of {cap:.0f} (about {_bytes(size)} for "
                     f"{minutes}){soft}")
    if platform.aspect_range and not platform.aspect_range[0] <= frame.width / frame.height <= platform.aspect_range[1]:
        found.append(f"{platform.name}: a {frame.width}x{frame.height} frame is outside the accepted aspect "
                     f"ratios 1:2.4 to 2.4:1; try --aspect {platform.name}=16:9")
    return found
