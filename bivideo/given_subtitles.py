"""Subtitles made elsewhere (a Zoom or Teams .vtt, YouTube's captions, an SRT fixed by hand in
another editor) as the spoken-language transcript: `bivideo translate SUBS` and
`bivideo make VIDEO --subtitles SUBS`.

The cues' times are kept as they are: the other language is fitted to each cue. With
`--resegment` they are cut again to the standard the way `make` cuts a transcript; with no
audio to time the words, each cue's time is shared among its words by their length.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

from bivideo import segmentation, srtio, standard, standard_report
from bivideo.datatypes import Cue, Language, Shown, Word, main_language, other_language
from bivideo.errors import BivideoError
from bivideo.settings import Settings
from bivideo.ui import Reporter

# What a file of one language's lines is often called (talk.en.srt): the stem without it
LANGUAGE_SUFFIXES = (".en", ".zh", ".bilingual")


def stem(path: Path) -> str:
    """The name the outputs of `path` take: talk.en.vtt -> talk (then talk.zh.srt ...)."""
    name = path.stem
    for suffix in LANGUAGE_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def spoken_cues(shown: list[Shown], settings: Settings, name: str) -> tuple[list[Cue], Language]:
    """The file's cues as spoken-language cues, and the talk's main language: `--from` when
    given (every cue in it), else each cue's own (a mixed talk goes both ways) and the
    language of most cues. A cue with lines in both languages keeps its main-language line."""
    counted = Counter(language for s in shown for language in s.by_language())
    if not counted:
        raise BivideoError(f"{name}: no text in its cues")
    main: Language = settings.source if settings.source in ("en", "zh") else \
        main_language(counted)
    if not counted[main]:
        raise BivideoError(f"{name}: --from {main}, but none of its lines is in that language")
    if settings.target == main:
        raise BivideoError(f"{name} is in {main!r} and so is the requested --to")
    out = []
    for s in shown:
        lines = s.by_language()
        language: Language = main if settings.source == main or main in lines else other_language(main)
        out.append(Cue(s.start, s.end, s.line(language), language=language))
    return out, main


def words_by_text(given: list[Cue]) -> tuple[list[Word], set[int], list[Language]]:
    """Words with times for cues that have none: each cue's time shared among its words (for
    Chinese, its characters) by their length. Also the index of each cue's last word (where
    a transcript segment would end) and each word's language."""
    words: list[Word] = []
    ends: set[int] = set()
    languages: list[Language] = []
    for cue in given:
        if cue.language == "zh":
            pieces = [c for c in cue.source if not c.isspace()]
        else:
            pieces = [" " + w for w in cue.source.split()]
        if not pieces:
            continue
        total = sum(len(p.strip()) for p in pieces)
        at = cue.start
        for piece in pieces:
            end = at + (cue.end - cue.start) * len(piece.strip()) / total
            words.append(Word(piece, round(at, 3), round(end, 3), 1.0))
            languages.append(cue.language)
            at = end
        ends.add(len(words) - 1)
    return words, ends, languages


def resegmented(given: list[Cue], main: Language, fps: float) -> tuple[list[Cue], list[Word]]:
    """The cues cut again to the standard, as `make` cuts a transcript, from words timed by
    their length (there is no audio): and those words."""
    words, ends, languages = words_by_text(given)
    return segmentation.build(words, main, fps, ends, languages), words


def read(path: Path, settings: Settings, reporter: Reporter,
         fps: float) -> tuple[list[Cue], Language, list[Word] | None]:
    """A subtitle file made elsewhere as spoken-language cues, reported against the standard,
    and its main language. With --resegment the cues are cut again, and the words timed by
    their text come back too (None otherwise)."""
    shown = srtio.read_any(path)
    report_standard(shown, path.name, settings, reporter, fps)
    spoken, main = spoken_cues(shown, settings, path.name)
    if not settings.resegment:
        return spoken, main, None
    cut, words = resegmented(spoken, main, fps)
    reporter.note(f"resegmented by text: {len(shown)} cues became {len(cut)}")
    return cut, main, words


def fitted(translated: list[Cue], fps: float, words: list[Word] | None) -> list[Cue]:
    """The translated cues laid out to be shown: cut again ones (`words`: from `read`) fitted
    as `make` fits a transcript's; otherwise each translation laid out in its cue (one line,
    or two when it is long), count and times unchanged."""
    if words is not None:
        return segmentation.fit_bilingual(translated, fps, words)
    return [replace(c, target=segmentation.two_lines(c.target, other_language(c.language))) for c in translated]


def report_standard(shown: list[Shown], name: str, settings: Settings, reporter: Reporter,
                    fps: float = standard.DEFAULT_FPS) -> None:
    """`check`'s table for a file that breaks the standard: reported, not refused."""
    report = standard_report.score(shown, fps)
    if report.compliant == report.cues:
        return
    then = "cut again to the standard (--resegment)" if settings.resegment else \
        "used with their times as they are (--resegment cuts them again)"
    reporter.warn(f"{name}: {report.cues - report.compliant} of {report.cues} cues break the subtitle standard; {then}")
    if not reporter.quiet:
        reporter.console.print(standard_report.table(report, name))
