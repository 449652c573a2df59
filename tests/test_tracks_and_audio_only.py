"""Files as people have them: an OBS or Zoom recording with the talk on another audio track than
the first, and audio with no picture at all (a voice memo, a podcast). Made with ffmpeg from
the real recordings in ../shared/media; the choice of track is read from the run and from the
videos' streams (ffprobe), the transcript scored against the reference, and the audio-only
videos' frames read back (OCR, pixels)."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from bivideo import audio, burn, platforms, probe, subtitles, toolchain
from tests.conftest import cli, probe_json
from tests.scoring import cer, chinese_only, frame, near, normalise_en, ocr_mask, read_srt, wer
from tests.studio_support import browser_page, studio

JFK, MANDARIN = "en08_jfk_inaugural_ask_not.flac", "zh05_funasr_asr_example_zh.wav"
# Desktop sound: a chord progression with a tremolo, music rather than speech.
MUSIC = ("aevalsrc='0.2*sin(2*PI*(220+55*floor(mod(t*2,4)))*t)+0.15*sin(2*PI*330*t)*(0.5+0.5*sin(2*PI*3*t))"
         "+0.1*sin(2*PI*(440+110*floor(mod(t,3)))*t)':s=44100:d=11")


# --- pure: frames, the burn's command line, the title ------------------------------------

def test_an_audio_only_talk_gets_each_platforms_default_frame_at_1080():
    linkedin, wechat = (platforms.still_frame(None, p.default_aspect) for p in (platforms.LINKEDIN, platforms.WECHAT))
    assert (linkedin.width, linkedin.height, linkedin.fitted) == (1920, 1080, False)  # keep: 16:9, the feed's
    assert (wechat.width, wechat.height, wechat.fitted) == (1080, 1920, False)  # the background fills 9:16 too
    cover = platforms.still_frame((3000, 2000), "keep")  # a picture keeps its shape, 1080 on the short side
    assert (cover.width, cover.height) == (1620, 1080)
    small = platforms.still_frame((400, 300), "9:16")  # a small picture is enlarged, fitted in 9:16
    assert (small.width, small.height, small.fitted, small.picture[2:]) == (1080, 1920, True, (1080, 810))


def test_the_burn_makes_the_background_or_reads_the_picture_as_one_image(tmp_path):
    info = probe.MediaInfo(tmp_path / "memo.m4a", 12.0, 0, 0, platforms.STILL_FPS, ("aac", "mp3"))
    frames = [platforms.still_frame(None, p.default_aspect) for p in (platforms.LINKEDIN, platforms.WECHAT)]
    targets = [burn.Target(tmp_path / f"{n}.mp4", f, "", 4000, "title") for n, f in enumerate(frames)]
    whole = burn.Chunk(0, 0.0, None)
    plain = burn.chunk_args("ffmpeg", info, targets, whole, still=burn.Still(None, None, "memo"))
    graph = plain[plain.index("-filter_complex") + 1]
    assert graph.startswith("color=c=0x1E2A38:s=1920x1080:r=10:d=12.000,format=yuv420p,split=2[s0][s1];")
    assert "[s1]scale=1080:1920,subtitles=title1.ass:fontsdir=fonts,subtitles=subtitles1.ass" in graph
    assert plain.count("-i") == 0  # the graph makes the picture; the sound is added when the chunks are joined
    joined = burn.mux_args("ffmpeg", info, "chunks0.txt", targets[0].path, audio_track=1)
    assert joined[joined.index("-map", joined.index("0:v:0")) + 1] == "1:a:1"
    assert joined[joined.index("1:a:1") + 1:joined.index("1:a:1") + 5] == ["-c:a", "aac", "-b:a", "160k"]  # MP3 -> AAC
    later = burn.chunk_args("ffmpeg", info, targets, burn.Chunk(1, 10.0, None), still=burn.Still(None, None, "memo"))
    assert later[later.index("-filter_complex") + 1].startswith(
        "color=c=0x1E2A38:s=1920x1080:r=10:d=2.000,setpts=PTS+round(10.000000/TB),")  # the rest, at the talk's times
    cover = tmp_path / "cover 100%d [1].png"  # not an image sequence pattern
    pictured = burn.chunk_args("ffmpeg", info, [burn.Target(tmp_path / "a.mp4", frames[0], "", 4000)], whole,
                               still=burn.Still(cover, (1200, 1200), "memo"))
    assert pictured[pictured.index(str(cover)) - 11:pictured.index(str(cover)) + 1] == [
        "-f", "image2", "-pattern_type", "none", "-loop", "1", "-framerate", "10", "-t", "12.000", "-i", str(cover)]
    assert pictured[pictured.index("-filter_complex") + 1].startswith("[0:v]format=yuv420p,split=1[s0]")
    assert "title0.ass" not in pictured[pictured.index("-filter_complex") + 1]


def light(picture: np.ndarray) -> np.ndarray:
    """Pixels as light as the title and the subtitles (the background is a dark slate)."""
    return picture.astype(float) @ [0.299, 0.587, 0.114] > 150


@pytest.mark.slow  # a frame drawn and read back by tesseract: seconds
@pytest.mark.parametrize("title", ["2024-05-03 weekly engineering podcast about large language models in production",
                                   "关于双语视频字幕制作与语音识别模型在真实会议里如何工作的一次很长的播客"])
def test_a_long_title_stays_inside_a_vertical_frame(title, tmp_path):
    f = platforms.still_frame(None, "9:16")
    above = f.subtitle_bottom + 2 * subtitles.block_height(f.width, f.height)
    font = toolchain.cjk_font().family
    (tmp_path / "title.ass").write_text(subtitles.title_ass(title, f.width, f.height, font, above, 1.0))
    burn.prepare_folder(tmp_path, {})
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=0x1E2A38:s={f.width}x{f.height}:d=1",
                    "-vf", "subtitles=title.ass:fontsdir=fonts", "-frames:v", "1", "title.png"],
                   cwd=tmp_path, check=True)
    ink = light(frame(tmp_path / "title.png", 0, tmp_path / "read.png"))
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert columns[0] >= 0.08 * f.width and columns[-1] <= 0.92 * f.width  # 80% of the width at most
    assert rows[-1] < f.height - above  # above the subtitles' room
    text = ocr_mask(ink[rows[0] - 20:rows[-1] + 20, columns[0] - 20:columns[-1] + 20], tmp_path)
    if chinese_only(title):
        assert cer(title, text) < 0.2, text
    else:
        assert wer(title, text) < 0.2, text


# --- the track with the talk ---------------------------------------------------------------

@pytest.fixture(scope="module")
def three_tracks(tmp_path_factory, manifest) -> Path:
    """An OBS-style recording: track 1 a Mandarin aside then silence (mono AAC), track 2 the
    talk (JFK, stereo Opus), track 3 desktop music (mono AAC), over a test pattern."""
    path = tmp_path_factory.mktemp("obs") / "obs recording.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
                    "-i", str(manifest[MANDARIN]["path"]), "-i", str(manifest[JFK]["path"]), "-f", "lavfi", "-i", MUSIC,
                    "-filter_complex", "[1:a]apad[zh]", "-map", "0:v", "-map", "[zh]", "-map", "2:a", "-map", "3:a",
                    "-t", "11", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a:0", "aac", "-ac:a:0", "1", "-c:a:1", "libopus", "-c:a:2", "aac", str(path)], check=True)
    return path


@pytest.mark.slow  # the recording is encoded first
def test_speech_is_measured_on_every_track_from_one_decode(three_tracks, tmp_path):
    wavs = {k: tmp_path / f"track{k}.wav" for k in range(3)}
    audio.extract_tracks(three_tracks, wavs)
    mandarin, talk, music = (audio.speech_share(audio.sample(wav)) for wav in wavs.values())
    assert talk > 0.5 and 0.2 < mandarin < talk - 0.15 and music < 0.05, (mandarin, talk, music)


def audio_streams(video: Path) -> list[dict]:
    return [s for s in probe_json(video)["streams"] if s["codec_type"] == "audio"]


@pytest.mark.slow
def test_the_track_with_the_talk_is_transcribed_and_kept(three_tracks, manifest, libre, tmp_path):
    run = cli("make", three_tracks, "-o", tmp_path, "--translator", "libre", "--translator-url", libre[0],
              "--for", "linkedin", "--quality", "draft", "--no-vocab")
    assert run.code == 0, run.err
    assert re.search(r"audio: track 2 of 3, the one with the most speech \(track 1 \d+%, track 2 \d+%, track 3 "
                     r"\d+%\); --audio-track N chooses another", run.err), run.err
    spoken = " ".join(s.content for s in read_srt(tmp_path / "obs recording.en.srt"))
    assert wer(manifest[JFK]["reference_transcript"], spoken) < 0.2, spoken
    [kept] = audio_streams(tmp_path / "obs recording.linkedin.mp4")
    assert (kept["codec_name"], kept["channels"]) == ("aac", 2)  # the stereo talk, not a mono track


@pytest.mark.slow
def test_audio_track_chooses_by_hand(three_tracks, manifest, libre, tmp_path):
    run = cli("make", three_tracks, "-o", tmp_path, "--audio-track", "1", "--translator", "libre",
              "--translator-url", libre[0], "--for", "linkedin", "--quality", "draft")
    assert run.code == 0, run.err
    assert "audio: track" not in run.err  # nothing to choose
    spoken = "".join(s.content for s in read_srt(tmp_path / "obs recording.zh.srt"))
    assert cer(manifest[MANDARIN]["reference_transcript"], spoken) < 0.3, spoken
    [kept] = audio_streams(tmp_path / "obs recording.linkedin.mp4")
    assert (kept["codec_name"], kept["channels"]) == ("aac", 1)


# --- audio only ----------------------------------------------------------------------------

def read_frame(video: Path, at: float, folder: Path) -> str:
    return ocr_mask(light(frame(video, at, folder / "frame.png")), folder)


def middle_of_first_cue(srt: Path) -> float:
    first = read_srt(srt)[0]
    return (first.start + (first.end - first.start) / 2).total_seconds()


@pytest.mark.slow
def test_a_voice_memo_becomes_videos_with_its_title(manifest, libre, tmp_path):
    memo = tmp_path / "ask_not memo.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(manifest[JFK]["path"]), "-c:a", "aac", str(memo)], check=True)
    run = cli("make", memo, "--translator", "libre", "--translator-url", libre[0], "--quality", "draft", "--no-vocab")
    assert run.code == 0, run.err
    at = middle_of_first_cue(tmp_path / "ask_not memo.en.srt")
    first_line = normalise_en(read_srt(tmp_path / "ask_not memo.en.srt")[0].content).split()
    translation = chinese_only(read_srt(tmp_path / "ask_not memo.zh.srt")[0].content)
    for name, size in (("linkedin", (1920, 1080)), ("wechat", (1080, 1920))):
        video = tmp_path / f"ask_not memo.{name}.mp4"
        data = probe_json(video)
        picture = next(s for s in data["streams"] if s["codec_type"] == "video")
        assert (picture["codec_name"], picture["width"], picture["height"], picture["r_frame_rate"]) == \
            ("h264", *size, "10/1")
        [sound] = audio_streams(video)
        assert sound["codec_name"] == "aac" and sound["channels"] == 2  # the memo's own AAC, copied
        assert abs(float(data["format"]["duration"]) - float(probe_json(memo)["format"]["duration"])) < 0.2
        text = read_frame(video, at, tmp_path)
        read = normalise_en(text).split()
        assert "ask" in read and "not" in read and "memo" in read, text  # the title: the name, _ as a space
        assert sum(word in read for word in first_line) >= 0.7 * len(first_line), text
        assert sum(c in text for c in translation) >= 0.7 * len(translation), text


@pytest.fixture(scope="module")
def podcast(tmp_path_factory, manifest, libre) -> tuple[Path, Path]:
    """A Mandarin MP3 made into a WeChat video with a Chinese title: (the MP3, its video)."""
    folder = tmp_path_factory.mktemp("podcast")
    mp3 = folder / "episode 1.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(manifest[MANDARIN]["path"]), "-c:a", "libmp3lame", str(mp3)],
                   check=True)
    run = cli("make", mp3, "--title", "双语播客 第一期", "--for", "wechat", "--translator", "libre",
              "--translator-url", libre[0], "--quality", "draft")
    assert run.code == 0, run.err
    return mp3, folder / "episode 1.wechat.mp4"


@pytest.mark.slow
def test_a_podcast_mp3_gets_its_title_and_both_languages(podcast, tmp_path):
    mp3, video = podcast
    [sound] = audio_streams(video)
    assert sound["codec_name"] == "aac"  # MP3 re-encoded for MP4
    text = read_frame(video, middle_of_first_cue(mp3.with_name("episode 1.zh.srt")), tmp_path)
    assert cer("双语播客第一期", text.splitlines()[0]) < 0.3, text  # the title, above the subtitles
    spoken = chinese_only(read_srt(mp3.with_name("episode 1.zh.srt"))[0].content)
    assert sum(c in text for c in spoken) >= 0.7 * len(spoken), text
    assert "translated line" in text, text


def quadrants(path: Path) -> Path:
    """A picture no frame could mistake: red, green, blue and yellow quadrants, 1000x1000."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=500x500", "-f", "lavfi",
                    "-i", "color=c=lime:s=500x500", "-f", "lavfi", "-i", "color=c=blue:s=500x500", "-f", "lavfi",
                    "-i", "color=c=yellow:s=500x500", "-filter_complex",
                    "[0][1]hstack[top];[2][3]hstack[bottom];[top][bottom]vstack", "-frames:v", "1", str(path)],
                   check=True)
    return path


