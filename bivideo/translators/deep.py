"""deep-translator's backends: google (no key), deepl, microsoft, mymemory, libre, baidu."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from bivideo.errors import BivideoError

if TYPE_CHECKING:  # deep-translator is imported when a translation is asked for
    from deep_translator.base import BaseTranslator

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
# Every variable that may hold a secret (LibreTranslate's key is optional, so not in KEYS):
# deep-translator puts keys in URLs and in its own error messages.
SECRETS = (*(v for variables in KEYS.values() for v in variables), "LIBRE_API_KEY")
# Where each hosted backend answers, for `bivideo doctor`'s reachability check.
ENDPOINTS = {"google": "https://translate.google.com", "mymemory": "https://api.mymemory.translated.net",
             "deepl": "https://api-free.deepl.com", "microsoft": "https://api.cognitive.microsofttranslator.com",
             "baidu": "https://fanyi-api.baidu.com"}


class DeepTranslator:
    lines = False

    def __init__(self, name: str, url: str | None = None) -> None:
        missing = [var for var in KEYS.get(name, ()) if not os.environ.get(var)]
        if missing:
            raise BivideoError(f"translator {name!r} needs {' and '.join(missing)} in the environment")
        if name == "libre" and not url:
            raise BivideoError("translator 'libre' needs --translator-url (your LibreTranslate server)")
        self.name, self.url = name, url
        self.identity = f"{name} {url or ''}".strip()
        self.clients: dict[tuple[str, str], BaseTranslator] = {}

    def _client(self, source: str, target: str) -> BaseTranslator:
        import deep_translator as dt

        if (source, target) not in self.clients:
            codes = {"source": CODES[self.name][source], "target": CODES[self.name][target]}
            env = os.environ.get
            self.clients[source, target] = {
                "google": lambda: dt.GoogleTranslator(**codes),
                "mymemory": lambda: dt.MyMemoryTranslator(**codes),
                "deepl": lambda: dt.DeeplTranslator(api_key=env("DEEPL_API_KEY"), use_free_api=True, **codes),
                "microsoft": lambda: dt.MicrosoftTranslator(api_key=env("MICROSOFT_API_KEY"),
                                                            region=env("MICROSOFT_REGION"), **codes),
                # deep-translator insists on a key even for servers that need none
                "libre": lambda: dt.LibreTranslator(api_key=env("LIBRE_API_KEY") or "-",
                                                    custom_url=(self.url or "").rstrip("/") + "/", **codes),
                "baidu": lambda: dt.BaiduTranslator(appid=env("BAIDU_APPID"), appkey=env("BAIDU_APPKEY"), **codes),
            }[self.name]()
        return self.clients[source, target]

    def translate(self, text: str, source: str, target: str) -> str:
        return self._client(source, target).translate(text) or ""
