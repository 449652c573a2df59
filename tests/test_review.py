"""The studio's pure core (bivideo.review) and its waveform (audio.peaks): verdicts that are
`bivideo check`'s, a split that follows the words' times, the sync marks, the peaks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bivideo import audio, review, srtio
from bivideo.datatypes import Shown
from bivideo.errors import BivideoError
from bivideo.segmentation import chinese_boundaries
from tests.conftest import cli


def _row(start, end, zh, en, spoken="en", words=None):
    return {"start": start, "end": end, "zh": zh, "en": en, "spoken": spoken, "words": words, "stale": False}


ROWS = [
    _row(0.0, 2.0, "你好世界", "Hello world"),
    _row(2.04, 2.5, "太短了", "Too short"),  # duration under 5/6 s
    _row(2.8, 4.0, "这一行中文字幕实在是太长了已经超过了十六个字",
         "Far too many words to read in such a short time, really"),
    _row(4.1, 6.0, "间隔", "A gap that was not chained"),  # 0.1 s open gap before this one...
    _row(6.3, 14.0, "太久了", "Up for too long"),  # ...and 0.3 s here; over 7 s
]


def test_verdicts_are_those_of_bivideo_check(tmp_path):
    srt = tmp_path / "talk.bilingual.srt"
    srt.write_text(srtio.compose([Shown.of(r["start"], r["end"], r["zh"], r["en"]) for r in ROWS]), encoding="utf-8")
    run = cli("check", srt, "--json", "--fps", "25")
    by_cue = {p["cue"]: p["rules"] for p in json.loads(run.out)["problems"]}
    verdicts = review.verdicts(ROWS, 25.0)
    assert [v["problems"] for v in verdicts] == [by_cue.get(n, []) for n in range(1, len(ROWS) + 1)]
    assert {"duration"} <= set(verdicts[1]["problems"]) and "line length" in verdicts[2]["problems"]
    assert "gap" in verdicts[3]["problems"] and "duration" in verdicts[4]["problems"]
    # the figures behind them: widths as the standard counts them, reading speed, gap
    assert verdicts[2]["en"]["width"] == len(ROWS[2]["en"]) and verdicts[2]["zh"]["width"] == 22.0
    assert verdicts[0]["en"]["cps"] == pytest.approx(11 / 2.0) and verdicts[0]["gap"] == pytest.approx(0.04)
    assert verdicts[-1]["gap"] is None


def test_split_follows_the_words_times():
    words = [["Today", 2.15, 2.36], ["we", 2.36, 2.6], ["will", 2.6, 2.82], ["turn", 2.82, 3.06],
             ["a", 3.06, 3.2], ["recorded", 3.2, 3.68], ["video.", 3.68, 4.06]]
    row = _row(2.15, 4.06, "今天我们把一段录好的视频", "Today we will turn a recorded video.", words=words)
    first, second = review.split(row, 3.1, 25.0)
    assert (first["en"], second["en"]) == ("Today we will turn", "a recorded video.")
    assert first["end"] == 3.1 and second["start"] == pytest.approx(3.18) and second["end"] == 4.06
    assert first["words"] == words[:4] and second["words"] == words[4:]
    assert first["stale"] and second["stale"]  # the translation was only divided
    assert first["zh"] + second["zh"] == row["zh"] and first["zh"] and second["zh"]
    assert "录好" in first["zh"] + "|" + second["zh"] and "录|好" not in first["zh"] + "|" + second["zh"]


def test_split_without_word_times_cuts_at_a_word_near_the_playhead():
    row = _row(10.0, 14.0, "这是一个很长的句子需要分开", "one two three four five six seven eight")
    first, second = review.split(row, 12.0, 25.0)
    assert (first["en"], second["en"]) == ("one two three four", "five six seven eight")
    zh = _row(0.0, 4.0, "院子门口不远处就是一个地铁站", "The subway station is near the gate", spoken="zh")
    a, b = review.split(zh, 2.0, 25.0)
    assert a["zh"] + b["zh"] == zh["zh"] and len(a["zh"]) in chinese_boundaries(zh["zh"]), "a Chinese word was split"
    assert abs(len(a["zh"]) - len(zh["zh"]) / 2) <= 3  # near the playhead's share of the cue
    with pytest.raises(BivideoError, match="not inside the cue"):
        review.split(row, 14.5, 25.0)


def test_rows_keep_hostile_text_as_text_and_reject_bad_rows():
    hostile = "<img src=x onerror=alert(1)> {\\an8}"
    cue = review.cue(_row(1.0, 2.0, "你好", hostile), 1)
    assert cue.source == hostile
    with pytest.raises(BivideoError, match="cue 2: ends"):
        review.cues([ROWS[0], _row(3.0, 2.0, "x", "y")])
    with pytest.raises(BivideoError, match="cue 1: no text"):
        review.cue(_row(1.0, 2.0, "", " "), 1)
    assert not review.changed(ROWS, review.cues(ROWS))
    assert review.changed([*ROWS[:-1], {**ROWS[-1], "end": 13.0}], review.cues(ROWS))


def test_sync_marks_speech_with_no_cue_and_cues_over_silence():
    speech = [(1.0, 2.5), (4.0, 5.0), (8.0, 9.0)]
    cues = [(0.95, 2.6), (3.0, 5.1)]  # the second is up 1 s before its speech; none shows 8-9 s
    marks = review.sync_marks(cues, speech)
    assert marks["uncovered"] == [[8.0, 9.0]]
    assert marks["over_silence"] == [1]
    assert marks["early"] == [1]


def test_peaks_are_the_loudest_sample_per_fiftieth_of_a_second():
    second = np.arange(audio.SAMPLE_RATE) / audio.SAMPLE_RATE
    tone = (0.5 * 32767 * np.sin(2 * np.pi * 440 * second)).astype(np.int16)
    pcm = np.concatenate([tone, np.zeros(audio.SAMPLE_RATE // 2 + 7, dtype=np.int16)])
    peaks = np.frombuffer(audio.peaks(pcm), dtype=np.int8)
    assert len(peaks) == 76  # 1.5 s at 50 a second, and the 7 samples left over
    assert (np.abs(peaks[:50].astype(int) - 63) <= 1).all() and not peaks[51:].any()
