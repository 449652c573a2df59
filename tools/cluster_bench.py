"""`bivideo batch --cluster ray` measured (`make bench`), on this machine.

A Ray cluster of one node with this machine's CPUs (`ray start --head`, started once and
left running, as a cluster is) against the local batch of the same folder of 4 short videos
made from the real recordings, in interleaved rounds, each run on a fresh output folder with
--force (every stage redone: transcribe, translate, burn). Both use the same 2 cores: what is
measured is what Ray costs, not what more machines give.

1. Wall time, cluster vs local, side by side. Target: overhead at most 15% of the local wall.
2. Scheduling overhead per video: the time between the driver sending a stage and having its
   result, less the time the stage ran on its node (from the report's cluster section).
3. Bytes through Ray per video (arguments and results: paths, settings, cues), against the
   video's own size. Target: no media bytes; files stay on shared storage.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from support import BIVIDEO, MEDIA, load_average, make_video, measure, status

from tests.raycluster import ray_cluster
from tests.servers import libre_server

RECORDINGS = {"jfk.mp4": "en/en08_jfk_inaugural_ask_not.flac", "lamps.mov": "en/en10_librispeech_1089-134686-0001.wav",
              "欢迎.mp4": "zh/zh05_funasr_asr_example_zh.wav", "guangzhou.mp4": "zh/zh06_aishell1_BAC009S0724W0121.wav"}
OVERHEAD_TARGET = 0.15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the one-node cluster (this machine's)")
    parser.add_argument("--size", default="640x360")
    args = parser.parse_args()
    if not MEDIA.is_dir():
        sys.exit(f"bench: no test media at {MEDIA}")
    try:
        import ray  # noqa: F401
    except ImportError:
        sys.exit("bench: Ray is not installed: pip install 'bivideo[cluster]'")
    print(f"\nbivideo cluster bench  {time.strftime('%Y-%m-%d %H:%M')}  load average {load_average()}")
    with tempfile.TemporaryDirectory(prefix="bivideo-cluster-bench-") as temp, libre_server() as libre:
        root = Path(temp)
        folder = root / "talks"
        folder.mkdir()
        status("making the videos")
        for name, recording in RECORDINGS.items():
            make_video(MEDIA / recording, folder / name, size=args.size)
        media_bytes = statistics.mean(p.stat().st_size for p in folder.iterdir())
        common = ["--model", "base", "--translator", "libre", "--translator-url", libre[0], "--for", "none", "--force",
                  "-q"]
        status("warming up (model prepared, caches filled)")
        measure([str(BIVIDEO), "batch", str(folder), "-o", str(root / "warm"), *common])
        started = time.monotonic()
        with ray_cluster(workers=0, cpus=args.cpus) as cluster:
            cluster_start = time.monotonic() - started
            walls: dict[str, list[float]] = {"local": [], "cluster": []}
            reports = []
            for n in range(args.rounds):
                for kind in ("local", "cluster"):
                    out = root / f"{kind}{n}"
                    extra = ["--cluster", cluster.address] if kind == "cluster" else []
                    status(f"round {n + 1}/{args.rounds}: {kind} batch")
                    run = measure([str(BIVIDEO), "batch", str(folder), "-o", str(out), *common, *extra])
                    walls[kind].append(run.seconds)
                    if kind == "cluster":
                        reports.append(json.loads((out / "batch-report.json").read_text(encoding="utf-8")))
    local, spread = statistics.median(walls["local"]), statistics.median(walls["cluster"])
    overhead = spread / local - 1
    info = [r["cluster"] for r in reports]
    scheduling = statistics.mean(i["scheduling_seconds_per_video"] for i in info)
    moved = statistics.mean(i["ray_bytes_per_video"] for i in info)
    loads = [a["model_loads"] for i in info for a in i["model_loads"]]
    print(f"one node, {args.cpus} CPUs (started once: {cluster_start:.1f} s, not counted); 4 videos "
          f"{args.size}, {args.rounds} interleaved rounds, every stage redone (--force)")
    rounds = {kind: ", ".join(f"{w:.1f}" for w in seconds) for kind, seconds in walls.items()}
    print(f"\n1. Wall time: local {local:.1f} s  cluster {spread:.1f} s  (each round: local {rounds['local']}; "
          f"cluster {rounds['cluster']})")
    print(f"   cluster overhead {overhead:+.1%} of the local wall (target <= {OVERHEAD_TARGET:.0%}): "
          f"{'PASS' if overhead <= OVERHEAD_TARGET else 'FAIL'}")
    print(f"   transcriber actors: {info[0]['transcribers']} ({info[0]['transcriber_resources']}), model loads "
          f"per actor {loads}; burns ask for {info[0]['burn_cpus']} CPU")
    print(f"\n2. Scheduling overhead: {scheduling:.2f} s per video (driver send -> result, less the stage's own "
          "time; includes waiting for a free CPU)")
    done = [row for r in reports for row in r["files"] if row["status"] == "done"]
    audio = sum(row["audio_seconds"] for row in done)
    for stage in ("prepare", "burn"):
        spent = sum(row["seconds"].get(stage, 0.0) for row in done)
        print(f"   {stage}: {spent / audio:.2f} s per audio second on one CPU slot ({args.size}, "
              "default quality; short clips, so fixed costs weigh more than in a long talk)")
    verdict = "PASS, no media bytes" if moved < media_bytes / 10 else "FAIL"
    print(f"\n3. Through Ray per video: {moved / 1024:.1f} kB (paths, settings, cues) against "
          f"{media_bytes / 1e6:.1f} MB of video: {verdict}")


if __name__ == "__main__":
    main()
