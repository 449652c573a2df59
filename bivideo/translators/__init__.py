"""Translation backends, one file each, behind two small interfaces: a machine translator
translates one unit (`translate(text, source, target)`); a backend that can see context
(`lines=True`, the OpenAI-compatible chat models) instead translates a unit's numbered cue
lines at once (`translate_lines`) and can correct a finished translation (`refine_lines`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import urlsplit

from bivideo.errors import BivideoError
from bivideo.translators.openai_chat import PRESETS

MACHINE = ("google", "deepl", "microsoft", "mymemory", "libre", "baidu")
LLMS = tuple(PRESETS)  # the OpenAI-compatible chat backends: numbered lines, budgets, --refine
NAMES = ("auto", *MACHINE, *LLMS, "whisper")
# `auto`: the first of these whose key is in the environment (what a user who set one wants),
# else Google, which needs no key.
AUTO_ORDER = ("deepseek", "openai", "qwen")
AUTO_FALLBACK = "google"
# What works without the internet, for the error when the chosen translator cannot be reached.
OFFLINE = "--translator whisper (offline, into English), --translator ollama (a local model), or " \
          "--translator libre/openai with --translator-url (a server you run)"


if TYPE_CHECKING:
    from bivideo.translators.openai_chat import Ask


class Named(Protocol):
    name: str
    identity: str  # what makes its output differ (name, server, model): part of cache keys; never a key
    lines: bool  # True: a LineBackend


@runtime_checkable
class TextBackend(Named, Protocol):
    def translate(self, text: str, source: str, target: str) -> str: ...


@runtime_checkable
class LineBackend(Named, Protocol):
    def translate_lines(self, ask: Ask) -> dict[str, str]: ...

    def refine_lines(self, ask: Ask) -> dict[str, str]: ...


Backend = TextBackend | LineBackend


def public_url(url: str) -> str:
    """`url` as it may be shown: no user:password@, no query (deep-translator puts keys there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else url.split("?")[0]


def choose(name: str) -> tuple[str, str]:
    """Pure but for the environment: the translator `name` stands for, and why (for `auto`)."""
    if name != "auto":
        return name, ""
    for candidate in AUTO_ORDER:
        variable = PRESETS[candidate].key or ""
        if os.environ.get(variable):
            return candidate, f"{variable} is set"
    keys = ", ".join(PRESETS[c].key or "" for c in AUTO_ORDER)
    return AUTO_FALLBACK, f"none of {keys} is set; google needs no key, but a proxy from mainland China"


def make(name: str, url: str | None = None) -> Backend:
    name = choose(name)[0]
    if name not in NAMES:
        raise BivideoError(f"unknown translator {name!r}; choose one of {', '.join(NAMES)}")
    if name in PRESETS:
        from bivideo.translators.openai_chat import OpenAIChat
        return OpenAIChat(name, url)
    if name == "whisper":
        raise BivideoError("the whisper translator works from the audio, not from text")  # flow: from the audio
    from bivideo.translators.deep import DeepTranslator
    return DeepTranslator(name, url)
