"""`cli`, the tests' in-process runner of `bivideo` (tests/conftest.py): the same outcome as the
real command in a new process, and nothing left behind for the next test."""

from __future__ import annotations

import os
import signal

import pytest

from bivideo import standard_report
from tests.conftest import bivideo, cli

BROKEN = "1\n00:00:01,000 --> 00:00:02,000\nfine\n\n2\n00:00:0x,000 -> 00:00:09,000\noops\n"


@pytest.mark.parametrize("args", [
    ("make", "{tmp}/nope.mp4"),  # a one-line error
    ("make", "{tmp}/nope.mp4", "--from", "fr"),  # click's usage error, with the program's name
    ("check", "{tmp}/broken.srt"),  # an error naming the line
    ("check", "{tmp}/good.srt", "--json"),  # a report on stdout
])
def test_the_same_exit_code_stdout_and_stderr_as_the_real_command(args, tmp_path):
    (tmp_path / "broken.srt").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "good.srt").write_text(BROKEN.split("\n\n")[0] + "\n", encoding="utf-8")
    args = tuple(arg.format(tmp=tmp_path) for arg in args)
    assert cli(*args) == bivideo(*args)


def test_an_escaping_exception_is_the_traceback_a_process_prints(tmp_path, monkeypatch):
    srt = tmp_path / "good.srt"
    srt.write_text(BROKEN.split("\n\n")[0] + "\n", encoding="utf-8")

    def bug(*args, **kwargs):
        os.write(2, b"written to file descriptor 2\n")  # as ffmpeg or a C library would
        raise RuntimeError("a bug")

    monkeypatch.setattr(standard_report, "score", bug)
    run = cli("check", srt)
    assert run.code == 70 and sorted(run.err.splitlines()) == [
        "error: unexpected RuntimeError: a bug (set BIVIDEO_DEBUG=1 for the traceback)",
        "written to file descriptor 2"], run.err
    run = cli("check", srt, env={"BIVIDEO_DEBUG": "1"})
    assert run.code == 1 and "written to file descriptor 2\n" in run.err
    assert "Traceback (most recent call last):" in run.err and run.err.endswith("RuntimeError: a bug\n"), run.err


def test_the_environment_folder_and_signal_handlers_are_put_back(tmp_path):
    before = dict(os.environ), os.getcwd(), signal.getsignal(signal.SIGTERM)
    (tmp_path / "bivideo.toml").write_text("model = [unclosed\n")
    run = cli("models", env={"BIVIDEO_CACHE": str(tmp_path / "cache"), "PATH": str(tmp_path)}, cwd=tmp_path)
    assert run.code == 1 and "bivideo.toml: not valid TOML" in run.err, "the run had its folder"
    assert (dict(os.environ), os.getcwd(), signal.getsignal(signal.SIGTERM)) == before
