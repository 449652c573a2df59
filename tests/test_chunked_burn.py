"""The burn a chunk at a time (burn.CHUNK_SECONDS, made short here): joined, the chunks hold
every frame of the source once, in order, at its time beside the sound; a cue that crosses a
join is drawn on exactly its frames; and an interrupted burn keeps its finished chunks, while
what killed runs left goes once a day old."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from bivideo import burn, platforms, probe, subtitles
from bivideo.datatypes import Cue
from tests.conftest import probe_json

RATE, SECONDS, DELAY = 30, 7, 0.1  # the picture starts DELAY after the sound (3 frames)
CUE = Cue(1.5, 2.6, "Across the join", "跨过接缝")  # shown on frames 45 to 77; a join at 2 s


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """Frame k's top half has its own grey level, its bottom half is plain (where the
    subtitles go); keyframes 3 s apart, so a chunk's seek decodes from an earlier one."""
    folder = tmp_path_factory.mktemp("chunked")
    levels = folder / "levels.mp4"
    ffmpeg("-f", "lavfi", "-i", f"color=c=black:s=320x180:r={RATE},"
           "geq=lum='if(lt(Y,H/2),16+mod(N*37,200),60)':cb=128:cr=128",
           "-f", "lavfi", "-i", "sine=f=440:r=48000", "-t", str(SECONDS), "-c:v", "libx264", "-qp", "0",
           "-g", str(3 * RATE), "-pix_fmt", "yuv420p", "-c:a", "aac", str(levels))
    delayed = folder / "delayed.mp4"
    ffmpeg("-itsoffset", str(DELAY), "-i", str(levels), "-i", str(levels), "-map", "0:v", "-map", "1:a",
           "-c", "copy", str(delayed))
    return delayed


def target(out: Path, cues: list[Cue]) -> burn.Target:
    frame = platforms.frame(320, 180, "keep")
    return burn.Target(out, frame, subtitles.bilingual_ass(cues, frame.width, frame.height, "Noto Sans CJK SC"), 4000)


def grey_frames(video: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-i", str(video), "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, 180, 320).astype(float)


@pytest.mark.slow
def test_joined_chunks_hold_every_frame_once_at_its_time_and_the_cue_across_a_join(source, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setattr(burn, "CHUNK_SECONDS", 2.0)
    out, work = tmp_path / "talk.mp4", tmp_path / "it's [a] work folder"  # as a cache path could be
    burn.burn(probe.probe(source), [target(out, [CUE])], work, lambda done: None)
    frames = grey_frames(out)
    delay = round(DELAY * RATE)
    assert len(frames) == SECONDS * RATE + delay  # the picture's late start is held, as a player shows it
    picture = frames[:, 20:70, 100:220].mean(axis=(1, 2))
    wanted = np.array([(max(0, k - delay) * 37) % 200 * 255 / 219 for k in range(len(frames))])
    assert np.abs(picture - wanted).max() < 4  # no frame early, late, lost or repeated at the joins
    lit = np.nonzero((frames[:, 100:, :] > 150).sum(axis=(1, 2)) > 5)[0]  # the bottom is 51 without text
    assert (lit.min(), lit.max()) == (45, 77)  # 1.5 s to 2.6 s of the talk, across the join at 2 s
    streams = {s["codec_type"]: s for s in probe_json(out)["streams"]}
    assert float(streams["audio"]["duration"]) == pytest.approx(SECONDS, abs=0.03)
    assert float(streams["audio"].get("start_time", 0)) == pytest.approx(0, abs=0.01)
    assert not list(work.iterdir())  # the chunks and the run's own folder are gone once joined


@pytest.mark.slow
def test_an_interrupted_burn_encodes_only_what_is_left(source, tmp_path, monkeypatch):
    monkeypatch.setattr(burn, "CHUNK_SECONDS", 2.5)
    info, work, out = probe.probe(source), tmp_path / "work", tmp_path / "talk.mp4"

    def stop_after_the_first_chunk(done: float) -> None:
        if done >= 2.5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        burn.burn(info, [target(out, [CUE])], work, stop_after_the_first_chunk)
    assert len(list(work.glob("chunk-*.mp4"))) == 1 and not out.exists()
    # what a killed run (no tidying) and a run with other subtitles left, a day ago and just now
    day_ago = time.time() - burn.STALE - 60
    for name in ("run-killed", "run-busy"):
        (work / name).mkdir()
        (work / name / "part0.mp4").write_bytes(b"half")
    for name in ("chunk-other-0.mp4", "chunk-recent-0.mp4"):
        (work / name).write_bytes(b"done")
    os.utime(work / "run-killed", (day_ago, day_ago))
    os.utime(work / "chunk-other-0.mp4", (day_ago, day_ago))
    encoded = []
    real_run = burn.run_ffmpeg
    monkeypatch.setattr(burn, "run_ffmpeg", lambda args, *rest: (encoded.append(args), real_run(args, *rest)))
    burn.burn(info, [target(out, [CUE])], work, lambda done: None)
    chunk_runs = [args for args in encoded if "-filter_complex" in args]
    assert len(chunk_runs) == 2 and all("-ss" in args for args in chunk_runs)  # the first chunk was kept
    assert len(grey_frames(out)) == SECONDS * RATE + round(DELAY * RATE)
    assert sorted(p.name for p in work.iterdir()) == ["chunk-recent-0.mp4", "run-busy"]  # the day-old ones went

    with pytest.raises(KeyboardInterrupt):  # interrupted again, and then the subtitles are edited
        burn.burn(info, [target(out, [CUE])], work, stop_after_the_first_chunk)
    encoded.clear()
    burn.burn(info, [target(out, [Cue(1.5, 2.6, "Edited", "改过")])], work, lambda done: None)
    assert len([args for args in encoded if "-filter_complex" in args]) == 3  # nothing of the old subtitles kept
