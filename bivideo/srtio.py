"""Reading subtitle files as people actually save them: UTF-8 with or without a BOM, UTF-16
with a BOM, GBK/GB18030 from Chinese Windows tools, CRLF line endings, numbering that skips or
repeats. What cannot be read is rejected with the line number and the reason, never silently
mangled. `read_any` also takes WebVTT (Zoom, Teams, YouTube) and ASS/SSA, through pysubs2, and
gives the text a viewer reads: formatting tags, voice tags and inline timestamps removed."""

from __future__ import annotations

import codecs
import re
import warnings
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import srt

from bivideo.datatypes import Shown
from bivideo.errors import BivideoError
from bivideo.standard import visible

_ARROW = re.compile(r"-[ -] *>")  # what the srt library accepts between the two times


def decode(data: bytes, name: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")  # the BOM says which end first
        except UnicodeDecodeError:
            raise BivideoError(f"{name}: starts as UTF-16 but is not valid UTF-16 text") from None
    if len(data) >= 4 and data.count(0) * 3 >= len(data):  # mostly ASCII as UTF-16, saved without a BOM
        odd = data[1::2].count(0) > data[0::2].count(0)
        try:
            return data.decode("utf-16-le" if odd else "utf-16-be")
        except UnicodeDecodeError:
            pass
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


def _reject(name: str, line: int, content: str) -> NoReturn:
    snippet = " ".join(content.split())[:60]
    raise BivideoError(f"{name}: line {line}: not a subtitle block (number, times, text): {snippet!r}")


def _text(path: Path) -> str:
    """A subtitle file's text, whatever its encoding (`decode`)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BivideoError(f"cannot read {path}: {error.strerror}") from None
    return decode(data, path.name)


def read(path: Path) -> list[Shown]:
    return parse(_text(path), path.name)


FORMATS = {".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ssa"}


def _format_of(path: Path, text: str) -> str:
    head = text.lstrip("\ufeff \n\t")[:200]
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("[Script Info]") or "[V4+ Styles]" in text or "[V4 Styles]" in text:
        return "ass"
    return FORMATS.get(path.suffix.lower(), "srt")


def read_any(path: Path) -> list[Shown]:
    """The cues of an SRT, WebVTT or ASS/SSA file (by its content, else its name) in display
    order, each line as the viewer reads it. An empty file or one without cues is an error."""
    text = _text(path)
    if not text.strip(" \ufeff\r\n\t"):
        raise BivideoError("the file is empty, no subtitles in it", path=path)
    kind = _format_of(path, text)
    if kind == "srt":
        found = parse(text, path.name)
    else:
        import pysubs2

        try:
            with warnings.catch_warnings():  # e.g. SSA v4's "Marked=0" for a layer: read fine, said noisily
                warnings.simplefilter("ignore")
                events = pysubs2.SSAFile.from_string(_normalise(text), format_=kind).events
        except (pysubs2.exceptions.Pysubs2Error, ValueError) as error:
            raise BivideoError(f"not a readable {kind.upper()} file ({error})", path=path) from None
        found = sorted((Shown(e.start / 1000, e.end / 1000, tuple(e.plaintext.splitlines()))
                        for e in events if not e.is_comment), key=lambda s: (s.start, s.end))
    shown = [Shown(s.start, s.end, tuple(line for line in map(visible, s.lines) if line.strip()), s.file_line)
             for s in found]
    shown = [s for s in shown if s.lines]
    if not shown:
        raise BivideoError("no cues in it (no subtitle with times and text)", path=path)
    return shown


def compose(shown: list[Shown]) -> str:
    """An SRT file of the cues, numbered from 1, each cue's lines in order."""
    return srt.compose([srt.Subtitle(number, timedelta(seconds=s.start), timedelta(seconds=s.end), "\n".join(s.lines))
                        for number, s in enumerate(shown, 1)], reindex=False)


def stamp(seconds: float) -> str:
    return srt.timedelta_to_srt_timestamp(timedelta(seconds=seconds))


def time_order_problems(blocks: list[Shown], name: str) -> tuple[list[str], list[str]]:
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
