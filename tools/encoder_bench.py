"""x264 settings per `--quality`, chosen by measurement (`make bench`).

Three kinds of talk made from a real recording (../shared/media) under a lavfi picture, at
720p: slides only (a page of text-like bars that changes every 5 s), slides with a moving
speaker inset, and full motion; and the everyday job at full size: slides with an inset at
1080p, as LinkedIn gets it (1920x1080) and as WeChat Channels gets it (the burn's 9:16 frame,
1080x1920, the picture over a blurred copy of itself). Each candidate encodes each source with
the burn's own rate cap for that frame (burn.encoder_args' -maxrate/-bufsize, H.264 High,
yuv420p); measured: CPU-seconds of the ffmpeg process (user + system), its peak memory, size,
and SSIM against the source (this ffmpeg has no libvmaf, so no VMAF), each the median of
interleaved rounds. The source is encoded losslessly first. * marks the setting burn.py uses
(L: above 720p, so on the 1080p and 9:16 rows).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from support import MEDIA, measure, picture, status

from bivideo import burn, platforms, toolchain
from bivideo.settings import QUALITIES

RECORDING = MEDIA / "en" / "en04_osr_us_000_0034_harvard_list72_8k.wav"
SIZE, RATE = "1280x720", 30
# label: x264 arguments; the first of each level is what bivideo used first, PREVIOUS what it
# used before the setting marked *
PREVIOUS = {"normal": "veryfast crf19 ref2 lookahead60 qcomp.5 mixed-refs"}
CANDIDATES: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "draft": [("veryfast crf26", ("-preset", "veryfast", "-crf", "26")),
              ("superfast crf26", ("-preset", "superfast", "-crf", "26"))],
    "normal": [("fast crf21", ("-preset", "fast", "-crf", "21")),
               ("medium crf22", ("-preset", "medium", "-crf", "22")),
               ("veryfast crf20", ("-preset", "veryfast", "-crf", "20")),
               ("veryfast crf19 ref2 lookahead60 qcomp.5", ("-preset", "veryfast", "-crf", "19",
                                                            "-x264-params", "ref=2:rc-lookahead=60:qcomp=0.5")),
               ("veryfast crf19 ref2 lookahead60 qcomp.5 mixed-refs",
                ("-preset", "veryfast", "-crf", "19", "-x264-params", "ref=2:rc-lookahead=60:qcomp=0.5:mixed-refs=1")),
               ("veryfast crf19 ref2 lookahead60 qcomp.5 mixed-refs deblock-1",
                ("-preset", "veryfast", "-crf", "19",
                 "-x264-params", "ref=2:rc-lookahead=60:qcomp=0.5:mixed-refs=1:deblock=-1,-1")),
               ("veryfast crf19 ref3 lookahead60 qcomp.5", ("-preset", "veryfast", "-crf", "19",
                                                            "-x264-params", "ref=3:rc-lookahead=60:qcomp=0.5")),
               ("veryfast crf19 ref2 lookahead60 qcomp.5 subme5",
                ("-preset", "veryfast", "-crf", "19", "-x264-params", "ref=2:rc-lookahead=60:qcomp=0.5:subme=5")),
               # memory: x264 holds every frame of its lookahead (at 1080p about 6.5 MB each)
               ("veryfast crf19 ref2 lookahead30 qcomp.5 mixed-refs",
                ("-preset", "veryfast", "-crf", "19", "-x264-params", "ref=2:rc-lookahead=30:qcomp=0.5:mixed-refs=1")),
               ("veryfast crf18 ref2 lookahead15 qcomp.5 mixed-refs",
                ("-preset", "veryfast", "-crf", "18", "-x264-params", "ref=2:rc-lookahead=15:qcomp=0.5:mixed-refs=1")),
               ("veryfast crf17.5 ref2 lookahead10 qcomp.5 mixed-refs",
                ("-preset", "veryfast", "-crf", "17.5",
                 "-x264-params", "ref=2:rc-lookahead=10:qcomp=0.5:mixed-refs=1")),
               ("veryfast crf17 ref2 lookahead10 qcomp.5 mixed-refs",
                ("-preset", "veryfast", "-crf", "17", "-x264-params", "ref=2:rc-lookahead=10:qcomp=0.5:mixed-refs=1")),
               ("veryfast crf16.5 ref2 lookahead10 qcomp.5 mixed-refs",
                ("-preset", "veryfast", "-crf", "16.5",
                 "-x264-params", "ref=2:rc-lookahead=10:qcomp=0.5:mixed-refs=1")),
               # the same stream, the lookahead in the encoding threads: less memory, not quality
               ("veryfast crf17 ref2 lookahead10 qcomp.5 mixed-refs sync-lookahead0",
                ("-preset", "veryfast", "-crf", "17",
                 "-x264-params", "ref=2:rc-lookahead=10:qcomp=0.5:mixed-refs=1:sync-lookahead=0"))],
    "high": [("slow crf18", ("-preset", "slow", "-crf", "18")),
             ("medium crf18", ("-preset", "medium", "-crf", "18"))],
}


def slides(size: str, rate: int) -> str:
    """A page of bars whose layout changes every 5 s, as a slide deck does."""
    width, height = (int(n) for n in size.split("x"))
    bars = ",".join(f"drawbox=x={width // 12}:y={height * (3 + 2 * k) // 20}"
                    f":w='{width // 12}*(4+mod(floor(t/5)+{k},5))':h={height // 30}:color=0x2b2d42:t=fill"
                    for k in range(6))
    return f"color=c=0xf1f1ee:size={size}:rate={rate},{bars}"


def source(kind: str, seconds: float, dest: Path, size: str = SIZE) -> Path:
    lavfi = slides(size, RATE) if kind == "slides" else picture(size, RATE, "slides" if kind == "inset" else "pattern")
    subprocess.run([toolchain.ffmpeg(), "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", lavfi,
                    "-i", str(RECORDING), "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", str(dest)], check=True)
    return dest


def vertical(wide: Path, dest: Path) -> tuple[Path, platforms.Frame]:
    """`wide` in the burn's 9:16 frame (its own filter chain, without the subtitles), lossless."""
    frame = platforms.frame(1920, 1080, "9:16")
    chain = burn.frame_filters(frame, 0, slow_background=True)
    chain = chain.replace(f"subtitles=subtitles0.ass:fontsdir={burn.FONTS},", "")
    subprocess.run([toolchain.ffmpeg(), "-hide_banner", "-v", "error", "-y", "-i", str(wide), "-filter_complex",
                    f"[0:v]split=1[s0];{chain}", "-map", "[v0]", "-c:v", "libx264", "-preset", "ultrafast",
                    "-qp", "0", "-pix_fmt", "yuv420p", str(dest)], check=True)
    return dest, frame


