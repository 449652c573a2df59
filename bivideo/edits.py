"""Hand edits to the subtitle files, merged back into cues. Pure: no files are read here.

The bilingual SRT is the file to edit; an edit to a single-language SRT counts too when it
still has the same cues. Every file is compared with what bivideo last wrote (the cues kept in
the work folder), which tells apart a line the user changed from one that is only shown
differently (Chinese lines are written without commas and full stops at their ends), and
which cues had their spoken line changed but not its translation: those are translated again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bivideo import subtitles
from bivideo.datatypes import LANGUAGES, Cue, Shown, main_language_of, other_language


def languages_in(shown: list[Shown]) -> set[str]:
    return {lang for s in shown for lang in LANGUAGES if s.line(lang)}


def with_language(base: list[Shown], language: str, single: list[Shown],
                  previous: list[Shown] | None) -> tuple[list[Shown], list[int]]:
    """`base` with the lines of `language` that the user changed in a single-language file
    (same number of cues, checked by the caller). Returns the cues and the numbers of those
    where the bilingual file changed the same line differently (the bilingual file wins)."""
    out: list[Shown] = []
    conflicts: list[int] = []
    same_count = previous is not None and len(previous) == len(base)
    for i, (cue, one) in enumerate(zip(base, single)):
        before = previous[i].line(language) if previous is not None and same_count else None
        mine = one.line(language)
        if mine == before or mine == cue.line(language):
            out.append(cue)
        elif before is not None and cue.line(language) != before:
            conflicts.append(i + 1)
            out.append(cue)
        else:
            lines = {lang: cue.line(lang) for lang in LANGUAGES} | {language: mine}
            out.append(Shown.of(cue.start, cue.end, **lines))
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
    spoken = main_language_of(previous) if previous else None
    merged = Merged([])
    for i, entry in enumerate(entries):
        before = previous[i] if len(previous) == len(entries) else by_time.get((round(entry.start, 3),
                                                                               round(entry.end, 3)))
        if before is None:  # a cue the user added (or retimed in a file whose cues changed)
            language = spoken or ("zh" if entry.line("zh") and not entry.line("en") else "en")
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
