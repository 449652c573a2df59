"""Translation backends, one file each, behind one small interface: a backend translates one
sentence (`translate(text, source, target)`); a backend that can see context (`lines=True`)
also translates a sentence's numbered cue lines at once (`translate_lines`)."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from bivideo.errors import BivideoError

NAMES = ("google", "deepl", "microsoft", "mymemory", "libre", "baidu", "openai", "whisper")


class Backend(Protocol):
    name: str
    identity: str  # what makes its output differ (name, server, model): part of cache keys; never a key
    lines: bool

    def translate(self, text: str, source: str, target: str) -> str: ...


def public_url(url: str) -> str:
    """`url` as it may be shown: no user:password@, no query (deep-translator puts keys there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else url.split("?")[0]


def make(name: str, url: str | None = None) -> Backend:
    if name not in NAMES:
        raise BivideoError(f"unknown translator {name!r}; choose one of {', '.join(NAMES)}")
    if name == "openai":
        from bivideo.translators.openai_chat import OpenAIChat
        return OpenAIChat(url)
    if name == "whisper":
        raise BivideoError("the whisper translator works from the audio, not from text")  # pipeline handles it
    from bivideo.translators.deep import DeepTranslator
    return DeepTranslator(name, url)
