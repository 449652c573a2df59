"""Stage 6: cues -> subtitle files: one SRT per language, a bilingual SRT (Chinese line, then
English line, per cue) and a styled ASS for burning. Pure text builders; writing is the
caller's (atomic) job."""

from __future__ import annotations

import math
import re
from typing import Any

import pysubs2

from bivideo import highlight, srtio
from bivideo.datatypes import Cue, Shown
from bivideo.segmentation import divide
from bivideo.settings import DEFAULTS, Look
from bivideo.standard import MAX_LINE, display_width


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


def shown(cues: list[Cue]) -> list[Shown]:
    """The cues as the bilingual SRT shows them: the Chinese line above the English one."""
    return [Shown.of(c.start, c.end, line(c, "zh"), line(c, "en")) for c in cues]


def srt_for_language(cues: list[Cue], language: str) -> str:
    return srtio.compose([Shown(c.start, c.end, (line(c, language),)) for c in cues])


def bilingual_srt(cues: list[Cue]) -> str:
    return srtio.compose(shown(cues))


def _ass_escape(text: str) -> str:
    """Keep user text literal in ASS: braces would start override tags, backslashes commands.
    A line break in a cue's text (a translation laid out on two lines) stays a line break."""
    return text.replace("\\", "\u29f5").replace("{", "\\{").replace("}", "\\}").replace("\n", "\\N")


def _colour(rgb: int, alpha: int = 0) -> pysubs2.Color:
    return pysubs2.Color((rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255, alpha)


SIDE_MARGIN = 0.05  # of the frame width, each side
# Glyph advance per unit of ASS font size (libass sizes a font by ascender + descender, which
# for Noto Sans CJK is 1.44 em): ideographs measure 0.69, English talk text about 0.33 a
# character; both with room to spare for wider fonts and capitals.
ZH_ADVANCE, EN_ADVANCE = 0.72, 0.42
LINE_HEIGHT = 1.2  # of the font size, outline included


def font_sizes(width: int, height: int) -> tuple[int, int]:
    """(Chinese, English) font sizes in pixels for a frame: a share of the frame height,
    shrunk when the longest line the standard allows would not fit the frame width."""
    usable = width * (1 - 2 * SIDE_MARGIN)
    zh = min(height * 0.055, usable / (MAX_LINE["zh"] * ZH_ADVANCE * 1.05))
    en = min(height * 0.04, usable / (MAX_LINE["en"] * EN_ADVANCE * 1.05))
    return round(zh), round(en)


def block_height(width: int, height: int) -> int:
    """Height of one Chinese line plus one English line, as burned."""
    zh, en = font_sizes(width, height)
    return round((zh + en) * LINE_HEIGHT)


def _wrapped(text: str, language: str) -> str:
    """A line longer than the standard allows (a hand edit, a translation kept on two lines) is
    cut into balanced lines at word boundaries: libass can't break Chinese without spaces,
    so an unbroken long Chinese line would run off the frame."""
    parts = math.ceil(display_width(text, language) / MAX_LINE[language])
    pieces = divide(text, language, [1 / parts] * parts) if parts > 1 else [text]
    return "\n".join(p.strip() for p in pieces if p.strip())


def _rgb(colour: str) -> pysubs2.Color:
    return _colour(int(colour.lstrip("#"), 16))


def _block(cue: Cue, language: str, record: highlight.Record | None) -> tuple[str, str]:
    """(style, ASS text) of a cue's line in `language`: the spoken line with a record of its
    words gets karaoke tags in the highlighting style."""
    text = _wrapped(line(cue, language), language)
    parts = highlight.pieces(text, record.words) if record and language == cue.language else None
    if not parts:
        return language.upper(), _ass_escape(text)
    start_cs, end_cs = round(cue.start * 100), round(cue.end * 100)  # as the event's times are written
    return language.upper() + "K", highlight.karaoke(parts, start_cs, end_cs, _ass_escape)


def bilingual_ass(cues: list[Cue], width: int, height: int, font: str, look: Look = DEFAULTS.look,
                  bottom: int | None = None, words: list[highlight.Record | None] | None = None) -> str:
    """Both languages, bottom centre, styled for a `width` x `height` frame. `bottom` is the
    distance in pixels from the frame's bottom edge to the lowest line (default: a 5% safe
    margin); lines stack upwards from there, so extra lines can never leave the frame.
    `words` (per cue, with `look.highlight` "words") light up the spoken line word by word."""
    zh_size, en_size = font_sizes(width, height)
    subs = pysubs2.SSAFile()
    subs.info.update({"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "0",
                      "ScaledBorderAndShadow": "yes"})
    side = round(width * SIDE_MARGIN)
    common: dict[str, Any] = dict(fontname=font, alignment=pysubs2.Alignment.BOTTOM_CENTER, borderstyle=1, bold=False,
                  outlinecolor=_colour(0x000000), backcolor=_colour(0x000000, 128), marginl=side, marginr=side,
                  marginv=round(min(width, height) * 0.05) if bottom is None else bottom)
    highlighting = look.highlight == "words" and words is not None
    for name, size, colour in (("ZH", zh_size, look.zh_color), ("EN", en_size, look.en_color)):
        # secondary = primary: text after a karaoke line in the same event takes part in its
        # last syllable, and must not change colour with it
        style = pysubs2.SSAStyle(fontsize=size, primarycolor=_rgb(colour), secondarycolor=_rgb(colour),
                                 outline=max(1.0, round(size * 0.07, 1)), shadow=max(1.0, round(size * 0.03, 1)),
                                 **common)
        subs.styles[name] = style
        if highlighting:  # karaoke: the words not yet said in the line's colour, then the highlight
            subs.styles[name + "K"] = style.copy()
            subs.styles[name + "K"].primarycolor = _rgb(look.highlight_color)
    order = ("zh", "en") if look.chinese == "above" else ("en", "zh")
    for cue, record in zip(cues, words if words is not None and highlighting else [None] * len(cues)):
        blocks = [_block(cue, lang, record) for lang in order if line(cue, lang).strip()]
        if not blocks:
            continue
        text = "\\N".join(body if k == 0 else f"{{\\r{style}}}{body}" for k, (style, body) in enumerate(blocks))
        subs.append(pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000),
                                     style=blocks[0][0], text=text))
    return subs.to_string("ass")


