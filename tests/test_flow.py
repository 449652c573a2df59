"""One command flow: `make`, `make --preview` and `burn` write and report the same files
whether a user runs them on one video or `batch` runs them over a folder holding it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import bivideo, make_video

pytestmark = pytest.mark.slow

RECORDING = "en08_jfk_inaugural_ask_not.flac"
# Batch runs these modes; the single-video command that does the same.
COMMANDS = {"preview": ("make", "--preview"), "burn": ("burn",), "make": ("make",)}
OPTIONS = ("--for", "none", "--quality", "draft")


@pytest.fixture(scope="module")
def video(tmp_path_factory, manifest) -> Path:
    return make_video(manifest[RECORDING]["path"], tmp_path_factory.mktemp("talk") / "ask not.mp4", size="480x270")


def listed(stdout: str) -> list[str]:
    """The files a command printed, one per line, by name within its output folder."""
    return [Path(line).name for line in stdout.splitlines() if line.startswith("/")]


def reported(folder: Path) -> list[str]:
    files = json.loads((folder / "batch-report.json").read_text(encoding="utf-8"))["files"]
    assert [f["status"] for f in files] == ["done"], files
    return [Path(p).name for p in files[0]["outputs"]]


def written(folder: Path) -> dict[str, bytes]:
    """The subtitle and text files in `folder`, by name."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".srt", ".ass", ".md", ".csv")}


@pytest.mark.parametrize("mode", ["preview", "burn", "make"])
def test_batch_writes_and_reports_what_the_command_does(mode, video, tmp_path, libre):
    translator = ("--model", "base", "--translator", "libre", "--translator-url", libre[0])
    alone, together = tmp_path / "command", tmp_path / "batch"
    if mode == "burn":  # both burn what a --preview run wrote
        assert bivideo("make", video, "--preview", "-o", alone, *translator, *OPTIONS).code == 0
        assert bivideo("batch", video.parent, "--preview", "-o", together, *translator, *OPTIONS).code == 0
    command = bivideo(*COMMANDS[mode], video, "-o", alone, *(() if mode == "burn" else translator), *OPTIONS)
    assert command.code == 0, command.err
    run = bivideo("batch", video.parent, *((f"--{mode}",) if mode != "make" else ()), "-o", together,
                  *(() if mode == "burn" else translator), *OPTIONS)
    assert run.code == 0, run.err
    assert listed(command.out) == reported(together)
    assert written(alone) == written(together)
    if mode != "preview":
        assert (alone / "ask not.bilingual.mp4").stat().st_size > 0 and (together / "ask not.bilingual.mp4").is_file()
