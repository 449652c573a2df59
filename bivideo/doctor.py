"""`bivideo doctor`: is everything a run needs here? One row per check."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import requests

from bivideo import models, toolchain
from bivideo.translators import deep, openai_chat, public_url
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


def _translator(name: str, url: str | None) -> str:
    """Can the configured translator's server be reached? (A warning only: transcription and
    burning work offline.)"""
    if name == "whisper":
        return "whisper translates offline (into English only)"
    if name == "openai":
        return _openai(url)
    endpoint = url or deep.ENDPOINTS.get(name)
    if not endpoint:
        raise BivideoError(f"translator {name!r} needs --translator-url")
    try:
        requests.head(endpoint, timeout=3)
    except requests.RequestException as error:
        raise _unreachable(name, endpoint, error) from None
    return f"{name} reachable at {public_url(endpoint)}"


def _openai(url: str | None) -> str:
    """An OpenAI-compatible server lists its models for a valid key: that checks both."""
    chat = openai_chat.OpenAIChat(url)
    try:
        status = chat.list_models(timeout=3)
    except requests.RequestException as error:
        raise _unreachable("openai", chat.url, error) from None
    if status in (401, 403):
        raise BivideoError(f"openai at {public_url(chat.url)} refused the key in "
                           f"{openai_chat.KEY_VARIABLE} (HTTP {status})")
    return f"openai reachable at {public_url(chat.url)} (model {chat.model})"


def _unreachable(name: str, endpoint: str, error: Exception) -> BivideoError:
    return BivideoError(f"{name} at {public_url(endpoint)} is unreachable ({type(error).__name__}); offline runs "
                        "need --translator whisper (into English) or a local server: --translator-url URL")


def run(translator: str, translator_url: str | None) -> list[Check]:
    return [_try("ffmpeg", _ffmpeg), _try("libass", _libass), _try("CJK font", _font),
            _try("model", _model),
            _try("translator", lambda: _translator(translator, translator_url), required=False)]
