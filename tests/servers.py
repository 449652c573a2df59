"""Local stand-ins for online translators, speaking their real HTTP protocol on 127.0.0.1.

The LibreTranslate stand-in answers POST /translate (form, query or JSON parameters, as real
LibreTranslate accepts) with a recognisable translation: Chinese text for English input and
English text for Chinese input, so tests can find it in the SRT and in burned frames.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ZH_MARK = "测试译文"
EN_MARK = "translated line"


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


def fake_translation(text: str, source: str, target: str) -> str:
    """Recognisable (a mark first), as long as a real translation, and keeping placeholders
    such as [0] as a real translator does."""
    held = " ".join(re.findall(r"\[\d+\]", text))
    body = length_model_translation(re.sub(r"\[\d+\]", "", text), source, target)
    if target == "zh":  # the mark takes the place of the body's first characters: same length
        return f"{ZH_MARK}{body[len(ZH_MARK):]}{held}"
    return f"{EN_MARK} {body[len(EN_MARK) + 1:]} {held}".strip()


@dataclass
class Recorder:
    """Every request's parameters, and what to do for the next ones: "ok", an HTTP status
    ("429", "500"), "drop" (close the connection without answering), "hang", or for the chat
    server "missing"/"extra" (a reply with a number left out or added)."""

    requests: list[dict] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    then: str = "ok"  # what to do once `actions` is used up

    def next_action(self) -> str:
        return self.actions.pop(0) if self.actions else self.then


def _misbehave(handler: BaseHTTPRequestHandler, action: str) -> bool:
    """Carry out a failure action; False when the request should be answered normally."""
    if action == "drop":
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)
        return True
    if action == "hang":
        time.sleep(5)
        return True
    if action.isdigit():
        handler.send_response(int(action))
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        handler.wfile.write(b'{"error": "scripted failure"}')
        return True
    return False


def _reply_json(handler: BaseHTTPRequestHandler, data: dict) -> None:
    body = json.dumps(data, ensure_ascii=False).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


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
            if _misbehave(self, recorder.next_action()):
                return
            _reply_json(self, {"translatedText": translation(params["q"], params["source"], params["target"])})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", recorder
    finally:
        server.shutdown()
        server.server_close()


REFINED_ZH = "润色译文"  # what the stand-in's --refine pass puts in place of ZH_MARK (same width)
REFINED_EN = "refined line"


def _width(text: str, language: str) -> float:
    from bivideo.standard import display_width

    return display_width(text, language)


def _fit(text: str, width: float, language: str) -> str:
    """`text` cut (or, for a negative `width`, padded) to `width`: what a model that keeps to
    its budget, or one that overshoots it, would send."""
    if width < 0:
        filler = "很" if language == "zh" else " very"
        while _width(text, language) <= -width:
            text += filler
        return text
    while _width(text, language) > width:
        text = text[:-1]
    return text.strip()


def _reply_chat(handler: BaseHTTPRequestHandler, answer: dict) -> None:
    _reply_json(handler, {"choices": [{"message": {"role": "assistant",
                                                   "content": json.dumps(answer, ensure_ascii=False)}}]})


def _proofread(line: str, prompt: str) -> str:
    """A proofreading model's fix: each glossary term the line has as other words or spacing
    ("we chat" for WeChat) written as the glossary writes it."""
    terms = prompt.split("Terms as they must be written:\n", 1)[1].rsplit("\n", 1)[0].splitlines() \
        if "Terms as they must be written:" in prompt else []
    for term in terms:
        heard = r"\s*".join(map(re.escape, term.replace(" ", "")))
        line = re.sub(rf"\b{heard}\b", term, line, flags=re.IGNORECASE)
    return line


@contextmanager
def openai_server(port: int = 0) -> Iterator[tuple[str, Recorder]]:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1. It translates the numbered lines
    it is sent (the last JSON object in the prompt) with fake_translation, cut to each line's
    budget (the prompt's "Budgets:" JSON) as a model that keeps to it would; a --refine
    request gets its translations back with ZH_MARK/EN_MARK replaced by REFINED_ZH/REFINED_EN.
    Scripted actions: "long" answers every line 5 characters over its budget, "long1" only
    line 1. GET /v1/models
    lists one model, or answers the next scripted action (e.g. "401")."""
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if urlparse(self.path).path != "/v1/models":
                self.send_error(404)
                return
            recorder.requests.append({"models": True, "authorization": self.headers.get("Authorization")})
            if not _misbehave(self, recorder.next_action()):
                _reply_json(self, {"object": "list", "data": [{"id": "local-test-model", "object": "model"}]})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if urlparse(self.path).path != "/v1/chat/completions":
                self.send_error(404)
                return
            prompt = body["messages"][-1]["content"]
            lines = json.loads(prompt.strip().splitlines()[-1])
            if prompt.startswith("Proofread"):  # the studio's Suggest fixes
                recorder.requests.append({"prompt": prompt, "lines": lines, "proofread": True})
                if not _misbehave(self, recorder.next_action()):
                    _reply_chat(self, {k: _proofread(v, prompt) for k, v in lines.items()})
                return
            budgets = json.loads(re.search(r"Budgets: (\{.*\})$", prompt, re.MULTILINE).group(1))
            refine = prompt.startswith("Here are consecutive subtitle lines")
            recorder.requests.append({"prompt": prompt, "lines": lines, "budgets": budgets, "refine": refine,
                                      "model": body.get("model"), "authorization": self.headers.get("Authorization")})
            action = recorder.next_action()
            if _misbehave(self, action):
                return
            target = "zh" if "to Simplified Chinese" in prompt or "Simplified Chinese translation" in prompt else "en"
            if refine:
                answer = {k: v.replace(ZH_MARK, REFINED_ZH).replace(EN_MARK, REFINED_EN) for k, v in lines.items()}
            else:
                answer = {k: fake_translation(v, "", target) for k, v in lines.items()}
            over = {k for k in answer if action == "long" or (action == "long1" and k == "1")}
            answer = {k: _fit(v, -(budgets[k]["max_chars"] + 5) if k in over else budgets[k]["max_chars"], target)
                      for k, v in answer.items()}
            if action == "missing":
                answer.pop(max(answer, key=int))
            elif action == "extra":
                answer[str(len(lines) + 1)] = "surplus"
            _reply_chat(self, answer)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", recorder
    finally:
        server.shutdown()
        server.server_close()
