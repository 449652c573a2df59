"""The outputs record: the files bivideo wrote beside a talk, and the content hash of each as
it wrote them. A file changed since (or never written by bivideo) is the user's: kept, used,
and never overwritten without a timestamped backup. Also the cues and word times behind the
subtitle files as last written, which edits are measured against."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bivideo import artifacts, highlight
from bivideo.datatypes import Cue
from bivideo.errors import BivideoError
from bivideo.ui import Reporter


class Outputs:
    """Files written next to the input, and the content hash of each as we wrote it. A file
    that was changed since (or that we never wrote) is the user's: it is kept and used, never
    regenerated, unless `force`, and then only after a timestamped backup."""

    def __init__(self, folder: Path, stem: str, work: Path, source: Path, force: bool = False) -> None:
        self.folder, self.stem, self.source, self.force = folder, stem, source, force
        self.record = work / "written.json"
        self.written: dict[str, str] = {}
        self.reload()
        # the cues behind the subtitle files in this folder, as last written: what edits are measured against
        self.cues_record = work / f"cues-{artifacts.key(str(folder.resolve()))}.json"
        # each cue's spoken words with their times, as transcribed: what highlighting matches lines to
        self.words_record = work / f"words-{artifacts.key(str(folder.resolve()))}.json"
        self.announced: set[Path] = set()

    def reload(self) -> None:
        """The record as it is on disk now (another process may have written since)."""
        self.written = artifacts.read_json(self.record) if self.record.is_file() else {}

    def path(self, suffix: str) -> Path:
        return self.folder / f"{self.stem}.{suffix}"

    @staticmethod
    def _signature(path: Path) -> str:
        # subtitle files are small: hash every byte; a video gets the sampled fingerprint
        return artifacts.sha256_file(path) if path.suffix in (".srt", ".ass") else artifacts.fingerprint(path)

    def edited(self, path: Path) -> bool:
        """True when `path` holds something other than what we last wrote there. A file we
        never wrote there but whose content is what we wrote under its name elsewhere (an
        output folder copied or moved) is ours too."""
        if not path.exists():
            return False
        key, signature = str(path.resolve()), self._signature(path)
        if key in self.written:
            return self.written[key] != signature
        return signature not in {value for written, value in self.written.items() if Path(written).name == path.name}

    def kept(self, path: Path) -> bool:
        """True when `path` is the user's and must not be regenerated."""
        return not self.force and self.edited(path)

    def say_kept(self, path: Path, reporter: Reporter) -> None:
        """Tell the user (once per file) that their edited file is kept and used."""
        if path not in self.announced:
            self.announced.add(path)
            reporter.warn(f"kept your edited {path.name} and used it "
                               "(--force regenerates it after a timestamped backup)")

    def claim(self, path: Path, reporter: Reporter) -> None:
        """Make `path` safe to (re)write: back up anything there that isn't our own output."""
        if not path.exists():
            return
        if path.resolve() == self.source.resolve():
            raise BivideoError(f"refusing to overwrite the input {path.name}")
        if self.edited(path):
            backup = self.backup(path)
            reporter.warn(f"{path.name} was not written by bivideo or was edited: kept as {backup.name}")

    @staticmethod
    def backup(path: Path) -> Path:
        backup = path.with_name(f"{path.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
        os.replace(path, backup)
        return backup

    def done(self, path: Path) -> None:
        self.written[str(path.resolve())] = self._signature(path)
        artifacts.write_json(self.record, self.written)

    def write_text(self, suffix: str, text: str, reporter: Reporter) -> Path:
        """Write an output, unless the user's edited version is there (then it is kept)."""
        path = self.path(suffix)
        if self.kept(path):
            self.say_kept(path, reporter)
        else:
            self.claim(path, reporter)
            artifacts.write_text(path, text)
            self.done(path)
        return path

    def update_edited(self, path: Path, text: str, reporter: Reporter) -> None:
        """Rewrite a file the user edited (their edits are in `text`); it stays theirs, and
        what was there is kept as a timestamped backup."""
        if text != path.read_text(encoding="utf-8", errors="replace"):
            backup = self.backup(path)
            artifacts.write_text(path, text)
            reporter.note(f"{path.name}: your edits with the new translations; as it was before: {backup.name}")

    def last_cues(self) -> list[Cue]:
        return [Cue(**c) for c in artifacts.read_json(self.cues_record)] if self.cues_record.is_file() else []

    def remember_cues(self, cues_written: list[Cue]) -> None:
        artifacts.write_json(self.cues_record, [c.to_json() for c in cues_written])

    def last_words(self) -> list[highlight.Record | None]:
        if not self.words_record.is_file():
            return []
        return [highlight.Record.from_json(r) if r else None for r in artifacts.read_json(self.words_record)]

    def remember_words(self, records: list[highlight.Record | None]) -> None:
        artifacts.write_json(self.words_record, [r.to_json() if r else None for r in records])

