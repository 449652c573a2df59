"""The one exception type the CLI turns into a one-line message and a non-zero exit."""

from __future__ import annotations

import os
from pathlib import Path


def debugging() -> bool:
    """BIVIDEO_DEBUG set: let unexpected errors through with their traceback."""
    return bool(os.environ.get("BIVIDEO_DEBUG"))


class BivideoError(Exception):
    """A problem the user can act on; its message is shown as one line, never a traceback.
    `path`: the file it is about, named in front of the message (`talk.mp4: no speech found`);
    a batch, which lists files anyway, shows `message` alone."""

    exit_code = 1

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message, path)
        self.message, self.path = message, path

    def __str__(self) -> str:
        return f"{self.path.name}: {self.message}" if self.path else self.message


class TranslationFailed(BivideoError):
    """The translator failed; what came before it (transcript, source SRT) is kept."""

    exit_code = 3
