"""Hand edits to the subtitle files, merged back into cues. Pure: no files are read here.

The bilingual SRT is the file to edit; an edit to a single-language SRT counts too when it
still has the same cues. Every file is compared with what bivideo last wrote (the cues kept in
the work folder), which tells apart a line the user changed from one that is only shown
differently (Chinese lines are written without commas and full stops at their ends), and
which cues had their spoken line changed but not its translation: those are translated again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bivideo import srtio, subtitles
from bivideo.cues import Cue, other_language
from bivideo.standard import line_language

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Shown:
    """One cue as the SRT files show it: times and the line in each language."""

    start: float
    end: float
    zh: str = ""
    en: str = ""

    def line(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


def shown(cues: list[Cue]) -> list[Shown]:
    return [Shown(c.start, c.end, subtitles.line(c, "zh"), subtitles.line(c, "en")) for c in cues]


def from_block(block: srtio.Block) -> Shown:
    """A subtitle's lines sorted by language; a language wrapped over two lines is joined."""
    lines: dict[str, list[str]] = {"zh": [], "en": []}
    for line in block.subtitle.content.splitlines():
        if line.strip():
            lines[line_language(line)].append(line.strip())
    return Shown(block.start, block.end, "".join(lines["zh"]), " ".join(lines["en"]))


def languages_in(blocks: list[srtio.Block]) -> set[str]:
    return {lang for b in blocks for lang in LANGUAGES if from_block(b).line(lang)}


def with_language(base: list[Shown], language: str, single: list[Shown],
                  previous: list[Shown] | None) -> tuple[list[Shown], list[int]]:
    """`base` with the lines of `language` that the user changed in a single-language file
    (same number of cues, checked by the caller). Returns the cues and the numbers of those
    where the bilingual file changed the same line differently (the bilingual file wins)."""
    out, conflicts = [], []
    same_count = previous is not None and len(previous) == len(base)
    for i, (cue, one) in enumerate(zip(base, single)):
        before = previous[i].line(language) if same_count else None
        mine = one.line(language)
        if mine == before or mine == cue.line(language):
            out.append(cue)
        elif before is not None and cue.line(language) != before:
            conflicts.append(i + 1)
            out.append(cue)
        else:
            out.append(Shown(cue.start, cue.end, **{**{lang: cue.line(lang) for lang in LANGUAGES}, language: mine}))
    return out, conflicts


@dataclass
class Merged:
    cues: list[Cue]
    source_edited: set[int] = field(default_factory=set)  # indices whose spoken line changed
    target_edited: set[int] = field(default_factory=set)  # ... whose translation changed (or is new)

    @property
    def to_translate(self) -> set[int]:
        """Cues to translate again: spoken line edited, translation left alone."""
        return self.source_edited - self.target_edited


def to_cues(entries: list[Shown], previous: list[Cue]) -> Merged:
    """Cues for what the files show, keeping each unchanged line's exact text (and so the
    translation cache's key) from the cues bivideo last wrote. Cues are matched to those by
    position when the count is unchanged, else by their times."""
    by_time = {(round(c.start, 3), round(c.end, 3)): c for c in previous}
    spoken = max(LANGUAGES, key=lambda lang: sum(c.language == lang for c in previous)) if previous else None
    merged = Merged([])
    for i, entry in enumerate(entries):
        before = previous[i] if len(previous) == len(entries) else by_time.get((round(entry.start, 3),
                                                                               round(entry.end, 3)))
        if before is None:  # a cue the user added (or retimed in a file whose cues changed)
            language = spoken or ("zh" if entry.zh and not entry.en else "en")
            merged.cues.append(Cue(entry.start, entry.end, entry.line(language),
                                   entry.line(other_language(language)), language))
            merged.target_edited.add(i)
            continue
        language, target_language = before.language, other_language(before.language)
        source, target = entry.line(language), entry.line(target_language)
        if source == subtitles.line(before, language):
            source = before.source
        else:
            merged.source_edited.add(i)
        if target == subtitles.line(before, target_language):
            target = before.target
        else:
            merged.target_edited.add(i)
        merged.cues.append(Cue(entry.start, entry.end, source, target, language))
    return merged
