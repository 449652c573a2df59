"""`bivideo check FILE.srt`: how well any SRT (ours or anyone's, one language or two) meets
the subtitle standard, rule by rule. Also the scorer the tests and tools/ reports use."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from bivideo import audio, srtio, standard, sync_check
from bivideo.datatypes import Shown

if TYPE_CHECKING:  # rich is imported when the table is printed
    from rich.table import Table


@dataclass
class Report:
    cues: int
    compliant: int
    broken: dict[str, int]  # rule -> cues breaking it
    one_line_per_language: int  # cues where every language fits one line
    languages: list[str]
    problems: list[dict] = field(default_factory=list)  # {"cue": n, "start": s, "rules": [...]}

    @property
    def compliance(self) -> float:
        return self.compliant / self.cues if self.cues else 1.0

    def to_json(self) -> dict:
        return {"cues": self.cues, "compliant": self.compliant, "compliance": round(self.compliance, 4),
                "languages": self.languages, "rules": self.broken,
                "one_line_per_language": self.one_line_per_language, "problems": self.problems}


def sync_report(subtitles: Path, media: Path) -> sync_check.Report:
    """The cues of an SRT against the speech in a video or recording (bivideo.sync_check)."""
    with tempfile.TemporaryDirectory(prefix="bivideo-check-") as folder:
        wav = Path(folder) / "speech.wav"
        audio.extract(media, wav)
        samples = audio.load(wav)
    cues = [(s.start, s.end) for s in srtio.read_any(subtitles)]
    return sync_check.score(cues, audio.energy_speech_regions(samples))


def score(entries: list[Shown], fps: float = standard.DEFAULT_FPS) -> Report:
    """Pure: the per-rule report for cues in display order."""
    found = standard.problems(entries, fps)
    broken = {rule: sum(rule in p for p in found) for rule in standard.RULES}
    languages = sorted({lang for e in entries for lang in e.by_language()})
    one_line = sum(all(len(lines) == 1 for lines in e.by_language().values()) for e in entries)
    return Report(len(entries), sum(not p for p in found), broken, one_line, languages,
                  [{"cue": i, "start": round(e.start, 3), "rules": p}
                   for i, (e, p) in enumerate(zip(entries, found), 1) if p])


def table(report: Report, name: str) -> Table:
    """The report as a rich table for the terminal."""
    from rich.table import Table

    limits = {
        "line length": f"en <= {standard.MAX_LINE['en']:g}, zh <= {standard.MAX_LINE['zh']:g} (half-width 0.5)",
        "lines per language": f"<= {standard.MAX_LINES}; one line: {report.one_line_per_language}/{report.cues}",
        "reading speed": f"en <= {standard.MAX_CPS['en']:g} cps, zh <= {standard.MAX_CPS['zh']:g} cps",
        "duration": f"{Fraction(standard.MIN_DURATION).limit_denominator(12)} s to {standard.MAX_DURATION:g} s",
        "gap": f"> {standard.MIN_GAP_FRAMES} frames; gaps < {standard.CHAIN_GAP:g} s chained",
        "overlap": "none",
    }
    out = Table(title=f"{name}: {report.cues} cues, languages {', '.join(report.languages) or '-'}")
    for column in ("rule", "limit", "cues breaking it", "share ok"):
        out.add_column(column, justify="right" if column in ("cues breaking it", "share ok") else "left")
    for rule in standard.RULES:
        bad = report.broken[rule]
        out.add_row(rule, limits[rule], str(bad), f"{1 - bad / report.cues:.1%}" if report.cues else "-")
    out.add_row("all rules", "", str(report.cues - report.compliant), f"{report.compliance:.1%}", style="bold")
    return out
