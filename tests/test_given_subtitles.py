"""Subtitles made elsewhere (issue 17): `bivideo translate SUBS` and `make VIDEO --subtitles SUBS`
on real files (a Zoom-style WebVTT, a UTF-16 SRT, an ASS script) holding real English text from
../shared/media's reference transcripts; translation over HTTP at the local LibreTranslate
stand-in, counted; burned frames read back by OCR. Also the platform size-limit warning and
output folders copied elsewhere."""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from bivideo import artifacts, platforms, srtio
from tests.conftest import bivideo, cli, make_video, probe_json
from tests.scoring import frame, normalise_en, ocr_subtitles, read_srt
from tests.servers import libre_server


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.findall(r"[^.]+\.", text)]


def timed(lines: list[str], step: float = 3.0, length: float = 2.5) -> list[tuple[float, float, str]]:
    return [(0.5 + i * step, 0.5 + i * step + length, line) for i, line in enumerate(lines)]


def vtt_stamp(seconds: float) -> str:
    return srtio.stamp(seconds).replace(",", ".")


def zoom_vtt(cues: list[tuple[float, float, str]]) -> str:
    """WebVTT as meeting tools write it: numbered cues, voice tags, cue settings, a NOTE and
    a STYLE block, and (in one cue) an inline timestamp."""
    out = ["WEBVTT", "", "NOTE", "Transcript exported from the meeting recording", "",
           "STYLE", "::cue(v[voice=\"Alice Chen\"]) { color: yellow }", ""]
    for number, (start, end, text) in enumerate(cues, 1):
        words = text.split(" ")
        if number == 2:  # karaoke-style inline timestamp before the second word
            words.insert(1, f"<{vtt_stamp(start + 0.4)}>")
        settings = " align:start position:10% line:85%" if number % 2 else ""
        out += [str(number), f"{vtt_stamp(start)} --> {vtt_stamp(end)}{settings}",
                f"<v Alice Chen>{' '.join(words)}</v>", ""]
    return "\n".join(out)


def srt_text(cues: list[tuple[float, float, str]], tags: bool = True) -> str:
    blocks = []
    for number, (start, end, text) in enumerate(cues, 1):
        if tags and number == 1:
            text = "{\\an8}<i>" + text + "</i>"
        blocks.append(f"{number}\n{srtio.stamp(start)} --> {srtio.stamp(end)}\n{text}\n")
    return "\n".join(blocks)


def ass_stamp(seconds: float) -> str:
    centis = round(seconds * 100)
    return f"{centis // 360000}:{centis // 6000 % 60:02d}:{centis // 100 % 60:02d}.{centis % 100:02d}"


def ass_script(cues: list[tuple[float, float, str]]) -> str:
    """An ASS script as Aegisub saves it: styles, a comment line, override tags and \\N."""
    events = ["Comment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,a translator's note, not a cue"]
    for number, (start, end, text) in enumerate(cues, 1):
        if number == 1:
            words = text.split(" ")
            half = len(words) // 2
            text = "{\\an8\\fad(200,200)}" + " ".join(words[:half]) + "\\N{\\i1}" + " ".join(words[half:]) + "{\\i0}"
        events.append(f"Dialogue: 0,{ass_stamp(start)},{ass_stamp(end)},Default,Alice,0,0,0,,{text}")
    return "\n".join([
        "[Script Info]", "ScriptType: v4.00+", "PlayResX: 1920", "PlayResY: 1080", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding",
        "Style: Default,Arial,48,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,10,10,10,1",
        "", "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text", *events, ""])


def ssa_script(cues: list[tuple[float, float, str]]) -> str:
    """The older SubStation Alpha v4 script (Marked= in its events)."""
    events = [f"Dialogue: Marked=0,{ass_stamp(a)},{ass_stamp(b)},Default,,0000,0000,0000,,"
              + ("{\\i1}" + t + "{\\i0}" if n == 1 else t) for n, (a, b, t) in enumerate(cues, 1)]
    return "\n".join([
        "[Script Info]", "ScriptType: v4.00", "", "[V4 Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, TertiaryColour, BackColour, Bold, Italic, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, AlphaLevel, Encoding",
        "Style: Default,Arial,20,16777215,65535,65535,-2147483640,-1,0,1,3,0,2,30,30,30,0,0", "",
        "[Events]", "Format: Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text", *events, ""])


