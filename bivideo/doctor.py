"""`bivideo doctor`: is everything a run needs here? One row per check."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import requests

from bivideo import models, toolchain
from bivideo.errors import BivideoError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _try(name: str, probe, required: bool = True) -> Check:
    try:
        return Check(name, True, probe(), required)
    except BivideoError as error:
        return Check(name, False, str(error), required)


def _ffmpeg() -> str:
    path = toolchain.ffmpeg()
    version = subprocess.run([path, "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    return f"{path} ({' '.join(version.split()[:3])})"


def _libass() -> str:
    return f"{toolchain.ffmpeg_with_libass()} has the subtitles filter"


def _font() -> str:
    font = toolchain.cjk_font()
    return f"{font.family} ({font.path})"


def _model() -> str:
    ct2, checkpoint = models.prepare(models.DEFAULT)
    return f"{models.DEFAULT}: faster-whisper {ct2}; openai-whisper {checkpoint}"


def _google() -> str:
    try:
        requests.head("https://translate.google.com", timeout=3)
    except requests.RequestException as error:
        raise BivideoError(f"google translate unreachable ({type(error).__name__}); "
                           "offline runs need --translator libre --translator-url URL") from None
    return "google translate reachable"


def run() -> list[Check]:
    return [_try("ffmpeg", _ffmpeg), _try("libass", _libass), _try("CJK font", _font),
            _try("model", _model), _try("translator", _google, required=False)]
