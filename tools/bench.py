"""Speed and memory of bivideo, measured side by side in one run (`make bench`).

1. Engines: faster-whisper vs openai-whisper on the same `base` weights and the same real
   recording, each in a fresh process so its peak memory is its own. Target: faster-whisper
   at least 3x faster.
2. Overhead: `bivideo make` end to end vs the sum of the two parts no pipeline can skip, each
   a whole process as a user would run it: one Whisper pass with word times (start-up, audio
   decode, model load, transcription) and one ffmpeg encode at the same settings.
   Target: make within 10% of that sum. The machine is shared and noisy, so make and parts
   run in interleaved rounds and the medians are compared.
3. Platforms: `make --for both` vs `make --for linkedin` followed by `make --for wechat`, for
   three 1080p sources (a 16:9 talk of slides with a speaker inset, a 16:9 and a 9:16 full-motion
   video), in interleaved rounds. Measured twice: rendering only (the transcript and translation
   cached, as when the second platform is made later) and whole runs with --force. Target:
   both at most 70% of the two single-platform runs.
4. Language detection: transcription with `--from auto` vs the language forced, on an English
   and a Mandarin recording, interleaved. Target: auto at most 1.10x forced.
5. Reference: `bivideo make --for none` vs the simplest tools, each followed by one
   `ffmpeg -vf subtitles=` burn at ffmpeg's defaults, interleaved, on the same `base` weights:
   openai-whisper's `model.transcribe()` at its defaults (greedy decoding, as auto-subtitle
   calls it) and, for comparison, the `whisper` command at its defaults (beam 5, best of 5).
   Target: make at most 0.6x the `model.transcribe()` reference's wall time.
6. Memory: peak RSS of `bivideo make --from en --for none --preview` on two long talks (the
   ../shared/media English recordings looped, 1.2 s apart), and its growth per audio minute.
   Target: peak at most 600 MB + 5 MB per audio minute.
7. The everyday job: `bivideo make --for both` at its defaults on a 2-minute 1080p30 talk
   (slides with a moving speaker inset over the English recordings looped). Targets: wall time
   at most the talk's length, and at most 900 MB for bivideo and its ffmpeg together; with
   `--full-size-minutes 2 10 30`, the same at 10 and 30 minutes (memory must not grow).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support import BIVIDEO, DEFAULT_MEDIA, MEDIA, Run, load_average, make_video, measure, picture, rounds_table, status

from bivideo import burn, platforms, probe, toolchain
from tests.servers import libre_server

ENGINES = ("faster-whisper", "openai-whisper")
MANDARIN_MEDIA = MEDIA / "zh" / "zh03_osr_cn_000_0072_8k.wav"
SPEEDUP_TARGET, OVERHEAD_TARGET, PLATFORMS_TARGET, AUTO_TARGET, REFERENCE_TARGET = 3.0, 1.10, 0.70, 1.10, 0.6
MEMORY_BASE_MB, MEMORY_PER_MINUTE_MB = 600, 5
FULL_SIZE_TARGET, FULL_SIZE_MB = 1.0, 900  # the everyday job: x the talk's length, peak memory

# Run in a fresh interpreter: load an engine, get the audio as bivideo does, transcribe.
WHISPER_CHILD = """
import json, sys, tempfile, time
from pathlib import Path
from bivideo import audio, engines, transcribe

engine_name, media, language = sys.argv[1:]
start = time.perf_counter()
engine = engines.load_engine(engine_name, "base")
load = time.perf_counter() - start
with tempfile.TemporaryDirectory() as tmp:
    audio.extract(Path(media), Path(tmp) / "audio.wav")
    samples = audio.load(Path(tmp) / "audio.wav")
start = time.perf_counter()
transcript = transcribe.transcribe(engine, samples, language, lambda done: None)
print(json.dumps({"load": load, "transcribe": time.perf_counter() - start,
                  "audio": len(samples) / audio.SAMPLE_RATE, "words": len(transcript.words)}))