@pytest.fixture(scope="module")
def harvard(manifest) -> list[tuple[float, float, str]]:
    """Ten real English sentences (Harvard list 72, as read in en04), timed 3 s apart."""
    return timed(sentences(manifest["en04_osr_us_000_0034_harvard_list72_8k.wav"]["reference_transcript"])[:10])


FORMATS = {
    "zoom.vtt": lambda cues: zoom_vtt(cues).encode("utf-8"),
    "fixed by hand.srt": lambda cues: b"\xff\xfe" + srt_text(cues).replace("\n", "\r\n").encode("utf-16-le"),
    "aegisub.ass": lambda cues: ass_script(cues).encode("utf-8-sig"),
    "older.ssa": lambda cues: ssa_script(cues).encode("gbk"),
}


def translate(path: Path, libre, *args, cache: Path | None = None) -> tuple:
    url, recorder = libre
    before = len(recorder.requests)
    run = cli("translate", path, "--translator", "libre", "--translator-url", url, *args,
                  env={"BIVIDEO_CACHE": str(cache)} if cache else None)
    return run, len(recorder.requests) - before


@pytest.mark.parametrize("name", FORMATS)
def test_translate_keeps_every_cue_and_its_times_and_a_rerun_sends_nothing(name, harvard, libre, tmp_path):
    given = tmp_path / name
    given.write_bytes(FORMATS[name](harvard))
    out, cache = tmp_path / "out", tmp_path / "cache"  # a cache of its own: each format translates afresh
    run, sent = translate(given, libre, "-o", out, cache=cache)
    assert run.code == 0, run.err
    assert "Warning" not in run.err and "warning:" not in run.err, run.err  # the files meet the standard
    stem = given.stem
    bilingual = read_srt(out / f"{stem}.bilingual.srt")
    assert len(bilingual) == len(harvard)
    for cue, (start, end, text) in zip(bilingual, harvard):
        assert (cue.start.total_seconds(), cue.end.total_seconds()) == pytest.approx((start, end), abs=0.006)
        zh, en = cue.content.split("\n")[0], cue.content.split("\n")[-1]
        assert en == text, "tags, voice names and inline timestamps are stripped; the words are kept"
        assert re.search(r"[\u4e00-\u9fff]", zh), cue.content
    assert [c.content for c in read_srt(out / f"{stem}.en.srt")] == [t for _, _, t in harvard]
    chinese = read_srt(out / f"{stem}.zh.srt")
    assert len(chinese) == len(harvard) and all(re.search(r"[\u4e00-\u9fff]", c.content) for c in chinese)
    assert 0 < sent <= len(harvard), "translated sentence by sentence over HTTP"
    assert {r["source"] for r in libre[1].requests[-sent:]} == {"en"}
    assert f"{sent} requests to libre" in run.err
    again, sent_again = translate(given, libre, "-o", out, cache=cache)
    assert again.code == 0, again.err
    assert sent_again == 0 and "0 requests" in again.err, "a rerun translates nothing again"
    assert "kept your edited" not in again.err


def test_a_gbk_chinese_srt_is_translated_into_english(manifest, libre, tmp_path):
    text = manifest["zh03_osr_cn_000_0072_8k.wav"]["reference_transcript"]
    lines = [s + "。" for s in text.split("。") if s]
    given = tmp_path / "讲座.zh.srt"
    given.write_bytes(srt_text(timed(lines), tags=False).encode("gbk"))
    run, sent = translate(given, libre)
    assert run.code == 0, run.err
    assert sent > 0 and {r["target"] for r in libre[1].requests[-sent:]} == {"en"}
    bilingual = read_srt(tmp_path / "讲座.bilingual.srt")  # talk.zh.srt -> talk.bilingual.srt
    assert len(bilingual) == len(lines)
    assert all(c.content.split("\n")[-1].startswith("translated line") for c in bilingual[:1])
    assert not (tmp_path / "讲座.zh.zh.srt").exists() and (tmp_path / "讲座.en.srt").is_file()
    assert given.read_bytes() == srt_text(timed(lines), tags=False).encode("gbk"), "the input is never rewritten"


