"""Stage 1: what is in the input file (streams, duration, display size, and what makes a
source awkward to encode: HDR, 10-bit, variable frame rate, several or no audio tracks, no
picture at all), and the size of a picture to show over an audio-only talk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ffmpeg as ffmpeg_python

from bivideo import toolchain
from bivideo.errors import BivideoError
from bivideo.platforms import STILL_FPS
from bivideo.standard import DEFAULT_FPS


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float
    width: int  # as displayed, after any rotation; 0 for audio only
    height: int
    fps: float  # audio only: STILL_FPS, the rate its videos show a still picture at
    audio_codecs: tuple[str, ...]  # one per audio track, in order; empty when there is none
    video_codec: str = "h264"
    pix_fmt: str = "yuv420p"
    hdr: bool = False  # PQ or HLG transfer: needs tone-mapping to SDR
    vfr: bool = False  # variable frame rate (phones): made constant when encoding

    @property
    def ten_bit(self) -> bool:
        return any(depth in self.pix_fmt for depth in ("10", "12"))

    @property
    def audio_only(self) -> bool:
        """A recording with no picture (a voice memo, a podcast): its videos show a still."""
        return self.width == 0


HDR_TRANSFERS = ("smpte2084", "arib-std-b67")
# ffprobe's names for still-image formats: a picture has a "video" stream but is no talk.
IMAGE_FORMATS = ("image2", "_pipe", "gif", "apng", "webp")


def _rotation(stream: dict) -> int:
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            return int(float(side["rotation"])) % 360
    return int(stream.get("tags", {}).get("rotate", 0)) % 360


def _fps(rate: str) -> float:
    num, _, den = rate.partition("/")
    return float(num) / float(den or 1) if float(den or 1) else 0.0


def parse(path: Path, data: dict) -> MediaInfo:
    """Pure: ffprobe's JSON -> MediaInfo, with a clear error for what we cannot use."""
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if video is None and not audio:
        raise BivideoError("no video or audio stream", path=path)
    duration = float(data.get("format", {}).get("duration") or (video or audio[0]).get("duration") or 0)
    if duration <= 0:
        raise BivideoError("zero-length media", path=path)
    codecs = tuple(a.get("codec_name", "") for a in audio)
    if video is None:  # a cover image (attached_pic) is no picture to burn into either
        return MediaInfo(path=path, duration=duration, width=0, height=0, fps=STILL_FPS, audio_codecs=codecs,
                         video_codec="", pix_fmt="")
    width, height = int(video["width"]), int(video["height"])
    if _rotation(video) in (90, 270):
        width, height = height, width
    average, nominal = _fps(video.get("avg_frame_rate", "0/1")), _fps(video.get("r_frame_rate", "0/1"))
    return MediaInfo(path=path, duration=duration, width=width, height=height, fps=average or nominal or DEFAULT_FPS,
                     audio_codecs=codecs,
                     video_codec=video.get("codec_name", ""), pix_fmt=video.get("pix_fmt", ""),
                     hdr=video.get("color_transfer") in HDR_TRANSFERS,
                     # a phone's VFR file: nominal and average rates disagree by more than rounding
                     vfr=bool(average and nominal and abs(average - nominal) / nominal > 0.01))


def _ffprobe(path: Path, what: str) -> dict:
    if not path.exists():
        raise BivideoError(f"{path}: no such file")
    if not path.is_file():
        raise BivideoError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise BivideoError("empty file (0 bytes)", path=path)
    try:
        return ffmpeg_python.probe(str(path.resolve()), cmd=toolchain.ffprobe())
    except ffmpeg_python.Error as error:
        last = toolchain.last_line(error.stderr)
        raise BivideoError(f"not {what} ffmpeg can read{f' ({last})' if last else ''}", path=path) from None


def probe(path: Path) -> MediaInfo:
    return parse(path, _ffprobe(path, "a media file"))


def picture_size(path: Path) -> tuple[int, int]:
    """The (width, height) of a still picture (--picture), or a one-line error for anything else."""
    data = _ffprobe(path, "a picture")
    video = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), None)
    size = (int(video.get("width") or 0), int(video.get("height") or 0)) if video else (0, 0)
    if not data.get("format", {}).get("format_name", "").endswith(IMAGE_FORMATS) or 0 in size:
        raise BivideoError("not a picture (PNG, JPEG, WebP, ...)", path=path)  # a text file named .jpg: 0x0
    return size
