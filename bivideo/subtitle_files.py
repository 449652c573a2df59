"""The subtitle files beside a talk, read and written: the three SRTs (with the user's edits to
any of them merged back into cues) and an edited bilingual.ass. What the user changed is kept;
see outputs.Outputs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pysubs2

from bivideo import edits, srtio, standard, subtitles
from bivideo.datatypes import LANGUAGES, STYLED_FILE, Cue, Shown, main_language_of, other_language
from bivideo.errors import BivideoError
from bivideo.outputs import Outputs
from bivideo.ui import Reporter


def read_checked(path: Path, reporter: Reporter) -> list[Shown]:
    """An SRT's blocks, as shown (formatting tags such as <i> or {\\an8} from another editor
    are dropped: the burned style is bivideo's); a cue that ends before it starts is an
    error, an overlap a warning."""
    read = srtio.read(path) if path.suffix.lower() == ".srt" else srtio.read_any(path)  # burn --srt talk.vtt
    blocks = [replace(b, lines=tuple(map(standard.visible, b.lines))) for b in read]
    if not blocks:
        raise BivideoError("no subtitles in it", path=path)
    errors, warnings = srtio.time_order_problems(blocks, path.name)
    if errors:
        raise BivideoError(errors[0] + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
    for warning in warnings[:3]:
        reporter.warn(warning)
    if len(warnings) > 3:
        reporter.warn(f"{path.name}: {len(warnings) - 3} more overlapping cues")
    return blocks


def _same_cues(blocks: list[Shown], name: str, other: list[Shown], other_name: str) -> None:
    difference = srtio.first_difference(blocks, name, other, other_name)
    if difference:
        raise BivideoError(f"{difference}: edit the bilingual SRT, or make the cues match")


def cues_on_disk(outputs: Outputs, source_name: str, reporter: Reporter, srt: Path | None = None) -> edits.Merged:
    """Cues from the bilingual SRT (or `srt`) with the user's edits to single-language SRTs,
    compared with the cues last written."""
    previous = outputs.last_cues()
    if srt is not None:
        given = read_checked(srt, reporter)
        languages = edits.languages_in(given)
        if len(languages) == 1:  # one language: paired with the other language's SRT, if there is one
            language = languages.pop()
            other_one = other_language(language)
            other = outputs.path(f"{other_one}.srt")
            if other.is_file() and other.resolve() != srt.resolve():
                paired = read_checked(other, reporter)
                _same_cues(given, srt.name, paired, other.name)
                given = [Shown.of(g.start, g.end, **{language: g.line(language), other_one: o.line(other_one)})
                         for g, o in zip(given, paired)]
        return edits.to_cues(given, previous)
    bilingual = outputs.path("bilingual.srt")
    if bilingual.is_file():
        base, base_name = read_checked(bilingual, reporter), bilingual.name
    elif previous:
        base = srtio.parse(subtitles.bilingual_srt(previous), bilingual.name)
        base_name = f"the last written {bilingual.name}"
    else:
        raise BivideoError(f"no subtitles for {source_name} in {outputs.folder}: "
                           f"run `bivideo make {source_name} --preview` first")
    before = subtitles.shown(previous) if previous else None
    on_file = base  # what the single-language files are checked against, with its file lines
    for language in LANGUAGES:
        single = outputs.path(f"{language}.srt")
        if outputs.edited(single):
            single_cues = read_checked(single, reporter)
            _same_cues(single_cues, single.name, on_file, base_name)
            base, conflicts = edits.with_language(base, language, single_cues, before)
            if conflicts:
                reporter.warn(f"cue {', '.join(map(str, conflicts))}: edited differently in {single.name} and "
                              f"{bilingual.name}; used {bilingual.name}")
    return edits.to_cues(base, previous)


def write(outputs: Outputs, cues: list[Cue], reporter: Reporter, rewrite_edited: bool = False) -> list[Path]:
    """The three SRTs from the cues, spoken language first; returns those written. Files the
    user edited are kept (and said so), and so is the input when it is one of them (`bivideo
    translate talk.en.srt`), except that with `rewrite_edited` the bilingual one takes the new
    translations (its previous state backed up)."""
    spoken = main_language_of(cues)
    texts = {f"{spoken}.srt": subtitles.srt_for_language(cues, spoken),
             f"{other_language(spoken)}.srt": subtitles.srt_for_language(cues, other_language(spoken)),
             "bilingual.srt": subtitles.bilingual_srt(cues)}
    written = []
    for suffix, text in texts.items():
        path = outputs.path(suffix)
        if path.exists() and path.resolve() == outputs.source.resolve():
            continue
        if not outputs.edited(path) or outputs.force:
            written.append(outputs.write_text(suffix, text, reporter))
        elif suffix == "bilingual.srt" and rewrite_edited:
            outputs.update_edited(path, text, reporter)
            written.append(path)
        else:
            outputs.say_kept(path, reporter)
    return written


def edited_ass(outputs: Outputs, reporter: Reporter) -> tuple[str, tuple[int, int]] | None:
    """The user's edited bilingual.ass and the frame size it is styled for, if they have one."""
    path = outputs.path(STYLED_FILE)
    if not outputs.kept(path):
        return None
    outputs.say_kept(path, reporter)
    text = path.read_text(encoding="utf-8-sig")
    try:
        info = pysubs2.SSAFile.from_string(text).info
        return text, (int(info["PlayResX"]), int(info["PlayResY"]))
    except (pysubs2.exceptions.Pysubs2Error, KeyError, ValueError):
        raise BivideoError(f"{path.name}: not an ASS file with PlayResX/PlayResY; fix it, or delete it "
                           "to have it generated again") from None
