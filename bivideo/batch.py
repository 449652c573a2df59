"""`bivideo batch`: every video in a folder, unattended; resumable; one failure stops nothing.

What each earlier run did is kept per video in a state file in the output folder: the
settings it ran with, the input's size and time, and the outputs it wrote. A rerun skips a
video at once (a few stat() calls, no probing, no model) when its settings are unchanged, the
input is the same file, and its outputs are all there and newer than their inputs; a video
interrupted mid-way goes through the pipeline again, which reuses every stage it finished.

Throughput: the main thread transcribes and translates while up to `jobs - 1` worker threads
burn the videos already prepared (ffmpeg is a subprocess, so the two overlap on the cores).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from bivideo import artifacts
from bivideo.errors import BivideoError, debugging
from bivideo.model import STYLED_FILE, SUBTITLE_FILES, Status
from bivideo.settings import MODES, Mode, Settings
from bivideo.ui import Reporter

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
OUTPUT_VIDEOS = (".bilingual.mp4", ".linkedin.mp4", ".wechat.mp4", ".soft.mp4")
# ffprobe's names for still-image formats: a picture has a "video" stream but is no talk.
IMAGE_FORMATS = ("image2", "_pipe", "gif", "apng", "webp")


@dataclass(frozen=True)
class Options:
    mode: Mode = "make"
    recursive: bool = False
    jobs: int = 2  # with `cluster`, 0: as many videos in flight as the cluster takes
    retry_failed: bool = False
    cluster: str | None = None  # `ray`, ray://HOST:PORT or HOST:PORT: spread over a Ray cluster (cluster.py)


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

    def __init__(self, path: Path):
        self.path = path
        self.data: dict[str, dict] = {"videos": {}, "ignored": {}}
        if path.is_file():
            try:
                self.data |= artifacts.read_json(path)
            except ValueError:  # damaged (not by us: writes are atomic): start afresh
                pass
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

    from bivideo import toolchain

    try:
        data = ffmpeg_python.probe(str(path.resolve()), cmd=toolchain.ffprobe())
    except ffmpeg_python.Error:
        return False
    if data.get("format", {}).get("format_name", "").endswith(IMAGE_FORMATS):
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


class Batch:
    """One run over a folder: plan what to do, then do it, then report."""

    def __init__(self, folder: Path, settings: Settings, options: Options, reporter: Reporter):
        """The pipeline (and everything it imports) is loaded only when there is work to do."""
        if not folder.is_dir():
            raise BivideoError(f"{folder}: no such folder" if not folder.exists() else f"{folder}: not a folder")
        if options.mode not in MODES:
            raise BivideoError(f"unknown batch mode {options.mode!r}")
        self.folder, self.settings, self.options, self.reporter = folder, settings, options, reporter
        self.force, self.output_dir = settings.force, settings.output_dir
        self.out_root = artifacts.writable_folder(Path(self.output_dir or folder))
        self.state = State(self.out_root / STATE)
        self.key = settings_key(settings)
        self.started = time.time()
        self.finished: Callable[[float], None] | None = None  # the overall bar's callback while videos run
        self.cluster_info: dict | None = None  # with --cluster: the nodes, actors and costs, for the report
        self.items = discover(folder, options.recursive, self.out_root, self.state)
        self.state.save()  # remembers the files found not to be media

    def plan(self) -> list[Item]:
        """Mark what earlier runs settled; return what is left to do."""
        todo = []
        for item in self.items:
            earlier = None if self.force else self.state.earlier(item, self.options.mode, self.key)
            if earlier and earlier["status"] == "failed" and self.options.retry_failed:
                todo.append(item)
            elif earlier:
                item.status = "skipped" if earlier["status"] == "done" else "failed"
                item.reason = earlier.get("reason", "")
                item.audio_seconds, item.outputs = earlier.get("audio_seconds"), earlier["outputs"]
            elif self.options.retry_failed:
                item.status = "not tried"  # --retry-failed: only what failed before
            else:
                todo.append(item)
        return todo

    def output_folder(self, item: Item) -> Path:
        """Beside the input, or under -o in the same subfolder as the input."""
        return self.out_root / Path(item.name).parent if self.output_dir else item.source.parent

    def settings_for(self, item: Item) -> Settings:
        return replace(self.settings, output_dir=self.output_folder(item))

    def run(self) -> list[Item]:
        todo = self.plan()
        if todo:
            self._process(todo)
        return self.items

    def _process(self, todo: list[Item]) -> None:
        from bivideo import probe

        for item in todo:  # durations for the overall bar; what can't be read fails here already
            try:
                item.audio_seconds = round(probe.probe(item.source).duration, 2)
            except BivideoError as error:
                self.fail(item, error)
            artifacts.remove_temporaries(item.source.stem, self.output_folder(item))
        todo = [item for item in todo if item.status == "pending"]
        if self.options.cluster:
            from bivideo import cluster

            if todo:
                cluster.run(self, todo, self.reporter, self.options.cluster)
            return
        total = sum(item.audio_seconds or 0.0 for item in todo)
        workers = ThreadPoolExecutor(max_workers=self.options.jobs - 1, initializer=_ignore_stop_signals) \
            if self.options.jobs > 1 else None
        running: list[Future] = []
        with self.reporter.batch(len(todo), total) as finished:
            self.finished = finished
            try:
                for item in todo:
                    job = self._front(item)
                    if job is None:
                        continue
                    if workers is None:
                        self._back(item, job)
                        continue
                    while sum(not f.done() for f in running) >= self.options.jobs - 1:
                        wait(running, return_when=FIRST_COMPLETED)
                    running.append(workers.submit(self._back, item, job))
                wait(running)
            except KeyboardInterrupt:
                self.reporter.stopping.set()  # stages in the workers stop at their next progress report
                raise
            finally:
                if workers is not None:
                    workers.shutdown(wait=True, cancel_futures=True)
                for item in self.items:
                    if item.status == "pending":
                        item.status = "interrupted"

    def _front(self, item: Item):
        """In the main thread: the slow CPU part (transcribe, translate), or reading the
        subtitle files for --burn. Returns the job, or None when the video failed."""
        from bivideo import flow

        settings, started = self.settings_for(item), time.monotonic()
        try:
            with self.reporter.working_on(item.name):
                job = flow.start(self.options.mode, item.source, settings, self.reporter)
        except Exception as error:  # noqa: BLE001 - any failure is this file's, the batch goes on
            self.fail(item, error)
            return None
        item.seconds["prepare"] = time.monotonic() - started
        return job

    def _back(self, item: Item, job) -> None:
        """The burn (or the stills for --preview), in a worker thread when --jobs > 1."""
        from bivideo import flow

        settings, started = self.settings_for(item), time.monotonic()
        try:
            with self.reporter.working_on(item.name):
                written = flow.finish(self.options.mode, job, settings, self.reporter)
        except KeyboardInterrupt:
            item.status = "interrupted"
            raise
        except Exception as error:  # noqa: BLE001
            if self.reporter.stopping.is_set():  # stopped because the batch was: not the file's fault
                item.status = "interrupted"
            else:
                self.fail(item, error)
            return
        item.seconds["burn" if self.options.mode != "preview" else "stills"] = time.monotonic() - started
        item.seconds["total"] = sum(item.seconds.values())
        item.status, item.outputs = "done", [str(p.resolve()) for p in written]
        self.record(item)

    def fail(self, item: Item, error: Exception) -> None:
        if debugging() and not isinstance(error, BivideoError):
            raise error
        reason = str(error) if isinstance(error, BivideoError) else f"unexpected {type(error).__name__}: {error}"
        item.status, item.reason = "failed", reason.removeprefix(f"{item.source.name}: ")
        self.reporter.failed(item.name, item.reason)
        self.record(item)

    def record(self, item: Item) -> None:
        self.state.record(item.name, self.options.mode, {
            "status": item.status, "settings": self.key, "source": item.signature, "outputs": item.outputs,
            "reason": item.reason, "audio_seconds": item.audio_seconds,
            "seconds": {k: round(v, 2) for k, v in item.seconds.items()}})
        if self.finished:
            self.finished(item.audio_seconds or 0.0)

    def report(self) -> Path:
        """batch-report.json in the output folder: this run's status for every file."""
        counts = {s: sum(i.status == s for i in self.items) for s in
                  ("done", "skipped", "failed", "interrupted", "not tried")}
        path = self.out_root / REPORT
        artifacts.write_json(path, {
            "folder": str(self.folder.resolve()), "output_folder": str(self.out_root.resolve()),
            "mode": self.options.mode, "jobs": self.options.jobs, "retry_failed": self.options.retry_failed,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
            "seconds": round(time.time() - self.started, 2), "counts": counts,
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self.settings).items()},
            "files": [item.report() for item in self.items],
            **({"cluster": self.cluster_info} if self.cluster_info else {})})
        return path


