"""What `--highlight words` costs in the burn (`make bench`): `bivideo burn` of the same talk
with and without it, rounds interleaved, CPU seconds (the process and ffmpeg) compared by
their medians. Target: under 5% more.

The talk is a real recording (../shared/media, 35 s of read English: one highlighted word
about every 0.4 s) under a moving test pattern, made into subtitles once by
`bivideo make --preview` with the local LibreTranslate stand-in; both burns write both
platforms' videos at the default quality.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from support import BIVIDEO, DEFAULT_MEDIA, load_average, make_video, measure, rounds_table, status

from tests.servers import libre_server

TARGET = 1.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, metavar="N", help="interleaved rounds [%(default)s]")
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA, help="the recording [%(default)s]")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    if not args.media.is_file():
        print(f"highlight bench skipped: {args.media} is absent")
        return
    print(f"bivideo highlight bench, nproc {os.cpu_count()}, load average {load_average()}")
    with tempfile.TemporaryDirectory(prefix="bivideo-bench-highlight-") as tmp, libre_server() as (url, _):
        os.environ["BIVIDEO_CACHE"] = str(Path(tmp) / "cache")
        status("making the talk and its subtitles (untimed)")
        video = make_video(args.media, Path(tmp) / "talk.mp4")
        measure([str(BIVIDEO), "make", str(video), "--preview", "--quiet", "--model", "base", "--translator", "libre",
                 "--translator-url", url])
        plain, lit = [], []
        for n in range(1, args.rounds + 1):
            status(f"round {n}/{args.rounds}")
            plain.append(measure([str(BIVIDEO), "burn", str(video), "--quiet"]))
            lit.append(measure([str(BIVIDEO), "burn", str(video), "--quiet", "--highlight", "words"]))
        karaoke = (Path(tmp) / "talk.bilingual.ass").read_text(encoding="utf-8").count("\\k")
    print(f"\nbivideo burn with and without --highlight words ({args.media.name}, {karaoke} words lit, "
          f"linkedin + wechat videos, rounds: {args.rounds}, interleaved)")
    rounds_table("cpu seconds", {"burn": [r.cpu for r in plain], "burn --highlight words": [r.cpu for r in lit]},
                 width=26)
    ratio = statistics.median(r.cpu for r in lit) / statistics.median(r.cpu for r in plain)
    wall = statistics.median(r.seconds for r in lit) / statistics.median(r.seconds for r in plain)
    print(f"   with/without (cpu medians): {ratio:.3f} (target < {TARGET}) {'PASS' if ratio < TARGET else 'FAIL'}; "
          f"wall-clock medians: {wall:.3f}")
    print(f"load average at the end: {load_average()} (above nproc: other work shared the cores)")


if __name__ == "__main__":
    main()
