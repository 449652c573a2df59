"""`bivideo studio` running for real, for the studio's tests: the command as a user starts it,
its one printed line read for the address, requests with and without the token, and the
page in Debian's headless Chromium (Playwright) where a test needs a browser."""

from __future__ import annotations

import re
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from tests.conftest import BIVIDEO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADDRESS = re.compile(r"^studio: (http://127\.0\.0\.1:(\d+)/\?token=([\w-]+))$")


class Server:
    """A running `bivideo studio`: its address, port and token, and its output so far."""

    def __init__(self, process: subprocess.Popen, line: str):
        match = ADDRESS.match(line.strip())
        assert match, f"not the studio's one line: {line!r}"
        self.process, self.url, self.port, self.token = process, match[1], int(match[2]), match[3]
        self.base = f"http://127.0.0.1:{self.port}"
        self.out, self.err = line, ""  # all it printed, once it has stopped

    def get(self, path: str, token: bool = True, **kwargs) -> requests.Response:
        params = {"token": self.token} if token else {}
        return requests.get(self.base + path, params=params, timeout=60, **kwargs)

    def post(self, path: str, data: dict, origin: str | None = "same", token: bool = True,
             **kwargs) -> requests.Response:
        headers = {"Origin": self.base} if origin == "same" else ({"Origin": origin} if origin else {})
        params = {"token": self.token} if token else {}
        return requests.post(self.base + path, params=params, json=data, headers=headers, timeout=300, **kwargs)


@contextmanager
def studio(video: Path, *args: str):
    """`bivideo studio VIDEO --no-browser ARGS` until the block ends, then Ctrl-C (SIGINT),
    after which it must exit cleanly."""
    process = subprocess.Popen([str(BIVIDEO), "studio", str(video), "--no-browser", "--model", "base", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    server = None
    try:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"studio printed nothing; it said: {process.stderr.read()}")
        server = Server(process, line)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        if server:
            server.out, server.err = server.out + out, err
    assert process.returncode == 0, err


@contextmanager
def browser_page(server: Server, viewport=(1400, 1000), extra_args: tuple[str, ...] = ()):
    """The studio's page in headless Chromium (with `extra_args`, e.g. --js-flags=--jitless),
    loaded from the printed address, ready."""
    if not CHROMIUM.is_file():
        pytest.skip("no /usr/bin/chromium (Debian package chromium) for the studio's page tests")
    playwright = pytest.importorskip("playwright.sync_api", reason="pip package playwright not installed")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args])
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        page = context.new_page()
        page.errors = []  # uncaught errors on the page, for the tests to assert none
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(server.url)
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        assert urlparse(page.url).hostname == "127.0.0.1"
        yield page
        browser.close()


@contextmanager
def llm_studio(video: Path, folder: Path, glossary: Path):
    """The studio with the local OpenAI-compatible stand-in as its translator and a glossary
    that writes WeChat so (its proofreading turns "we chat" into WeChat); yields (server,
    the stand-in's recorder)."""
    from tests.servers import openai_server

    glossary.write_text("WeChat\t微信\n", encoding="utf-8")
    with openai_server() as (url, recorder), \
            studio(video, "-o", str(folder), "--translator", "openai", "--translator-url", url,
                   "--glossary", str(glossary)) as server:
        yield server, recorder