def test_a_file_breaking_the_standard_is_reported_with_checks_table_not_refused(harvard, libre, tmp_path):
    long = " ".join(t for _, _, t in harvard[:3])
    given = tmp_path / "youtube.srt"
    given.write_text(srt_text([(1.0, 12.0, long), *harvard[4:6]], tags=False), encoding="utf-8")
    run, _ = translate(given, libre)
    assert run.code == 0, run.err
    assert "1 of 3 cues break the subtitle standard" in run.err
    assert "line length" in run.err and "all rules" in run.err, "check's table"
    assert len(read_srt(tmp_path / "youtube.bilingual.srt")) == 3, "kept as it is"
    cut, _ = translate(given, libre, "--resegment", "-o", tmp_path / "cut")
    assert cut.code == 0, cut.err
    recut = read_srt(tmp_path / "cut" / "youtube.bilingual.srt")
    assert len(recut) >= 5, "the long cue is cut again to the standard, by its text"
    assert normalise_en(" ".join(c.content.split("\n")[-1] for c in recut[:-2])) == normalise_en(long)
    assert recut[0].start.total_seconds() == pytest.approx(1.0) and recut[-3].end.total_seconds() <= 12.0 + 1e-3
    report = json.loads(cli("check", tmp_path / "cut" / "youtube.en.srt", "--json").out)
    assert report["rules"]["line length"] == 0 and report["rules"]["duration"] == 0


def test_formatting_tags_do_not_count_toward_line_length(tmp_path):
    line = "Small children came to see him every day."  # 41 characters: fits 42
    given = tmp_path / "tagged.srt"
    given.write_text(f"1\n00:00:01,000 --> 00:00:04,000\n{{\\an8}}<i>{line}</i>\n", encoding="utf-8")
    report = json.loads(cli("check", given, "--json").out)
    assert report["cues"] == 1 and report["rules"]["line length"] == 0, report
    from bivideo import standard

    assert standard.visible("{\\an8}<i>" + line + "</i>") == line
    assert standard.entry_problems(srtio.parse(given.read_text(encoding="utf-8"), "x")[0], None) == []


@pytest.mark.parametrize("name, content", [
    ("empty.srt", b""),
    ("bom only.vtt", b"\xef\xbb\xbf\r\n"),
    ("header only.vtt", b"WEBVTT\n\nNOTE nothing was said\n"),
    ("no events.ass", b"[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
                      b"Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"),
    ("utf-16 empty.srt", b"\xff\xfe"),
])
def test_empty_and_cue_less_files_are_one_line_errors(name, content, libre, tmp_path):
    given = tmp_path / name
    given.write_bytes(content)
    for run in (translate(given, libre)[0], cli("check", given)):
        assert run.code == 1, run.out
        assert run.err.startswith("error: ") and run.err.count("\n") == 1, run.err
        assert "compliant" not in run.out + run.err and "Traceback" not in run.err


# --- make --subtitles ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stale(manifest, tmp_path_factory):
    """A talk video (en06, six Harvard sentences in 18 s) and its captions made elsewhere, as
    a Teams .vtt with voice tags, timed to the speech by hand."""
    folder = tmp_path_factory.mktemp("given talk")
    video = make_video(manifest["en06_harvard_stale_smell_44k_stereo.wav"]["path"], folder / "stale smell.mp4")
    lines = sentences(manifest["en06_harvard_stale_smell_44k_stereo.wav"]["reference_transcript"])
    cues = timed(lines, step=18.0 / len(lines), length=2.6)
    captions = folder / "captions.vtt"
    captions.write_text(zoom_vtt(cues), encoding="utf-8")
    return folder, video, captions, cues


@pytest.fixture
def own_libre():
    """A translation server of the test's own: its address is part of the translation cache's
    key, so what other tests translated before is not in the cache for it."""
    with libre_server() as server:
        yield server


def make(video: Path, libre, *args) -> tuple:
    url, recorder = libre
    before = len(recorder.requests)
    run = bivideo("make", video, "--model", "base", "--translator", "libre", "--translator-url", url, "--no-vocab",
                  "--for", "linkedin", "--quality", "draft", *args)
    return run, len(recorder.requests) - before


