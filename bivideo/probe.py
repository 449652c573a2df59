"""Stage 1: what is in the input file (streams, duration, display size, and what makes a
source awkward to encode: HDR, 10-bit, variable frame rate, several or no audio tracks)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ffmpeg as ffmpeg_python

from bivideo import toolchain
from bivideo.errors import BivideoError
from bivideo.standard import DEFAULT_FPS


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float
    width: int  # as displayed, after any rotation
    height: int
    fps: float
    audio_codecs: tuple[str, ...]  # one per audio track, in order; empty when there is none
    video_codec: str = "h264"
    pix_fmt: str = "yuv420p"
    hdr: bool = False  # PQ or HLG transfer: needs tone-mapping to SDR
    vfr: bool = False  # variable frame rate (phones): made constant when encoding

    @property
    def ten_bit(self) -> bool:
        return any(depth in self.pix_fmt for depth in ("10", "12"))


HDR_TRANSFERS = ("smpte2084", "arib-std-b67")


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
    if video is None:
        raise BivideoError("no video stream (bivideo burns subtitles into a video)", path=path)
    duration = float(data.get("format", {}).get("duration") or video.get("duration") or 0)
    if duration <= 0:
        raise BivideoError("zero-length media", path=path)
    width, height = int(video["width"]), int(video["height"])
    if _rotation(video) in (90, 270):
        width, height = height, width
    average, nominal = _fps(video.get("avg_frame_rate", "0/1")), _fps(video.get("r_frame_rate", "0/1"))
    return MediaInfo(path=path, duration=duration, width=width, height=height, fps=average or nominal or DEFAULT_FPS,
                     audio_codecs=tuple(a.get("codec_name", "") for a in audio),
                     video_codec=video.get("codec_name", ""), pix_fmt=video.get("pix_fmt", ""),
                     hdr=video.get("color_transfer") in HDR_TRANSFERS,
                     # a phone's VFR file: nominal and average rates disagree by more than rounding
                     vfr=bool(average and nominal and abs(average - nominal) / nominal > 0.01))


def probe(path: Path) -> MediaInfo:
    if not path.exists():
        raise BivideoError(f"{path}: no such file")
    if not path.is_file():
        raise BivideoError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise BivideoError("empty file (0 bytes)", path=path)
    try:
        data = ffmpeg_python.probe(str(path.resolve()), cmd=toolchain.ffprobe())
    except ffmpeg_python.Error as error:
        last = toolchain.last_line(error.stderr)
        raise BivideoError(f"not a media file ffmpeg can read{f' ({last})' if last else ''}", path=path) from None
    return parse(path, data)
