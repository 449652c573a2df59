"""Content-keyed artifacts in a per-video work folder, and crash-safe writes.

Every stage's output is stored under a name derived from a hash of everything it depends
on, so a rerun with the same inputs and settings finds it and skips the stage, the way
`make` does. Files are written to a temporary name and renamed, so an interrupted run
never leaves a half-written file under a final name.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from bivideo.errors import BivideoError

_SAMPLE = 1 << 20  # bytes read from each of the start, middle and end of a media file


def cache_dir() -> Path:
    """Root of everything bivideo caches (models, work folders); BIVIDEO_CACHE overrides."""
    return Path(os.environ.get("BIVIDEO_CACHE") or user_cache_dir("bivideo"))


def work_folder(path: Path) -> Path:
    """The work folder of an input (a video, or a subtitle file for `translate`): its stages'
    artifacts and its written-file record, keyed by its content, created if need be."""
    work = cache_dir() / "work" / fingerprint(path)
    work.mkdir(parents=True, exist_ok=True)
    return work


def key(*parts: Any) -> str:
    """A short stable hash of JSON-serialisable parts."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def fingerprint(path: Path) -> str:
    """Content fingerprint of a (possibly huge) media file: its size plus samples of its
    start, middle and end. Hashing a whole multi-GB recording would cost seconds per run."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        for offset in (0, max(0, size // 2 - _SAMPLE // 2), max(0, size - _SAMPLE)):
            f.seek(offset)
            digest.update(f.read(_SAMPLE))
    return digest.hexdigest()[:16]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def atomic_path(final: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `final`; rename it into place only if the block
    succeeds. The temporary name keeps `final`'s extension (ffmpeg picks formats by it)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = _new_file(final.parent, f".{final.stem}.", f".part{suffix or final.suffix}")
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    finally:
        tmp_path.unlink(missing_ok=True)


def _new_file(folder: Path, prefix: str, suffix: str) -> Path:
    """A new empty file with a name no one else has. Not tempfile's: that makes files private,
    and a finished output should get the permissions the user's umask gives any new file."""
    while True:
        path = folder / f"{prefix}{secrets.token_hex(4)}{suffix}"
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return path
        except FileExistsError:
            continue


def writable_folder(folder: Path) -> Path:
    """`folder`, created if need be; a clear error when it cannot be created or written."""
    folder = folder.expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BivideoError(f"cannot create output folder {folder}: {error.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BivideoError(f"output folder {folder} is not writable")
    return folder


def remove_temporaries(stem: str, folder: Path) -> None:
    """Half-written files a killed run left beside its outputs (hidden `.STEM.*.part.*`, made
    by `atomic_path`): ours, never useful."""
    for leftover in folder.glob(f".{glob.escape(stem)}.*.part*"):
        leftover.unlink(missing_ok=True)


def write_text(final: Path, text: str) -> None:
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(final: Path, data: Any) -> None:
    write_text(final, json.dumps(data, ensure_ascii=False, indent=1))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