@pytest.mark.slow  # a real make or burn
def test_make_with_given_subtitles_transcribes_nothing_and_burns_them(stale, own_libre, tmp_path):
    folder, video, captions, cues = stale
    # a model that cannot load: any attempt to transcribe fails the run (shown first, so the
    # trap is known to spring)
    trap = str(tmp_path / "no such model")
    plain = bivideo("make", video, "--model", trap, "--for", "linkedin", "-o", tmp_path / "plain")
    assert plain.code != 0 and "no such model" in plain.err, plain.err

    # the same recording may have been transcribed by an earlier test: only new transcripts count
    work = Path(os.environ["BIVIDEO_CACHE"]) / "work" / artifacts.fingerprint(video)
    earlier = set(work.glob("transcript-*.json"))
    run, sent = make(video, own_libre, "--subtitles", captions, "--model", trap)
    assert run.code == 0, run.err
    assert "transcribe" not in run.err and sent > 0
    assert work.is_dir() and set(work.glob("transcript-*.json")) == earlier, "no transcript was made"
    spoken = read_srt(folder / "stale smell.en.srt")
    assert [(round(c.start.total_seconds(), 3), round(c.end.total_seconds(), 3), c.content) for c in spoken] == \
        [(round(a, 3), round(b, 3), t) for a, b, t in cues], "the spoken-language SRT is the given one"
    assert len(read_srt(folder / "stale smell.bilingual.srt")) == len(cues)
    assert "sync against the speech" in run.err and "median |error|" in run.err, "the sync report is printed"

    first = spoken[1]
    middle = (first.start + first.end).total_seconds() / 2
    burned = frame(folder / "stale smell.linkedin.mp4", middle, tmp_path / "burned.png")
    picture = frame(video, middle, tmp_path / "plain.png")
    read = normalise_en(ocr_subtitles(burned, picture, tmp_path))
    assert sum(w in read.split() for w in normalise_en(first.content).split()) >= 4, read
    assert re.search(r"[\u4e00-\u9fff]", ocr_subtitles(burned, picture, tmp_path)), "the Chinese line is burned too"


# --- output folders copied elsewhere -----------------------------------------------------------


@pytest.mark.slow  # a real make or burn
def test_a_copied_output_folder_is_recognised_as_unedited(manifest, own_libre, tmp_path):
    libre = own_libre
    folder = tmp_path / "talk"
    folder.mkdir()
    video = make_video(manifest["en08_jfk_inaugural_ask_not.flac"]["path"], folder / "ask not.mp4")
    first, sent = make(video, libre)
    assert first.code == 0 and sent > 0, first.err
    copy = tmp_path / "copied talk"
    shutil.copytree(folder, copy)
    run, sent = make(copy / video.name, libre)
    assert run.code == 0, run.err
    assert "kept your edited" not in run.err and "not written by bivideo" not in run.err, run.err
    assert not list(copy.glob("*.bak")), "nothing backed up: every file is bivideo's own"
    assert "transcript: reused" in run.err and "transcribe " not in run.err and sent == 0, \
        "the transcript and the translations are reused"
    assert read_srt(copy / "ask not.bilingual.srt") == read_srt(folder / "ask not.bilingual.srt")
    # an edit in the copy is still the user's
    bilingual = copy / "ask not.bilingual.srt"
    bilingual.write_text(bilingual.read_text(encoding="utf-8").replace("ask", "Ask", 1), encoding="utf-8")
    again, _ = make(copy / video.name, libre, "--preview")
    assert again.code == 0 and "kept your edited ask not.bilingual.srt" in again.err, again.err


@pytest.mark.slow  # a real make or burn
def test_given_spoken_srt_in_the_output_folder_is_used_as_it_is_without_its_tags(stale, libre, tmp_path):
    _, video, _, cues = stale
    folder = tmp_path / "fixed"
    folder.mkdir()
    shutil.copyfile(video, folder / video.name)
    mine = folder / f"{video.stem}.en.srt"  # the spoken-language file make would write, fixed by hand
    mine.write_text(srt_text(cues), encoding="utf-8")
    run, _ = make(folder / video.name, libre, "--subtitles", mine, "--preview")
    assert run.code == 0, run.err
    assert mine.read_text(encoding="utf-8") == srt_text(cues), "the given file is not rewritten"
    bilingual = read_srt(folder / f"{video.stem}.bilingual.srt")
    assert [c.content.split("\n")[-1] for c in bilingual] == [t for _, _, t in cues], "no <i> or {\\an8} left"


# --- platforms: the size-limit warning -----------------------------------------------------------