"""


def whisper(engine: str, media: Path, language: str) -> tuple[dict, Run]:
    """One engine's times (load, transcribe, audio seconds, words) and its process's Run."""
    run = measure([sys.executable, "-c", WHISPER_CHILD, engine, str(media), language])
    return json.loads(run.stdout.splitlines()[-1]), run


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
                platform.processor() or platform.machine())


def header(media: Path) -> None:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    ffmpeg_version = subprocess.run([toolchain.ffmpeg(), "-version"], capture_output=True,
                                    text=True, check=True).stdout.split(" Copyright", 1)[0]
    print(f"bivideo bench  {time.strftime('%Y-%m-%d %H:%M')}  python {platform.python_version()}")
    print(f"nproc {os.cpu_count()} (usable here: {usable}), {cpu_model()}, load average {load_average()}")
    print("  What matters: the cores (faster-whisper runs nproc threads, PyTorch and x264 use every")
    print("  core) and whatever else is running (load average), which time shares those cores.")
    print(f"  {ffmpeg_version}")
    print(f"media: {media}")


def bench_engines(media: Path, language: str) -> None:
    rows = {}
    for engine in ENGINES:
        status(f"transcribing with {engine}")
        rows[engine] = whisper(engine, media, language)
    print("\n1. Transcription: both engines, same `base` weights, a fresh process each")
    print(f"   {'engine':<16}{'load s':>8}{'transcribe s':>14}{'RTF':>7}{'peak MB':>9}{'words':>7}"
          f"{'process cpu s':>15}")
    for engine, (times, run) in rows.items():
        print(f"   {engine:<16}{times['load']:>8.2f}{times['transcribe']:>14.2f}"
              f"{times['transcribe'] / times['audio']:>7.3f}{run.peak_mb:>9.0f}{times['words']:>7}"
              f"{run.cpu:>15.1f}")
    print(f"   audio {rows[ENGINES[0]][0]['audio']:.1f} s; RTF = transcribe seconds / audio seconds;")
    print("   process cpu s = user + system time of the whole child (all threads, imports and load too)")
    speedup = rows["openai-whisper"][0]["transcribe"] / rows["faster-whisper"][0]["transcribe"]
    print(f"   speed openai/faster: {speedup:.2f}x (target >= {SPEEDUP_TARGET:g}x) "
          f"{'PASS' if speedup >= SPEEDUP_TARGET else 'FAIL'}")


def bench_make(media: Path, language: str, rounds: int, tmp: Path) -> None:
    status("building the test video (untimed)")
    video = make_video(media, tmp / "talk.mp4")
    out = tmp / "out"
    ffmpeg, info = toolchain.ffmpeg_with_libass(), probe.probe(video)
    frame = platforms.frame(info.width, info.height, "keep")
    kbps = platforms.video_kbps(platforms.PLAIN, frame, info.duration, platforms.AUDIO_KBPS)
    makes, whispers, inside, encodes, parts_cpu = [], [], [], [], []
    with libre_server() as (url, _):
        for n in range(1, rounds + 1):
            status(f"round {n}/{rounds}: bivideo make")  # --force: every round redoes every stage
            makes.append(measure([str(BIVIDEO), "make", str(video), "-o", str(out), "--from", language, "--model",
                                  "base", "--translator", "libre", "--translator-url", url, "--quiet", "--force",
                                  "--for", "none"]))
            if n == 1:  # what bivideo's burn runs ffmpeg in: the subtitles and the CJK font
                ass = (out / f"{video.stem}.bilingual.ass").read_text(encoding="utf-8")
                burn.prepare_folder(tmp / "encode", {"subtitles0.ass": ass})
                target = burn.Target(tmp / "encode" / "encoded.mp4", frame, ass, kbps)
                encode_args = burn.chunk_args(ffmpeg, info, [target], burn.Chunk(0, 0.0, None),
                                               encoder_name=burn.encoder(ffmpeg))
            status(f"round {n}/{rounds}: transcription, then the encode alone")
            times, transcription = whisper("faster-whisper", video, language)
            whispers.append(transcription.seconds)
            inside.append(times["load"] + times["transcribe"])
            encode = measure(encode_args, cwd=tmp / "encode")
            encodes.append(encode.seconds)
            parts_cpu.append(transcription.cpu + encode.cpu)
    report_make(makes, whispers, inside, encodes, parts_cpu, info.duration)


def report_make(makes: list[Run], whispers: list[float], inside: list[float], encodes: list[float],
                parts_cpu: list[float], duration: float) -> None:
    sums = [w + e for w, e in zip(whispers, encodes)]
    make_cpu = [m.cpu for m in makes]
    rows = {"bivideo make": [m.seconds for m in makes],
            "  transcription (whole process)": whispers, "    of which load + run": inside,
            "  encode (one ffmpeg burn)": encodes, "  sum of the parts": sums}
    print(f"\n2. bivideo make vs its unavoidable parts ({duration:.1f} s 1280x720 video, "
          f"rounds: {len(makes)}, interleaved with the parts)")
    rounds_table("seconds", rows, width=30)
    ratio = statistics.median(rows["bivideo make"]) / statistics.median(sums)
    print(f"   make/sum (medians): {ratio:.3f} (target <= {OVERHEAD_TARGET}) "
          f"{'PASS' if ratio <= OVERHEAD_TARGET else 'FAIL'}")
    counted_inside = statistics.median(rows["bivideo make"]) / statistics.median(
        [i + e for i, e in zip(inside, encodes)])
    print(f"   stricter, the transcription counted from inside its process (no start-up, no audio "
          f"decode): {counted_inside:.3f}")
    print(f"   cpu seconds, less sensitive to other load: make {statistics.median(make_cpu):.1f}, "
          f"parts {statistics.median(parts_cpu):.1f} (whole processes), "
          f"ratio {statistics.median(make_cpu) / statistics.median(parts_cpu):.3f}")
    print(f"   peak MB of make: {max(m.peak_mb for m in makes):.0f} "
          "(largest of bivideo and its ffmpeg children)")


def bench_platforms(media: Path, language: str, rounds: int, tmp: Path) -> None:
    """`--for both` against the two single-platform runs it replaces, side by side."""
    print(f"\n3. --for both vs --for linkedin + --for wechat (1080p 30 fps sources, rounds: {rounds}, interleaved)")
    print(f"   {'source':<22}{'runs':<9}{'both s':>8}{'linkedin s':>12}{'wechat s':>10}{'ratio':>7}")
    ratios = []
    with libre_server() as (url, _):
        for shape, size, kind in (("16:9 slides+speaker", "1920x1080", "slides"),
                                  ("16:9 full motion", "1920x1080", "pattern"),
                                  ("9:16 full motion", "1080x1920", "pattern")):
            status(f"building the {shape} test video (untimed)")
            video = make_video(media, tmp / f"talk-{size}-{kind}.mp4", size, 30, preset="veryfast", kind=kind)
            out = tmp / f"out-{size}-{kind}"
            base = [str(BIVIDEO), "make", str(video), "-o", str(out), "--from", language, "--model", "base",
                    "--translator", "libre", "--translator-url", url, "--quiet"]
            measure([*base, "--for", "none"])  # transcript and translation cached (untimed)
            for runs, extra in (("render", []), ("--force", ["--force"])):
                times: dict[str, list[float]] = {"both": [], "linkedin": [], "wechat": []}
                for n in range(1, rounds + 1):
                    status(f"{shape}, {runs}, round {n}/{rounds}")
                    for name in ("both", "linkedin", "wechat"):
                        times[name].append(measure(base + extra + ["--for", name]).seconds)
                both = statistics.median(times["both"])
                single = statistics.median(times["linkedin"]) + statistics.median(times["wechat"])
                ratios.append((shape, runs, both / single))
                print(f"   {shape:<22}{runs:<9}{both:>8.2f}{statistics.median(times['linkedin']):>12.2f}"
                      f"{statistics.median(times['wechat']):>10.2f}{both / single:>7.3f}")
    print("   ratio = median both / (median linkedin + median wechat); 'render' reuses the transcript and")
    print("   translation (only the burn differs), '--force' redoes every stage in every run")
    for shape, runs, ratio in ratios:
        print(f"   {shape}, {runs}: {ratio:.3f} (target <= {PLATFORMS_TARGET}) "
              f"{'PASS' if ratio <= PLATFORMS_TARGET else 'FAIL'}")


def bench_auto(rounds: int) -> None:
    print(f"\n4. --from auto vs the language forced (faster-whisper, transcription only, rounds: {rounds}, "
          "interleaved)")
    print(f"   {'recording':<44}{'forced s':>10}{'auto s':>9}{'ratio':>8}")
    for media, language in ((DEFAULT_MEDIA, "en"), (MANDARIN_MEDIA, "zh")):
        times: dict[str, list[float]] = {language: [], "auto": []}
        for n in range(1, rounds + 1):
            for chosen in (language, "auto"):
                status(f"{media.name}: --from {chosen}, round {n}/{rounds}")
                times[chosen].append(whisper("faster-whisper", media, chosen)[0]["transcribe"])
        forced, auto = statistics.median(times[language]), statistics.median(times["auto"])
        print(f"   {media.name[:42]:<44}{forced:>10.2f}{auto:>9.2f}{auto / forced:>8.3f}  (target <= {AUTO_TARGET}) "
              f"{'PASS' if auto / forced <= AUTO_TARGET else 'FAIL'}")


# openai-whisper as auto-subtitle calls it: model.transcribe() with its own defaults (greedy
# decoding, temperature fallback), then the SRT written by whisper's own writer
API_REFERENCE = """
import sys, whisper
from whisper.utils import get_writer
result = whisper.load_model(sys.argv[1]).transcribe(sys.argv[2])
get_writer("srt", sys.argv[3])(result, sys.argv[2])
"""


def bench_reference(media: Path, rounds: int, tmp: Path) -> None:
    from bivideo import weights

    status("building the test video (untimed)")
    video = make_video(media, tmp / "reference talk.mp4")
    checkpoint = weights.openai_checkpoint("base")
    cli_work, api_work = tmp / "reference-cli", tmp / "reference-api"
    cli_work.mkdir()
    api_work.mkdir()
    makes, peaks = [], []
    references: dict[str, list[float]] = {"CLI": [], "API": []}

    def burned(work: Path) -> float:  # one ffmpeg `subtitles=` burn at ffmpeg's defaults
        return measure([toolchain.ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(video),
                        "-vf", f"subtitles={video.stem}.srt", "reference.mp4"], cwd=work).seconds

    with libre_server() as (url, _):
        for n in range(1, rounds + 1):
            status(f"round {n}/{rounds}: bivideo make --for none")
            make = measure([str(BIVIDEO), "make", str(video), "-o", str(tmp / "made"), "--model", "base",
                            "--translator", "libre", "--translator-url", url, "--quiet", "--force", "--for", "none"])
            makes.append(make.seconds)
            peaks.append(make.peak_mb)
            status(f"round {n}/{rounds}: reference 1 (the whisper CLI's defaults, then one default burn)")
            transcribed = measure([str(BIVIDEO.with_name("whisper")), str(video), "--model", str(checkpoint),
                                   "--output_format", "srt", "--output_dir", str(cli_work)])
            references["CLI"].append(transcribed.seconds + burned(cli_work))
            status(f"round {n}/{rounds}: reference 2 (model.transcribe() defaults, then one default burn)")
            transcribed = measure([sys.executable, "-c", API_REFERENCE, str(checkpoint), str(video), str(api_work)])
            references["API"].append(transcribed.seconds + burned(api_work))
    make = statistics.median(makes)
    print(f"\n5. bivideo make --for none vs the reference pipelines (rounds: {rounds}, interleaved)")
    print(f"   bivideo make --for none --force (local translator): {make:.2f} s   peak {max(peaks):.0f} MB")
    labels = {"CLI": "whisper CLI defaults (beam 5, best of 5)", "API": "model.transcribe() defaults (greedy)"}
    for key, label in labels.items():
        reference = statistics.median(references[key])
        verdict = f"(target <= {REFERENCE_TARGET}) {'PASS' if make / reference <= REFERENCE_TARGET else 'FAIL'}" \
            if key == "API" else "(for comparison with earlier runs)"
        print(f"   reference: {label} + ffmpeg -vf subtitles=: {reference:.2f} s   "
              f"ratio {make / reference:.3f} {verdict}")


def long_talk(minutes: float, dest: Path, full_size: bool = False) -> Path:
    """A talk of `minutes`: the English recordings one after another with 1.2 s gaps, looped,
    under a still picture small enough to build in seconds (memory is the audio's), or, with
    `full_size`, a 1080p30 slide deck with a moving speaker inset."""
    recordings = sorted((MEDIA / "en").iterdir())
    inputs = [arg for path in recordings for arg in ("-i", str(path))]
    chain = "".join(f"[{n}:a]aformat=sample_rates=16000:channel_layouts=mono,apad=pad_dur=1.2[a{n}];"
                    for n in range(len(recordings)))
    cycle = dest.with_name("cycle.wav")
    subprocess.run([toolchain.ffmpeg(), "-hide_banner", "-v", "error", "-y", *inputs, "-filter_complex",
                    chain + "".join(f"[a{n}]" for n in range(len(recordings))) + f"concat=n={len(recordings)}:v=0:a=1",
                    str(cycle)], check=True)
    video = ["-i", picture("1920x1080", 30, "slides"), "-g", "60"] if full_size else \
        ["-i", "color=c=gray:s=320x180:r=5", "-tune", "stillimage"]
    subprocess.run([toolchain.ffmpeg(), "-hide_banner", "-v", "error", "-y", "-f", "lavfi", *video[:2],
                    "-stream_loop", "-1", "-i", str(cycle), "-t", str(minutes * 60), "-c:v", "libx264",
                    "-preset", "ultrafast", *video[2:], "-pix_fmt", "yuv420p", "-c:a", "aac", str(dest)], check=True)
    return dest


def bench_memory(lengths: tuple[float, float], tmp: Path) -> None:
    peaks = {}
    with libre_server() as (url, _):
        for minutes in lengths:
            status(f"building a {minutes:g} min talk (untimed)")
            video = long_talk(minutes, tmp / f"long talk {minutes:g}.mp4")
            status(f"{minutes:g} min talk: bivideo make --from en --for none --preview")
            peaks[minutes] = measure([str(BIVIDEO), "make", str(video), "-o", str(tmp / "long"), "--from", "en",
                                      "--model", "base", "--translator", "libre", "--translator-url", url, "--quiet",
                                      "--force", "--no-vocab", "--for", "none", "--preview"]).peak_mb
    short, long = lengths
    slope = (peaks[long] - peaks[short]) / (long - short)
    print("\n6. Peak memory of bivideo make --from en --for none --preview (English recordings looped)")
    for minutes, peak in peaks.items():
        limit = MEMORY_BASE_MB + MEMORY_PER_MINUTE_MB * minutes
        print(f"   {minutes:>5g} min talk: peak {peak:.0f} MB (target <= {limit:.0f}) "
              f"{'PASS' if peak <= limit else 'FAIL'}")
    print(f"   growth: {slope:.1f} MB per audio minute (the 16 kHz int16 audio itself: 1.9)")


def bench_full_size(minutes: list[float], rounds: int, tmp: Path) -> None:
    """The everyday job: `bivideo make --for both` at the defaults on 1080p30 talks."""
    print(f"\n7. The everyday job: bivideo make --for both, 1080p30 slides with a speaker inset, English, default "
          f"quality (rounds: {rounds} for the first length)")
    print(f"   {'talk':<10}{'wall s':>9}{'x length':>10}{'CPU s':>8}{'peak MB':>9}{'largest process MB':>20}")
    with libre_server() as (url, _):
        for n, length in enumerate(minutes):
            status(f"building a {length:g} min 1080p talk (untimed)")
            video = long_talk(length, tmp / f"full size {length:g}.mp4", full_size=True)
            runs = []
            for k in range(rounds if n == 0 else 1):
                status(f"{length:g} min 1080p talk: bivideo make --for both, run {k + 1}")
                runs.append(measure([str(BIVIDEO), "make", str(video), "-o", str(tmp / "full size"), "--from", "en",
                                     "--model", "base", "--translator", "libre", "--translator-url", url, "--quiet",
                                     "--force", "--for", "both"]))
            wall, peak = statistics.median(r.seconds for r in runs), max(r.tree_peak_mb for r in runs)
            cpu = statistics.median(r.cpu for r in runs)
            print(f"   {length:>5g} min{wall:>9.1f}{wall / (length * 60):>10.2f}{cpu:>8.0f}"
                  f"{peak:>9.0f}{max(r.peak_mb for r in runs):>20.0f}   targets: <= {FULL_SIZE_TARGET:.1f}x "
                  f"{'PASS' if wall <= FULL_SIZE_TARGET * length * 60 else 'FAIL'}, <= {FULL_SIZE_MB} MB "
                  f"{'PASS' if peak <= FULL_SIZE_MB else 'FAIL'}")
    print("   peak MB: bivideo and its ffmpeg together (sampled 5 times a second); a 2-core machine")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA, metavar="FILE",
                        help="recording to bench [%(default)s]")
    parser.add_argument("--from", dest="language", choices=("en", "zh", "auto"), default="en",
                        help="its spoken language [%(default)s]")
    parser.add_argument("--rounds", type=int, default=2, metavar="N",
                        help="interleaved make/parts rounds [%(default)s]")
    parser.add_argument("--only", choices=("engines", "make", "platforms", "auto", "reference", "memory", "full-size"),
                        help="run one section")
    parser.add_argument("--memory-minutes", type=float, nargs=2, default=(8.0, 25.0), metavar=("SHORT", "LONG"),
                        help="lengths of the two talks of the memory section [8 25]")
    parser.add_argument("--full-size-minutes", type=float, nargs="+", default=[2.0], metavar="MINUTES",
                        help="lengths of the everyday job's 1080p talks [2]; e.g. 2 10 30 for its memory by length")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # results and progress lines in order
    if args.media == DEFAULT_MEDIA and not MEDIA.is_dir():
        print(f"bench skipped: the real test media folder {MEDIA} is absent")
        return
    if not args.media.is_file():
        sys.exit(f"bench: {args.media}: no such file")
    if args.rounds < 1:
        sys.exit("bench: --rounds must be at least 1")
    media = args.media.resolve()
    header(media)
    with tempfile.TemporaryDirectory(prefix="bivideo-bench-") as tmp:
        os.environ["BIVIDEO_CACHE"] = str(Path(tmp) / "cache")  # fresh, inherited by every child
        status("preparing model base for both engines in the fresh cache (untimed)")
        measure([str(BIVIDEO), "models", "--prepare", "base"])
        if args.only in (None, "engines"):
            bench_engines(media, args.language)
        if args.only in (None, "make"):
            bench_make(media, args.language, args.rounds, Path(tmp))
        if args.only in (None, "platforms"):
            bench_platforms(media, args.language, args.rounds, Path(tmp))
        if args.only in (None, "auto"):
            bench_auto(args.rounds)
        if args.only in (None, "reference"):
            bench_reference(media, args.rounds, Path(tmp))
        if args.only in (None, "memory"):
            bench_memory(tuple(args.memory_minutes), Path(tmp))
        if args.only in (None, "full-size"):
            bench_full_size(args.full_size_minutes, args.rounds, Path(tmp))
    print(f"\nload average at the end: {load_average()} (above nproc: other work shared the cores)")


if __name__ == "__main__":
    main()
