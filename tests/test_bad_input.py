"""Bad input: one clear line on stderr, a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, bivideo, cli

SAMPLE = REPO / "samples" / "talk.mp4"


def assert_one_line_error(run, *fragments: str) -> None:
    assert run.code != 0
    assert "Traceback" not in run.err
    lines = [line for line in run.err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), run.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


def test_missing_file(folder):
    assert_one_line_error(cli("make", folder / "nope.mp4"), "no such file")


def test_zero_length_file(folder):
    (folder / "empty.mp4").touch()
    assert_one_line_error(cli("make", folder / "empty.mp4"), "empty file")


def test_not_media(folder):
    (folder / "notes.mp4").write_text("these are my talk notes, not a video\n")
    assert_one_line_error(cli("make", folder / "notes.mp4"), "not a media file")


def test_video_without_audio(folder):
    video = folder / "silent film.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
                    str(video)], check=True)
    assert_one_line_error(cli("make", video), "no audio stream")


def test_neither_video_nor_audio(folder):
    subtitles = folder / "captions only.mkv"
    (folder / "captions.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n")
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(folder / "captions.srt"), str(subtitles)], check=True)
    assert_one_line_error(cli("make", subtitles), "no video or audio stream")


def test_an_audio_track_the_file_does_not_have(folder):
    two = folder / "two tracks.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1",
                    "-f", "lavfi", "-i", "sine=duration=1", "-f", "lavfi", "-i", "sine=frequency=600:duration=1",
                    "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", str(two)],
                   check=True)
    assert_one_line_error(cli("make", two, "--audio-track", "3"), "--audio-track 3: two tracks.mkv has only 2 audio "
                                                                   "tracks")


def test_a_picture_that_is_not_one(folder):
    memo = folder / "voice memo.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(memo)], check=True)
    (folder / "cover.jpg").write_text("not a picture\n")
    assert_one_line_error(cli("make", memo, "--picture", folder / "cover.jpg"), "cover.jpg", "not a picture")
    assert_one_line_error(cli("make", memo, "--picture", memo), "voice memo.m4a: not a picture")


def test_unwritable_output_folder(folder):
    blocker = folder / "a file"
    blocker.write_text("")
    assert_one_line_error(cli("make", SAMPLE, "-o", blocker / "out"), "cannot create output folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere; permissions can't be tested as root")
def test_read_only_output_folder(folder):
    folder.chmod(0o555)
    try:
        assert_one_line_error(cli("make", SAMPLE, "-o", folder), "not writable")
    finally:
        folder.chmod(0o755)


def test_ffmpeg_missing(folder):
    run = cli("make", SAMPLE, "-o", folder, env={"PATH": str(folder)})
    assert_one_line_error(run, "ffmpeg not found", "apt-get install ffmpeg")


def test_ffmpeg_without_libass(folder):
    """An ffmpeg build whose filter list has no `subtitles` (as built without libass)."""
    stub = folder / "ffmpeg-nolibass"
    stub.write_text('#!/bin/sh\n[ "$2" = "-filters" ] && { echo " ... scale   V->V  Scale"; exit 0; }\n'
                    'exec ffmpeg "$@"\n')
    stub.chmod(0o755)
    run = cli("make", SAMPLE, "-o", folder, env={"BIVIDEO_FFMPEG": str(stub)})
    assert_one_line_error(run, "without libass")


def test_model_not_available_offline(folder):
    # no way out to the network: Hugging Face told to stay offline, with an empty cache of its
    # own, and any proxy it might still use is a closed local port (the download is 1.5 GB)
    closed = "http://127.0.0.1:9"
    offline = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(folder / "hf"), "HTTPS_PROXY": closed, "HTTP_PROXY": closed,
               "https_proxy": closed, "http_proxy": closed, "NO_PROXY": "", "no_proxy": ""}
    # a new process: huggingface_hub reads HF_HUB_OFFLINE and HF_HOME once, when it is imported
    run = bivideo("make", SAMPLE, "-o", folder, "--model", "medium", "--translator", "libre",
                  "--translator-url", "http://127.0.0.1:9/", env=offline)
    assert_one_line_error(run, "'medium' is not available offline")


def test_model_path_that_is_not_a_model(folder):
    run = cli("make", SAMPLE, "-o", folder, "--model", str(folder), "--translator", "libre",
                  "--translator-url", "http://127.0.0.1:9/")  # a chosen translator: `auto` would say which it chose
    assert_one_line_error(run, "not a known name")


def test_unknown_option_value_is_a_usage_error(folder):
    run = cli("make", SAMPLE, "--from", "fr")
    assert run.code == 2 and "Traceback" not in run.err and "'fr' is not one of" in run.err


def test_broken_config_file(folder):
    (folder / "bivideo.toml").write_text("model = [unclosed\n")
    assert_one_line_error(cli("make", SAMPLE, cwd=folder), "bivideo.toml: not valid TOML")
