"""What the user sees while a run goes: one progress bar per stage (with ETA), notes, warnings.
Quiet mode prints nothing but warnings and the final error, for scripts.

A batch shows one display for the whole run: an overall bar (videos done, audio minutes)
above the bars of the files in progress, which may be two at once (one transcribing, one
burning), so each thread says which file it is working on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn


class Reporter:
    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.console = Console(stderr=True, highlight=False)
        self.stopping = threading.Event()  # set when a batch is interrupted: stages in other threads stop
        self._batch: Progress | None = None
        self._thread = threading.local()  # .file: the file this thread is working on, in a batch

    def _prefixed(self, message: str) -> str:
        name = getattr(self._thread, "file", None)
        return f"{name}: {message}" if name else message

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(self._prefixed(message), markup=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        self.console.print(f"warning: {self._prefixed(message)}", style="yellow", markup=False, soft_wrap=True)

    def failed(self, name: str, reason: str) -> None:
        """One line per failed file in a batch (shown even when quiet)."""
        self.console.print(f"failed: {name}: {reason}", style="red", markup=False, soft_wrap=True)

    def _progress(self) -> Progress:
        return Progress(SpinnerColumn(), TextColumn("{task.description:<12}"), BarColumn(),
                        TaskProgressColumn(), TextColumn("{task.fields[detail]}"), TimeRemainingColumn(),
                        console=self.console, transient=False)

    def _updater(self, update: Callable[[float], None]) -> Callable[[float], None]:
        def report(done: float) -> None:
            if self.stopping.is_set():  # a stage running beside an interrupted batch stops here
                raise KeyboardInterrupt
            update(done)
        return report

    @contextmanager
    def working_on(self, name: str) -> Iterator[None]:
        """Label this thread's notes and bars with the file it works on."""
        self._thread.file = name
        try:
            yield
        finally:
            self._thread.file = None

    @contextmanager
    def stage(self, label: str, total: float | None) -> Iterator[Callable[[float], None]]:
        """A bar for one stage; the caller reports absolute progress (seconds, lines...)."""
        if self.quiet:
            yield self._updater(lambda done: None)
        elif self._batch is not None:
            bar, name = self._batch, getattr(self._thread, "file", None) or ""
            task = bar.add_task(label, total=total, detail=name)
            try:
                yield self._updater(lambda done: bar.update(task, completed=done))
            finally:
                bar.remove_task(task)
        else:
            with self._progress() as bar:
                task = bar.add_task(label, total=total, detail="")
                yield self._updater(lambda done: bar.update(task, completed=done))
                bar.update(task, completed=total)

    @contextmanager
    def batch(self, videos: int, audio_seconds: float) -> Iterator[Callable[[float], None]]:
        """The overall bar of a batch; yields `finished(audio_seconds)`, called (from any
        thread) as each video ends, done or failed. Stage bars appear below it meanwhile."""
        count = {"videos": 0, "seconds": 0.0}
        lock = threading.Lock()

        def describe() -> dict:
            return {"description": f"videos {count['videos']}/{videos}",
                    "detail": f"{count['seconds'] / 60:.1f}/{audio_seconds / 60:.1f} audio min"}

        if self.quiet:
            yield lambda seconds: None
            return
        with self._progress() as bar:
            task = bar.add_task(total=audio_seconds or None, **describe())

            def finished(seconds: float) -> None:
                with lock:
                    count["videos"] += 1
                    count["seconds"] += seconds
                    bar.update(task, completed=count["seconds"], **describe())

            self._batch = bar
            try:
                yield finished
            finally:
                self._batch = None
