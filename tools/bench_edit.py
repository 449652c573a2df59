"""Fixing subtitles before burning, timed side by side in one run (`make bench`).

1. `bivideo burn` after an edit to the bilingual SRT vs a single ffmpeg encode with the same
   arguments, subtitles and font (what burning cannot avoid). Target: within 5%.
   Rounds are interleaved and medians compared: the machine is shared and noisy.
2. `bivideo preview` (the whole command: start-up, probe, stills and contact sheet) on a
   10-minute video (stills and a contact sheet per platform). Target: under 5 s.
Videos are generated with ffmpeg lavfi (untimed); nothing from ../shared is needed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from support import BIVIDEO, load_average, measure, rounds_table, status

from bivideo import burn, flow, render, subtitles, toolchain
from bivideo.datatypes import Cue
from bivideo.settings import Settings
from bivideo.ui import Reporter

BURN_TARGET, PREVIEW_TARGET = 1.05, 5.0


def lavfi_video(dest: Path, seconds: int, size: str = "1280x720") -> Path:
    """A talk-shaped video: moving test pattern at 25 fps, a tone as audio (H.264 + AAC)."""
    subprocess.run([toolchain.ffmpeg(), "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size={size}:rate=25", "-f", "lavfi", "-i", "sine=frequency=220",
                    "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "96k", str(dest)], check=True)
    return dest


def talk_cues(seconds: float) -> list[Cue]:
    return [Cue(t, t + 2.8, f"Line {k} of the benchmark talk", f"基准测试第{k}行", "en")
            for k, t in enumerate(range(1, int(seconds) - 3, 3), 1)]


def bench_burn(tmp: Path, rounds: int) -> None:
    status("burn: building a 60 s 1280x720 video (untimed)")
    video = lavfi_video(tmp / "burn talk.mp4", 60)
    bilingual = tmp / "burn talk.bilingual.srt"
    written = talk_cues(60)
    bilingual.write_text(subtitles.bilingual_srt(written), encoding="utf-8")
    edited = bilingual.read_text(encoding="utf-8").replace("Line 3 of", "Line three of")
    bilingual.write_text(edited, encoding="utf-8")  # the user's edit
    # the very command line `bivideo burn` runs (every platform's video, the edited cues, the
    # same encoder and quality), run by itself: what burning cannot avoid
    settings, reporter = Settings(), Reporter(quiet=True)
    job = flow.on_disk(video, settings, reporter)
    info, videos = job.info, render.targets(job, settings, reporter)
    encode = tmp / "encode"
    burn.prepare_folder(encode, {f"subtitles{n}.ass": t.ass for n, t in enumerate(videos)})
    ffmpeg = toolchain.ffmpeg_with_libass()
    args = burn.chunk_args(ffmpeg, info, videos, burn.Chunk(0, 0.0, None), encoder_name=burn.encoder(ffmpeg),
                           tonemap=toolchain.has_filter(ffmpeg, "zscale"))
    burns, encodes = [], []
    for n in range(1, rounds + 1):
        status(f"burn: round {n}/{rounds}")
        burns.append(measure([str(BIVIDEO), "burn", str(video), "--quiet"]))
        encodes.append(measure(args, cwd=encode))
    print(f"\n1. bivideo burn after an edit vs one ffmpeg encode, same settings ({info.duration:.0f} s "
          f"{info.width}x{info.height} -> {', '.join(t.path.name for t in videos)}, {len(written)} cues, "
          f"rounds: {rounds}, interleaved)")
    rounds_table("seconds", {"bivideo burn": [r.seconds for r in burns],
                             "ffmpeg encode alone": [r.seconds for r in encodes]})
    ratio = statistics.median(r.seconds for r in burns) / statistics.median(r.seconds for r in encodes)
    cpu = statistics.median(r.cpu for r in burns) / statistics.median(r.cpu for r in encodes)
    verdict = "PASS" if ratio <= BURN_TARGET else "FAIL"
    print(f"   burn/encode (medians): {ratio:.3f} (target <= {BURN_TARGET}) {verdict}")
    print(f"   cpu seconds (medians, incl. children): bivideo burn {statistics.median(r.cpu for r in burns):.2f}, "
          f"encode alone {statistics.median(r.cpu for r in encodes):.2f}; "
          f"ratio {cpu:.3f} (less sensitive to other load)")


def bench_preview(tmp: Path, rounds: int) -> None:
    status("preview: building a 10-minute 1280x720 video (untimed, a minute or two)")
    video = lavfi_video(tmp / "ten minutes.mp4", 600)
    (tmp / "ten minutes.bilingual.srt").write_text(subtitles.bilingual_srt(talk_cues(600)), encoding="utf-8")
    runs = []
    for n in range(1, rounds + 1):
        status(f"preview: round {n}/{rounds}")
        runs.append(measure([str(BIVIDEO), "preview", str(video), "--quiet"]))
    folder = tmp / "ten minutes.preview"
    stills, sheets = len(list(folder.glob("*-still-*.png"))), len(list(folder.glob("*-contact-sheet.png")))
    median = statistics.median(r.seconds for r in runs)
    print(f"\n2. bivideo preview on a 10-minute 1280x720 video ({stills} stills + {sheets} contact sheets, "
          f"{video.stat().st_size / 1e6:.0f} MB, keyframe every 10 s)")
    print("   seconds, whole command: " + " ".join(f"{r.seconds:.2f}" for r in runs) + f"  median {median:.2f}")
    print(f"   target < {PREVIEW_TARGET:g} s: {'PASS' if median < PREVIEW_TARGET else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, metavar="N", help="interleaved rounds [%(default)s]")
    parser.add_argument("--part", choices=("burn", "preview", "both"), default="both", help="[%(default)s]")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    print(f"bivideo edit/preview bench, nproc {os.cpu_count()}, load average {load_average()}")
    with tempfile.TemporaryDirectory(prefix="bivideo-bench-edit-") as tmp:
        os.environ["BIVIDEO_CACHE"] = str(Path(tmp) / "cache")
        if args.part in ("burn", "both"):
            bench_burn(Path(tmp), args.rounds)
        if args.part in ("preview", "both"):
            bench_preview(Path(tmp), args.rounds)
    print(f"\nload average at the end: {load_average()} (above nproc: other work shared the cores)")


if __name__ == "__main__":
    main()
