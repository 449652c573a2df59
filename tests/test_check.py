"""`bivideo check`: the standard report on any SRT, in any encoding, as a table or JSON."""

from __future__ import annotations

import json

import pytest

from tests.conftest import cli

GOOD = """1
00:00:01,000 --> 00:00:03,500
不要问你的国家能为你做什么
Ask not what your country can do for you

2
00:00:03,580 --> 00:00:06,000
而要问你能为你的国家做什么
ask what you can do for your country
"""

BAD = """1
00:00:01,000 --> 00:00:01,500
这是一条非常非常非常长的中文字幕，长得超过了十六个字的限制
This line is definitely much longer than forty-two characters

2
00:00:01,400 --> 00:00:09,000
好的
Okay

3
00:00:09,300 --> 00:00:11,000
one
two
three
"""


def report(path, *args) -> tuple[int, dict]:
    run = cli("check", path, "--json", *args)
    return run.code, json.loads(run.out) if run.out else {}


def test_compliant_bilingual_file_scores_full(tmp_path):
    path = tmp_path / "good.srt"
    path.write_text(GOOD, encoding="utf-8")
    code, data = report(path, "--min", "1")
    assert code == 0
    assert data["cues"] == 2 and data["compliance"] == 1.0 and data["languages"] == ["en", "zh"]
    assert data["one_line_per_language"] == 2


def test_every_rule_is_detected_and_min_sets_the_exit_code(tmp_path):
    path = tmp_path / "bad.srt"
    path.write_text(BAD, encoding="utf-8")
    code, data = report(path)
    assert code == 0 and data["compliant"] == 0
    assert data["rules"] == {"line length": 1, "lines per language": 1, "reading speed": 1, "duration": 2,
                             "gap": 1, "overlap": 1}
    assert [p["rules"] for p in data["problems"]] == [
        ["line length", "reading speed", "duration", "overlap"], ["duration", "gap"], ["lines per language"]]
    run = cli("check", path, "--min", "0.5")
    assert run.code == 1 and run.err.startswith("error: bad.srt: 0.0% of cues compliant")
    assert "Traceback" not in run.err


def test_table_names_each_rule(tmp_path):
    path = tmp_path / "good.srt"
    path.write_text(GOOD, encoding="utf-8")
    run = cli("check", path)
    assert run.code == 0
    for rule in ("line length", "lines per language", "reading speed", "duration", "gap", "overlap", "100.0%"):
        assert rule in run.out


@pytest.mark.parametrize("encoding,newline", [("utf-8-sig", "\r\n"), ("gbk", "\n"), ("utf-8", "\r\n")])
def test_reads_bom_crlf_and_gbk_files_alike(tmp_path, encoding, newline):
    path = tmp_path / "other tool's file.srt"
    path.write_bytes(GOOD.replace("\n", newline).encode(encoding))
    code, data = report(path)
    assert code == 0 and data["compliance"] == 1.0 and data["cues"] == 2


def test_broken_file_is_one_line_error_with_line_number(tmp_path):
    path = tmp_path / "broken.srt"
    path.write_text(GOOD + "\n3\n00:00:0x,000 -> 00:00:09,000\noops\n", encoding="utf-8")
    run = cli("check", path)
    assert run.code == 1 and run.err.startswith("error: broken.srt: line 11:") and len(run.err.splitlines()) == 1
