"""`bivideo doctor`: is everything a run needs here? One row per check."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysubs2
import requests

from bivideo import burn, model_choice, toolchain, translators, weights
from bivideo.errors import BivideoError
from bivideo.settings import DEFAULTS
from bivideo.translators import deep, openai_chat, public_url


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _try(name: str, probe: Callable[[], str], required: bool = True) -> Check:
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


GLYPH_BOX = 64  # pixels per character in the test render


def render_text(text: str, family: str) -> np.ndarray:
    """Burn `text` with libass and the CJK font set up as a real run does; the ink, as a mask."""
    ffmpeg = toolchain.ffmpeg_with_libass()
    page = pysubs2.SSAFile()
    page.info.update({"PlayResX": str(4 * GLYPH_BOX), "PlayResY": str(2 * GLYPH_BOX)})
    page.styles["Default"] = pysubs2.SSAStyle(fontname=family, fontsize=GLYPH_BOX, outline=0, shadow=0,
                                              alignment=pysubs2.Alignment.MIDDLE_CENTER)
    page.append(pysubs2.SSAEvent(start=0, end=1000, text=text))
    with tempfile.TemporaryDirectory(prefix="bivideo-doctor-") as tmp:
        burn.prepare_folder(Path(tmp), {"check.ass": page.to_string("ass")})
        result = subprocess.run([ffmpeg, "-hide_banner", "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                                 f"color=c=black:s={4 * GLYPH_BOX}x{2 * GLYPH_BOX}:d=0.5",
                                 "-vf", f"subtitles=check.ass:fontsdir={burn.FONTS}", "-frames:v", "1",
                                 "-f", "rawvideo", "-pix_fmt", "gray", "-"], cwd=tmp, capture_output=True)
    if result.returncode != 0 or len(result.stdout) != 8 * GLYPH_BOX * GLYPH_BOX:
        raise BivideoError(f"libass could not render text: {result.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(result.stdout, dtype=np.uint8).reshape(2 * GLYPH_BOX, 4 * GLYPH_BOX) > 128


def two_distinct_glyphs(ink: np.ndarray) -> bool:
    """Pure: does the ink hold two different glyphs side by side? A font without Chinese draws
    the same box (or nothing) for every character: then some shift lays the right half of the
    ink exactly over the left."""
    columns = np.flatnonzero(ink.any(axis=0))
    if columns.size == 0 or ink.mean() < 0.005:
        return False
    strip = ink[:, columns[0]:columns[-1] + 1]
    span = strip.shape[1]

    def mismatch(shift: int) -> float:
        left, right = strip[:, :span - shift], strip[:, shift:]
        return (left != right).sum() / max(1, left.sum() + right.sum())

    return min(mismatch(shift) for shift in range(span // 4, span)) > 0.3


def _font() -> str:
    """The CJK font fontconfig finds, proven by burning 中文 with it."""
    font = toolchain.cjk_font()
    ink = render_text("中文", font.family)
    if not two_distinct_glyphs(ink):
        raise BivideoError(f"libass drew 中文 with {font.family} ({font.path}) as boxes or blanks")
    return f"{font.family} ({font.path}); libass rendered 中文 as two distinct glyphs ({ink.mean():.1%} ink)"


def _model(translator: str) -> str:
    """The model a run with the defaults loads (--model auto's choice, which may fetch it), ready for both engines."""
    choice = model_choice.resolve(DEFAULTS.model, model_choice.here(DEFAULTS.engine), translator == "whisper")
    ct2, checkpoint = weights.prepare(choice.model)
    return f"{choice.said()}; faster-whisper {ct2}; openai-whisper {checkpoint}"


def _translator(name: str, url: str | None) -> str:
    """Can the configured translator's server be reached? (A warning only: transcription and
    burning work offline.)"""
    name, why = translators.choose(name)
    chosen = f" (auto: {why})" if why else ""
    if name == "whisper":
        return "whisper translates offline (into English only)"
    if name in openai_chat.PRESETS:
        return _openai(name, url) + chosen
    endpoint = url or deep.ENDPOINTS.get(name)
    if not endpoint:
        raise BivideoError(f"translator {name!r} needs --translator-url")
    try:
        requests.head(endpoint, timeout=3)
    except requests.RequestException as error:
        raise _unreachable(name, endpoint, error) from None
    return f"{name} reachable at {public_url(endpoint)}{chosen}"


def _openai(name: str, url: str | None) -> str:
    """An OpenAI-compatible server lists its models for a valid key: that checks both."""
    chat = openai_chat.OpenAIChat(name, url)
    try:
        status = chat.list_models(timeout=3)
    except requests.RequestException as error:
        raise _unreachable(name, chat.url, error) from None
    if status in (401, 403):
        raise BivideoError(f"{name} at {public_url(chat.url)} refused the key in {chat.key_variable} (HTTP {status})")
    return f"{name} reachable at {public_url(chat.url)} (model {chat.model})"


def _unreachable(name: str, endpoint: str, error: Exception) -> BivideoError:
    return BivideoError(f"{name} at {public_url(endpoint)} is unreachable ({type(error).__name__}); "
                        f"without the internet: {translators.OFFLINE}")


def run(translator: str, translator_url: str | None) -> list[Check]:
    return [_try("ffmpeg", _ffmpeg), _try("libass", _libass), _try("CJK font", _font),
            _try("model", lambda: _model(translator)),
            _try("translator", lambda: _translator(translator, translator_url), required=False)]