def cap(platform: platforms.Platform, frame: platforms.Frame, seconds: float) -> list[str]:
    """The burn's rate cap for this platform's frame, and its profile and pixel format."""
    kbps = platforms.video_kbps(platform, frame, seconds, platforms.AUDIO_KBPS)
    return ["-maxrate", f"{kbps}k", "-bufsize", f"{2 * kbps}k", "-profile:v", "high", "-pix_fmt", "yuv420p"]


def ssim(encoded: Path, reference: Path) -> float:
    out = subprocess.run([toolchain.ffmpeg(), "-hide_banner", "-nostdin", "-i", str(encoded), "-i", str(reference),
                          "-lavfi", "[0:v][1:v]ssim", "-f", "null", "-"], capture_output=True, text=True).stderr
    return float(out.rsplit("All:", 1)[1].split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each source [%(default)s]")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds [%(default)s]")
    parser.add_argument("--level", choices=QUALITIES, help="measure one level's candidates only")
    parser.add_argument("--label", action="append", metavar="LABEL",
                        help="measure only the candidates of these labels (repeatable)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    if not RECORDING.is_file():
        print(f"encoder bench skipped: the real test media folder {MEDIA} is absent")
        return
    levels = {level: [(label, x264) for label, x264 in candidates if not args.label or label in args.label]
              for level, candidates in CANDIDATES.items() if level == (args.level or level)}
    levels = {level: candidates for level, candidates in levels.items() if candidates}
    with tempfile.TemporaryDirectory(prefix="bivideo-encoders-") as tmp:
        sources, caps = {}, {}
        plain = cap(platforms.PLAIN, platforms.frame(1280, 720, "keep"), args.seconds)
        for kind in ("slides", "inset", "motion"):
            status(f"building the {kind} source (lossless, untimed)")
            sources[kind], caps[kind] = source(kind, args.seconds, Path(tmp) / f"{kind}.mkv"), plain
        status("building the 1080p inset source and its 9:16 frame (lossless, untimed)")
        wide = source("inset", args.seconds, Path(tmp) / "inset-1080p.mkv", "1920x1080")
        sources["1080p"], caps["1080p"] = wide, cap(platforms.LINKEDIN, platforms.frame(1920, 1080, "keep"),
                                                    args.seconds)
        tall, frame = vertical(wide, Path(tmp) / "inset-9x16.mkv")
        sources["9:16"], caps["9:16"] = tall, cap(platforms.WECHAT, frame, args.seconds)
        # CPU-seconds are noisy on a shared machine; size and SSIM of a capped full-motion encode
        # vary a little too (x264's threaded VBV), so each is the median of the rounds.
        cpu: dict[tuple[str, str], list[float]] = {}
        peak: dict[tuple[str, str], list[float]] = {}
        kb: dict[tuple[str, str], list[float]] = {}
        similarity: dict[tuple[str, str], list[float]] = {}
        for n in range(args.rounds):
            for level, candidates in levels.items():
                for label, x264 in candidates:
                    for kind, src in sources.items():
                        status(f"round {n + 1}/{args.rounds}: {level} {label} on {kind}")
                        out = Path(tmp) / f"{kind}-{label.replace(' ', '_')}.mp4"
                        run = measure([toolchain.ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y",
                                       "-i", str(src), "-an", "-c:v", "libx264", *x264, *caps[kind], str(out)])
                        cpu.setdefault((label, kind), []).append(run.cpu)
                        peak.setdefault((label, kind), []).append(run.peak_mb)
                        kb.setdefault((label, kind), []).append(out.stat().st_size / 1024)
                        similarity.setdefault((label, kind), []).append(ssim(out, src))
        median = {key: (statistics.median(cpu[key]), statistics.median(kb[key]), statistics.median(similarity[key]))
                  for key in cpu}
        print(f"x264 candidates per --quality: {RATE} fps, {args.seconds:g} s per source (720p: slides, inset, "
              f"motion; 1080p inset as LinkedIn and as WeChat's 9:16 get it), each under its platform's rate cap; "
              f"CPU s, KB and SSIM = medians of {args.rounds} interleaved rounds")
        print(f"  {'level':<7}{'setting':<62}" + "".join(f"{k + ' CPU s':>14}{'KB':>8}{'SSIM':>10}" for k in sources))
        for level, candidates in levels.items():
            for label, x264 in candidates:
                mark = "*" if x264 == burn._X264[level] else "L" if x264 == burn._X264_LARGE[level] else " "
                cells = "".join(f"{median[(label, kind)][0]:>14.2f}{median[(label, kind)][1]:>8.1f}"
                                f"{median[(label, kind)][2]:>10.6f}" for kind in sources)
                print(f"  {level:<7}{mark}{label:<61}{cells}")
                print(f"  {'':<7} {'  peak MB':<61}" + "".join(
                    f"{statistics.median(peak[(label, kind)]):>14.0f}{'':>18}" for kind in sources))
            chosen = next((label for label, x264 in candidates if x264 == burn._X264[level]), None)
            measured = {label for label, _ in candidates}
            for before in dict.fromkeys([candidates[0][0], PREVIOUS.get(level, "")]):
                if chosen and before in measured and before != chosen:
                    verdicts = []
                    for kind in sources:
                        (old_cpu, old_kb, old_ssim), (new_cpu, new_kb, new_ssim) = (median[(before, kind)],
                                                                                    median[(chosen, kind)])
                        verdicts.append(f"{kind} {1 - new_cpu / old_cpu:.0%} less CPU, {new_kb - old_kb:+.1f} KB, "
                                        f"SSIM {new_ssim - old_ssim:+.6f}")
                    print(f"  {level} * against {before}: " + "; ".join(verdicts))
        print(f"  chosen now: {', '.join(f'{q}: ' + ' '.join(burn._X264[q]) for q in QUALITIES)}; "
              f"L above 720p: normal: {' '.join(burn._X264_LARGE['normal'])}")


if __name__ == "__main__":
    main()
