"""The one exception type the CLI turns into a one-line message and a non-zero exit."""

import os


def debugging() -> bool:
    """BIVIDEO_DEBUG set: let unexpected errors through with their traceback."""
    return bool(os.environ.get("BIVIDEO_DEBUG"))


class BivideoError(Exception):
    """A problem the user can act on; its message is shown as one line, never a traceback."""

    exit_code = 1


class TranslationFailed(BivideoError):
    """The translator failed; what came before it (transcript, source SRT) is kept."""

    exit_code = 3
