"""Preview, fix, then burn, for real: `make --preview` on a real recording (real Whisper, the
local LibreTranslate stand-in), stills read back with OCR, hand edits kept and re-translated
one sentence at a time, and `bivideo burn` showing the edit in the burned picture. (The
studio, the page for the same review: test_studio.py and test_studio_page.py.)

The talk is made once per module (`made`) for the tests that only read it; a test that changes
its files gets one made in a folder of its own (`talk`; transcript and translations cached)."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bivideo import preview
from bivideo.datatypes import Cue
from tests.conftest import bivideo, make_video
from tests.scoring import frame, normalise_en, ocr_subtitles, read_srt

pytestmark = pytest.mark.slow  # real Whisper and real encodes throughout


class Talk:
    def __init__(self, folder: Path, audio: Path, libre, video: Path | None = None):
        self.folder, (self.url, self.recorder) = folder, libre
        self.video = video or make_video(audio, folder / "my talk [v2].mp4")
        self.first = self.make("--preview")

    def out(self, suffix: str) -> Path:
        return self.folder / f"{self.video.stem}.{suffix}"

    def make(self, *args: str):
        # these tests count the subtitles' translation requests; vocab.csv's glosses are
        # counted in test_learners
        return bivideo("make", self.video, "--model", "base", "--translator", "libre", "--translator-url", self.url,
                       "--no-vocab",
                       *args)

    def edit(self, number: int, old: str, new: str) -> None:
        """Replace `old` by `new` in cue `number` of the bilingual SRT, as a text editor would."""
        path = self.out("bilingual.srt")
        blocks = path.read_text(encoding="utf-8").split("\n\n")
        assert old in blocks[number - 1]
        blocks[number - 1] = blocks[number - 1].replace(old, new)
        path.write_text("\n\n".join(blocks), encoding="utf-8")

    def line(self, number: int, language: str, suffix: str = "bilingual.srt") -> str:
        """Cue `number`'s line in `language` ("zh" first, "en" last in the bilingual SRT)."""
        lines = read_srt(self.out(suffix))[number - 1].content.split("\n")
        return lines[0] if language == "zh" else lines[-1]


def reworded(line: str, word: str) -> str:
    """`line` with its longest word replaced by `word`, as a hand edit would."""
    longest = max(re.findall(r"[A-Za-z']+", line), key=len)
    assert word not in line
    return line.replace(longest, word, 1)


@pytest.fixture(scope="module")
def made(tmp_path_factory, english_recording, libre) -> Talk:
    return Talk(tmp_path_factory.mktemp("preview"), english_recording["path"], libre)


@pytest.fixture
def talk(made, tmp_path, libre) -> Talk:
    """The talk made again in this test's own folder, for a test that changes its files."""
    folder = tmp_path / "own"
    folder.mkdir()
    talk = Talk(folder, None, libre, video=shutil.copy(made.video, folder / made.video.name))
    assert talk.first.code == 0, talk.first.err
    return talk


def test_make_preview_writes_subtitles_and_stills_and_says_how_to_burn(made):
    talk = made
    assert talk.first.code == 0, talk.first.err
    for suffix in ("en.srt", "zh.srt", "bilingual.srt"):
        assert talk.out(suffix).is_file()
    assert not list(talk.folder.glob("*.mp4.*")) and not talk.out("linkedin.mp4").exists() \
        and not talk.out("wechat.mp4").exists(), "--preview must not burn"
    for platform, size in (("linkedin", (1280, 720)), ("wechat", (720, 1280))):  # each video's own frame
        stills = sorted(talk.out("preview").glob(f"{platform}-still-*.png"))
        assert len(stills) == min(8, len(read_srt(talk.out("bilingual.srt"))))
        assert frame(stills[0], 0, talk.folder / "still.png").shape[1::-1] == size
        assert (talk.out("preview") / f"{platform}-contact-sheet.png").is_file()
    assert f"bivideo burn '{talk.video}'" in talk.first.out and "bilingual.srt" in talk.first.out


def test_a_still_shows_the_subtitles_of_its_time(talk, tmp_path):
    cue = read_srt(talk.out("bilingual.srt"))[0]
    middle = (cue.start + cue.end).total_seconds() / 2
    run = bivideo("preview", talk.video, "--at", f"{middle:.3f}")
    assert run.code == 0, run.err
    still = talk.out("preview") / next(p for p in run.out.split() if "linkedin-still-01" in p).split("/")[-1]
    # the plain picture the still was drawn on: the same keyframe seek, without subtitles
    plain_png = tmp_path / "plain.png"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-noaccurate_seek", "-ss", f"{middle:.3f}", "-i", str(talk.video),
                    "-frames:v", "1", str(plain_png)], check=True)
    text = ocr_subtitles(frame(still, 0, tmp_path / "still.png"), frame(plain_png, 0, tmp_path / "p.png"), tmp_path)
    words = [w for w in normalise_en(cue.content.split("\n")[-1]).split() if len(w) > 2]
    assert sum(w in normalise_en(text).split() for w in words) >= 0.6 * len(words), (cue.content, text)


