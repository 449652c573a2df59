"""For learners, for real: `make --highlight words` on real recordings (real Whisper, the local
LibreTranslate stand-in, a real burn), burned frames read back with tesseract's word boxes
and their colours measured; hand edits; transcript.md and vocab.csv checked against the
subtitles, and the gloss requests counted at the local server."""

from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path

import numpy as np
import pysubs2
import pytest

from tests.conftest import bivideo, make_video
from tests.scoring import frame, near, read_srt, word_boxes
from tests.servers import libre_server

HIGHLIGHT = "#4DD8FF"  # the default --highlight-color
LINE = {"en": "#F5E7A1", "zh": "#FFFFFF"}  # the default colours of the lines
OCR = {"en": "eng", "zh": "chi_sim"}

pytestmark = pytest.mark.slow  # real Whisper and real encodes throughout


class Talk:
    def __init__(self, folder: Path, audio: Path, libre, name: str, language: str):
        self.folder, self.language, (self.url, self.recorder) = folder, language, libre
        self.video = make_video(audio, folder / name)
        before = len(self.recorder.requests)
        self.run = self.make("--highlight", "words", "--quality", "draft")
        self.sent = self.recorder.requests[before:]

    def make(self, *args: str):
        return bivideo("make", self.video, "--model", "base", "--translator", "libre", "--translator-url", self.url,
                       *args)

    def out(self, suffix: str) -> Path:
        return self.folder / f"{self.video.stem}.{suffix}"

    def words(self, event: pysubs2.SSAEvent) -> list[tuple[str, float, float]]:
        """(text, start, end) of each word of a cue's karaoke line, from the ASS as burned."""
        spoken = next((part for part in event.text.split("{\\r") if "\\k" in part), "")
        at, out = event.start / 1000, []
        for duration, text in re.findall(r"\{\\k(\d+)\}([^{]*)", spoken):
            out.append((text.replace("\\N", " ").strip(), at, at + int(duration) / 100))
            at += int(duration) / 100
        return [w for w in out if w[0]]


@pytest.fixture(scope="module")
def libre():
    """A server of this module's own: its requests (and translation cache entries, keyed by the
    server's URL) are these talks' alone, whatever ran before."""
    with libre_server() as server:
        yield server


@pytest.fixture(scope="module")
def english(tmp_path_factory, manifest, libre) -> Talk:
    return Talk(tmp_path_factory.mktemp("learn-en"), manifest["en06_harvard_stale_smell_44k_stereo.wav"]["path"],
                libre, "stale smell.mp4", "en")


@pytest.fixture(scope="module")
def mandarin(tmp_path_factory, manifest, libre) -> Talk:
    return Talk(tmp_path_factory.mktemp("learn-zh"), manifest["zh03_osr_cn_000_0072_8k.wav"]["path"],
                libre, "地铁站.mp4", "zh")


def _highlighted_share(pixels, language: str) -> float:
    lit, plain = near(pixels, HIGHLIGHT).sum(), near(pixels, LINE[language]).sum()
    return lit / max(lit + plain, 1)


