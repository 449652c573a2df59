"""What the user sees while a run goes: one progress bar per stage (with ETA), notes, warnings.
Quiet mode prints nothing but warnings and the final error, for scripts."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import (BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn,
                           TimeRemainingColumn)


class Reporter:
    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.console = Console(stderr=True, highlight=False)

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        self.console.print(f"warning: {message}", style="yellow", markup=False, soft_wrap=True)

    @contextmanager
    def stage(self, label: str, total: float | None) -> Iterator[Callable[[float], None]]:
        """A bar for one stage; the caller reports absolute progress (seconds, lines...)."""
        if self.quiet:
            yield lambda done: None
            return
        with Progress(SpinnerColumn(), TextColumn("{task.description:<12}"), BarColumn(),
                      TaskProgressColumn(), TimeRemainingColumn(), console=self.console,
                      transient=False) as bar:
            task = bar.add_task(label, total=total)
            yield lambda done: bar.update(task, completed=done)
            bar.update(task, completed=total)