def test_bad_times_and_missing_subtitles_are_one_line_errors(made, tmp_path):
    talk = made
    run = bivideo("preview", talk.video, "--at", "0:05,9:99:99")
    assert run.code == 1 and run.err.strip().splitlines()[-1].startswith("error: --at 38439")
    lone = make_video(talk.video, tmp_path / "other.mp4")
    run = bivideo("burn", lone)
    assert run.code == 1 and "Traceback" not in run.err and "run `bivideo make other.mp4 --preview` first" in run.err


def test_editing_a_source_line_translates_only_its_sentence_again(talk):
    before = len(talk.recorder.requests)
    english = talk.line(1, "en")
    talk.edit(1, english, reworded(english, "aroma"))
    run = talk.make("--preview")
    assert run.code == 0, run.err
    assert "kept your edited" in run.err
    sent = talk.recorder.requests[before:]
    assert len(sent) == 1 and "aroma" in sent[0]["q"], sent
    assert talk.line(1, "en") == reworded(english, "aroma")
    assert talk.line(1, "en", "en.srt") == reworded(english, "aroma"), "en.srt not kept in step"


def test_editing_both_lines_of_a_cue_sends_nothing(talk):
    before = len(talk.recorder.requests)
    english = talk.line(2, "en")
    talk.edit(2, talk.line(2, "zh"), "热量带出气味")
    talk.edit(2, english, reworded(english, "warmth"))
    run = talk.make("--preview")
    assert run.code == 0, run.err
    assert len(talk.recorder.requests) == before
    assert read_srt(talk.out("bilingual.srt"))[1].content.startswith("热量带出气味\n")
    assert talk.line(2, "en", "en.srt") == reworded(english, "warmth")
    assert read_srt(talk.out("zh.srt"))[1].content == "热量带出气味"


def test_a_single_language_file_out_of_step_is_reported_with_the_first_cue_that_differs(talk):
    zh = talk.out("zh.srt")
    original = zh.read_text(encoding="utf-8")
    blocks = original.split("\n\n")
    zh.write_text("\n\n".join(blocks[:1] + blocks[2:]), encoding="utf-8")
    try:
        run = bivideo("burn", talk.video)
        assert run.code == 1 and "Traceback" not in run.err
        assert re.search(r"has \d+ cues and .* has \d+; first difference at cue 2 \(.*zh.srt line 6", run.err), run.err
    finally:
        zh.write_text(original, encoding="utf-8")


def test_force_regenerates_only_after_a_timestamped_backup(talk):
    edited = talk.out("bilingual.srt")
    talk.edit(1, talk.line(1, "en"), "Zebra crossings glow orange")
    mine = edited.read_text(encoding="utf-8")
    run = talk.make("--preview", "--force")
    assert run.code == 0, run.err
    backups = list(talk.folder.glob(f"{glob.escape(edited.name)}.*.bak"))
    assert any(b.read_text(encoding="utf-8") == mine for b in backups)
    assert "Zebra" not in edited.read_text(encoding="utf-8")
    again = talk.make("--preview")
    assert "kept your edited" not in again.err, "a regenerated file counted as edited"


def test_burn_of_a_given_single_language_srt_pairs_it_with_the_other_language(made, tmp_path):
    talk = made
    mine = tmp_path / "english only.srt"
    shutil.copyfile(talk.out("en.srt"), mine)
    blocks = mine.read_text(encoding="utf-8").split("\n\n")
    mine.write_text("\n\n".join(blocks[:-2]), encoding="utf-8")  # one cue fewer than zh.srt
    run = bivideo("burn", talk.video, "--srt", mine)
    assert run.code == 1 and "first difference at cue" in run.err and "Traceback" not in run.err


def test_default_stills_fall_within_the_video_when_the_last_cue_outlasts_it():
    # a talk cut off mid-sentence at 1500 s: reading time extends its last cue past the end
    cues = [Cue(1490.0, 1493.0, "A salt pickle tastes fine with ham."), Cue(1499.67, 1500.5, "Tacos."),
            Cue(1500.9, 1502.7, "A cold dip restores health and zest.")]
    assert preview.cue_midpoints(cues, 1500.0) == [1491.5, (1499.67 + 1500.0) / 2]
    assert preview.cue_midpoints([], 1500.0) == [750.0]
