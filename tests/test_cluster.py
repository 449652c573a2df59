"""`bivideo batch DIR --cluster` on a real Ray cluster: a head and a worker node, each a
`ray start` process on this machine with one CPU, real videos from ../shared/media, the real
model and the local translation server. The same outputs as a local batch; the model loaded
once per actor; a worker killed mid-burn and the driver killed mid-batch; a node that cannot
see the files; and no Ray installed."""

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
from tests.raycluster import loopback_only, ray_cluster

pytestmark = pytest.mark.slow

GOOD = {"lamps.mp4": "en10_librispeech_1089-134686-0001.wav", "欢迎 talk.mp4": "zh05_funasr_asr_example_zh.wav",
        "广州.mov": "zh06_aishell1_BAC009S0724W0121.wav"}
QUICK = ["--model", "base", "--for", "none", "--quality", "draft"]


def batch_args(folder: Path, libre, *more: str) -> list[str]:
    return ["batch", str(folder), "--translator", "libre", "--translator-url", libre[0], *QUICK, *more]


def report(folder: Path) -> dict:
    return json.loads((folder / "batch-report.json").read_text(encoding="utf-8"))


def rows(folder: Path) -> dict[str, dict]:
    return {row["file"]: row for row in report(folder)["files"]}


def files(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in folder.iterdir() if not p.name.startswith(".") and p.name != "batch-report.json"}


def assert_whole_video(video: Path, source: Path) -> None:
    data = probe_json(video)
    assert {s["codec_type"] for s in data["streams"]} == {"video", "audio"}
    assert abs(float(data["format"]["duration"]) - float(probe_json(source)["format"]["duration"])) <= 0.1


def processes() -> list[tuple[int, str]]:
    """(pid, command line) of every process."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace")))
            except OSError:
                continue
    return found


def burning(source: Path) -> tuple[int, int] | None:
    """(ffmpeg's pid, its parent's: the Ray worker running the burn) for the ffmpeg encoding
    a chunk of `source`'s videos."""
    for pid, command in processes():
        if "ffmpeg" in command and str(source) in command and " part0.mp4 " in command:
            try:
                return pid, int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return None


@pytest.fixture(scope="module")
def cluster():
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    pytest.importorskip("ray", reason="Ray not installed: pip install 'bivideo[cluster]'")
    if not loopback_only():  # Ray would put its nodes on the machine's outward address
        pytest.skip("needs a network namespace with only loopback: run through tools/loopback-only, as make test does")
    with ray_cluster(workers=1, cpus=1) as running:
        yield running


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory, manifest, libre, cluster, isolated_cache):
    """The same folder (3 good videos, 1 broken) as a local batch and as a cluster batch,
    each with a cache of its own (so the cluster transcribes everything again)."""
    root = tmp_path_factory.mktemp("side by side")
    local, spread = root / "local", root / "cluster"
    local.mkdir()
    for name, recording in GOOD.items():
        make_video(manifest[recording]["path"], local / name, size="320x180")
    (local / "broken.mp4").write_bytes((local / "lamps.mp4").read_bytes()[:100_000])
    shutil.copytree(local, spread)
    here = bivideo(*batch_args(local, libre))
    cache = root / "cluster cache"
    cache.mkdir()
    (cache / "models").symlink_to(isolated_cache / "models")  # the model, prepared once; no work folders
    started = time.monotonic()
    # --model auto (the last --model counts), chosen by the driver for an actor of 1 CPU: base
    there = bivideo(*batch_args(spread, libre, "--cluster", "ray", "--model", "auto"),
                    env={"RAY_ADDRESS": cluster.address, "BIVIDEO_CACHE": str(cache)})
    return local, here, spread, there, time.monotonic() - started


def test_a_cluster_batch_gives_what_a_local_batch_gives(side_by_side):
    local, here, spread, there, _ = side_by_side
    assert "Traceback" not in there.err
    assert here.code == there.code == 1, there.err
    assert "model: base, int8 on 1 CPU (auto: small needs 8 CPUs" in there.err, there.err
    assert {n: (r["status"], r.get("reason", "").replace(str(local), "DIR")) for n, r in rows(local).items()} == \
        {n: (r["status"], r.get("reason", "").replace(str(spread), "DIR")) for n, r in rows(spread).items()}
    assert {r["status"] for n, r in rows(spread).items() if n in GOOD} == {"done"}
    assert set(files(local)) == set(files(spread))
    subtitles = [name for name in files(local) if name.endswith(".srt")]
    assert len(subtitles) == 3 * len(GOOD)
    for name in subtitles:
        assert files(spread)[name].read_bytes() == files(local)[name].read_bytes(), name
    for name in GOOD:
        assert_whole_video(spread / f"{Path(name).stem}.bilingual.mp4", spread / name)
    assert there.err.count("failed: broken.mp4: ") == 1
    assert "error: 1 of 4 files failed" in there.err
    assert not list(spread.glob(".*part*"))
    cluster = report(spread)["cluster"]
    assert len(cluster["nodes"]) == 2


