"""What a batch finds in its folder and what earlier runs did there.

The talks: files named like media, and any other file whose probe finds an audio or video
stream that is not a still image; hidden files and bivideo's own outputs left out. The state
file in the output folder keeps, per video and mode, the settings it ran with, the input's
size and time, and the outputs it wrote. A rerun skips a video at once (a few stat() calls,
no probing, no model) when its settings are unchanged, the input is the same file, and its
outputs are all there and newer than their inputs.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bivideo import artifacts, platforms
from bivideo.datatypes import STYLED_FILE, SUBTITLE_FILES, Status
from bivideo.settings import Settings

STATE = ".bivideo-batch.json"
REPORT = "batch-report.json"
# Earlier records that count as finished for each mode: a made video needs no separate burn.
SATISFIED_BY = {"make": ("make", "burn"), "burn": ("burn", "make"), "preview": ("preview",)}
# Named like media: always listed, so a broken one is reported rather than silently passed over.
MEDIA_EXTENSIONS = frozenset(
    ".mp4 .m4v .mov .mkv .webm .avi .wmv .flv .mpg .mpeg .ts .mts .m2ts .3gp .ogv "
    ".wav .mp3 .m4a .aac .flac .ogg .opus .wma".split())
# Never media (or our own outputs): not even probed.
NOT_MEDIA = frozenset(
    ".srt .ass .vtt .txt .md .json .toml .yaml .yml .csv .tsv .log .bak .part .pdf .doc .docx "
    ".ppt .pptx .key .pages .png .jpg .jpeg .gif .webp .heic .bmp .svg .zip .py .html".split())
OUTPUT_VIDEOS = tuple(f".{suffix}" for suffix in platforms.VIDEOS)


@dataclass
class Item:
    """One input file and what happened to it in this run."""

    source: Path
    name: str  # relative to the folder, as reported
    signature: list[int]  # size, mtime_ns
    status: Status = "pending"
    reason: str = ""
    audio_seconds: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    retried: dict[str, int] = field(default_factory=dict)  # on a cluster: stage -> times run again

    def report(self) -> dict:
        row = {"file": self.name, "status": self.status, "audio_seconds": self.audio_seconds,
               "seconds": {k: round(v, 2) for k, v in self.seconds.items()}, "outputs": self.outputs}
        return row | ({"reason": self.reason} if self.reason else {}) | \
            ({"retried": self.retried} if self.retried else {})


def _signature(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def settings_key(settings: Settings) -> str:
    """What makes a batch's outputs differ: every `make` option but where they go and --force."""
    return artifacts.key({k: v for k, v in asdict(settings).items() if k not in ("output_dir", "force")})


class State:
    """Per video (relative name) and mode, the last finished or failed record; plus files
    probed and found not to be media, so they aren't probed again. Written atomically after
    every video, from whichever thread finished it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, dict] = {"videos": {}, "ignored": {}}
        if path.is_file():
            with suppress(ValueError):  # damaged (not by us: writes are atomic): start afresh
                self.data |= artifacts.read_json(path)
        self.lock = threading.Lock()

    def record(self, name: str, mode: str, record: dict) -> None:
        with self.lock:
            self.data["videos"].setdefault(name, {})[mode] = record
            artifacts.write_json(self.path, self.data)

    def ignore(self, name: str, signature: list[int]) -> None:
        self.data["ignored"][name] = signature

    def save(self) -> None:
        with self.lock:
            artifacts.write_json(self.path, self.data)

    def outputs(self) -> set[str]:
        return {o for modes in self.data["videos"].values() for r in modes.values() for o in r.get("outputs", ())}

    def earlier(self, item: Item, mode: str, key: str) -> dict | None:
        """The record that lets this run skip `item`: same input file and settings, and
        (when finished) every output present and newer than what it was made from."""
        for earlier_mode in SATISFIED_BY[mode]:
            record = self.data["videos"].get(item.name, {}).get(earlier_mode)
            if not record or record["settings"] != key or record["source"] != item.signature:
                continue
            if record["status"] == "failed" or _up_to_date(record["outputs"], _inputs(item, record)):
                return record
        return None


def _inputs(item: Item, record: dict) -> list[Path]:
    """What a video's outputs are made from: the video, and the subtitle files beside its
    outputs, which the user may have edited since (an edit means burning again)."""
    folders = {Path(o).parent for o in record["outputs"]}
    stem = item.source.stem
    subtitles = [folder / f"{stem}.{suffix}" for folder in folders for suffix in (*SUBTITLE_FILES, STYLED_FILE)]
    return [item.source, *(path for path in subtitles if path.is_file())]


def _up_to_date(outputs: list[str], inputs: list[Path]) -> bool:
    try:
        newest_input = max(p.stat().st_mtime_ns for p in inputs)
        # the text files are written along the way (and kept when edited): the videos tell
        made = [Path(o).stat().st_mtime_ns for o in outputs if not o.endswith((".srt", ".ass", ".md", ".csv"))]
    except OSError:  # an output (or input) is gone
        return False
    return bool(outputs) and all(m >= newest_input for m in made)


def _candidate(path: Path, state: State, name: str) -> bool:
    """Is `path` a recording to process? Media extensions always are (a broken one is reported);
    other files are probed once for an audio or video stream that isn't a still image."""
    suffix = path.suffix.lower()
    if path.name.endswith(OUTPUT_VIDEOS) or suffix in NOT_MEDIA:
        return False
    if suffix in MEDIA_EXTENSIONS:
        return True
    signature = _signature(path)
    if state.data["ignored"].get(name) == signature:
        return False
    if any(r["source"] == signature for r in state.data["videos"].get(name, {}).values()):
        return True  # probed and processed before, unchanged since
    if _probe_streams(path):
        return True
    state.ignore(name, signature)
    return False


def _probe_streams(path: Path) -> bool:
    import ffmpeg as ffmpeg_python

    from bivideo import probe, toolchain

    try:
        data = ffmpeg_python.probe(str(path.resolve()), cmd=toolchain.ffprobe())
    except ffmpeg_python.Error:
        return False
    if data.get("format", {}).get("format_name", "").endswith(probe.IMAGE_FORMATS):
        return False
    return any(s.get("codec_type") in ("video", "audio") for s in data.get("streams", []))


def discover(folder: Path, recursive: bool, out_root: Path, state: State) -> list[Item]:
    """The recordings in `folder` in name order, our own outputs and hidden files left out."""
    ours = state.outputs()
    found = []
    paths = folder.rglob("*") if recursive else folder.iterdir()
    for path in sorted(paths):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if recursive and out_root != folder and out_root in path.parents:
            continue  # a separate output folder inside the input folder
        if path.name == REPORT or str(path.resolve()) in ours:
            continue
        name = relative.as_posix()
        if _candidate(path, state, name):
            found.append(Item(path, name, _signature(path)))
    return found
