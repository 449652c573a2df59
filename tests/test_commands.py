"""`bivideo doctor` and `bivideo models`, run for real."""

from __future__ import annotations

import socket

from tests.conftest import PREPARES_MODEL, cli


@PREPARES_MODEL
def test_doctor_passes_on_an_installed_machine(libre):
    run = cli("doctor", "--translator", "libre", "--translator-url", libre[0])
    assert run.code == 0, run.out + run.err
    rows = {line.split()[1]: line.split()[0] for line in run.out.splitlines()}
    assert rows == {"ffmpeg": "ok", "libass": "ok", "CJK": "ok", "model": "ok", "translator": "ok"}


@PREPARES_MODEL
def test_doctor_warns_but_passes_when_the_translator_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    run = cli("doctor", "--translator", "libre", "--translator-url", dead)
    assert run.code == 0
    assert any(line.startswith("warn") and "unreachable" in line for line in run.out.splitlines())


@PREPARES_MODEL
def test_doctor_fails_without_ffmpeg(tmp_path):
    run = cli("doctor", "--translator", "libre", "--translator-url", "http://127.0.0.1:9/",
                  env={"PATH": str(tmp_path)})
    assert run.code == 1 and "Traceback" not in run.err
    assert any(line.startswith("FAIL") and "ffmpeg not found" in line for line in run.out.splitlines())


def test_models_lists_base_and_tiny_en_as_offline():
    run = cli("models")
    assert run.code == 0
    rows = {line.split()[0]: line.split()[1] for line in run.out.splitlines()}
    assert rows["base"] == "offline" and rows["tiny.en"] == "offline"
    assert rows["large-v3"] == "online"
