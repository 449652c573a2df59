"""Reading SRT files as people actually save them: UTF-8 with or without a BOM, GBK/GB18030
from Chinese Windows tools, CRLF line endings, numbering that skips or repeats. What cannot
be read is rejected with the line number and the reason, never silently mangled."""

from __future__ import annotations

from pathlib import Path

import srt

from bivideo.errors import BivideoError


def decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BivideoError(f"{name}: not UTF-8 or GBK text")


def parse(text: str, name: str) -> list[srt.Subtitle]:
    """Subtitles in file order (numbering is ignored: editors often break it)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        return list(srt.parse(text))
    except srt.SRTParseError as error:
        start = error.expected_start + len(error.unmatched_content) - len(error.unmatched_content.lstrip())
        line = text.count("\n", 0, start) + 1
        snippet = " ".join(error.unmatched_content.split())[:60]
        raise BivideoError(f"{name}: line {line}: not a subtitle block (number, times, text): {snippet!r}") from None


def read(path: Path) -> list[srt.Subtitle]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BivideoError(f"cannot read {path}: {error.strerror}") from None
    return parse(decode(data, path.name), path.name)