def test_b_the_model_is_loaded_once_per_actor_not_once_per_video(side_by_side):
    cluster = report(side_by_side[2])["cluster"]
    loads = cluster["model_loads"]
    assert loads and all(actor["model_loads"] == 1 for actor in loads), loads
    assert len(loads) < len(GOOD), "one actor per video: nothing shows the model is kept"
    assert cluster["ray_bytes_per_video"] < 100_000, "media bytes went through Ray's object store"


def test_a_rerun_on_the_cluster_skips_everything(side_by_side, libre, cluster):
    spread = side_by_side[2]
    before = {name: p.stat().st_mtime_ns for name, p in files(spread).items()}
    # the settings of the first run (--model auto as typed: the batch's state is keyed by them)
    again = bivideo(*batch_args(spread, libre, "--cluster", cluster.address, "--model", "auto"))
    assert again.code == 1 and "failed: " not in again.err
    assert {r["status"] for n, r in rows(spread).items() if n in GOOD} == {"skipped"}
    assert {name: p.stat().st_mtime_ns for name, p in files(spread).items()} == before


def batch_burning(folder: Path, stem: str, libre, cluster) -> tuple[subprocess.Popen, tuple[int, int]]:
    """A cluster batch of `folder` started in the background, once the burn of `stem` is seen
    running: the batch process and the burn's (ffmpeg pid, its parent pid)."""
    proc = subprocess.Popen([str(BIVIDEO), *batch_args(folder, libre, "--cluster", cluster.address)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline, found = time.monotonic() + 300, None
    while found is None and time.monotonic() < deadline and proc.poll() is None:
        found = burning(folder / f"{stem}.mp4")
        time.sleep(0.05)
    assert found, "the burn was never seen running"
    return proc, found


def test_c_a_worker_killed_mid_burn_is_retried_and_the_outputs_are_whole(tmp_path, manifest, libre, cluster):
    folder = tmp_path / "killed worker"
    folder.mkdir()
    make_video(manifest["en06_harvard_stale_smell_44k_stereo.wav"]["path"], folder / "long talk.mp4", size="960x540")
    proc, found = batch_burning(folder, "long talk", libre, cluster)
    os.kill(found[1], signal.SIGKILL)  # the Ray worker process running the burn task
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    row = rows(folder)["long talk.mp4"]
    assert row["status"] == "done" and row["retried"] == {"burn": 1}, row
    assert_whole_video(folder / "long talk.bilingual.mp4", folder / "long talk.mp4")
    assert "kept your edited" not in err, "the retry took the first attempt's files for the user's edits"
    time.sleep(1)  # the killed attempt's ffmpeg stops at its next progress line (its pipe is gone)
    assert not list(folder.glob(".*part*")), "a half-written file was left"


def test_c2_a_worker_killed_mid_transcription_is_retried_in_a_restarted_actor(tmp_path, manifest, libre, cluster):
    folder = tmp_path / "killed transcriber"
    folder.mkdir()
    make_video(manifest["en06_harvard_stale_smell_44k_stereo.wav"]["path"], folder / "talk.mp4", size="320x180")
    proc = subprocess.Popen([str(BIVIDEO), *batch_args(folder, libre, "--cluster", cluster.address)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline, actor = time.monotonic() + 300, None
    while actor is None and time.monotonic() < deadline and proc.poll() is None:
        actor = next((pid for pid, command in processes() if command.startswith("ray::Transcriber.prepare")), None)
        time.sleep(0.05)
    assert actor, "the transcription was never seen running"
    time.sleep(1)  # inside the stage
    os.kill(actor, signal.SIGKILL)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    row = rows(folder)["talk.mp4"]
    assert row["status"] == "done" and row["retried"] == {"transcribe": 1}, row
    assert_whole_video(folder / "talk.bilingual.mp4", folder / "talk.mp4")
    assert not list(folder.glob(".*part*"))


def test_d_the_driver_killed_then_a_rerun_redoes_nothing_finished(tmp_path, manifest, libre, cluster):
    folder = tmp_path / "killed driver"
    folder.mkdir()
    for name, recording in {"a first.mp4": "zh06_aishell1_BAC009S0724W0121.wav",
                            "b long.mp4": "en06_harvard_stale_smell_44k_stereo.wav",
                            "c last.mp4": "zh05_funasr_asr_example_zh.wav"}.items():
        make_video(manifest[recording]["path"], folder / name, size="960x540")
    proc = subprocess.Popen([str(BIVIDEO), *batch_args(folder, libre, "--cluster", cluster.address)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    state = folder / ".bivideo-batch.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        done = json.loads(state.read_text(encoding="utf-8"))["videos"] if state.is_file() else {}
        if "a first.mp4" in done and burning(folder / "b long.mp4"):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the batch never reached b's burn")
    os.kill(proc.pid, signal.SIGKILL)  # the driver only: Ray ends its job's workers
    proc.wait()
    before = {name: p.stat().st_mtime_ns for name, p in files(folder).items()}
    assert "b long.bilingual.mp4" not in before, "a half-written video under its final name"
    again = bivideo(*batch_args(folder, libre, "--cluster", cluster.address))
    assert again.code == 0, again.err
    now = rows(folder)
    assert now["a first.mp4"]["status"] == "skipped"
    assert files(folder)["a first.bilingual.mp4"].stat().st_mtime_ns == before["a first.bilingual.mp4"]
    assert now["b long.mp4"]["status"] == now["c last.mp4"]["status"] == "done"
    assert "b long.mp4: transcript: reused" in again.err  # resumed after its last finished stage
    for name in now:
        assert_whole_video(folder / f"{Path(name).stem}.bilingual.mp4", folder / name)
    assert not list(folder.glob(".*part*"))


def test_ctrl_c_stops_the_cluster_batch_cleanly_and_reports_interrupted(tmp_path, manifest, libre, cluster):
    folder = tmp_path / "interrupted"
    folder.mkdir()
    make_video(manifest["en06_harvard_stale_smell_44k_stereo.wav"]["path"], folder / "talk.mp4", size="960x540")
    proc, _ = batch_burning(folder, "talk", libre, cluster)
    os.killpg(proc.pid, signal.SIGINT)  # the driver's terminal; the nodes are elsewhere
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert rows(folder)["talk.mp4"]["status"] == "interrupted"
    time.sleep(1)  # the cancelled burn's ffmpeg stops at its next progress line
    assert not (folder / "talk.bilingual.mp4").exists() and not list(folder.glob(".*part*"))


def test_e_a_path_a_node_cannot_see_is_one_line_naming_node_and_path(tmp_path, manifest, libre, cluster):
    """A third node whose view of the folder is an empty directory (a tmpfs mounted over it
    in its own mount namespace): as a node without the NFS mount would see it."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to give one node another view of a folder")
    folder = tmp_path / "not shared"
    folder.mkdir()
    make_video(manifest["zh06_aishell1_BAC009S0724W0121.wav"]["path"], folder / "talk.mp4", size="320x180")
    cluster.worker(cpus=1, wrap=["unshare", "-m", "--propagation", "private", "sh", "-c",
                                 'mount -t tmpfs none "$0" && exec "$@"', str(folder)])
    run = bivideo(*batch_args(folder, libre, "--cluster", cluster.address))
    assert run.code == 1
    errors = [line for line in run.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in run.err, run.err
    assert f"cannot see {folder / 'talk.mp4'}" in errors[0] and "node " in errors[0], errors[0]
    assert not (folder / "talk.bilingual.mp4").exists() and not (folder / "talk.bilingual.srt").exists()


def test_f_without_ray_cluster_says_what_to_install(tmp_path):
    hidden = ("import sys\nsys.modules['ray'] = None\nfrom bivideo import cli\n"
              "sys.argv = ['bivideo', *sys.argv[1:]]\ncli.main()\n")
    done = subprocess.run([sys.executable, "-c", hidden, "batch", str(tmp_path), "--cluster", "ray"],
                          capture_output=True, text=True, timeout=120)
    run = Run(done.returncode, done.stdout, done.stderr)
    assert run.code == 1 and run.err.count("\n") == 1, run.err
    assert "pip install 'bivideo[cluster]'" in run.err and "Traceback" not in run.err


def test_a_named_cluster_that_does_not_answer_is_one_line_at_once(tmp_path, manifest):
    pytest.importorskip("ray", reason="Ray not installed: pip install 'bivideo[cluster]'")
    make_video(manifest["zh06_aishell1_BAC009S0724W0121.wav"]["path"], tmp_path / "talk.mp4", size="320x180")
    started = time.monotonic()
    run = bivideo("batch", tmp_path, "--cluster", "127.0.0.1:1")
    assert run.code == 1 and time.monotonic() - started < 60
    assert run.err.strip().count("\n") == 0 and "no Ray cluster answers at 127.0.0.1:1" in run.err, run.err
