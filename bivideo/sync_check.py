"""`bivideo check FILE.srt --audio VIDEO`: are the cues on screen while their words are spoken?

Any SRT (ours or another tool's) is compared with the speech found in the audio, the way a
viewer would judge it:
- at each speech onset after a pause, the cue that shows those words should appear then:
  its lead (early, negative) or lag (late, positive) in seconds;
- a cue should not sit on screen over silence before its words start;
- a cue should not leave the screen while the speech it shows goes on.

The speech is found from the signal's energy against the recording's own local noise floor
(audio.energy_speech_regions: the silence detection a person would run on clean audio), not
from the Silero VAD. Pure functions over times; the CLI in bivideo.cli does the I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

PAUSE = 0.5  # s: silence this long before speech is a pause a viewer notices (the chaining gap)
CUT_TOLERANCE = 0.15  # s: a cue may end this much before its speech does before it counts as cut


def onsets(regions: list[tuple[float, float]], pause: float = PAUSE) -> list[tuple[float, float]]:
    """Pure: (onset, end of the speech before it) for each start of speech after a pause (the
    first one after -inf). Regions closer than `pause` are one stretch of speech."""
    out: list[tuple[float, float]] = []
    previous_end = -math.inf
    for start, end in regions:
        if start - previous_end >= pause:
            out.append((start, previous_end))
        previous_end = end
    return out


@dataclass
class Report:
    onsets: list[dict]  # {"onset", "cue" (1-based), "error"}: error < 0 is early
    over_silence: list[dict]  # {"cue", "start", "silence"}: text up that long before its words
    cut: list[dict]  # {"cue", "end", "cut"}: left that long before its speech ended
    unmatched: int = 0  # onsets with no cue showing them (speech left untranscribed)
    errors: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.errors = [o["error"] for o in self.onsets]

    @property
    def median(self) -> float:
        import numpy as np  # here: `bivideo burn` imports this module (via check) and needs no numpy

        return float(np.median(np.abs(self.errors))) if self.errors else 0.0

    @property
    def p90(self) -> float:
        import numpy as np

        return float(np.percentile(np.abs(self.errors), 90)) if self.errors else 0.0

    @property
    def worst_lead(self) -> float:
        """The earliest a cue appeared before its speech, in seconds (0 when never early)."""
        return max([0.0] + [-e for e in self.errors])

    @property
    def worst_cut(self) -> float:
        return max([0.0] + [c["cut"] for c in self.cut])

    def to_json(self) -> dict:
        return {"onsets": len(self.onsets), "median_abs_error": round(self.median, 3),
                "p90_abs_error": round(self.p90, 3),
                "worst_lead": round(self.worst_lead, 3), "worst_cut": round(self.worst_cut, 3),
                "unmatched_onsets": self.unmatched, "per_onset": self.onsets,
                "over_silence": self.over_silence, "cut": self.cut}


def _cue_for(onset: float, previous_end: float, next_onset: float, cues: list[tuple[float, float]]) -> int | None:
    """Index of the cue that shows the speech starting at `onset`: the cue starting nearest to
    it after the previous speech ended (and before the next onset); else the cue already up
    across the pause (it shows these words early); else None (no cue shows this speech)."""
    started = [i for i, (start, _) in enumerate(cues) if previous_end < start < next_onset]
    if started:
        return min(started, key=lambda i: abs(cues[i][0] - onset))
    spanning = [i for i, (start, end) in enumerate(cues) if start <= previous_end and end > onset]
    return spanning[0] if spanning else None


def score(cues: list[tuple[float, float]], regions: list[tuple[float, float]], pause: float = PAUSE) -> Report:
    """Pure: the sync report of cues (start, end), in display order, against speech regions."""
    found = onsets(regions, pause)
    per_onset, unmatched = [], 0
    for k, (onset, previous_end) in enumerate(found):
        next_onset = found[k + 1][0] if k + 1 < len(found) else math.inf
        i = _cue_for(onset, previous_end, next_onset, cues)
        if i is None:
            unmatched += 1
            continue
        per_onset.append({"onset": round(onset, 3), "cue": i + 1, "error": round(cues[i][0] - onset, 3)})
    over_silence, cut = [], []
    for i, (start, end) in enumerate(cues):
        first_speech = next((max(a, start) for a, b in regions if b > start), math.inf)
        if min(first_speech, end) - start > pause:
            over_silence.append({"cue": i + 1, "start": round(start, 3),
                                 "silence": round(min(first_speech, end) - start, 3)})
        # speech going on when the cue leaves, with no next cue up within the tolerance
        next_start = cues[i + 1][0] if i + 1 < len(cues) else math.inf
        going_on = next((b for a, b in regions if a <= end < b), None)
        if going_on is not None:
            uncovered = min(going_on, next_start) - end
            if uncovered > CUT_TOLERANCE:
                cut.append({"cue": i + 1, "end": round(end, 3), "cut": round(uncovered, 3)})
    return Report(per_onset, over_silence, cut, unmatched)


def summary(report: Report, name: str, max_lead: float) -> list[str]:
    """The report as lines for the terminal: the figures, then each cue worth a look."""
    lines = [f"{name}: sync against the speech, {len(report.onsets)} onsets after a pause of {PAUSE:g} s or more",
             f"  cue start - speech onset: median |error| {report.median:.2f} s, p90 {report.p90:.2f} s, "
             f"earliest {report.worst_lead:.2f} s before its speech",
             f"  cut while the speech goes on: {len(report.cut)} (worst {report.worst_cut:.2f} s); "
             f"on screen over silence before its words: {len(report.over_silence)}; "
             f"speech with no cue: {report.unmatched}"]
    for o in report.onsets:
        if -o["error"] > max_lead:
            lines.append(f"  cue {o['cue']} appears {-o['error']:.2f} s before its speech at {o['onset']:.2f}s")
    for c in report.over_silence:
        lines.append(f"  cue {c['cue']} at {c['start']:.2f}s is up {c['silence']:.2f} s over silence")
    for c in report.cut:
        lines.append(f"  cue {c['cue']} leaves at {c['end']:.2f}s, {c['cut']:.2f} s before its speech ends")
    return lines
