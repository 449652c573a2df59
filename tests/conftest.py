"""Shared fixtures: real media from ../shared/media, videos made from it, the local
translation server, and two runners of `bivideo`: the real command in a new process
(`bivideo`), and the same in this interpreter (`cli`), many times faster where the process
boundary is not what a test is about."""

from __future__ import annotations

import csv
import logging
import os
import re
import signal
import subprocess
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from tests.servers import libre_server

# no per-example deadline: on a shared, loaded machine an example can take 0.6 s, and a timing
# failure says nothing about the property
settings.register_profile("shared-machine", deadline=None)
settings.load_profile("shared-machine")

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("BIVIDEO_MEDIA", REPO.parent / "shared" / "media"))
BIVIDEO = Path(sys.executable).with_name("bivideo")


# Debian's pocketsphinx-testdata: real English speech (16 kHz) with transcripts, from a registry
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


# `bivideo doctor` checks the base model, which the first check in a session prepares in that
# session's empty cache (about 4 s: assembled, verified, converted). These tests run first, so
# that under pytest-xdist (`make test-fast`) they all go to the first worker in its first batch
# of tests, and one worker, not each, pays for that. (`--dist loadgroup` would say so outright,
# but pytest-xdist 3.8 no longer groups on pytest 9.2.)
PREPARES_MODEL = pytest.mark.prepares_model


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("prepares_model") is None)  # stable: else as collected


@pytest.fixture(scope="session")
def manifest() -> dict[str, dict]:
    """Reference transcripts by file name; skips when ../shared/media is absent."""
    path = MEDIA / "MANIFEST.tsv"
    if not path.is_file():
        pytest.skip(f"real test media (Mandarin among them) not found at {MEDIA}: "
                    "these tests need ../shared/media or BIVIDEO_MEDIA")
    with path.open(encoding="utf-8") as f:
        return {Path(row["file"]).name: row | {"path": MEDIA / row["file"]}
                for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture(scope="session")
def english_recording(tmp_path_factory) -> dict:
    """A real English recording with its reference transcript (keys path, reference_transcript):
    en06 from ../shared/media, or without it the librivox clips of pocketsphinx-testdata, joined."""
    if (MEDIA / "MANIFEST.tsv").is_file():
        row = next(r for r in csv.DictReader((MEDIA / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t")
                   if r["file"].endswith("en06_harvard_stale_smell_44k_stereo.wav"))
        return row | {"path": MEDIA / row["file"]}
    if not (LIBRIVOX / "transcription").is_file():
        pytest.skip(f"no real English speech: neither {MEDIA} nor {LIBRIVOX} "
                    "(apt-get install pocketsphinx-testdata)")
    # lines such as "<s> he was not an ill disposed young man </s> (sense_and_sensibility_...-0880)"
    clips = re.findall(r"<s> (.*?) </s> \((.*?)\)", (LIBRIVOX / "transcription").read_text())
    wav = join_audio([LIBRIVOX / f"{name}.wav" for _, name in clips],
                     tmp_path_factory.mktemp("librivox") / "librivox.wav", silence=0.8)
    return {"file": wav.name, "path": wav, "reference_transcript": ". ".join(text for text, _ in clips) + "."}


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory) -> Path:
    """Every run starts from an empty bivideo cache, as a new user would (models included)."""
    cache = tmp_path_factory.mktemp("cache")
    os.environ["BIVIDEO_CACHE"] = str(cache)
    return cache


@pytest.fixture
def quick_retries(monkeypatch):
    """Translation retries without the waits between them."""
    from bivideo import translate

    monkeypatch.setattr(translate, "BACKOFF", 0.01)


@pytest.fixture
def cache(tmp_path):
    """A translation cache of the test's own."""
    from bivideo.translation_cache import TranslationCache

    store = TranslationCache(tmp_path / "translations.sqlite3")
    yield store
    store.close()


@pytest.fixture(scope="session")
def libre():
    with libre_server() as server:
        yield server


def make_video(audio: Path, dest: Path, size: str = "1280x720") -> Path:
    """A talk video: the recording's audio over a moving test pattern, dimmed like a
    typical talk's picture (AAC in MP4)."""
    subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={size}:rate=25", "-i", str(audio), "-shortest",
                    "-vf", "eq=brightness=-0.2:saturation=0.6",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "96k", str(dest)], check=True)
    return dest