@pytest.mark.slow
def test_burn_and_preview_put_the_podcast_over_a_picture(podcast, tmp_path):
    mp3, _ = podcast
    cover = quadrants(tmp_path / "cover 50%.png")
    run = cli("burn", mp3, "--picture", cover, "--for", "wechat", "--quality", "draft")  # the review flow: no Whisper
    assert run.code == 0, run.err
    video = mp3.with_name("episode 1.wechat.mp4")
    f = platforms.still_frame((1000, 1000), "9:16")
    x, y, w, h = f.picture
    picture = frame(video, middle_of_first_cue(mp3.with_name("episode 1.zh.srt")), tmp_path / "frame.png")
    colours = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0)}
    for (name, rgb), (cx, cy) in zip(colours.items(), ((1, 1), (3, 1), (1, 3), (3, 3))):
        seen = picture[y + cy * h // 4, x + cx * w // 4].astype(int)
        assert np.abs(seen - rgb).max() < 40, (name, seen)
    white = near(picture[y + h:], "#FFFFFF")  # the Chinese line, in the band under the picture
    rows = np.flatnonzero(white.any(axis=1))
    text = ocr_mask(white[rows[0] - 20:rows[-1] + 20], tmp_path)
    spoken = chinese_only(read_srt(mp3.with_name("episode 1.zh.srt"))[0].content)
    assert sum(c in text for c in spoken) >= 0.6 * len(spoken), text
    stills = cli("preview", mp3, "--picture", cover, "--for", "wechat")
    assert stills.code == 0, stills.err
    assert (mp3.parent / "episode 1.preview" / "wechat-contact-sheet.png").is_file()
    still = frame(next(mp3.parent.glob("episode 1.preview/wechat-still-01-*.png")), 0, tmp_path / "still.png")
    assert np.abs(still[y + h // 4, x + w // 4].astype(int) - colours["red"]).max() < 40


@pytest.mark.slow
def test_the_studio_plays_an_audio_only_talk_over_its_still(podcast, tmp_path):
    """The review page shows the still the video will show (here the title on the background)
    and, while the sound plays, libass draws the cue of the moment over it."""
    mp3, _ = podcast
    with studio(mp3, "--title", "双语播客 第一期", "--for", "wechat") as server, \
            browser_page(server, viewport=(1400, 2400)) as page:
        state = server.get("/api/state").json()
        [wechat] = state["frames"]
        assert state["video"]["audio_only"] and server.get(wechat["backdrop"]).headers["Content-Type"] == "image/png"
        first = state["cues"][0]
        poll(page, "() => document.body.dataset.overlayReady === 'true' "
                   "&& document.querySelector('video').readyState >= 2")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press("Space")  # play, as a user does
        poll(page, "c => document.querySelector('video').currentTime > (c.start + c.end) / 2", first)
        page.locator("#frame").screenshot(path=str(tmp_path / "frame.png"))
        playing = page.evaluate("!document.querySelector('video').paused")
    shown = frame(tmp_path / "frame.png", 0, tmp_path / "read.png")
    text = ocr_mask(light(shown), tmp_path)
    assert playing and cer("双语播客第一期", text.splitlines()[0]) < 0.3, text
    assert sum(c in text for c in chinese_only(first["zh"])) >= 0.6 * len(chinese_only(first["zh"])), text


def poll(page, expression: str, arg=None, timeout: float = 30) -> None:
    """Until a JavaScript function of `arg` is true (the studio's CSP refuses wait_for_function's eval)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        assert time.monotonic() < deadline, f"not true within {timeout} s: {expression}"
        page.wait_for_timeout(50)
