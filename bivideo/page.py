"""`bivideo preview --serve`: a local page that plays the video with both languages over it,
lists the cues in an editable table, marks the cues that break the subtitle standard, and
saves the table back to the bilingual SRT atomically.

The server listens on 127.0.0.1 only, on a free port the system picks. The page is one
static file (page.html); it talks to three endpoints: GET /video (with byte ranges, so the
player can seek), GET /api/cues and POST /api/cues.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import cast

from bivideo import artifacts, highlight, srtio, standard
from bivideo.errors import BivideoError
from bivideo.model import LANGUAGES, Cue, Shown
from bivideo.pipeline import Job
from bivideo.ui import Reporter

CHUNK = 1 << 20
VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
               ".mkv": "video/x-matroska"}


@dataclass(frozen=True)
class Highlight:
    """--highlight words on the page: the colour, and the words' times as transcribed."""

    color: str
    records: list[highlight.Record | None]


def _spoken(row: Shown, lit: Highlight) -> dict:
    """The row's spoken line in timed pieces, when its words are those transcribed."""
    for language in LANGUAGES:
        line = row.line(language)
        record = highlight.match([Cue(row.start, row.end, line, language=language)], [line], lit.records)[0]
        parts = highlight.pieces(line, record.words) if record else None
        if parts:
            return {"spoken": language, "pieces": parts}
    return {}


def state(path: Path, fps: float, lit: Highlight | None = None) -> dict:
    """What the page shows: the file's cues with the rules each breaks, and a version (the
    file's hash) so a save never overwrites a change made meanwhile in another editor. With
    `lit`, the spoken line of each cue in pieces with their times, lit as the video plays."""
    rows = srtio.read(path)
    found = standard.problems(rows, fps)
    return {"file": path.name, "version": artifacts.sha256_file(path), "highlight": lit.color if lit else None,
            "cues": [{"start": r.start, "end": r.end, "zh": r.line("zh"), "en": r.line("en"), "problems": p,
                      **(_spoken(r, lit) if lit else {})}
                     for r, p in zip(rows, found)]}


def compose(rows: list[dict]) -> str:
    """Pure: the page's rows as a bilingual SRT (Chinese line, then English). Raises
    BivideoError naming the first row that cannot be a cue."""
    shown = []
    for number, row in enumerate(rows, 1):
        try:
            start, end = float(row["start"]), float(row["end"])
            lines = [re.sub(r"\s+", " ", str(row[lang])).strip() for lang in ("zh", "en")]
        except (KeyError, TypeError, ValueError):
            raise BivideoError(f"cue {number}: needs a start, an end, and zh and en lines") from None
        if not 0 <= start < end:
            raise BivideoError(f"cue {number}: ends ({srtio.stamp(end)}) before it starts ({srtio.stamp(start)})")
        if not any(lines):
            raise BivideoError(f"cue {number}: no text")
        shown.append(Shown.of(start, end, *lines))
    return srtio.compose(shown)


def handler(job: Job, srt_path: Path, lit: Highlight | None = None) -> type[BaseHTTPRequestHandler]:
    video, fps = job.source.resolve(), job.info.fps
    page = files("bivideo").joinpath("page.html").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status: int, body: bytes, kind: str, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def reply_json(self, status: int, data: dict) -> None:
            self.reply(status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8")

        def foreign(self) -> bool:
            """A request not addressed to this local server by name (DNS rebinding): refused."""
            host, port = self.headers.get("Host", ""), cast(tuple[str, int], self.server.server_address)[1]
            if host in (f"127.0.0.1:{port!s}", f"localhost:{port!s}"):
                return False
            self.reply(HTTPStatus.FORBIDDEN, b"forbidden", "text/plain")
            return True

        def do_GET(self):
            if self.foreign():
                return
            if self.path == "/":
                self.reply(HTTPStatus.OK, page, "text/html; charset=utf-8")
            elif self.path == "/api/cues":
                try:
                    self.reply_json(HTTPStatus.OK, state(srt_path, fps, lit))
                except BivideoError as error:
                    self.reply_json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(error)})
            elif self.path == "/video":
                self.send_video()
            else:
                self.reply(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

        do_HEAD = do_GET

        def send_video(self):
            size = video.stat().st_size
            first, last = 0, size - 1
            ranged = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
            if ranged and (ranged[1] or ranged[2]):
                if ranged[1]:
                    first, last = int(ranged[1]), min(int(ranged[2] or last), last)
                else:  # the last N bytes
                    first = max(0, size - int(ranged[2]))
                if first > last:
                    self.reply(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", "text/plain",
                               {"Content-Range": f"bytes */{size}"})
                    return
            self.send_response(HTTPStatus.PARTIAL_CONTENT if ranged else HTTPStatus.OK)
            self.send_header("Content-Type", VIDEO_TYPES.get(video.suffix.lower(), "application/octet-stream"))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(last - first + 1))
            if ranged:
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            self.end_headers()
            if self.command == "HEAD":
                return
            with video.open("rb") as f:
                f.seek(first)
                left = last - first + 1
                try:
                    while left > 0 and (block := f.read(min(CHUNK, left))):
                        self.wfile.write(block)
                        left -= len(block)
                except (BrokenPipeError, ConnectionResetError):  # the player moved on; normal
                    pass

        def do_POST(self):
            if self.foreign():
                return
            if self.path != "/api/cues":
                self.reply(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
                return
            try:
                sent = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                text = compose(sent["cues"])
            except (ValueError, KeyError, TypeError):
                self.reply_json(HTTPStatus.BAD_REQUEST, {"error": "expected {version, cues: [...]}"})
                return
            except BivideoError as error:
                self.reply_json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(error)})
                return
            if srt_path.is_file() and artifacts.sha256_file(srt_path) != sent.get("version"):
                self.reply_json(HTTPStatus.CONFLICT, {"error": f"{srt_path.name} changed on disk since the page "
                                                               "loaded it; reload to see that version"})
                return
            artifacts.write_text(srt_path, text)  # the user's edit: not recorded as ours, so make keeps it
            self.reply_json(HTTPStatus.OK, state(srt_path, fps, lit))

    return Handler


def serve(job: Job, reporter: Reporter, announce: Callable[[str], None], lit: Highlight | None = None) -> None:
    """Serve the page for `job` until Ctrl-C (or SIGTERM)."""
    srt_path = job.outputs.path("bilingual.srt")
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(job, srt_path, lit))
    server.daemon_threads = True
    announce(f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        reporter.note("stopped; burn the saved subtitles with `bivideo burn`")
    finally:
        server.server_close()