def join_audio(sources: list, dest: Path, silence: float = 0.0) -> Path:
    """The recordings one after another as 16 kHz mono, with `silence` seconds between."""
    inputs, chains = [], []
    for i, path in enumerate(sources):
        inputs += ["-i", str(path)]
        chains.append(f"[{i}:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur={silence}[a{i}]")
    graph = ";".join(chains) + ";" + "".join(f"[a{i}]" for i in range(len(sources))) + \
        f"concat=n={len(sources)}:v=0:a=1"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, str(dest)], check=True)
    return dest


@dataclass
class Run:
    code: int
    out: str
    err: str


def bivideo(*args: str, env: dict | None = None, cwd: Path | None = None) -> Run:
    """Run the installed `bivideo` command for real, in a new interpreter: for what only a real
    process shows (signals, the environment read at import, memory, a whole make or burn)."""
    done = subprocess.run([str(BIVIDEO), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=900)
    return Run(done.returncode, done.stdout, done.stderr)


def cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> Run:
    """`bivideo ARGS` run in this interpreter (click's CliRunner), with the outcome a new process
    would have: its exit code, and on stdout and stderr what it writes, at the file-descriptor
    level too (what ffmpeg or a C library prints), an uncaught exception as Python's traceback.
    Each run starts as a new process would: bivideo's functools caches (ffmpeg's filters, the
    CJK font, a loaded engine...) are emptied before it and after it, and the environment, the
    working folder, sys.argv, signal handlers and mask, warning filters and log handlers are
    put back after it. jieba's dictionary stays attached (the same words from whichever cache
    file: the cuts don't change), as the modules stay imported."""
    from bivideo.cli import main

    argv = [str(arg) for arg in args]
    saved_environ, saved_cwd, saved_argv = dict(os.environ), os.getcwd(), sys.argv
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    _forget_bivideo_caches()
    try:
        with warnings.catch_warnings():
            if cwd is not None:
                os.chdir(cwd)
            sys.argv = ["bivideo", *argv]
            result = CliRunner(capture="fd").invoke(main, argv, env=env, prog_name="bivideo")
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_environ)
        for number, handler in handlers.items():
            signal.signal(number, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        _forget_bivideo_caches()
    _follow_current_streams()
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        err += "".join(traceback.format_exception(result.exception))  # as the interpreter prints it
    return Run(result.exit_code, result.stdout, err)


def _forget_bivideo_caches() -> None:
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "bivideo" or name.startswith("bivideo.")):
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", None) == name:
                value.cache_clear()


class _Current:
    """sys.stdout or sys.stderr as it is at each write, as a new process's own stream would be."""

    def __init__(self, name: str):
        self.name = name

    def write(self, text: str) -> int:
        return getattr(sys, self.name).write(text)

    def flush(self) -> None:
        getattr(sys, self.name).flush()


def _follow_current_streams() -> None:
    """A log handler that a library made during an in-process run writes to that run's captured
    stream (CliRunner's); point it at whatever stream is current instead (a later run's, or
    pytest's), as a new process's handler would write to that process's own stream."""
    loggers = [logging.getLogger(), *(logger for logger in logging.Logger.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            stream = getattr(handler, "stream", None)
            if isinstance(handler, logging.StreamHandler) and type(stream).__module__ == "click.testing":
                handler.setStream(_Current("stdout" if stream.name == "<stdout>" else "stderr"))


def probe_json(path: Path) -> dict:
    import json

    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)
