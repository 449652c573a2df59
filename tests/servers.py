"""Local stand-ins for online translators, speaking their real HTTP protocol on 127.0.0.1.

The LibreTranslate stand-in answers POST /translate (form, query or JSON parameters, as real
LibreTranslate accepts) with a recognisable translation: Chinese text for English input and
English text for Chinese input, so tests can find it in the SRT and in burned frames.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import parse_qs, urlparse

ZH_MARK = "测试译文"
EN_MARK = "translated line"


def fake_translation(text: str, source: str, target: str) -> str:
    if target == "zh":
        return f"{ZH_MARK}{len(text.split())}词"
    return f"{EN_MARK} {len(text)}"


# Typical lengths of a translation between the two (Netflix line limits 42 vs 16 give the
# same ratio): English characters per Chinese character.
EN_PER_ZH = 2.6
_ZH_FILLER = "我们今天讨论的是语音识别模型如何在真实会议里工作以及它的局限"
_EN_FILLER = "the speaker explains how this model works in a real meeting and where it fails".split()


def length_model_translation(text: str, source: str, target: str) -> str:
    """A stand-in with a real translation's length and punctuation, not its meaning: for
    measuring subtitle layout when no offline English->Chinese translator exists."""
    if target == "zh":
        size = max(1, round(len(text.strip()) / EN_PER_ZH))
        body = (_ZH_FILLER * (size // len(_ZH_FILLER) + 1))[:size]
        return body + ("。" if text.rstrip().endswith((".", "?", "!")) else "，" if text.rstrip().endswith(",") else "")
    size, words = round(len(text.strip()) * EN_PER_ZH), []
    while len(" ".join(words)) < size:
        words.append(_EN_FILLER[len(words) % len(_EN_FILLER)])
    if len(words) > 1 and len(" ".join(words)) - size > size - len(" ".join(words[:-1])):
        words.pop()  # whichever of the two is nearer the length
    return " ".join(words) + ("." if text.rstrip().endswith(("。", "？", "！")) else "")


@dataclass
class Recorder:
    requests: list[dict] = field(default_factory=list)


@contextmanager
def libre_server(translation=fake_translation) -> Iterator[tuple[str, Recorder]]:
    """Yield (base URL, recorder of every request's parameters)."""
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            url = urlparse(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                params = json.loads(body or "{}")
            else:
                params = {k: v[0] for k, v in {**parse_qs(url.query), **parse_qs(body)}.items()}
            if url.path != "/translate" or "q" not in params:
                self.send_error(404)
                return
            recorder.requests.append(params)
            reply = json.dumps({"translatedText": translation(params["q"], params["source"], params["target"])})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(reply.encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", recorder
    finally:
        server.shutdown()
        server.server_close()
