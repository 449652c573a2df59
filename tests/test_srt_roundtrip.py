"""Property: the bilingual SRT bivideo writes reads back as the same cues (the pair the product
uses: subtitles.bilingual_srt to write, srtio.parse to read them back as the cues shown)."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from bivideo import srtio, subtitles
from bivideo.datatypes import Cue

# SRT times are whole milliseconds, so times are generated in ms; Chinese lines without the
# commas and full stops the standard drops at display (chinese_display) and with at least one
# Han character (a line is read as Chinese by its script), English without Han
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
MIXED = st.text(st.one_of(HAN, st.sampled_from("0123456789？！《》")), max_size=8)
ZH = st.tuples(MIXED, HAN, MIXED).map("".join)
WORD = st.text(string.ascii_letters + string.digits + ",.?!'\"-:;()%", min_size=1, max_size=12)
EN = st.lists(WORD, min_size=1, max_size=8).map(" ".join)


@st.composite
def talks(draw):
    """Non-overlapping cues in time order, spoken in either language."""
    ms = sorted(draw(st.lists(st.integers(0, 10 * 3600 * 1000), min_size=2, max_size=40, unique=True)))
    cues = []
    for start, end in zip(ms[0::2], ms[1::2]):
        zh, en, spoken = draw(ZH), draw(EN), draw(st.sampled_from(["en", "zh"]))
        source, target = (en, zh) if spoken == "en" else (zh, en)
        cues.append(Cue(start / 1000, end / 1000, source, target, spoken))
    return cues


@settings(max_examples=150, deadline=None)
@given(talks())
def test_bilingual_srt_reads_back_as_the_same_cues(cues):
    back = srtio.parse(subtitles.bilingual_srt(cues), "talk.bilingual.srt")
    assert [(round(s.start * 1000), round(s.end * 1000), s.line("zh"), s.line("en")) for s in back] == \
        [(round(c.start * 1000), round(c.end * 1000), c.text("zh"), c.text("en")) for c in cues]
