"""The cue builder against the subtitle standard: properties over any word sequence
(hypothesis), break placement, Chinese words, the bilingual split and the display rules."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bivideo import segmentation, standard, standard_report, subtitles
from bivideo.datatypes import Shown, Word

FPS = 25.0
GAP = 2 / FPS


def words(text: str, start: float = 0.0, step: float = 0.3) -> list[Word]:
    return [Word(f" {w}", start + i * step, start + i * step + step * 0.8, 0.9) for i, w in enumerate(text.split())]


def entries(built: list[segmentation.Cue]) -> list[Shown]:
    return [Shown(c.start, c.end, (c.source,)) for c in built]


english_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=14).map(
    lambda w: w) | st.sampled_from(["the", "a", "and", "of", "I", "Zhiwei", "Chen", "well,", "done.", "why?"])
chinese_piece = st.text(alphabet="我们今天讨论语音识别模型的训练数据和评估方法以及未来的工作GPT3.5",
                        min_size=1, max_size=3)


@st.composite
def talk(draw, piece):
    """Words with strictly increasing, non-overlapping times: pauses and durations of any size."""
    texts = draw(st.lists(piece, min_size=1, max_size=60))
    t, out = draw(st.floats(0, 5)), []
    for text in texts:
        t += draw(st.floats(0.0, 3.0))  # pause before the word
        length = draw(st.floats(0.02, 1.5))
        out.append(Word(text, round(t, 3), round(t + length, 3), 0.9))
        t = round(t + length, 3)
    return out


def assert_standard_where_possible(spoken: list[Word], built: list[segmentation.Cue], language: str) -> None:
    # every word exactly once, in order
    assert "".join(c.source for c in built).replace(" ", "") == "".join(w.text for w in spoken).replace(" ", "")
    for cue, following in pairwise(built):
        assert cue.start < cue.end <= following.start - GAP + 1e-9  # ordered, two frames apart
        gap = following.start - cue.end
        assert gap >= CHAIN_OK or gap == pytest.approx(GAP) or cue.end - cue.start >= standard.MAX_DURATION - 1e-9
    for i, cue in enumerate(built):
        single_word = any(cue.source.strip() == w.text.strip() for w in spoken)
        if not single_word:  # a lone word longer than a line or 7 s can't be helped
            assert standard.display_width(cue.source, language) <= standard.MAX_LINE[language]
            assert cue.end - cue.start <= standard.MAX_DURATION + 1e-9
        room = (built[i + 1].start - GAP if i + 1 < len(built) else float("inf")) - cue.start
        if room >= standard.MIN_DURATION:  # the next cue leaves time for the minimum duration
            assert cue.end - cue.start >= min(standard.MIN_DURATION, room) - 1e-9


CHAIN_OK = standard.CHAIN_GAP - 1e-9


@settings(max_examples=150, deadline=None)
@given(talk(english_word.map(lambda w: " " + w)))
def test_any_english_words_give_ordered_cues_within_limits(spoken):
    assert_standard_where_possible(spoken, segmentation.build(spoken, "en", FPS), "en")


@settings(max_examples=150, deadline=None)
@given(talk(chinese_piece))
def test_any_chinese_pieces_give_ordered_cues_within_limits(spoken):
    built = segmentation.build(spoken, "zh", FPS)
    assert_standard_where_possible(spoken, built, "zh")
    pieces = {w.text for w in spoken}
    # a cue never starts or ends inside one of Whisper's pieces
    for cue in built:
        assert any(cue.source.startswith(p) for p in pieces) and any(cue.source.endswith(p) for p in pieces)


def test_sentence_end_then_clause_then_conjunction():
    spoken = words("And so my fellow Americans, ask not what your country can do for you, "
                   "ask what you can do for your country. We choose to go to the moon this decade.", step=0.45)
    built = segmentation.build(spoken, "en", FPS)
    assert [c.source for c in built] == [
        "And so my fellow Americans,", "ask not what your country can do for you,",
        "ask what you can do for your country.", "We choose to go to the moon this decade."]


def test_never_splits_article_noun_or_pronoun_verb_or_names():
    spoken = words("yesterday the committee met and then Zhiwei Chen said we should ship the new "
                   "speech model to every customer in the autumn", step=0.25)
    for cue, following in zip(built := segmentation.build(spoken, "en", FPS), built[1:]):
        last, first = cue.source.split()[-1], following.source.split()[0]
        assert last.lower() not in {"the", "a", "we", "zhiwei"}, (cue.source, following.source)
        assert (last, first) != ("Zhiwei", "Chen")


def test_chinese_is_cut_on_word_boundaries_never_inside_terms():
    text = "我们使用GPT-4和Python3.11训练了一百个语音识别模型然后在地铁站里测试了它们的效果"
    spoken = [Word(ch, i * 0.2, i * 0.2 + 0.18, 0.9) for i, ch in enumerate(text)]
    built = segmentation.build(spoken, "zh", FPS)
    assert "".join(c.source for c in built) == text
    assert len(built) > 1
    allowed = segmentation.chinese_boundaries(text)
    offset = 0
    for cue in built[:-1]:
        offset += len(cue.source)
        assert offset in allowed
    for term in ("GPT-4", "Python3.11", "语音识别", "地铁站"):
        assert any(term in c.source for c in built), term


def test_languages_switch_cues_in_a_mixed_talk():
    chinese = [Word(ch, 3 + i * 0.25, 3.2 + i * 0.25, 0.9) for i, ch in enumerate("这部分是中文")]
    spoken = words("This part is in English.") + chinese
    built = segmentation.build(spoken, "en", FPS, languages=["en"] * 5 + ["zh"] * 6)
    assert [(c.language, c.source) for c in built] == [("en", "This part is in English."), ("zh", "这部分是中文")]


def test_short_cue_is_stretched_to_minimum_duration_and_reading_time():
    built = segmentation.build([Word(" Yes.", 1.0, 1.2, 1.0), Word(" Then", 5.0, 5.3, 1.0)], "en", FPS)
    assert built[0].end == pytest.approx(1.0 + 5 / 6)
    long = words("Read this line slowly, it came out fast.", step=0.1)
    (cue,) = segmentation.build(long, "en", FPS)
    assert len(cue.source) / (cue.end - cue.start) <= standard.MAX_CPS["en"] + 1e-9


def test_small_gaps_are_chained_to_two_frames():
    spoken = words("First sentence here.", 0.0) + words("Second one follows.", 1.3)
    first, second = segmentation.build(spoken, "en", FPS)
    assert second.start - first.end == pytest.approx(GAP)


def test_translation_too_long_for_one_line_splits_the_cue_not_a_third_line():
    cue = segmentation.Cue(10.0, 16.0, "ask not what your country can do for you, ask what you can do",
                   "不要问你的国家能为你做什么，而要问你能为你的国家做什么", "en")
    parts = segmentation.fit_bilingual([cue], FPS)
    assert len(parts) == 2
    assert "".join(p.target for p in parts) == cue.target and " ".join(p.source for p in parts) == cue.source
    assert parts[0].start == 10.0 and parts[-1].end == 16.0
    assert parts[1].start - parts[0].end == pytest.approx(GAP)
    for p in parts:
        assert standard.display_width(p.target, "zh") <= 16 and p.end - p.start >= standard.MIN_DURATION
    report = standard_report.score([Shown(p.start, p.end, (subtitles.line(p, "zh"), p.source)) for p in parts], FPS)
    assert report.compliance == 1.0


def test_split_times_follow_the_source_words():
    # "ask what ..." is said at 12 s, well before the proportional point (about 14 s): the
    # second piece starts when it is said
    spoken = words("ask not what your country can do for you,", 10.0, 0.15) + words("ask what you can do", 12.0, 0.2)
    cue = segmentation.Cue(10.0, 16.0, "ask not what your country can do for you, ask what you can do",
                   "不要问你的国家能为你做什么，而要问你能为你的国家做什么", "en")
    first, second = segmentation.fit_bilingual([cue], FPS, spoken)
    assert (first.source, second.source) == ("ask not what your country can do for you,", "ask what you can do")
    assert second.start == pytest.approx(12.0) and first.end == pytest.approx(12.0 - GAP)
    # without word times the same cue is divided in proportion to the text
    proportional = segmentation.fit_bilingual([cue], FPS)
    assert proportional[1].start > 13.5


def test_cue_too_short_to_split_gets_two_lines_never_three():
    cue = segmentation.Cue(0.0, 1.2, "Go ahead and start.", "那么现在请大家开始做这个非常重要的练习吧", "en")
    (kept,) = segmentation.fit_bilingual([cue], FPS)
    assert (kept.source, kept.start) == (cue.source, cue.start)
    lines = kept.target.split("\n")
    assert len(lines) == 2 and "".join(lines) == cue.target
    assert all(standard.display_width(line, "zh") <= 16 for line in lines)
    assert "\\N".join(lines) in subtitles.bilingual_ass([kept], 1280, 720, "Noto Sans CJK SC")  # burned as laid out
    assert kept.end - kept.start >= standard.display_width(cue.target, "zh") / standard.MAX_CPS["zh"]  # time to read it
    # a translation of three lines' width in too little time for three cues: two cues of two lines
    crowded = segmentation.Cue(0.0, 1.8, "Now everyone please begin the exercise.", "现在" * 20, "en")
    parts = segmentation.fit_bilingual([crowded], FPS)
    assert len(parts) == 2 and all(len(p.target.split("\n")) <= 2 for p in parts)


@settings(max_examples=100, deadline=None)
@given(talk(english_word.map(lambda w: " " + w)), st.lists(st.integers(1, 60), min_size=1, max_size=60))
def test_any_translation_length_gives_at_most_two_lines_and_keeps_every_word(spoken, widths):
    built = segmentation.build(spoken, "en", FPS)
    translated = [replace(c, target="词" * widths[i % len(widths)]) for i, c in enumerate(built)]
    fitted = segmentation.fit_bilingual(translated, FPS, spoken)
    assert " ".join(c.source for c in fitted).split() == " ".join(c.source for c in built).split()
    assert "".join(c.target.replace("\n", "") for c in fitted) == "".join(c.target for c in translated)
    for cue, following in pairwise(fitted):
        assert cue.start < cue.end <= following.start - GAP + 1e-9
    assert all(len(c.target.split("\n")) <= standard.MAX_LINES for c in fitted)  # never a third line
    for cue in translated:  # every line within the limit when the source has words enough to divide
        if len(cue.source.split()) * 2 * standard.MAX_LINE["zh"] >= len(cue.target):
            for part in segmentation.fit_bilingual([cue], FPS, spoken):
                assert all(standard.display_width(line, "zh") <= standard.MAX_LINE["zh"]
                           for line in part.target.split("\n"))


def test_chinese_display_drops_line_end_commas_and_stops():
    assert subtitles.chinese_display("你好，世界。今天天气很好。") == "你好 世界 今天天气很好"
    assert subtitles.chinese_display("版本3.11很好，") == "版本3.11很好"
    assert subtitles.chinese_display("真的吗？") == "真的吗？"


# --- highlight (pure) ---------------------------------------------------------------------

def test_highlight_pieces_follow_the_words_and_refuse_changed_ones():
    from bivideo import highlight

    timed = tuple(highlight.Timed(t, s, s + 0.3) for t, s in (("The", 1.0), ("stale", 1.4), ("smell.", 1.9)))
    assert highlight.pieces("The stale smell.", timed) == [("The", 1.0), (" stale", 1.4), (" smell.", 1.9)]
    # same words, case and punctuation edited: the times stay
    assert highlight.pieces("“the STALE, smell”", timed) == [("“the", 1.0), (" STALE,", 1.4), (" smell”", 1.9)]
    assert highlight.pieces("The fresh smell.", timed) is None
    assert highlight.pieces("Thes tale smell.", timed) is None  # same letters, other words
    record = highlight.Record("en", timed)
    cue = segmentation.Cue(1.0, 2.5, "", "译文")
    assert highlight.match([cue, cue], ["", "the stale smell"], [record, None]) == [None, record]


def test_chinese_words_light_up_by_jieba_word_with_piece_times_spread_over_characters():
    from bivideo import highlight

    words = [Word("院子门", 0.0, 0.9, 1.0), Word("口", 0.9, 1.2, 1.0), Word("不远处", 1.2, 2.1, 1.0)]
    timed = highlight.timed_words(words, "zh")
    assert [(t.text, round(t.start, 2)) for t in timed] == [("院子", 0.0), ("门口", 0.6), ("不远处", 1.2)]
    parts = highlight.pieces("院子门口 不远处", tuple(timed))
    assert parts == [("院子", 0.0), ("门口", 0.6), (" 不远处", 1.2)]
    # \k durations in centiseconds from the event's start, the lead before the first word unlit
    assert highlight.karaoke(parts, -10, 250, str) == "{\\k10}{\\k60}院子{\\k60}门口{\\k130} 不远处"


def test_transcript_paragraphs_break_at_long_pauses_and_pair_sentences_with_translations():
    from bivideo import transcript_md

    talk = [segmentation.Cue(0.4, 2.0, "First sentence.", "第一句。"),
            segmentation.Cue(2.1, 3.5, "Second one.", "第二句。"),
            segmentation.Cue(6.0, 7.5, "After a pause.", "停顿之后。")]
    said = [(0.5, 1.9), (2.1, 3.3), (6.2, 7.4)]
    assert transcript_md.render(talk, "talk", said) == (
        "# talk\n\n[00:00] First sentence.  \n第一句。  \nSecond one.  \n第二句。\n\n"
        "[00:06] After a pause.  \n停顿之后。\n")


def test_jieba_cuts_with_its_dictionary_in_sqlite_as_with_the_dictionary_loaded_whole():
    """The segmenter looks jieba's dictionary up in SQLite (bivideo.jieba_words): the cuts are
    those of a jieba tokenizer that loaded the dictionary its own way, on texts made of the
    dictionary's words, single characters, digits and Latin terms."""
    import random

    import jieba

    from bivideo.jieba_words import Frequencies

    ours = segmentation.segmenter().dt
    assert isinstance(ours.FREQ, Frequencies)
    own = jieba.Tokenizer()
    own.initialize()
    assert ours.total == own.total and len(ours.FREQ) == len(own.FREQ)
    vocabulary = [word for word, count in own.FREQ.items() if count]
    pieces = random.Random(19)
    for _ in range(2000):
        text = "".join(pieces.choice([pieces.choice(vocabulary), pieces.choice(vocabulary), "的", "3.11", "GPT", "，"])
                       for _ in range(pieces.randint(1, 12)))
        assert list(ours.cut(text)) == list(own.cut(text)), text
