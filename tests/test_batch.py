"""`bivideo batch` for real: a folder of short videos and a voice memo made from real recordings plus broken
files, the real model, the local translation server, real burns checked with ffprobe; a
rerun, --retry-failed, and a run killed (SIGKILL) in the middle of a burn."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import BIVIDEO, Run, bivideo, make_video, probe_json
from tests.scoring import read_srt

# Short recordings; 640x360 keeps the burns quick (and the files unlike other tests' videos,
# so their transcripts are not already in the session's cache).
GOOD = {"jfk ask not.mp4": "en08_jfk_inaugural_ask_not.flac", "lamps.mov": "en10_librispeech_1089-134686-0001.wav",
        "欢迎.mp4": "zh05_funasr_asr_example_zh.wav", "广州 no extension": "zh06_aishell1_BAC009S0724W0121.wav"}
MEMOS = {"voice memo.m4a": "en10_librispeech_1089-134686-0001.wav"}  # audio only: videos over a still
DONE = {*GOOD, *MEMOS}
BAD = {"broken.mp4": "not a media file", "empty.mp4": "empty file"}
# Run the real command in a process that says at exit how many times a Whisper model was loaded.
COUNTING_LOADS = ("import atexit, sys\nfrom bivideo import cli, engines\n"
                  "atexit.register(lambda: print('model loads:', engines.load_engine.cache_info().misses,"
                  " file=sys.stderr))\nsys.argv[0] = 'bivideo'\ncli.main()\n")

pytestmark = pytest.mark.slow  # real Whisper and real encodes throughout


def batch_args(folder: Path, libre, *more: str) -> list[str]:
    # --for none: one video per talk (<stem>.bilingual.mp4) keeps the burns quick
    return ["batch", str(folder), "--model", "base", "--translator", "libre", "--translator-url", libre[0],
            "--for", "none", *more]


def report(folder: Path) -> dict[str, dict]:
    return {row["file"]: row for row in json.loads((folder / "batch-report.json").read_text(encoding="utf-8"))["files"]}


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if not p.name.startswith(".")
            and p.name != "batch-report.json"}


def assert_whole_video(video: Path, source: Path) -> None:
    """A finished, playable burn: H.264 with audio, as long as its source."""
    data = probe_json(video)
    assert {s["codec_type"] for s in data["streams"]} == {"video", "audio"}
    assert abs(float(data["format"]["duration"]) - float(probe_json(source)["format"]["duration"])) <= 0.1


@pytest.fixture(scope="module")
def talks(tmp_path_factory, manifest, libre) -> tuple[Path, Run]:
    folder = tmp_path_factory.mktemp("week of talks")
    for name, recording in GOOD.items():
        made = make_video(manifest[recording]["path"], folder / "made.mp4", size="640x360")
        made.rename(folder / name)  # a video without an extension is found by its content
    (folder / "broken.mp4").write_bytes((folder / "jfk ask not.mp4").read_bytes()[:400_000])
    for name, recording in MEMOS.items():
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(manifest[recording]["path"]), "-c:a", "aac",
                        str(folder / name)], check=True)
    (folder / "empty.mp4").touch()
    (folder / "notes.txt").write_text("not media, not a failure either\n")
    shutil.copyfile(folder / "lamps.mov", folder / "old talk.linkedin.mp4")  # named like our own output
    done = subprocess.run([sys.executable, "-c", COUNTING_LOADS, *batch_args(folder, libre)],
                          capture_output=True, text=True, timeout=900)
    return folder, Run(done.returncode, done.stdout, done.stderr)


def test_every_good_video_is_done_and_every_bad_one_named_with_its_reason(talks):
    folder, run = talks
    assert run.code == 1 and "Traceback" not in run.err
    rows = report(folder)
    assert set(rows) == DONE | set(BAD), "our own outputs and non-media files are not listed"
    for name in DONE:
        assert rows[name]["status"] == "done", rows[name]
        video = folder / f"{Path(name).stem}.bilingual.mp4"
        assert str(video) in rows[name]["outputs"]
        assert_whole_video(video, folder / name)
        assert rows[name]["seconds"]["burn"] > 0 and rows[name]["audio_seconds"] > 4
    failed_lines = [line for line in run.err.splitlines() if line.startswith("failed: ")]
    assert len(failed_lines) == len(BAD)
    for name, reason in BAD.items():
        assert rows[name]["status"] == "failed" and reason in rows[name]["reason"]
        assert any(line.startswith(f"failed: {name}: {reason}") for line in failed_lines)
    assert "\nerror: 2 of 7 files failed" in run.err  # then the line the load counter adds
    assert not list(folder.glob(".*part*"))


def test_the_model_is_loaded_once_for_the_whole_batch(talks):
    assert "model loads: 1" in talks[1].err


def test_summary_table_and_overall_progress(talks):
    _, run = talks
    assert "videos 5/5" in run.err and "audio min" in run.err
    for name in (*DONE, *BAD):
        assert name in run.out
    assert run.out.count(" done ") == len(DONE) and run.out.count(" failed ") == len(BAD)


def test_a_rerun_skips_everything_and_remembers_the_failures(talks, libre):
    folder, _ = talks
    before = mtimes(folder)
    again = bivideo(*batch_args(folder, libre))
    assert again.code == 1
    assert "transcribe" not in again.err and "failed: " not in again.err  # nothing run again
    rows = report(folder)
    assert {rows[name]["status"] for name in DONE} == {"skipped"}
    assert all(rows[name]["status"] == "failed" and reason in rows[name]["reason"] for name, reason in BAD.items())
    assert mtimes(folder) == before


def test_retry_failed_runs_only_the_failures(talks, libre):
    folder, _ = talks
    before = mtimes(folder)
    shutil.copyfile(folder / "lamps.mov", folder / "new talk.mp4")
    try:
        retried = bivideo(*batch_args(folder, libre, "--retry-failed"))
    finally:
        (folder / "new talk.mp4").unlink()
    assert retried.code == 1
    assert sorted(line.split(":")[1].strip() for line in retried.err.splitlines()
                  if line.startswith("failed: ")) == sorted(BAD)
    rows = report(folder)
    assert rows["new talk.mp4"]["status"] == "not tried"
    assert {rows[name]["status"] for name in DONE} == {"skipped"}
    assert {k: v for k, v in mtimes(folder).items() if k != "new talk.mp4"} == before


def test_preview_writes_subtitles_and_stills_then_burn_keeps_the_edits(talks, libre, tmp_path):
    folder, _ = talks
    out = tmp_path / "review"
    run = bivideo(*batch_args(folder, libre, "--preview", "-o", out))
    assert run.code == 1, run.err
    rows = report(out)
    for name in DONE:
        assert rows[name]["status"] == "done"
        assert any(o.endswith(".bilingual.srt") for o in rows[name]["outputs"])
        assert not any(o.endswith(".mp4") for o in rows[name]["outputs"])
    assert "transcript: reused" in run.err  # the transcripts of the first run, from the cache
    assert not list(out.glob("*.mp4"))
    assert any(o.endswith("bilingual-contact-sheet.png") for o in rows["lamps.mov"]["outputs"]), "no stills"

    # the user fixes one cue, then burns the whole folder: the edit is kept and burned
    edited = out / "lamps.bilingual.srt"
    english = read_srt(edited)[0].content.split("\n")[-1]
    edited.write_text(edited.read_text(encoding="utf-8").replace(english, "Zebra lamps glow", 1), encoding="utf-8")
    run = bivideo(*batch_args(folder, libre, "--burn", "-o", out))
    assert run.code == 1, run.err
    rows = report(out)
    for name in DONE:
        assert rows[name]["status"] == "done", rows[name]
        assert_whole_video(out / f"{Path(name).stem}.bilingual.mp4", folder / name)
    assert "transcript" not in run.err, "--burn transcribed again"
    assert "Zebra lamps glow" in edited.read_text(encoding="utf-8")
    assert read_srt(out / "lamps.en.srt")[0].content == "Zebra lamps glow"
    again = bivideo(*batch_args(folder, libre, "--burn", "-o", out))
    assert {row["status"] for name, row in report(out).items() if name in DONE} == {"skipped"}, again.err


@pytest.fixture(scope="module")
def killed(tmp_path_factory, manifest, libre):
    """Three videos; the run is SIGKILLed (with its ffmpeg) a second into the second one's burn."""
    folder = tmp_path_factory.mktemp("killed batch")
    recordings = {"a first.mp4": "zh06_aishell1_BAC009S0724W0121.wav",
                  "b long.mp4": "en06_harvard_stale_smell_44k_stereo.wav",
                  "c last.mp4": "zh05_funasr_asr_example_zh.wav"}
    for name, recording in recordings.items():
        make_video(manifest[recording]["path"], folder / name, size="960x540")
    proc = subprocess.Popen([str(BIVIDEO), *batch_args(folder, libre)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 600
    while not list(folder.glob(".b long.bilingual.*.part.mp4")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.1)
    time.sleep(1)  # well inside the encode
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    state = json.loads((folder / ".bivideo-batch.json").read_text(encoding="utf-8"))
    finished = {name for name, modes in state["videos"].items() if modes["make"]["status"] == "done"}
    before = mtimes(folder)  # what the kill left, before the rerun
    return folder, finished, before, bivideo(*batch_args(folder, libre))


def test_killed_mid_burn_leaves_nothing_corrupt_and_the_rerun_redoes_nothing_finished(killed):
    folder, finished, before, again = killed
    assert "a first.mp4" in finished and "b long.mp4" not in finished
    assert "b long.bilingual.mp4" not in before, "a half-written video under its final name"
    assert again.code == 0, again.err
    rows = report(folder)
    for name in finished:
        assert rows[name]["status"] == "skipped"
        video = f"{Path(name).stem}.bilingual.mp4"
        assert mtimes(folder)[video] == before[video]
    assert rows["b long.mp4"]["status"] == "done"
    assert "b long.mp4: transcript: reused" in again.err  # resumed after its last finished stage
    for name in rows:
        assert_whole_video(folder / f"{Path(name).stem}.bilingual.mp4", folder / name)
    assert not list(folder.glob(".*part*")), "the killed burn's temporary file was not cleaned up"


def test_ctrl_c_during_a_burn_in_the_worker_stops_cleanly_and_reports(killed, libre):
    """Ctrl-C reaches the whole process group, ffmpeg included: the burn must come out as
    interrupted (rerun next time), not failed (remembered and skipped)."""
    folder = killed[0]
    (folder / "c last.bilingual.mp4").unlink()  # its record no longer holds: c is burned again
    proc = subprocess.Popen([str(BIVIDEO), *batch_args(folder, libre)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while not list(folder.glob(".c last.bilingual.*.part.mp4")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert not (folder / "c last.bilingual.mp4").exists() and not list(folder.glob(".*part*"))
    rows = report(folder)
    assert rows["c last.mp4"]["status"] == "interrupted"
    assert rows["a first.mp4"]["status"] == rows["b long.mp4"]["status"] == "skipped"
    assert bivideo(*batch_args(folder, libre)).code == 0 and (folder / "c last.bilingual.mp4").is_file()