def _ignore_stop_signals() -> None:
    """In a burn thread: leave Ctrl-C and SIGTERM to the main thread, and to ffmpeg's parent.
    ffmpeg inherits this mask, so the terminal's Ctrl-C (sent to the whole process group) does
    not kill it mid-file; the batch stops it instead, and an interrupted burn is never
    mistaken for a failed one."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def print_summary(items: list[Item], report: Path) -> None:
    """The table on the terminal: each file's status, audio, time, and outputs or reason."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"bivideo batch: {report}", title_justify="left")
    for column in ("file", "status", "audio", "time", "outputs / reason"):
        table.add_column(column, justify="right" if column in ("audio", "time") else "left", overflow="fold")
    styles = {"done": "green", "skipped": "dim", "failed": "red", "interrupted": "yellow"}
    for item in items:
        audio = f"{item.audio_seconds / 60:.1f} min" if item.audio_seconds else ""
        spent = f"{item.seconds['total']:.0f} s" if "total" in item.seconds else ""
        detail = item.reason or ", ".join(Path(o).name for o in item.outputs if o.endswith(".mp4")) \
            or f"{len(item.outputs)} files"
        table.add_row(item.name, item.status, audio, spent, detail, style=styles.get(item.status))
    Console(highlight=False).print(table)
