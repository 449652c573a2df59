"""`bivideo batch` measured (`make bench`): a folder of 4 short videos made from the real
recordings plus a corrupt file, an audio-only file and a zero-byte file.

1. SIGKILL (the whole process group, ffmpeg too) in the middle of the second video's burn,
   on a fresh cache, then a rerun: every final output whole (ffprobe), nothing finished redone
   (mtimes), the killed video resumed from the transcript the killed run finished.
2. Statuses and exit code of one whole batch run: all 4 videos done, 3 failures with
   reasons, exit 1.
3. A rerun with nothing to do: wall and CPU seconds (target: under 2 s for the folder).
4. Batch time against the sum of 4 single `bivideo make` runs of the same videos, in
   interleaved rounds (--force everywhere, so each run transcribes, translates and burns;
   target: batch at most 90% of the sum), with --jobs 1 alongside to show what overlap adds.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support import BIVIDEO, MEDIA, load_average, make_video, measure, rounds_table, status

from tests.servers import libre_server

RECORDINGS = {"jfk.mp4": "en/en08_jfk_inaugural_ask_not.flac", "lamps.mov": "en/en10_librispeech_1089-134686-0001.wav",
              "欢迎.mp4": "zh/zh05_funasr_asr_example_zh.wav",
              "guangzhou talk": "zh/zh06_aishell1_BAC009S0724W0121.wav"}
NOTHING_TO_DO_TARGET, BATCH_RATIO_TARGET = 2.0, 0.90


def build_folder(folder: Path) -> list[Path]:
    """The 4 videos (one without an extension: found by content) and the 3 bad files."""
    folder.mkdir()
    videos = []
    for name, recording in RECORDINGS.items():
        made = make_video(MEDIA / recording, folder / "made.mp4")
        videos.append(made.rename(folder / name))
    (folder / "corrupt.mp4").write_bytes((folder / "jfk.mp4").read_bytes()[:300_000])
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(MEDIA / RECORDINGS["lamps.mov"]), "-c:a", "aac",
                    str(folder / "audio only.m4a")], check=True)
    (folder / "zero bytes.mp4").touch()
    return videos


def duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(path)], capture_output=True, text=True, check=False).stdout.strip()
    return float(out) if out else -1.0


def files(report: Path) -> dict[str, dict]:
    return {row["file"]: row for row in json.loads(report.read_text(encoding="utf-8"))["files"]}


def bench_statuses(folder: Path, out: Path, translator: list[str]) -> None:
    run = measure([str(BIVIDEO), "batch", str(folder), "-o", str(out), *translator], expect=(1,))
    print(f"\n2. One whole batch run: exit code {run.code} (expected 1: some files failed), {run.seconds:.1f} s")
    for name, row in files(out / "batch-report.json").items():
        print(f"   {name:<16}{row['status']:<8}{row.get('reason', '')[:70]}")
    rows = files(out / "batch-report.json")
    good = all(rows[name]["status"] == "done" for name in RECORDINGS) and len(rows) == 7
    failed = sum(row["status"] == "failed" for row in rows.values())
    verdict = "PASS" if good and failed == 3 and run.code == 1 else "FAIL"
    print(f"   4 done, {failed} failed with reasons, exit {run.code}: {verdict}")


def bench_kill(folder: Path, out: Path, translator: list[str]) -> None:
    second = sorted(RECORDINGS)[1]
    proc = subprocess.Popen([str(BIVIDEO), "batch", str(folder), "-o", str(out), *translator],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    stem = Path(second).stem
    while not list(out.glob(f".{glob.escape(stem)}.*.part.mp4")):
        if proc.poll() is not None:
            sys.exit("bench: the batch ended before the burn to kill began")
        time.sleep(0.05)
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finals = platform_videos(out)
    left = len(list(out.glob(".*part*")))  # the killed burn's temporary file
    before = {p.name: p.stat().st_mtime_ns for p in finals}
    whole = [p.name for p in finals if abs(duration(p) - duration(folder / _source(p.name))) <= 0.1]
    rerun = measure([str(BIVIDEO), "batch", str(folder), "-o", str(out), *translator], expect=(1,))
    rows = files(out / "batch-report.json")
    redone = [name for name, mtime in before.items() if (out / name).stat().st_mtime_ns != mtime]
    resumed = f"{second}: transcript: reused" in rerun.stderr
    after = platform_videos(out)
    all_whole = all(abs(duration(p) - duration(folder / _source(p.name))) <= 0.1 for p in after)
    print(f"\n1. SIGKILL of the process group a second into the burn of {second!r}, then a rerun")
    print(f"   after the kill: finished videos {len(finals)} ({', '.join(before) or 'none'}), whole by ffprobe: "
          f"{len(whole)}; half-written under a final name: {len(finals) - len(whole)}; "
          f"temporary files left: {left} before the rerun")
    statuses = ", ".join(f"{name}={row['status']}" for name, row in rows.items() if name in RECORDINGS)
    print(f"   rerun: {statuses}")
    print(f"   finished outputs redone: {len(redone)}; {second} resumed from its transcript: {resumed}; "
          f"all {len(after)} videos whole: {all_whole}; temporary files left: {len(list(out.glob('.*part*')))}")
    ok = len(finals) == len(whole) and not redone and resumed and all_whole and len(after) == 2 * len(RECORDINGS)
    print(f"   nothing corrupt, nothing finished redone: {'PASS' if ok else 'FAIL'}")


def platform_videos(folder: Path) -> list[Path]:
    """The finished videos: by default each talk gets a LinkedIn and a WeChat one."""
    return sorted([*folder.glob("*.linkedin.mp4"), *folder.glob("*.wechat.mp4")])


def _source(output_name: str) -> str:
    stem = output_name.removesuffix(".linkedin.mp4").removesuffix(".wechat.mp4")
    return next(name for name in RECORDINGS if Path(name).stem == stem)


def bench_nothing_to_do(folder: Path, out: Path, translator: list[str], rounds: int = 5) -> None:
    runs = [measure([str(BIVIDEO), "batch", str(folder), "-o", str(out), *translator], expect=(1,))
            for _ in range(rounds)]
    walls, cpus = [r.seconds for r in runs], [r.cpu for r in runs]
    skipped = all(row["status"] in ("skipped", "failed") for row in files(out / "batch-report.json").values())
    wall = statistics.median(walls)
    print(f"\n3. Rerun with nothing to do (7 files, {rounds} runs): wall s {' '.join(f'{w:.2f}' for w in walls)}; "
          f"median {wall:.2f} s (target < {NOTHING_TO_DO_TARGET:g} s) "
          f"{'PASS' if wall < NOTHING_TO_DO_TARGET and skipped else 'FAIL'}")
    print(f"   cpu s (user + system, what an idle machine's wall time would be): median {statistics.median(cpus):.2f}; "
          f"load average now {load_average()}")


def bench_throughput(folder: Path, videos: list[Path], tmp: Path, translator: list[str], rounds: int) -> None:
    rows: dict[str, list[float]] = {"batch --jobs 2": [], "batch --jobs 1": [], "sum of 4 single makes": []}
    for n in range(1, rounds + 1):
        for jobs in (2, 1):
            status(f"round {n}/{rounds}: batch --jobs {jobs} --force")
            run = measure([str(BIVIDEO), "batch", str(folder), "-o", str(tmp / f"jobs{jobs}"), "--jobs", str(jobs),
                           "--force", "-q", *translator], expect=(1,))
            rows[f"batch --jobs {jobs}"].append(run.seconds)
        status(f"round {n}/{rounds}: 4 single makes --force")
        rows["sum of 4 single makes"].append(sum(
            measure([str(BIVIDEO), "make", str(video), "-o", str(tmp / "single"), "--force", "-q", *translator]).seconds
            for video in videos))
    print(f"\n4. Batch vs single makes of the same 4 videos (1280x720; the batch also meets the 3 bad files), "
          f"{rounds} interleaved rounds")
    rounds_table("seconds", rows, digits=1)
    total = statistics.median(rows["sum of 4 single makes"])
    for jobs in (2, 1):
        ratio = statistics.median(rows[f"batch --jobs {jobs}"]) / total
        passed = "PASS" if ratio <= BATCH_RATIO_TARGET else "FAIL"
        verdict = f" (target <= {BATCH_RATIO_TARGET:.0%}) {passed}" if jobs == 2 else ""
        print(f"   batch --jobs {jobs} / sum: {ratio:.1%}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, metavar="N", help="throughput rounds [%(default)s]")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    if not MEDIA.is_dir():
        print(f"batch bench skipped: the real test media folder {MEDIA} is absent")
        return
    print(f"bivideo batch bench  {time.strftime('%Y-%m-%d %H:%M')}  nproc {os.cpu_count()}, "
          f"load average {load_average()}")
    with tempfile.TemporaryDirectory(prefix="bivideo-batch-bench-") as tmp_name, libre_server() as (url, _):
        tmp = Path(tmp_name)
        os.environ["BIVIDEO_CACHE"] = str(tmp / "cache")
        translator = ["--model", "base", "--translator", "libre", "--translator-url", url]
        status("preparing model base and building the folder (untimed)")
        measure([str(BIVIDEO), "models", "--prepare", "base"])
        videos = build_folder(tmp / "talks")
        bench_kill(tmp / "talks", tmp / "killed", translator)
        bench_statuses(tmp / "talks", tmp / "first", translator)
        bench_nothing_to_do(tmp / "talks", tmp / "killed", translator)
        bench_throughput(tmp / "talks", videos, tmp, translator, args.rounds)
    print(f"\nload average at the end: {load_average()} (above nproc: other work shared the cores)")


if __name__ == "__main__":
    main()
