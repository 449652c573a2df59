"""Work started in a thread of its own, its outcome collected later as a `Future`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


def started(work: Callable[[], T], name: str) -> Future[T]:
    """`work` running in a daemon thread, so an interrupted run does not wait for it to end;
    `.result()` gives its value or raises what it raised."""
    future: Future[T] = Future()

    def target() -> None:
        try:
            future.set_result(work())
        except BaseException as error:  # raised again by future.result()
            future.set_exception(error)

    threading.Thread(target=target, name=name, daemon=True).start()
    return future
