"""Pure cores: SRT files as people save them (line-numbered errors, overlaps, cue counts that
drift apart), hand edits merged back into cues, and the studio's save format."""

from __future__ import annotations

import pytest

from bivideo import edits, review, srtio, subtitles
from bivideo.datatypes import Cue, Shown
from bivideo.errors import BivideoError

TWO = "1\n00:00:01,000 --> 00:00:03,000\n你好 世界\nHello world\n\n1\n00:00:03,080 --> 00:00:05,000\n再见\nGoodbye\n"


@pytest.mark.parametrize("encode", [
    lambda t: t.encode("utf-8"),
    lambda t: "\ufeff".encode("utf-8") + t.replace("\n", "\r\n").encode("utf-8"),  # BOM + CRLF (Notepad)
    lambda t: t.replace("\n", "\r\n").encode("gbk"),  # Chinese Windows tools
], ids=["utf-8", "bom-crlf", "gbk"])
def test_any_common_encoding_reads_the_same_with_line_numbers(encode):
    blocks = srtio.parse(srtio.decode(encode(TWO), "x.srt"), "x.srt")
    assert [(b.file_line, b.lines) for b in blocks] == [(2, ("你好 世界", "Hello world")), (7, ("再见", "Goodbye"))]


@pytest.mark.parametrize("broken, line", [("\n3\nthis is not a time line\nwords\n", 11),
                                          ("\n3\n00:00:06,000 -> 00:00:07,000\nwords\n", 11)])
def test_broken_block_is_rejected_with_its_line(broken, line):
    text = TWO + broken
    with pytest.raises(BivideoError, match=rf"x.srt: line {line}: not a subtitle block .*'3 "):
        srtio.parse(text, "x.srt")


def test_backwards_cue_is_an_error_and_overlap_a_warning_each_with_its_line():
    text = TWO + "\n3\n00:00:04,000 --> 00:00:06,000\noverlaps\n\n4\n00:00:08,000 --> 00:00:07,000\nbackwards\n"
    errors, warnings = srtio.time_order_problems(srtio.parse(text, "x.srt"), "x.srt")
    assert errors == ["x.srt: line 16: cue ends (00:00:07,000) before it starts (00:00:08,000)"]
    assert len(warnings) == 1 and warnings[0].startswith("x.srt: line 12: cue starts at 00:00:04,000")


def test_cue_count_mismatch_names_the_first_cue_that_differs():
    both = srtio.parse(TWO, "a.srt")
    assert srtio.first_difference(both, "a.srt", both, "b.srt") is None
    shifted = srtio.parse(TWO.replace("00:00:03,080", "00:00:03,500"), "b.srt")
    message = srtio.first_difference(both[:1] + both[1:], "a.srt", shifted[:1], "b.srt")
    assert message.startswith("a.srt has 2 cues and b.srt has 1; first difference at cue 2")
    assert "a.srt line 7" in message and "b.srt has no cue 2" in message
    assert "first difference at cue 2" in srtio.first_difference(both, "a.srt", shifted, "b.srt")


WRITTEN = [Cue(1.0, 3.0, "我们今天讨论模型，", "Today we discuss models,", "zh"),
           Cue(3.08, 5.0, "然后是数据。", "then the data.", "zh"),
           Cue(5.08, 7.0, "最后总结。", "Finally a summary.", "zh")]


def test_unchanged_lines_keep_their_exact_text_so_the_cache_key_holds():
    merged = edits.to_cues(subtitles.shown(WRITTEN), WRITTEN)
    # the SRT shows Chinese without its end punctuation; the cues keep the original text
    assert subtitles.shown(WRITTEN)[0].line("zh") == "我们今天讨论模型"
    assert merged.cues == WRITTEN and not merged.source_edited and not merged.target_edited


def test_edited_source_is_translated_again_unless_its_translation_was_edited_too():
    shown = subtitles.shown(WRITTEN)
    shown[0] = Shown.of(shown[0].start, shown[0].end, "我们今天讨论语音模型", shown[0].line("en"))
    shown[2] = Shown.of(shown[2].start, shown[2].end, "最后 总结一下", "To sum up.")
    merged = edits.to_cues(shown, WRITTEN)
    assert merged.cues[0].source == "我们今天讨论语音模型" and merged.cues[2].target == "To sum up."
    assert merged.to_translate == {0}


def test_single_language_edit_is_merged_and_a_conflict_keeps_the_bilingual_line():
    before = subtitles.shown(WRITTEN)
    bilingual = list(before)
    bilingual[1] = Shown.of(3.08, 5.0, before[1].line("zh"), "and then the data.")
    english = [Shown.of(c.start, c.end, "", c.line("en")) for c in before]
    english[0] = Shown.of(1.0, 3.0, "", "Today we talk about models,")
    english[1] = Shown.of(3.08, 5.0, "", "then the dataset.")
    merged, conflicts = edits.with_language(bilingual, "en", english, before)
    assert [m.line("en") for m in merged] == ["Today we talk about models,", "and then the data.", "Finally a summary."]
    assert conflicts == [2]


def test_studio_rows_compose_a_bilingual_srt_and_bad_rows_are_named():
    text = subtitles.bilingual_srt(review.cues([{"start": 1, "end": 2.5, "zh": "你好", "en": "Hello"},
                                                {"start": 3, "end": 4, "zh": "", "en": "x"}]))
    assert text == subtitles.bilingual_srt([Cue(1, 2.5, "Hello", "你好"), Cue(3, 4, "x")])
    with pytest.raises(BivideoError, match="cue 2: ends"):
        review.cues([{"start": 1, "end": 2, "zh": "a", "en": "b"}, {"start": 5, "end": 4, "zh": "a", "en": "b"}])
