"""jieba with its dictionary looked up a word at a time, in SQLite in the user cache.

Before its first cut, jieba loads its whole prefix dictionary (about 500,000 words and
prefixes) into a dict: 0.6 s of CPU and 75 MB on the way of every make, for the few thousand
lookups one talk's lines need. The same entries, looked up as jieba asks for them, give the
same cuts. The file is built once from jieba's own dictionary (a few seconds), named by
jieba's version and the dictionary's size; where it can't be, jieba loads its dict as usual.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bivideo import artifacts

if TYPE_CHECKING:  # jieba is imported when Chinese is first cut
    import jieba


class Frequencies(Mapping[str, int]):
    """What jieba keeps as FREQ: each word's count, 0 for a prefix that is not a word."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.lock = threading.Lock()  # the translation threads lay out lines at once

    def __getitem__(self, word: str) -> int:
        with self.lock:
            row = self.db.execute("SELECT count FROM words WHERE word = ?", (word,)).fetchone()
        if row is None:
            raise KeyError(word)
        return row[0]

    def __iter__(self) -> Iterator[str]:
        with self.lock:
            words = [word for (word,) in self.db.execute("SELECT word FROM words")]
        return iter(words)

    def __len__(self) -> int:
        with self.lock:
            return self.db.execute("SELECT count(*) FROM words").fetchone()[0]

    def total(self) -> int:
        with self.lock:
            return self.db.execute("SELECT total FROM meta").fetchone()[0]


_ATTACHING = threading.Lock()  # the translation threads' first cuts come at once: one builds


def attach(tokenizer: jieba.Tokenizer) -> None:
    """Give jieba's tokenizer (jieba.dt) the dictionary in SQLite, built first if needed,
    so that it never loads its own."""
    with _ATTACHING:
        if not tokenizer.initialized:
            _attach(tokenizer)


def _attach(tokenizer: jieba.Tokenizer) -> None:
    import jieba

    try:
        with tokenizer.get_dict_file() as words:
            size = os.fstat(words.fileno()).st_size
        path = artifacts.cache_dir() / f"jieba-{jieba.__version__}-{size}.sqlite3"
        if not path.is_file():
            _build(tokenizer, path)
        frequencies = Frequencies(path)
        total = frequencies.total()
    except (OSError, sqlite3.Error):  # an unwritable cache: jieba's own way, slower
        return
    with tokenizer.lock:
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = frequencies, total, True


def _build(tokenizer: jieba.Tokenizer, path: Path) -> None:
    with tokenizer.get_dict_file() as words:
        frequencies, total = tokenizer.gen_pfdict(words)
    with artifacts.atomic_path(path) as temporary:
        db = sqlite3.connect(temporary)
        try:
            db.execute("CREATE TABLE words (word TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID")
            db.executemany("INSERT INTO words VALUES (?, ?)", frequencies.items())
            db.execute("CREATE TABLE meta (total INTEGER NOT NULL)")
            db.execute("INSERT INTO meta VALUES (?)", (total,))
            db.commit()
        finally:
            db.close()