def _locate(boxes, words: list[str], k: int, language: str) -> tuple[int, int, int, int]:
    """(left, top, width, height) of word k of a line, from tesseract's word boxes. English:
    the OCR'd word most like it. Chinese (tesseract's CJK words are unreliable runs): the
    OCR'd line's extent, checked to read like the line, cut at the word's characters, since
    CJK glyphs are equally wide."""
    def like(a: str, b: str) -> float:
        return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()
    if language == "en":
        text, left, top, width, height = max(boxes, key=lambda b: like(b[0], words[k]))
        assert like(text, words[k]) >= 0.5, f"OCR found no word like {words[k]!r} in {[b[0] for b in boxes]}"
        return left, top, width, height
    middles = sorted(top + height / 2 for _, _, top, _, height in boxes)
    middle = middles[len(middles) // 2]
    row = [b for b in boxes if abs(b[2] + b[4] / 2 - middle) < 20]  # the spoken line's row
    line = "".join(words)
    assert like("".join(b[0] for b in row), line) >= 0.5, ([b[0] for b in row], line)
    left, right = min(b[1] for b in row), max(b[1] + b[3] for b in row)
    top, bottom = min(b[2] for b in row), max(b[2] + b[4] for b in row)
    step = (right - left) / len(line)
    before = len("".join(words[:k]))
    return round(left + before * step), top, round(len(words[k]) * step), bottom - top


@pytest.mark.parametrize("which, platform", [(which, platform) for which in ("english", "mandarin")
                                             for platform in ("linkedin", "wechat", "still")])
def test_the_word_being_said_is_lit_and_a_word_two_ahead_is_not(request, which, platform, tmp_path):
    talk: Talk = request.getfixturevalue(which)
    assert talk.run.code == 0, talk.run.err
    events = pysubs2.load(str(talk.out("bilingual.ass"))).events
    lines = [talk.words(e) for e in events]
    words = max(lines, key=len)  # the cue with the most words
    assert len(words) >= 4, lines
    # word k: the longest one with a word two ahead of it, so the frame falls well inside it
    k = max(range(1, len(words) - 2), key=lambda j: words[j][2] - words[j][1])
    _, start, end = words[k]
    if platform == "still":  # `bivideo preview` at that moment, in the wechat frame
        run = bivideo("preview", talk.video, "--highlight", "words", "--for", "wechat",
                      "--at", f"{(start + end) / 2:.3f}")
        assert run.code == 0, run.err
        still = next(talk.out("preview").glob("wechat-still-01-*.png"))
        picture = frame(still, 0, tmp_path / "frame.png")
    else:
        picture = frame(talk.out(f"{platform}.mp4"), (start + end) / 2, tmp_path / "frame.png")
    ink = near(picture, HIGHLIGHT) | near(picture, LINE[talk.language])
    boxes = word_boxes(ink, tmp_path, OCR[talk.language])
    bare = [re.sub(r"[^\w']", "", w[0]) for w in words]
    for j, lit in ((k, True), (k + 2, False)):
        left, top, width, height = _locate(boxes, bare, j, talk.language)
        share = _highlighted_share(picture[top:top + height, left:left + width], talk.language)
        assert share > 0.7 if lit else share < 0.2, (bare[j], lit, share, bare, k)


def _transcript(talk: Talk) -> list[tuple[str, list[tuple[str, str]]]]:
    """transcript.md as (time, [(spoken, translation), ...]) paragraphs."""
    text = talk.out("transcript.md").read_text(encoding="utf-8")
    title, *paragraphs = text.strip().split("\n\n")
    assert title == f"# {talk.video.stem}"
    out = []
    for paragraph in paragraphs:
        lines = [line.rstrip() for line in paragraph.splitlines()]
        stamp = re.match(r"\[(\d\d):(\d\d)\] ", lines[0])
        assert stamp, lines[0]
        lines[0] = lines[0][stamp.end():]
        out.append((int(stamp[1]) * 60 + int(stamp[2]), list(zip(lines[::2], lines[1::2]))))
    return out


def _bare(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@pytest.mark.parametrize("which", ["english", "mandarin"])
def test_transcript_has_every_sentence_once_in_order_with_its_translation(request, which):
    talk: Talk = request.getfixturevalue(which)
    assert talk.run.code == 0, talk.run.err
    target = "zh" if talk.language == "en" else "en"
    spoken = [_bare(s.content) for s in read_srt(talk.out(f"{talk.language}.srt"))]
    translated = [_bare(s.content) for s in read_srt(talk.out(f"{target}.srt"))]
    events = pysubs2.load(str(talk.out("bilingual.ass"))).events
    paragraphs = _transcript(talk)
    assert paragraphs
    cue = 0
    for stamp, sentences in paragraphs:
        first_word = talk.words(events[cue])[0][1]
        assert abs(stamp - first_word) <= 0.5, (stamp, first_word)
        for sentence, translation in sentences:
            # the sentence is the next cues' spoken lines, and its translation exactly theirs
            said, shown, begin = _bare(sentence), "", cue
            while len(shown) < len(said):
                shown += spoken[cue]
                cue += 1
            assert shown == said, (sentence, spoken[begin:cue])
            assert _bare(translation) == "".join(translated[begin:cue]), (translation, translated[begin:cue])
    assert cue == len(spoken), "sentences missing at the end"


def _vocab(talk: Talk) -> list[dict]:
    lines = talk.out("vocab.csv").read_text(encoding="utf-8").splitlines()
    headers = [line for line in lines if line.startswith("#")]
    assert headers[:2] == ["#separator:comma", "#html:false"]  # Anki's file headers
    columns = headers[2].removeprefix("#columns:").split(",")
    assert columns[:2] == ["word", "gloss"]  # the front/back pair
    return list(csv.DictReader([line for line in lines if not line.startswith("#")], fieldnames=columns))


def test_vocab_has_rare_words_of_the_talk_with_glosses_asked_once(english):
    from wordfreq import top_n_list

    assert english.run.code == 0, english.run.err
    rows = _vocab(english)
    assert len(rows) >= 3, rows
    # each word as written, and each part of a hyphenated one ("salt-pickle": the vocabulary may pick "pickle")
    said = {part for s in read_srt(english.out("en.srt")) for w in s.content.split()
            for part in (w.lower().strip(".,?!"), *w.lower().strip(".,?!").split("-"))}
    common = set(top_n_list("en", 5000))
    for row in rows:
        assert row["word"] in said and row["word"] not in common, row
        assert row["gloss"] and row["sentence"] and row["translation"] and re.fullmatch(r"\d\d:\d\d", row["time"])
        assert row["word"].lower() in row["sentence"].lower()
    asked = {r["q"] for r in english.sent}
    assert {row["lemma"] or row["word"] for row in rows} <= asked  # one gloss request per word
    before = len(english.recorder.requests)
    rerun = english.make("--preview")
    assert rerun.code == 0, rerun.err
    assert len(english.recorder.requests) == before, "a rerun sent requests"
    assert _vocab(english) == rows


def test_vocab_is_off_for_a_mandarin_talk_unless_asked(mandarin):
    assert mandarin.run.code == 0, mandarin.run.err
    assert mandarin.out("transcript.md").is_file() and not mandarin.out("vocab.csv").exists()


def test_a_failed_burn_still_leaves_the_post_files_with_the_subtitles(english, tmp_path):
    """transcript.md and vocab.csv are made after the video burns: a burn that fails still
    leaves them, whole, beside the subtitle files."""
    stub = tmp_path / "ffmpeg-without-x264"
    stub.write_text('#!/bin/sh\ncase "$*" in *libx264*) echo "x264: simulated failure" >&2; exit 1;; esac\n'
                    'exec ffmpeg "$@"\n')
    stub.chmod(0o755)
    out = tmp_path / "out"
    run = bivideo("make", english.video, "-o", out, "--model", "base", "--translator", "libre",
                  "--translator-url", english.url,
                  env={"BIVIDEO_FFMPEG": str(stub)})
    assert run.code != 0 and "simulated failure" in run.err and "Traceback" not in run.err, run.err
    made = {path.name.removeprefix(english.video.stem + ".") for path in out.iterdir()}
    assert made == {"en.srt", "zh.srt", "bilingual.srt", "bilingual.ass", "transcript.md", "vocab.csv"}, made
    for suffix in ("transcript.md", "vocab.csv"):
        assert (out / f"{english.video.stem}.{suffix}").read_text(encoding="utf-8") == \
            english.out(suffix).read_text(encoding="utf-8")


def test_the_studio_lights_the_words_said_as_the_video_will(english, tmp_path):
    """The studio's overlay is libass drawing the very ASS the burn used; as the video plays
    the words said so far are lit, in the page as in the burned video."""
    from tests.studio_support import browser_page, studio

    assert english.run.code == 0, english.run.err
    burned = english.out("bilingual.ass").read_text(encoding="utf-8")
    words = english.words(pysubs2.SSAFile.from_string(burned).events[0])
    k = len(words) // 2 - 1
    with studio(english.video, "--highlight", "words", "--translator", "libre", "--translator-url",
                english.url) as server:
        state = server.get("/api/state").json()
        assert server.post("/api/ass", {"platform": "linkedin", "cues": state["cues"]}).text == burned
        with browser_page(server) as page:
            page.wait_for_selector("body[data-overlay-ready=true]", timeout=60_000)
            shots = []
            for at in (words[0][1] + 0.02, (words[k][1] + words[k][2]) / 2, words[-1][2] - 0.02):
                page.evaluate(f"document.querySelector('video').currentTime = {at}")
                page.wait_for_timeout(1200)  # the seek, then libass's frame for it
                shot = tmp_path / f"frame-{at:.2f}.png"
                page.locator("#frame").screenshot(path=str(shot))
                shots.append(frame(shot, 0, tmp_path / "read.png"))
    # the English line's rows: where the highlight is once every word is lit (the Chinese
    # line's white, blended at its edges, can come near the English line's colour)
    rows = np.flatnonzero(near(shots[-1], HIGHLIGHT).any(axis=1))
    shares = [_highlighted_share(shot[rows.min() - 2:rows.max() + 3], "en") for shot in shots]
    # the first word alone lit as it is said, about half the line at word k, all of it at the last word
    assert shares[0] < 0.25 and 0.2 < shares[1] < 0.8 and shares[2] > 0.85, shares


def test_an_edit_keeping_the_words_keeps_the_highlight_and_one_changing_them_is_plain_with_a_note(english):
    assert english.run.code == 0, english.run.err
    path = english.out("bilingual.srt")
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    first, second = blocks[0].splitlines()[-1], blocks[1].splitlines()[-1]
    kept = first.upper().rstrip(".!?")  # same words: case and punctuation changed
    changed = "Completely different words here."
    blocks[0] = blocks[0].replace(first, kept)
    blocks[1] = blocks[1].replace(second, changed)
    path.write_text("\n\n".join(blocks), encoding="utf-8")
    run = bivideo("burn", english.video, "--highlight", "words", "--for", "linkedin", "--quality", "draft")
    assert run.code == 0, run.err
    assert "highlight: cue 2 shown without it" in run.err + run.out
    events = pysubs2.load(str(english.out("bilingual.ass"))).events
    assert "\\k" in events[0].text and [w[0] for w in english.words(events[0])] == kept.split()
    assert "\\k" not in events[1].text and changed in events[1].text
    assert "cue 1" not in (run.err + run.out).split("highlight:")[1].split("shown")[0]
