"""`<stem>.transcript.md`: the talk as text for the post that goes with the video. Pure.

Sentences are the units the translator was given (translation_units.units), so each spoken
sentence sits beside exactly its own translation. A paragraph ends at a long pause, or once it
has run to about a topic's length (a paragraph a reader takes in at once), and starts with the
time of its first word.
"""

from __future__ import annotations

from bivideo.datatypes import Cue, other_language
from bivideo.standard import display_width
from bivideo.translation_units import joined, units

PARAGRAPH_PAUSE = 1.5  # seconds of silence before a sentence that start a new paragraph
# A topic's length: about 90 English words; in Chinese about the same content.
PARAGRAPH_WIDTH = {"en": 500, "zh": 200}


def stamp(seconds: float) -> str:
    """[mm:ss], or [h:mm:ss] past an hour, to the nearest second."""
    minutes, secs = divmod(round(max(seconds, 0.0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"[{hours}:{minutes:02d}:{secs:02d}]" if hours else f"[{minutes:02d}:{secs:02d}]"


def render(cues: list[Cue], title: str, said: list[tuple[float, float]] | None = None) -> str:
    """Markdown: a title, then paragraphs; each sentence on one line in the spoken language
    and on the next in translation (hard line breaks, so it reads the same raw or rendered).
    `said` gives when each cue's first word starts and its last word ends (default: the
    cue's times, which reading time stretches into the pauses)."""
    said = said or [(c.start, c.end) for c in cues]
    paragraphs: list[list[str]] = []
    width, previous_end = 0.0, None
    for group in units(cues):
        first = cues[group[0]]
        spoken = joined([cues[i].source for i in group], first.language)
        translation = joined([cues[i].target for i in group], other_language(first.language))
        if (previous_end is None or said[group[0]][0] - previous_end >= PARAGRAPH_PAUSE
                or width >= PARAGRAPH_WIDTH[first.language]):
            paragraphs.append([])
            width = 0.0
            spoken = f"{stamp(said[group[0]][0])} {spoken}"
        paragraphs[-1] += [spoken, translation] if translation else [spoken]
        width += display_width(spoken, first.language)
        previous_end = said[group[-1]][1]
    return f"# {title}\n\n" + "\n\n".join("  \n".join(lines) for lines in paragraphs) + "\n"
