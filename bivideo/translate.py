"""Stage 5: the other language for every cue, through deep-translator's backends.

Every backend sits behind one small interface (`Translator.translate(texts)`); keys come
from environment variables and are never printed.
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Protocol
from urllib.parse import urlparse

import requests

from bivideo.errors import BivideoError, TranslationFailed

REQUEST_TIMEOUT = 30.0  # seconds; deep-translator's own requests have no timeout at all

# Each backend's codes for our two languages, and the environment variables holding its keys.
CODES = {
    "google": {"en": "en", "zh": "zh-CN"},
    "mymemory": {"en": "en-US", "zh": "zh-CN"},
    "deepl": {"en": "en", "zh": "zh"},
    "microsoft": {"en": "en", "zh": "zh-Hans"},
    "libre": {"en": "en", "zh": "zh"},
    "baidu": {"en": "en", "zh": "zh"},
}
KEYS = {"deepl": ("DEEPL_API_KEY",), "microsoft": ("MICROSOFT_API_KEY",),
        "baidu": ("BAIDU_APPID", "BAIDU_APPKEY")}
NAMES = tuple(CODES)
# Where each hosted backend answers, for `bivideo doctor`'s reachability check.
ENDPOINTS = {"google": "https://translate.google.com", "mymemory": "https://api.mymemory.translated.net",
             "deepl": "https://api-free.deepl.com", "microsoft": "https://api.cognitive.microsofttranslator.com",
             "baidu": "https://fanyi-api.baidu.com"}


class Translator(Protocol):
    name: str

    def translate(self, text: str) -> str: ...


class DeepTranslator:
    """One deep-translator backend, with a per-request time limit."""

    def __init__(self, name: str, source: str, target: str, url: str | None = None):
        import deep_translator as dt

        self.name = name
        missing = [var for var in KEYS.get(name, ()) if not os.environ.get(var)]
        if missing:
            raise BivideoError(f"translator {name!r} needs {' and '.join(missing)} in the environment")
        if name == "libre" and not url:
            raise BivideoError("translator 'libre' needs --translator-url (your LibreTranslate server)")
        codes = {"source": CODES[name][source], "target": CODES[name][target]}
        env = os.environ.get
        self.backend = {
            "google": lambda: dt.GoogleTranslator(**codes),
            "mymemory": lambda: dt.MyMemoryTranslator(**codes),
            "deepl": lambda: dt.DeeplTranslator(api_key=env("DEEPL_API_KEY"), use_free_api=True, **codes),
            "microsoft": lambda: dt.MicrosoftTranslator(api_key=env("MICROSOFT_API_KEY"),
                                                        region=env("MICROSOFT_REGION"), **codes),
            # deep-translator insists on a key even for servers that need none
            "libre": lambda: dt.LibreTranslator(api_key=env("LIBRE_API_KEY") or "-",
                                                custom_url=url.rstrip("/") + "/", **codes),
            "baidu": lambda: dt.BaiduTranslator(appid=env("BAIDU_APPID"), appkey=env("BAIDU_APPKEY"), **codes),
        }[name]()

    def translate(self, text: str) -> str:
        return _with_timeout(lambda: self.backend.translate(text), REQUEST_TIMEOUT)


def _with_timeout(call: Callable[[], str], seconds: float) -> str:
    """Run `call` in a daemon thread so a server that never answers cannot hang the run."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {seconds:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def make_translator(name: str, source: str, target: str, url: str | None = None) -> Translator:
    if name not in CODES:
        raise BivideoError(f"unknown translator {name!r}; choose one of {', '.join(NAMES)}")
    return DeepTranslator(name, source, target, url)


def _reason(error: Exception) -> str:
    """One short line; never a key, never a page of urllib3 internals."""
    if isinstance(error, requests.ConnectionError):
        host = urlparse(error.request.url).netloc if error.request is not None else "the server"
        return f"cannot connect to {host} (offline, or the server is down)"
    text = " ".join(str(error).split()) or type(error).__name__
    for secret in filter(None, (os.environ.get(v) for vs in KEYS.values() for v in vs)):
        text = text.replace(secret, "***")
    return text[:200]


def translate_all(translator: Translator, texts: list[str], progress: Callable[[int], None]) -> list[str]:
    """Translate each text in order; any failure becomes one TranslationFailed line."""
    out = []
    for text in texts:
        try:
            out.append((translator.translate(text) or "").strip())
        except Exception as error:  # every backend error and network failure alike
            raise TranslationFailed(f"translator {translator.name!r} failed: {_reason(error)}") from None
        progress(len(out))
    return out