TITLE_SIZE = 0.09  # of the frame's short side: the title of an audio-only talk
TITLE_WIDTH = 0.8  # of the frame's width, at most
TITLE_LINES = 3
TITLE_COLOUR = 0xE8EDF2  # a soft white on the calm background


def title_ass(title: str, width: int, height: int, font: str, above: int, seconds: float) -> str:
    """An audio-only talk's `title` on its plain background, for `seconds`: centred in the
    part of a `width` x `height` frame higher than `above` pixels from the bottom (the
    subtitles' place), in up to three balanced lines (libass can't break Chinese without
    spaces), the font shrunk until the longest line fits 80% of the width."""
    language = "zh" if re.search(r"[\u3400-\u9fff]", title) else "en"
    advance = ZH_ADVANCE if language == "zh" else EN_ADVANCE  # per unit of display width
    usable, size = width * TITLE_WIDTH, min(width, height) * TITLE_SIZE
    for count in range(1, TITLE_LINES + 1):
        lines = [piece.strip() for piece in divide(title.strip(), language, [1 / count] * count) if piece.strip()]
        longest = max(display_width(piece, language) for piece in lines)
        if longest * advance * size <= usable:
            break
    size = min(size, usable / (longest * advance))
    subs = pysubs2.SSAFile()
    subs.info.update({"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "2",
                      "ScaledBorderAndShadow": "yes"})
    subs.styles["Title"] = pysubs2.SSAStyle(fontname=font, fontsize=round(size), bold=True,
                                            primarycolor=_colour(TITLE_COLOUR), outline=0, shadow=0,
                                            alignment=pysubs2.Alignment.MIDDLE_CENTER)
    position = f"{{\\pos({width // 2},{(height - above) // 2})}}"
    subs.append(pysubs2.SSAEvent(start=0, end=math.ceil(seconds * 1000), style="Title",
                                 text=position + "\\N".join(_ass_escape(piece) for piece in lines)))
    return subs.to_string("ass")

