"""Every sentence is paid for once: translations kept in SQLite in the user cache, keyed by
backend, language pair, text, context and glossary (never by an API key)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

from bivideo import artifacts


def default_path() -> Path:
    return artifacts.cache_dir() / "translations.sqlite3"


class TranslationCache:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()  # one connection shared by the translation threads
        self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")  # a crash mid-write never corrupts what is there
        self.db.execute("CREATE TABLE IF NOT EXISTS translations (key TEXT PRIMARY KEY, lines TEXT NOT NULL)")
        self.db.commit()

    @staticmethod
    def key(*parts: object) -> str:
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()

    def get(self, key: str) -> list[str] | None:
        with self.lock:
            row = self.db.execute("SELECT lines FROM translations WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, lines: list[str]) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO translations VALUES (?, ?)",
                            (key, json.dumps(lines, ensure_ascii=False)))
            self.db.commit()

    def close(self) -> None:
        with self.lock:  # never under a query in flight: SQLite would crash the process
            self.db.close()
