"""Reading SRT files as people actually save them: UTF-8 with or without a BOM, GBK/GB18030
from Chinese Windows tools, CRLF line endings, numbering that skips or repeats. What cannot
be read is rejected with the line number and the reason, never silently mangled."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import srt

from bivideo.errors import BivideoError
from bivideo.model import Shown

_ARROW = re.compile(r"-[ -] *>")  # what the srt library accepts between the two times


def decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BivideoError(f"{name}: not UTF-8 or GBK text")


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse(text: str, name: str) -> list[Shown]:
    """The cues in file order, each with the line its times are on (numbering is ignored:
    editors often break it)."""
    text = _normalise(text)
    subtitles, file_lines, position = [], [], 0
    try:
        for subtitle in srt.parse(text):
            # the times line of this block: the first arrow after the last block's times line
            arrow = _ARROW.search(text, position)
            assert arrow is not None  # srt.parse found a block, so its times line is there
            position = arrow.start()
            subtitles.append(subtitle)
            file_lines.append(text.count("\n", 0, position) + 1)
            position = text.find("\n", position)
    except srt.SRTParseError as error:
        start = error.expected_start + len(error.unmatched_content) - len(error.unmatched_content.lstrip())
        _reject(name, text.count("\n", 0, start) + 1, error.unmatched_content)
    for subtitle, file_line in zip(subtitles, file_lines):
        # the srt library lets a blank line into a subtitle, so a block without its times would
        # silently become part of the one before it
        lines = subtitle.content.strip("\n").split("\n")
        if "" in lines:
            after = lines.index("") + 1
            while not lines[after].strip():
                after += 1
            _reject(name, file_line + 1 + after, "\n".join(lines[after:]))
    return [Shown(s.start.total_seconds(), s.end.total_seconds(), tuple(s.content.splitlines()), file_line)
            for s, file_line in zip(subtitles, file_lines)]


def _reject(name: str, line: int, content: str):
    snippet = " ".join(content.split())[:60]
    raise BivideoError(f"{name}: line {line}: not a subtitle block (number, times, text): {snippet!r}")


def read(path: Path) -> list[Shown]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BivideoError(f"cannot read {path}: {error.strerror}") from None
    return parse(decode(data, path.name), path.name)


def compose(shown: list[Shown]) -> str:
    """An SRT file of the cues, numbered from 1, each cue's lines in order."""
    return srt.compose([srt.Subtitle(number, timedelta(seconds=s.start), timedelta(seconds=s.end), "\n".join(s.lines))
                        for number, s in enumerate(shown, 1)], reindex=False)


def stamp(seconds: float) -> str:
    return srt.timedelta_to_srt_timestamp(timedelta(seconds=seconds))


def timing_problems(blocks: list[Shown], name: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) about times, each naming the line: a cue that ends before it starts
    cannot be shown (error); cues that overlap are shown stacked (warning)."""
    errors, warnings = [], []
    for previous, block in zip([None, *blocks], blocks):
        if block.end <= block.start:
            errors.append(f"{name}: line {block.file_line}: cue ends ({stamp(block.end)}) "
                          f"before it starts ({stamp(block.start)})")
        elif previous is not None and block.start < previous.end:
            warnings.append(f"{name}: line {block.file_line}: cue starts at {stamp(block.start)}, before the cue "
                            f"on line {previous.file_line} ends ({stamp(previous.end)}); both will show at once")
    return errors, warnings


def first_difference(ours: list[Shown], ours_name: str, theirs: list[Shown], theirs_name: str) -> str | None:
    """None when both files have the same cues (count and times); else one line naming the
    first cue that differs, so the user can find where one file drifted from the other."""
    for number, (a, b) in enumerate(zip(ours, theirs), 1):  # noqa: B007 - `number` is read after the loop
        if abs(a.start - b.start) > 0.0015 or abs(a.end - b.end) > 0.0015:
            break
    else:
        if len(ours) == len(theirs):
            return None
        number = min(len(ours), len(theirs)) + 1

    def where(blocks: list[Shown], name: str) -> str:
        if number > len(blocks):
            return f"{name} has no cue {number}"
        block = blocks[number - 1]
        return f"{name} line {block.file_line}: {stamp(block.start)} --> {stamp(block.end)}"

    return (f"{ours_name} has {len(ours)} cues and {theirs_name} has {len(theirs)}; first difference at cue "
            f"{number} ({where(ours, ours_name)}; {where(theirs, theirs_name)})")
