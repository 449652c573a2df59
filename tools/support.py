"""What the tools share. Importing this puts the checkout first on sys.path, so a tool reaches
the test helpers (`tests.servers`' local translators, `tests.scoring`, `tests.raycluster`)
and runs this checkout's bivideo, not an installed one; then where things are, and the helpers
for timing commands and making test talks.

A tool is run as `python tools/NAME.py`, which puts tools/ on the path: it imports this first
(`from support import ...`, before any `bivideo` or `tests` import; isort keeps it there).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

MEDIA = REPO.parent / "shared" / "media"  # real recordings, beside the checkout (never copied in)
DEFAULT_MEDIA = MEDIA / "en" / "en04_osr_us_000_0034_harvard_list72_8k.wav"
BIVIDEO = Path(sys.executable).with_name("bivideo")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass(frozen=True)
class Run:
    seconds: float  # wall time
    cpu: float  # user + system seconds, of the process and its waited-for descendants
    peak_mb: float  # peak RSS of the process or of the largest of its waited-for descendants
    stdout: str
    stderr: str = ""
    code: int = 0
    tree_peak_mb: float = 0.0  # peak of the RSS of the process and its descendants together (sampled)


def _tree_rss_mb(root: int) -> float:
    """The RSS of `root` and every process below it, now (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:  # the command name may hold spaces and parentheses: the fields follow the last ')'
                parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError):  # gone meanwhile
                continue
    tree, added = {root}, True
    while added:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        added = bool(below)
    pages = 0
    for pid in tree:
        with contextlib.suppress(OSError, ValueError, IndexError):
            pages += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(args: list[str], cwd: Path | None = None, expect: tuple[int, ...] = (0,)) -> Run:
    """Run a command to completion; exit the bench with its stderr if its exit code is not
    one of `expect`. The peak memory of the whole process tree is sampled 5 times a second."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        tree_peak, stop = [0.0], threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                tree_peak[0] = max(tree_peak[0], _tree_rss_mb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        if proc.returncode not in expect:
            sys.exit(f"bench: {' '.join(args[:3])} ... failed ({proc.returncode}):\n{stderr[-3000:]}")
        return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read().decode(),
                   stderr, proc.returncode, max(tree_peak[0], usage.ru_maxrss / 1024))


def status(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rounds_table(heading: str, rows: dict[str, list[float]], width: int = 24, digits: int = 2) -> None:
    """One row per label: its value in each interleaved round, then their median."""
    rounds = max(len(values) for values in rows.values())
    print(f"   {heading:<{width}}" + "".join(f"{f'round {n}':>9}" for n in range(1, rounds + 1)) + f"{'median':>9}")
    for label, values in rows.items():
        print(f"   {label:<{width}}" + "".join(f"{v:>9.{digits}f}" for v in values)
              + f"{statistics.median(values):>9.{digits}f}")


def picture(size: str, rate: int, kind: str) -> str:
    """lavfi source: a full-frame moving test pattern, or slides (a still page of text-like bars)
    with a small moving speaker inset in the corner, as screen-recorded talks look."""
    if kind == "pattern":
        return f"testsrc2=size={size}:rate={rate}"
    width, height = (int(n) for n in size.split("x"))
    bars = ",".join(f"drawbox=x={width // 12}:y={height * (3 + 2 * k) // 20}:w={width * (5 + k % 3) // 12}"
                    f":h={height // 30}:color=0x2b2d42:t=fill" for k in range(6))
    return (f"color=c=0xf1f1ee:size={size}:rate={rate},{bars}[page];"
            f"testsrc2=size={width // 4}x{height // 4}:rate={rate}[speaker];"
            f"[page][speaker]overlay=x=W-w-{width // 40}:y=H-h-{height // 40}")


def make_video(audio: Path, dest: Path, size: str = "1280x720", rate: int = 25, preset: str = "ultrafast",
               kind: str = "pattern") -> Path:
    """A talk video: the recording under a lavfi picture (H.264 + AAC)."""
    from bivideo import toolchain  # here: the checkout is on the path by now

    subprocess.run([toolchain.ffmpeg(), "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
                    "-i", picture(size, rate, kind), "-i", str(audio), "-shortest",
                    "-fflags", "+shortest", "-max_interleave_delta", "0",  # else ~2 s too long
                    "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(dest)], check=True)
    return dest
