"""The external programs and fonts bivideo needs: ffmpeg/ffprobe with libass, and a CJK font."""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bivideo.artifacts import cache_dir, write_text
from bivideo.errors import BivideoError

T = TypeVar("T")

INSTALL_HINT = (
    "install it: Debian/Ubuntu `sudo apt-get install ffmpeg fonts-noto-cjk`, "
    "macOS `brew install ffmpeg font-noto-sans-cjk`, Windows `winget install Gyan.FFmpeg`"
)
# Families tried in order; the first that fontconfig resolves to a font covering Chinese wins.
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "PingFang SC",
                "Microsoft YaHei", "Noto Sans SC")


def _binary(name: str) -> str:
    """Path of ffmpeg or ffprobe; BIVIDEO_FFMPEG / BIVIDEO_FFPROBE point at a specific build."""
    override = os.environ.get(f"BIVIDEO_{name.upper()}")
    found = shutil.which(override or name)
    if not found:
        raise BivideoError(f"{name} not found; {INSTALL_HINT}")
    return found


def last_line(stderr: str | bytes | None) -> str:
    """What ffmpeg or ffprobe said last before failing: the line that names the problem."""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr or ""
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def ffmpeg() -> str:
    return _binary("ffmpeg")


def ffprobe() -> str:
    return _binary("ffprobe")


def remembered(ffmpeg_path: str, what: str, find: Callable[[], T]) -> T:
    """What `find` says about this ffmpeg binary, kept on disk under its path, size and
    mtime: listing filters and test-encoding costs seconds per run, and the answer only
    changes when the binary does. JSON-serialisable answers only."""
    path = Path(shutil.which(ffmpeg_path) or ffmpeg_path).resolve()
    stat = path.stat()
    binary = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    store = cache_dir() / "ffmpeg-capabilities.json"
    try:
        known = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    entry = known.get(binary, {})
    if what not in entry:
        entry[what] = find()
        # an entry of a replaced binary (same path) is dropped; other binaries' entries stay,
        # so switching between two ffmpeg builds doesn't redo discovery every time
        known = {key: value for key, value in known.items() if key.split("|")[0] != str(path)}
        known[binary] = entry
        store.parent.mkdir(parents=True, exist_ok=True)
        write_text(store, json.dumps(known, indent=1))
    return entry[what]


def _filters(ffmpeg_path: str) -> list[str]:
    out = subprocess.run([ffmpeg_path, "-hide_banner", "-filters"], capture_output=True,
                         text=True, check=False).stdout
    return [line.split()[1] for line in out.splitlines() if len(line.split()) > 1]


@functools.cache
def has_filter(ffmpeg_path: str, name: str) -> bool:
    return name in remembered(ffmpeg_path, "filters", lambda: _filters(ffmpeg_path))


def ffmpeg_with_libass() -> str:
    path = ffmpeg()
    if not has_filter(path, "subtitles"):
        raise BivideoError(f"{path} was built without libass (no 'subtitles' filter); {INSTALL_HINT}")
    return path


@dataclass(frozen=True)
class Font:
    family: str
    path: Path


@functools.cache
def cjk_font() -> Font:
    """A font with Chinese glyphs, found through fontconfig, so libass never draws boxes."""
    if shutil.which("fc-match"):
        for family in CJK_FAMILIES:
            out = subprocess.run(["fc-match", "-f", "%{family}\t%{file}\t%{lang}", f"{family}:lang=zh-cn"],
                                 capture_output=True, text=True, check=False).stdout
            parts = out.split("\t")
            if len(parts) == 3 and "zh-cn" in parts[2].split("|") and Path(parts[1]).is_file():
                return Font(family=parts[0].split(",")[0], path=Path(parts[1]))
    raise BivideoError("no Chinese (CJK) font found; install one: Debian/Ubuntu "
                       "`sudo apt-get install fonts-noto-cjk`, macOS `brew install font-noto-sans-cjk`")


CGROUP = Path("/sys/fs/cgroup")


def usable_cpus(cgroup: Path = CGROUP) -> int:
    """The CPUs this process may use: its affinity (taskset, cpusets), capped by a CPU quota on
    its cgroup (`docker --cpus`, a Kubernetes limit), rounded up. os.cpu_count() counts the
    host's, which a container may be given a few of."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cgroup_quota(cgroup)
    return max(1, min(cpus, math.ceil(quota))) if quota else cpus


def cgroup_quota(root: Path) -> float | None:
    """CPUs' worth of time the cgroup mounted at `root` may use, or None when unlimited: as a
    container sees its own cgroup (v2's cpu.max, else v1's CFS quota and period)."""
    try:
        quota, period = (root / "cpu.max").read_text().split()
    except (OSError, ValueError):
        for v1 in (root / "cpu", root / "cpu,cpuacct"):
            try:
                quota, period = ((v1 / f"cpu.cfs_{name}_us").read_text().strip() for name in ("quota", "period"))
                break
            except OSError:
                continue
        else:
            return None
    if quota in ("max", "-1") or float(period) <= 0:
        return None
    return float(quota) / float(period)
