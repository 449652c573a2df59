"""Stage 6: cues -> subtitle files: one SRT per language, a bilingual SRT (Chinese line, then
English line, per cue) and a styled ASS for burning. Pure text builders; writing is the
caller's (atomic) job."""

from __future__ import annotations

import re
from datetime import timedelta

import pysubs2
import srt

from bivideo.cues import Cue


def chinese_display(text: str) -> str:
    """The standard's Chinese punctuation rule: no comma or full stop at the end of a line,
    and a space where one would fall inside it (line by line: a translation may have two)."""
    # ASCII commas/stops count too, except inside a number or term such as 3.11
    return "\n".join(" ".join(re.sub(r"(?:[，。、；：]|(?<![0-9A-Za-z])[,.]|[,.](?![0-9A-Za-z]))+", " ", line).split())
                     for line in text.strip().splitlines())


def line(cue: Cue, language: str) -> str:
    """A cue's line in `language`, as it is shown."""
    text = cue.text(language)
    return chinese_display(text) if language == "zh" else text


def _srt(cues: list[Cue], content) -> str:
    return srt.compose([srt.Subtitle(i, timedelta(seconds=c.start), timedelta(seconds=c.end), content(c))
                        for i, c in enumerate(cues, 1)], reindex=False)


def srt_for_language(cues: list[Cue], language: str) -> str:
    return _srt(cues, lambda c: line(c, language))


def bilingual_srt(cues: list[Cue]) -> str:
    return _srt(cues, lambda c: "\n".join(filter(None, (line(c, "zh"), line(c, "en")))))


def _ass_escape(text: str) -> str:
    """Keep user text literal in ASS: braces would start override tags, backslashes commands.
    A line break in a cue's text (a translation laid out on two lines) stays a line break."""
    return text.replace("\\", "\u29f5").replace("{", "\\{").replace("}", "\\}").replace("\n", "\\N")


def _colour(rgb: int, alpha: int = 0) -> pysubs2.Color:
    return pysubs2.Color((rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255, alpha)


def bilingual_ass(cues: list[Cue], width: int, height: int, font: str) -> str:
    """Chinese above English, bottom centre. Sizes follow the frame: the reference is the
    height of a 16:9 frame of this width or the real height, whichever is smaller, so a
    vertical video doesn't get letters too wide for its narrow frame."""
    unit = min(height, width * 9 / 16)
    subs = pysubs2.SSAFile()
    subs.info.update({"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "0",
                      "ScaledBorderAndShadow": "yes"})
    common = dict(fontname=font, alignment=pysubs2.Alignment.BOTTOM_CENTER, borderstyle=1,
                  outlinecolor=_colour(0x000000), backcolor=_colour(0x000000, 128),
                  marginl=round(width * 0.05), marginr=round(width * 0.05), marginv=round(unit * 0.05))
    zh_size, en_size = round(unit * 0.058), round(unit * 0.042)
    subs.styles["ZH"] = pysubs2.SSAStyle(fontsize=zh_size, primarycolor=_colour(0xFFFFFF), bold=False,
                                         outline=max(1, zh_size * 0.07), shadow=max(1, zh_size * 0.03), **common)
    subs.styles["EN"] = pysubs2.SSAStyle(fontsize=en_size, primarycolor=_colour(0xF5E7A1), bold=False,
                                         outline=max(1, en_size * 0.07), shadow=max(1, en_size * 0.03), **common)
    for cue in cues:
        zh, en = _ass_escape(line(cue, "zh")), _ass_escape(line(cue, "en"))
        text = "\\N".join(filter(None, (zh, "{\\rEN}" + en if en else "")))
        subs.append(pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000),
                                     style="ZH", text=text))
    return subs.to_string("ass")