def warnings_for(platform, width: int, height: int, seconds: float, shape: str = "keep") -> list[str]:
    f = platforms.frame(width, height, shape)
    kbps = platforms.video_kbps(platform, f, seconds, platforms.AUDIO_KBPS)
    return platforms.warnings(platform, seconds, f, kbps, platforms.AUDIO_KBPS)


@pytest.mark.parametrize("platform", [platforms.LINKEDIN, platforms.WECHAT, platforms.PLAIN])
@pytest.mark.parametrize("shape", ["keep", "9:16"])
def test_a_small_frame_gets_no_size_limit_warning(platform, shape):
    found = warnings_for(platform, 320, 240, 60, shape)
    assert not [w for w in found if "size limit" in w or "MB" in w or "()" in w], found


def test_a_seventy_minute_1080p_talk_for_wechat_names_the_1_gb_limit_and_a_plausible_size():
    seconds = 70 * 60
    found = [w for w in warnings_for(platforms.WECHAT, 1920, 1080, seconds, "9:16") if "size limit" in w]
    assert len(found) == 1 and "1 GB" in found[0], found
    size = re.search(r"about (\d+) MB", found[0])
    assert size and 900 <= int(size.group(1)) <= 1024, found[0]
    f = platforms.frame(1920, 1080, "9:16")
    kbps = platforms.video_kbps(platforms.WECHAT, f, seconds, platforms.AUDIO_KBPS)
    assert f"{kbps} kb/s" in found[0] and (kbps + platforms.AUDIO_KBPS) * 1000 / 8 * seconds < 1024**3
    # the same talk at 20 minutes fits at the full bitrate: no such warning
    assert not [w for w in warnings_for(platforms.WECHAT, 1920, 1080, 20 * 60, "9:16") if "size limit" in w]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gbk"])
def test_every_common_encoding_decodes_the_same(encoding):
    text = "1\r\n00:00:01,000 --> 00:00:02,500\r\n院子门口不远处就是一个地铁站 A gold ring\r\n"
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):  # with the BOM an editor writes, and without
        assert srtio.decode(codecs.BOM_UTF16_LE + data if encoding.endswith("le") else codecs.BOM_UTF16_BE + data,
                            "x") == text
    assert srtio.decode(data, "x") == text


def test_wrong_language_and_misplaced_options_are_one_line_errors(harvard, libre, tmp_path):
    given = tmp_path / "english.srt"
    given.write_text(srt_text(harvard[:2], tags=False), encoding="utf-8")
    run, sent = translate(given, libre, "--from", "zh")
    assert run.code == 1 and "none of its lines is in that language" in run.err and sent == 0, run.err
    run, _ = translate(given, libre, "--to", "en")
    assert run.code == 1 and "so is the requested --to" in run.err, run.err
    run = cli("make", tmp_path / "talk.mp4", "--resegment")
    assert run.code == 2 and "--resegment" in run.err and "Traceback" not in run.err, run.err


@pytest.mark.slow  # a real make or burn
def test_burn_takes_a_webvtt_file_too(stale, tmp_path):
    _, video, captions, cues = stale
    run = bivideo("burn", video, "--srt", captions, "--for", "linkedin", "--quality", "draft", "-o", tmp_path)
    assert run.code == 0, run.err
    styled = (tmp_path / f"{video.stem}.bilingual.ass").read_text(encoding="utf-8")
    assert cues[0][2] in styled and "<v " not in styled and "Alice" not in styled
    assert float(probe_json(tmp_path / f"{video.stem}.linkedin.mp4")["format"]["duration"]) > 15


def test_translate_uses_the_glossary_like_make(harvard, libre, tmp_path):
    terms = tmp_path / "terms.tsv"
    terms.write_text("gold ring\t金戒指\n", encoding="utf-8")
    given = tmp_path / "ring.srt"
    given.write_text(srt_text(harvard[:2], tags=False), encoding="utf-8")
    run, sent = translate(given, libre, "--glossary", terms, cache=tmp_path / "cache")
    assert run.code == 0 and sent > 0, run.err
    assert "gold ring" not in " ".join(r["q"] for r in libre[1].requests[-sent:]), "the term never reaches the server"
    assert "金戒指" in read_srt(tmp_path / "ring.zh.srt")[0].content
