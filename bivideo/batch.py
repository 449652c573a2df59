"""`bivideo batch`: every video in a folder, unattended; resumable; one failure stops nothing.

What is in the folder and what earlier runs settled: batch_state. Then one loop (`Batch._loop`)
takes each video through its two halves, prepared (transcribed, translated, subtitle files)
then finished (burned, or its stills drawn), and records each outcome as it arrives. How the
halves run is the runner's: `LocalRunner` on this machine (the main thread transcribes while
up to `jobs - 1` threads burn, ffmpeg being a subprocess), or cluster.RayRunner on a cluster.
A video interrupted mid-way goes through the flow again, which reuses every stage it finished.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from bivideo import artifacts
from bivideo.batch_state import REPORT, STATE, Item, State, discover, settings_key
from bivideo.errors import BivideoError, debugging
from bivideo.settings import MODES, Mode, Settings
from bivideo.ui import Reporter


@dataclass(frozen=True)
class Options:
    mode: Mode = "make"
    recursive: bool = False
    jobs: int = 2  # on a cluster, 0: as many videos in flight as the cluster takes
    retry_failed: bool = False


class Batch:
    """One run over a folder: plan what to do, then do it, then report."""

    def __init__(self, folder: Path, settings: Settings, options: Options, reporter: Reporter) -> None:
        """The flow (and everything it imports) is loaded only when there is work to do."""
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
        self.runner_info: dict = {}  # how the work was run (on a cluster: nodes, actors, costs), for the report
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

    def run(self, runners: Runners | None = None) -> list[Item]:
        """Everything left to do, run by `runners` (default: on this machine)."""
        todo = self.plan()
        if todo:
            self._process(todo, runners or self._local)
        return self.items

    @contextmanager
    def _local(self, batch: Batch, todo: list[Item]) -> Iterator[Runner]:
        yield LocalRunner(self.options.mode, self.options.jobs, self.reporter)

    def _process(self, todo: list[Item], runners: Runners) -> None:
        from bivideo import probe

        for item in todo:  # durations for the overall bar; what can't be read fails here already
            try:
                item.audio_seconds = round(probe.probe(item.source).duration, 2)
            except BivideoError as error:
                self.fail(item, error)
            artifacts.remove_temporaries(item.source.stem, self.output_folder(item))
        todo = [item for item in todo if item.status == "pending"]
        if todo:
            with runners(self, todo) as runner:  # a cluster is joined only when there is work for it
                self._loop(todo, runner)

    def _loop(self, todo: list[Item], runner: Runner) -> None:
        """The one batch loop, however the work runs: each video prepared (transcribed,
        translated), then finished (burned, or its stills drawn), as many at once as the
        runner has room for; each outcome recorded as it arrives."""
        mode = self.options.mode
        queue: deque[Item] = deque(todo)
        ready: deque[tuple[Item, Any]] = deque()  # prepared, waiting for room to finish
        preparing: dict[Future[Outcome], Item] = {}
        finishing: dict[Future[Outcome], Item] = {}
        with self.reporter.batch(len(todo), sum(item.audio_seconds or 0.0 for item in todo)) as finished:
            try:
                while queue or ready or preparing or finishing:
                    while ready and runner.room_to_finish(len(finishing)):
                        item, job = ready.popleft()
                        finishing[runner.finish(item, job, self.settings_for(item))] = item
                    while queue and not ready and runner.room_to_prepare(len(preparing), len(finishing)):
                        item = queue.popleft()
                        if mode == "burn":  # nothing to prepare: the subtitle files are read where it burns
                            ready.append((item, None))
                            break
                        preparing[runner.prepare(item, self.settings_for(item))] = item
                    if not (preparing or finishing):
                        continue
                    done, _ = wait([*preparing, *finishing], return_when=FIRST_COMPLETED)
                    for future in done:
                        if future in preparing:
                            item = preparing.pop(future)
                            outcome = runner.prepared(future, item)
                            if self._settled(item, outcome, finished):
                                continue
                            ready.append((item, outcome.job))
                        else:
                            item = finishing.pop(future)
                            self._settled(item, runner.finished(future, item), finished)
            except KeyboardInterrupt:
                self.reporter.stopping.set()  # stages in other threads stop at their next progress report
                runner.stop()
                raise
            finally:
                self.runner_info = runner.close()
                for item in self.items:
                    if item.status == "pending":
                        item.status = "interrupted"

    def _settled(self, item: Item, outcome: Outcome, finished: Callable[[float], None]) -> bool:
        """Take one half's outcome: show what it said away from this terminal, count its
        time; True when the video is settled (done, failed or interrupted)."""
        with self.reporter.working_on(item.name):
            for kind, message in outcome.messages:
                (self.reporter.warn if kind == "warn" else self.reporter.note)(message)
        item.seconds |= outcome.seconds
        if outcome.interrupted:
            item.status = "interrupted"
        elif outcome.error is not None:
            self.fail(item, outcome.error)
            finished(item.audio_seconds or 0.0)
        elif outcome.written is not None:
            item.seconds["total"] = sum(item.seconds.values())
            item.status, item.outputs = "done", outcome.written
            self.record(item)
            finished(item.audio_seconds or 0.0)
        else:
            return False
        return True

    def fail(self, item: Item, error: BivideoError) -> None:
        # the batch names the file on every row: a message about the file itself goes without its name
        ours = error.path is not None and error.path.resolve() == item.source.resolve()
        item.status, item.reason = "failed", error.message if ours else str(error)
        self.reporter.failed(item.name, item.reason)
        self.record(item)

    def record(self, item: Item) -> None:
        self.state.record(item.name, self.options.mode, {
            "status": item.status, "settings": self.key, "source": item.signature, "outputs": item.outputs,
            "reason": item.reason, "audio_seconds": item.audio_seconds,
            "seconds": {k: round(v, 2) for k, v in item.seconds.items()}})

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
            **({"cluster": self.runner_info} if self.runner_info else {})})
        return path


# --- the two halves of a video's work, and a way to run them ----------------------------------


@dataclass
class Outcome:
    """What one half of a video's work came to, wherever it ran: the prepared job, or the
    files written; or the failure. `messages`: notes and warnings made where no terminal
    shows them (on a cluster's node), shown by the batch."""

    job: Any = None  # flow's Job, after the first half
    written: list[str] | None = None  # after the second half
    error: BivideoError | None = None
    interrupted: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    messages: list[tuple[str, str]] = field(default_factory=list)


def as_failure(error: Exception) -> BivideoError:
    """Any error in a video's work as that file's failure (the batch goes on); with
    BIVIDEO_DEBUG, an unexpected one is raised with its traceback instead."""
    if isinstance(error, BivideoError):
        return error
    if debugging():
        raise error
    return BivideoError(f"unexpected {type(error).__name__}: {error}")


def first_half(mode: Mode, source: Path, settings: Settings, reporter: Reporter) -> Outcome:
    """Transcribe, translate, write the subtitle files (`flow.start`)."""
    from bivideo import flow

    started = time.monotonic()
    try:
        job = flow.start(mode, source, settings, reporter)
    except Exception as error:  # any failure is this file's: the batch goes on
        return Outcome(error=as_failure(error))
    return Outcome(job=job, seconds={"prepare": time.monotonic() - started})


def second_half(mode: Mode, job: Any, source: Path, settings: Settings, reporter: Reporter) -> Outcome:
    """The burn, or --preview's stills (`flow.finish`); for --burn (no `job`), the subtitle
    files are read here first."""
    from bivideo import flow

    seconds, started = {}, time.monotonic()
    try:
        if job is None:
            job = flow.start(mode, source, settings, reporter)
            seconds["prepare"] = time.monotonic() - started
        written = flow.finish(mode, job, settings, reporter)
    except Exception as error:
        # stopped because the batch was: not the file's fault
        return Outcome(interrupted=True) if reporter.stopping.is_set() else Outcome(error=as_failure(error))
    seconds["burn" if mode != "preview" else "stills"] = time.monotonic() - started - seconds.get("prepare", 0.0)
    return Outcome(written=[str(p.resolve()) for p in written], seconds=seconds)


class Runner(Protocol):
    """A way of running the batch's two halves: on this machine (`LocalRunner`) or on a Ray
    cluster (`cluster.RayRunner`). Each half is sent off as a future; its outcome is taken
    in the batch's thread, where a runner may count or repair what it lost."""

    def room_to_prepare(self, preparing: int, finishing: int) -> bool: ...

    def room_to_finish(self, finishing: int) -> bool: ...

    def prepare(self, item: Item, settings: Settings) -> Future[Outcome]: ...

    def finish(self, item: Item, job: Any, settings: Settings) -> Future[Outcome]: ...

    def prepared(self, future: Future[Outcome], item: Item) -> Outcome: ...

    def finished(self, future: Future[Outcome], item: Item) -> Outcome: ...

    def stop(self) -> None: ...

    def close(self) -> dict: ...  # what the report should say of how the work ran


# A runner for a batch's videos, held for as long as they run (a cluster joined, then left).
Runners = Callable[["Batch", list[Item]], AbstractContextManager[Runner]]


class LocalRunner:
    """This machine: the main thread prepares one video (the model is loaded once, and Ctrl-C
    lands there) while up to `jobs - 1` threads burn the ones already prepared (ffmpeg is a
    subprocess, so the two overlap on the cores)."""

    def __init__(self, mode: Mode, jobs: int, reporter: Reporter) -> None:
        self.mode, self.reporter = mode, reporter
        self.burns = max(1, jobs - 1)
        self.workers = ThreadPoolExecutor(max_workers=jobs - 1, initializer=_ignore_stop_signals) \
            if jobs > 1 else None

    def room_to_prepare(self, preparing: int, finishing: int) -> bool:
        return preparing == 0

    def room_to_finish(self, finishing: int) -> bool:
        return finishing < self.burns

    def prepare(self, item: Item, settings: Settings) -> Future[Outcome]:
        with self.reporter.working_on(item.name):
            return _done(first_half(self.mode, item.source, settings, self.reporter))

    def finish(self, item: Item, job: Any, settings: Settings) -> Future[Outcome]:
        def work() -> Outcome:
            with self.reporter.working_on(item.name):
                return second_half(self.mode, job, item.source, settings, self.reporter)

        return self.workers.submit(work) if self.workers else _done(work())

    def prepared(self, future: Future[Outcome], item: Item) -> Outcome:
        return future.result()

    def finished(self, future: Future[Outcome], item: Item) -> Outcome:
        return future.result()

    def stop(self) -> None:
        pass  # the burns stop at their next progress report (reporter.stopping)

    def close(self) -> dict:
        if self.workers is not None:
            self.workers.shutdown(wait=True, cancel_futures=True)
        return {}


def _done(outcome: Outcome) -> Future[Outcome]:
    future: Future[Outcome] = Future()
    future.set_result(outcome)
    return future


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
