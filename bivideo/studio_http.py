"""The studio's HTTP server, on 127.0.0.1 only: the page (bivideo/web/, plain ES modules and
vendored libraries, wavesurfer.js and JASSUB: nothing comes from the internet), the talk's
media and the JSON API over bivideo.studio.

Every request must carry the run's token: `?token=` on the first load, then the cookie that
load sets (so module imports, workers and the video element need no token of their own).
The Host header must name this server (DNS rebinding), a write must come from its own
Origin, and a Content-Security-Policy allows no inline script.

Endpoints: GET / /static/<file> /media/video /media/backdrop/<platform> (an audio-only talk's
still) /media/font /media/output/<name> /api/state /api/peaks /api/events (server-sent events
of a burn); POST /api/check /api/sync /api/split /api/ass /api/translate /api/suggest
/api/save /api/draft /api/burn.
"""

from __future__ import annotations

import json
import mimetypes
import re
import secrets
import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlparse

from bivideo import artifacts, review, toolchain
from bivideo.errors import BivideoError, TranslationFailed
from bivideo.studio import Conflict, Studio, burn, frames, retranslate, save, state, styled, suggest

WEB = files("bivideo").joinpath("web")
CHUNK = 1 << 20
CSP = ("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'; "
       "img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
       "font-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
MAX_BODY = 64 << 20  # a 1,000-cue talk's rows are about 300 KB


def handler(studio: Studio, token: str) -> type[BaseHTTPRequestHandler]:
    def body_rows(data: dict) -> list[dict]:
        rows = data.get("cues")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("expected {cues: [...]}")
        return rows

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        @property
        def port(self) -> int:
            return cast(tuple[str, int], self.server.server_address)[1]

        def send(self, status: int, body: bytes, kind: str, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the page went away meanwhile
                    self.close_connection = True

        def send_json(self, status: int, data: Any) -> None:
            self.send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8")

        def refuse(self, status: int, why: str) -> None:
            self.send(status, why.encode(), "text/plain; charset=utf-8")

        def allowed(self) -> bool:
            """The Host names this server, the request carries the token, and a write comes
            from this server's own page; else 403."""
            names = (f"127.0.0.1:{self.port}", f"localhost:{self.port}")
            if self.headers.get("Host", "") not in names:
                self.close_connection = True
                self.refuse(HTTPStatus.FORBIDDEN, "forbidden: unknown Host")
                return False
            given = parse_qs(urlparse(self.path).query).get("token", [""])[0]
            cookie = re.search(rf"(?:^|;\s*)bivideo_{self.port}=([\w-]+)", self.headers.get("Cookie", ""))
            if not (secrets.compare_digest(given, token) or (cookie and secrets.compare_digest(cookie[1], token))):
                self.close_connection = True
                self.refuse(HTTPStatus.FORBIDDEN, "forbidden: open the address bivideo studio printed")
                return False
            if self.command == "POST" and self.headers.get("Origin") not in [f"http://{n}" for n in names]:
                self.close_connection = True  # its body is left unread
                self.refuse(HTTPStatus.FORBIDDEN, "forbidden: a write from another origin")
                return False
            return True

        def do_GET(self) -> None:
            if not self.allowed():
                return
            path = unquote(urlparse(self.path).path)
            if path == "/":
                page = WEB.joinpath("studio.html").read_bytes()
                self.send(HTTPStatus.OK, page, "text/html; charset=utf-8",
                          {"Set-Cookie": f"bivideo_{self.port}={token}; HttpOnly; SameSite=Strict; Path=/"})
            elif path.startswith("/static/"):
                self.send_static(path.removeprefix("/static/"))
            elif path == "/media/video":
                self.send_file(studio.video.resolve())
            elif path.startswith("/media/backdrop/") and path.removeprefix("/media/backdrop/") in studio.backdrops:
                self.send_file(studio.backdrops[path.removeprefix("/media/backdrop/")])
            elif path == "/media/font":
                self.send_file(toolchain.cjk_font().path)
            elif path.startswith("/media/output/"):
                name = path.removeprefix("/media/output/")
                wanted = {p.name: p for p in (studio.job.outputs.path(platform.video)
                                              for platform, _ in frames(studio))}
                if name in wanted and wanted[name].is_file():
                    self.send_file(wanted[name])
                else:
                    self.refuse(HTTPStatus.NOT_FOUND, "not found")
            elif path == "/api/state":
                self.send_json(HTTPStatus.OK, state(studio))
            elif path == "/api/peaks":
                self.send(HTTPStatus.OK, studio.peaks, "application/octet-stream")
            elif path == "/api/events":
                self.send_events()
            else:
                self.refuse(HTTPStatus.NOT_FOUND, "not found")

        do_HEAD = do_GET

        def send_static(self, name: str) -> None:
            parts = [p for p in name.split("/") if p]
            if not parts or any(p in (".", "..") or p.startswith(".") for p in parts):
                self.refuse(HTTPStatus.NOT_FOUND, "not found")
                return
            resource = WEB.joinpath(*parts)
            if not resource.is_file():
                self.refuse(HTTPStatus.NOT_FOUND, "not found")
                return
            kind = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                    ".css": "text/css"}.get(Path(name).suffix) or mimetypes.guess_type(name)[0] or "text/plain"
            self.send(HTTPStatus.OK, resource.read_bytes(), f"{kind}; charset=utf-8" if kind.startswith("text")
                      else kind)

        def send_file(self, path: Path) -> None:
            size = path.stat().st_size
            first, last = 0, size - 1
            ranged = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
            if ranged and (ranged[1] or ranged[2]):
                if ranged[1]:
                    first, last = int(ranged[1]), min(int(ranged[2] or last), last)
                else:  # the last N bytes
                    first = max(0, size - int(ranged[2]))
                if first > last:
                    self.send(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", "text/plain",
                              {"Content-Range": f"bytes */{size}"})
                    return
            self.send_response(HTTPStatus.PARTIAL_CONTENT if ranged else HTTPStatus.OK)
            self.send_header("Content-Type", mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(last - first + 1))
            self.send_header("Content-Security-Policy", CSP)
            if ranged:
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            self.end_headers()
            if self.command == "HEAD":
                return
            with path.open("rb") as f:
                f.seek(first)
                left = last - first + 1
                try:
                    while left > 0 and (block := f.read(min(CHUNK, left))):
                        self.wfile.write(block)
                        left -= len(block)
                except (BrokenPipeError, ConnectionResetError):  # the player moved on; normal
                    pass

        def send_events(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for event in studio.events.follow():
                    line = ": keep-alive\n\n" if event is None else \
                        f"event: {event[0]}\ndata: {json.dumps(event[1], ensure_ascii=False)}\n\n"
                    self.wfile.write(line.encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_POST(self) -> None:
            if not self.allowed():
                return
            path = urlparse(self.path).path
            actions: dict[str, Callable[[dict], tuple[int, Any]]] = {
                "/api/check": lambda d: (200, {"verdicts": review.verdicts(body_rows(d), studio.fps)}),
                "/api/sync": lambda d: (200, review.sync_marks([(float(a), float(b)) for a, b in d["cues"]],
                                                               studio.speech)),
                "/api/split": lambda d: (200, {"cues": list(review.split(d["cue"], float(d["at"]), studio.fps))}),
                "/api/translate": lambda d: (200, {"translations": retranslate(studio, body_rows(d),
                                                                               [int(i) for i in d["indices"]])}),
                "/api/suggest": lambda d: (200, {"suggestions": suggest(studio, body_rows(d))}),
                "/api/save": lambda d: (200, save(studio, body_rows(d), str(d.get("version", "")),
                                                  bool(d.get("overwrite")))),
                "/api/draft": lambda d: self.keep_draft(d),
                "/api/burn": lambda d: self.start_burn(),
            }
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    raise ValueError("request too large")
                data = json.loads(self.rfile.read(length) or b"{}")
                if path == "/api/ass":
                    self.send(HTTPStatus.OK, styled(studio, str(data["platform"]), body_rows(data)).encode(),
                              "text/plain; charset=utf-8")
                    return
                if path not in actions:
                    self.refuse(HTTPStatus.NOT_FOUND, "not found")
                    return
                status, reply = actions[path](data)
            except Conflict as error:
                self.send_json(HTTPStatus.CONFLICT, {"error": str(error), "conflict": True})
            except TranslationFailed as error:
                self.send_json(HTTPStatus.BAD_GATEWAY, {"error": str(error)})
            except BivideoError as error:
                self.send_json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(error)})
            except (ValueError, KeyError, TypeError, IndexError) as error:
                self.send_json(HTTPStatus.BAD_REQUEST, {"error": f"bad request: {error}"})
            else:
                self.send_json(status, reply)

        def keep_draft(self, data: dict) -> tuple[int, Any]:
            """The page's cues as they are, unfinished ones too (a cue inserted, not yet typed)."""
            artifacts.write_json(studio.draft_path, {"version": data.get("version"), "cues": body_rows(data),
                                                     "saved": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            return 200, {"kept": True}

        def start_burn(self) -> tuple[int, Any]:
            if not studio.events.start():
                return 409, {"error": "a burn is already running"}
            threading.Thread(target=burn, args=(studio,), name="burn", daemon=True).start()
            return 202, {"started": True}

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket],
                     client_address: tuple[str, int]) -> None:
        """A page closed or reloaded mid-request is normal; anything else is printed as usual."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def serve(studio: Studio, port: int, announce: Callable[[str], None], open_browser: bool) -> None:
    """Serve the studio until Ctrl-C (or SIGTERM)."""
    token = secrets.token_urlsafe(24)
    try:
        server = Server(("127.0.0.1", port), handler(studio, token))
    except OSError as error:
        raise BivideoError(f"--port {port}: cannot listen on 127.0.0.1 ({error.strerror})") from None
    url = f"http://127.0.0.1:{server.server_address[1]}/?token={token}"
    announce(url)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        studio.reporter.note("studio stopped; saved subtitles burn with `bivideo burn`")
    finally:
        server.server_close()
