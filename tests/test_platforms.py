"""Platform videos: frames and limits (pure), and real renders read back with ffprobe, pixel
bounds and OCR, with the longest lines the subtitle standard allows, on every frame shape
and on awkward sources (rotated, odd-sized, VFR, 10-bit HDR, HEVC 10-bit in .mov, VP9/Opus
in WebM, silent, two audio tracks)."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bivideo import burn, doctor, platforms, probe, render, segmentation, standard, subtitles
from bivideo.datatypes import Shown
from bivideo.errors import BivideoError
from bivideo.job import open_job
from bivideo.settings import Settings
from bivideo.ui import Reporter
from tests.conftest import bivideo, cli, probe_json
from tests.scoring import frame, normalise_en, ocr_mask

# the standard's longest lines: 42 English characters, 16 Chinese characters
EN = "Welcome to our talk about bilingual videos"
ZH = "欢迎来到我们关于双语视频字幕制作"
LONGEST = [segmentation.Cue(0.3, 2.7, EN, ZH, "en")]


def test_longest_lines_are_the_standards_limits():
    assert standard.entry_problems(Shown(0.3, 2.7, (ZH, EN)), None) == []
    assert standard.entry_problems(Shown(0.3, 2.7, (ZH + "字", EN)), None) == ["line length"]
    assert standard.entry_problems(Shown(0.3, 2.7, (ZH, EN + "s")), None) == ["line length"]


# docs/DESIGN.md "Platforms": LinkedIn takes 3 s to 15 min and at most 5 GB; WeChat up to 60 min, under 1 GB
@pytest.mark.parametrize("platform, shortest, longest, most_bytes", [(platforms.LINKEDIN, 3, 15 * 60, 5 * 1024**3),
                                                                     (platforms.WECHAT, 0, 60 * 60, 1024**3)])
def test_the_longest_talk_a_platform_takes_fits_its_size_limit_and_longer_ones_warn(platform, shortest, longest,
                                                                                    most_bytes):
    f = platforms.frame(1920, 1080, platform.default_aspect)
    assert (f.width, f.height) == {"keep": (1920, 1080), "9:16": (1080, 1920)}[platform.default_aspect]

    def warned(seconds):
        kbps = platforms.video_kbps(platform, f, seconds, platforms.AUDIO_KBPS)
        assert (kbps + platforms.AUDIO_KBPS) * 1000 / 8 * seconds < most_bytes
        return platforms.warnings(platform, seconds, f, kbps, platforms.AUDIO_KBPS)

    def too_long_or_short(seconds):
        return [w for w in warned(seconds) if "the video is" in w]

    # the longest talk a platform takes may only be told that the size limit lowers its bitrate
    assert all("size limit of" in w for w in warned(longest)) and warned(max(shortest, 1)) == []
    assert too_long_or_short(longest + 60) and (shortest == 0 or too_long_or_short(shortest - 1))


@pytest.mark.parametrize("source", [(1920, 1080), (1280, 720), (1080, 1920), (720, 1280), (641, 361), (1080, 1080)])
@pytest.mark.parametrize("shape", platforms.SHAPES)
def test_frames_are_even_at_most_1080_short_and_hold_the_picture(source, shape):
    f = platforms.frame(*source, shape)
    assert f.width % 2 == 0 and f.height % 2 == 0 and min(f.width, f.height) <= 1080
    if shape != "keep":
        assert abs(f.width / f.height - platforms.ASPECTS[shape]) < 0.01
    x, y, w, h = f.picture
    assert x >= 0 and y >= 0 and x + w <= f.width and y + h <= f.height
    assert abs(w / h - source[0] / source[1]) < 0.03  # never stretched
    if f.height > f.width:
        assert f.subtitle_bottom >= 0.15 * f.height, "subtitles under the apps' buttons"


def test_landscape_into_vertical_puts_subtitles_in_the_band_below_the_picture():
    f = platforms.frame(1920, 1080, "9:16")
    _, y, w, h = f.picture
    assert (f.width, f.height, w) == (1080, 1920, 1080)
    assert f.height - f.subtitle_bottom > y + h, "the lowest line sits below the picture"
    assert f.subtitle_bottom > 0.15 * f.height


def test_limits_warn_before_encoding():
    f = platforms.frame(1920, 1080, "keep")
    long_talk = 20 * 60
    kbps = platforms.video_kbps(platforms.LINKEDIN, f, long_talk, 160)
    assert any("15 min" in w for w in platforms.warnings(platforms.LINKEDIN, long_talk, f, kbps, 160))
    assert platforms.warnings(platforms.LINKEDIN, 300, f, kbps, 160) == []
    vertical = platforms.frame(1920, 1080, "9:16")
    hour = 55 * 60
    kbps = platforms.video_kbps(platforms.WECHAT, vertical, hour, 160)
    assert (kbps + 160) * 1000 / 8 * hour < 1024**3, "an hour for WeChat must stay under 1 GB"
    assert any("60 min" in w for w in platforms.warnings(platforms.WECHAT, 2 * 3600, vertical,
                                                          platforms.video_kbps(platforms.WECHAT, vertical, 7200, 160),
                                                          160))


def test_aspect_values_per_platform():
    aspects = platforms.parse_aspects(["1:1", "wechat=keep"])
    assert platforms.aspect_for(platforms.LINKEDIN, aspects) == "1:1"
    assert platforms.aspect_for(platforms.WECHAT, aspects) == "keep"
    assert platforms.aspect_for(platforms.WECHAT, {}) == "9:16"
    with pytest.raises(ValueError):
        platforms.parse_aspects(["tiktok=9:16"])
    with pytest.raises(ValueError):
        platforms.parse_aspects(["4:3"])


def test_bad_aspect_on_the_command_line_is_one_line(tmp_path):
    run = cli("make", tmp_path / "x.mp4", "--aspect", "4:3")
    assert run.code == 2 and "Traceback" not in run.err and "4:3" in run.err


@pytest.mark.parametrize("name", ["libx264", "h264_nvenc", "h264_qsv", "h264_videotoolbox"])
def test_every_encoder_writes_h264_high_yuv420p_capped(name):
    args = burn.encoder_args(name, "normal", 3000)
    assert args[args.index("-c:v") + 1] == name
    assert args[args.index("-profile:v") + 1] == "high" and args[args.index("-pix_fmt") + 1] == "yuv420p"
    assert "-maxrate" in args or "-b:v" in args


def test_encoder_probe_falls_back_to_libx264_when_no_hardware_works():
    found = burn.encoder("ffmpeg")
    assert found in (*burn.HARDWARE, "libx264")
    assert burn._test_encode("ffmpeg", "libx264")
    assert not burn._test_encode("ffmpeg", "no_such_encoder")


def test_both_platforms_come_from_one_ffmpeg_with_one_decode(tmp_path):
    info = probe.MediaInfo(tmp_path / "-talk [1]: 50%.mp4", 10.0, 1920, 1080, 30.0, ("aac",))
    targets = [burn.Target(tmp_path / f"{p.name}.mp4", platforms.frame(1920, 1080, p.default_aspect), "", 4000)
               for p in (platforms.LINKEDIN, platforms.WECHAT)]
    args = burn.chunk_args("ffmpeg", info, targets, burn.Chunk(0, 0.0, None))
    assert args.count("-i") == 1 and args[args.index("-i") + 1].startswith("/")
    graph = args[args.index("-filter_complex") + 1]
    assert graph.startswith("[0:v]format=yuv420p,split=2[s0][s1]")
    assert "subtitles=subtitles0.ass:fontsdir=fonts" in graph and "subtitles=subtitles1.ass" in graph
    assert "gblur" in graph  # the vertical WeChat frame is fitted over a blurred copy
    assert "talk" not in graph
    assert "part0.mp4" in args and "part1.mp4" in args and "-map" not in args[args.index("[v1]"):]  # no sound
    joined = burn.mux_args("ffmpeg", info, "chunks0.txt", targets[0].path)
    assert joined[joined.index("-f"):joined.index("-f") + 6] == ["-f", "concat", "-safe", "0", "-i", "chunks0.txt"]
    assert joined[joined.index("-map"):joined.index("-movflags")] == [
        "-map", "0:v:0", "-c:v", "copy", "-map", "1:a:0", "-c:a", "copy"]  # the picture joined, the sound once
    assert joined[joined.index("-movflags") + 2] == str(targets[0].path)


@pytest.mark.parametrize("seconds, rate, frames", [(10.0, 30.0, [None]), (120.02, 30.0, [None]),
                                                   (179.0, 30.0, [None]), (181.0, 30.0, [3600, None]),
                                                   (400.0, 30.0, [3600, 3600, None]),
                                                   (250.0, 30000 / 1001, [3596, None])])
def test_a_talk_is_cut_into_chunks_of_whole_frames(seconds, rate, frames):
    info = probe.MediaInfo(Path("talk.mp4"), seconds, 1920, 1080, rate, ("aac",))
    pieces = burn.chunks(seconds, burn.output_fps(info), 120.0)
    assert [c.frames for c in pieces] == frames
    for before, after in itertools.pairwise(pieces):  # the next starts on the frame after the last one
        assert after.start == pytest.approx(before.start + before.frames / float(burn.output_fps(info)), abs=1e-9)


def test_a_later_chunk_starts_on_its_frame_and_draws_the_subtitles_at_the_talks_times(tmp_path):
    info = probe.MediaInfo(tmp_path / "talk.mp4", 300.0, 1280, 720, 25.0, ("aac",))
    target = burn.Target(tmp_path / "talk.linkedin.mp4", platforms.frame(1280, 720, "16:9"), "", 4000)
    later = burn.chunk_args("ffmpeg", info, [target], burn.Chunk(1, 120.0, 3000))
    assert later[later.index("-ss") + 1] == "119.980000" and later.index("-ss") < later.index("-i")
    graph = later[later.index("-filter_complex") + 1]
    assert graph.startswith("[0:v]setpts=PTS+round(119.980000/TB),format=yuv420p")  # the talk's times ...
    assert graph.endswith("setsar=1,setpts=PTS-STARTPTS[v0]")  # ... then the chunk's own from 0
    assert later[later.index("-frames:v") + 1] == "3000"
    first = burn.chunk_args("ffmpeg", info, [target], burn.Chunk(0, 0.0, 3000))
    assert "-ss" not in first and "setpts" not in first[first.index("-filter_complex") + 1]


def test_doctor_proves_chinese_glyphs_and_spots_boxes():
    family = doctor.toolchain.cjk_font().family
    assert doctor.two_distinct_glyphs(doctor.render_text("中文", family))
    assert not doctor.two_distinct_glyphs(doctor.render_text("口口", family))  # what tofu boxes look like
    assert not doctor.two_distinct_glyphs(doctor.render_text(" ", family))


# --- real renders ---------------------------------------------------------------------------

def make_source(dest: Path, size: str, *extra: str, seconds: float = 3, audio: int = 1) -> Path:
    """A dim test pattern (nothing in it as bright as a subtitle) with `audio` tone tracks."""
    inputs = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25"]
    maps = ["-map", "0:v"]
    for n in range(audio):
        inputs += ["-f", "lavfi", "-i", f"sine=frequency={300 + 200 * n}:sample_rate=44100"]
        maps += ["-map", f"{n + 1}:a"]
    extra = list(extra)
    vf = ["-vf", "eq=brightness=-0.3:saturation=0.6"] if "-vf" not in extra else []
    codec = [] if "-c:v" in extra else ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, *maps, "-t", str(seconds), *vf, *codec, *extra,
                    *(["-c:a", "aac", "-ac:a:1", "2"] if audio > 1 else ["-c:a", "aac"] if audio else []),
                    str(dest)], check=True)
    return dest


def render_videos(source: Path, folder: Path, **options) -> list[Path]:
    settings = Settings(output_dir=folder, quality="draft", **options)
    job = open_job(source, settings, Reporter(quiet=True))
    job.cues = LONGEST
    return render.render(job, settings, Reporter(quiet=True))


def video_stream(path: Path) -> dict:
    return next(s for s in probe_json(path)["streams"] if s["codec_type"] == "video")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """A 16:9 and a 9:16 source, each rendered for both platforms and at 1:1: every frame shape."""
    folder = tmp_path_factory.mktemp("platforms")
    outputs = {}
    for name, size in (("wide", "1280x720"), ("tall", "720x1280")):
        source = make_source(folder / f"{name}.mp4", size)
        for path in render_videos(source, folder / "both"):
            outputs[f"{name}.{path.name.split('.')[-2]}"] = path
        outputs[f"{name}.square"] = render_videos(source, folder / "square", platform="none", aspect=("1:1",))[-1]
    return outputs


@pytest.mark.slow
def test_outputs_are_named_per_platform(rendered):
    assert {k: v.name for k, v in rendered.items() if k.startswith("wide.")} == {
        "wide.bilingual": "wide.bilingual.ass", "wide.linkedin": "wide.linkedin.mp4", "wide.wechat": "wide.wechat.mp4",
        "wide.square": "wide.bilingual.mp4"}


@pytest.mark.slow
@pytest.mark.parametrize("key, size", [("wide.linkedin", (1280, 720)), ("wide.wechat", (720, 1280)),
                                       ("wide.square", (720, 720)), ("tall.linkedin", (720, 1280)),
                                       ("tall.wechat", (720, 1280)), ("tall.square", (720, 720))])
def test_outputs_meet_the_platform_targets(rendered, key, size):
    path = rendered[key]
    data = probe_json(path)
    video = video_stream(path)
    audio = [s for s in data["streams"] if s["codec_type"] == "audio"]
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (video["width"], video["height"]) == size and video["r_frame_rate"] == "25/1"
    assert len(audio) == 1 and audio[0]["codec_name"] == "aac"
    content = path.read_bytes()
    assert 0 < content.find(b"moov") < content.find(b"mdat"), "+faststart"


def subtitle_ink(picture: np.ndarray) -> np.ndarray:
    """Pixels as bright as the subtitles (the dim test pattern and the darkened blur never are)."""
    luma = picture.astype(float) @ [0.299, 0.587, 0.114]
    return luma > 205


@pytest.mark.slow
@pytest.mark.parametrize("key", ["wide.linkedin", "wide.wechat", "wide.square", "tall.linkedin", "tall.wechat",
                                 "tall.square"])
def test_longest_lines_stay_inside_the_frame_and_read_back(rendered, key, tmp_path):
    picture = frame(rendered[key], 1.5, tmp_path / "still.png")
    height, width = picture.shape[:2]
    ink = subtitle_ink(picture)
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert rows.size, "no subtitles drawn"
    assert columns[0] >= 0.02 * width and columns[-1] <= 0.98 * width, "a line reaches the frame edge"
    assert rows[0] > 0.3 * height
    if height > width:
        assert rows[-1] < 0.85 * height, "subtitles under the apps' buttons"
    else:
        assert rows[-1] < 0.98 * height
    gaps = np.flatnonzero(np.diff(rows) > 1)
    assert len(gaps) >= 1, "Chinese and English should be two lines"
    text = ocr_mask(ink, tmp_path)
    read = normalise_en(text).split()
    words = normalise_en(EN).split()
    assert sum(w in read for w in words) >= 0.7 * len(words), text
    assert sum(c in text for c in ZH) >= 0.7 * len(ZH), text


@pytest.mark.slow
def test_wide_source_in_vertical_frame_has_subtitles_below_the_picture(rendered, tmp_path):
    picture = frame(rendered["wide.wechat"], 1.5, tmp_path / "still.png")
    f = platforms.frame(1280, 720, "9:16")
    rows = np.flatnonzero(subtitle_ink(picture).any(axis=1))
    assert rows[0] >= f.picture[1] + f.picture[3], "the subtitles cover the picture"


@pytest.mark.slow
def test_soft_subtitles_are_selectable_language_tagged_tracks(tmp_path):
    source = make_source(tmp_path / "talk.mp4", "640x360", seconds=2)
    written = render_videos(source, tmp_path, platform="linkedin", soft=True)
    soft = tmp_path / "talk.soft.mp4"
    assert soft in written and (tmp_path / "talk.linkedin.mp4") in written
    streams = probe_json(soft)["streams"]
    subs = [s for s in streams if s["codec_type"] == "subtitle"]
    assert [(s["codec_name"], s["tags"]["language"]) for s in subs] == [("mov_text", "chi"), ("mov_text", "eng")]
    assert video_stream(soft)["codec_name"] == "h264" and any(s["codec_type"] == "audio" for s in streams)
    text = subprocess.run(["ffmpeg", "-v", "error", "-i", str(soft), "-map", "0:s:0", "-f", "srt", "-"],
                          capture_output=True, text=True, check=True).stdout
    assert ZH in text


# --- awkward sources ------------------------------------------------------------------------

@pytest.mark.slow
def test_rotated_phone_video_stays_vertical(tmp_path):
    plain = make_source(tmp_path / "plain.mp4", "640x360", seconds=2)
    source = tmp_path / "phone.mp4"  # a display-matrix rotation, as phones write it (set on a stream copy)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90",
                    str(source)], check=True)
    assert (probe.probe(source).width, probe.probe(source).height) == (360, 640)
    out = render_videos(source, tmp_path, platform="wechat")[-1]
    video = video_stream(out)
    assert (video["width"], video["height"]) == (360, 640)


@pytest.mark.slow
def test_odd_dimensions_vfr_and_high_frame_rate_become_even_constant_and_capped(tmp_path):
    odd = make_source(tmp_path / "odd.mp4", "641x361", seconds=2)
    video = video_stream(render_videos(odd, tmp_path, platform="linkedin")[-1])
    assert (video["width"] % 2, video["height"] % 2) == (0, 0)
    vfr = make_source(tmp_path / "vfr.mp4", "640x360", "-vf", "setpts='PTS+0.02*sin(N)/TB'", "-fps_mode", "vfr",
                      "-r", "120", seconds=2)
    info = probe.probe(vfr)
    out = render_videos(vfr, tmp_path, platform="linkedin")[-1]
    video = video_stream(out)
    assert info.fps > 60 or info.vfr
    assert video["r_frame_rate"] == video["avg_frame_rate"] and float(eval(video["r_frame_rate"])) <= 60


@pytest.mark.slow
def test_ten_bit_hdr_is_tone_mapped_to_8_bit_sdr(tmp_path):
    hdr = make_source(tmp_path / "hdr.mp4", "640x360", "-vf", "format=yuv420p10le", "-c:v", "libx265",
                      "-preset", "ultrafast", "-x265-params", "log-level=error", "-color_primaries", "bt2020",
                      "-color_trc", "smpte2084", "-colorspace", "bt2020nc", seconds=1)
    info = probe.probe(hdr)
    assert info.hdr and info.ten_bit
    out = render_videos(hdr, tmp_path, platform="linkedin")[-1]
    video = video_stream(out)
    assert (video["pix_fmt"], video["profile"]) == ("yuv420p", "High")
    assert video.get("color_transfer") != "smpte2084"


@pytest.mark.slow
@pytest.mark.parametrize("name, codecs, found", [
    ("iphone.mov", ["-vf", "format=yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                    "log-level=error", "-tag:v", "hvc1", "-c:a", "aac"], ("hevc", "yuv420p10le", "aac")),
    ("screen.webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"],
     ("vp9", "yuv420p", "opus"))])
def test_hevc_10_bit_mov_and_vp9_opus_webm_become_h264_and_aac(name, codecs, found, tmp_path):
    source = tmp_path / name  # as phones (HEVC 10-bit in QuickTime) and browsers' recorders (WebM) write them
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi",
                    "-i", "sine=sample_rate=48000", "-t", "1", *codecs, str(source)], check=True)
    info = probe.probe(source)
    assert (info.video_codec, info.pix_fmt, info.audio_codecs[0]) == found
    out = render_videos(source, tmp_path, platform="linkedin")[-1]
    video = video_stream(out)
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert [s["codec_name"] for s in probe_json(out)["streams"] if s["codec_type"] == "audio"] == ["aac"]


@pytest.mark.slow
def test_silent_video_renders_without_audio_but_make_refuses(tmp_path):
    silent = make_source(tmp_path / "silent.mp4", "640x360", seconds=1, audio=0)
    out = render_videos(silent, tmp_path, platform="linkedin")[-1]
    assert [s["codec_type"] for s in probe_json(out)["streams"]] == ["video"]
    run = bivideo("make", silent)
    assert run.code != 0 and "no audio stream" in run.err and "Traceback" not in run.err


@pytest.mark.slow
def test_second_audio_track_on_request(tmp_path):
    two = make_source(tmp_path / "two.mp4", "640x360", seconds=1, audio=2)
    assert len(probe.probe(two).audio_codecs) == 2
    out = render_videos(two, tmp_path, platform="linkedin", audio_track=2)[-1]
    audio = [s for s in probe_json(out)["streams"] if s["codec_type"] == "audio"]
    assert len(audio) == 1 and audio[0]["channels"] == 2  # track 2 is the stereo one
    with pytest.raises(BivideoError, match="only 2 audio tracks"):
        render_videos(two, tmp_path, platform="linkedin", audio_track=3)


def test_ass_styling_follows_bivideo_toml_order_and_colours(tmp_path):
    (tmp_path / "bivideo.toml").write_text('chinese = "below"\nen-color = "#FFFFFF"\naspect = ["wechat=keep"]\n')
    run = cli("make", tmp_path / "missing.mp4", cwd=tmp_path)
    assert "no such file" in run.err  # the config was read and accepted
    settings = Settings(chinese="below", en_color="#FFFFFF")
    from bivideo import subtitles
    ass = subtitles.bilingual_ass(LONGEST, 1280, 720, "Noto Sans CJK SC",
                                  settings.look)
    assert f"{EN}\\N{{\\rZH}}{ZH}" in ass and "&H00FFFFFF" in ass


def test_probe_reports_awkward_sources():
    data = {"streams": [{"codec_type": "video", "width": 3840, "height": 2160, "avg_frame_rate": "29/1",
                         "r_frame_rate": "60/1", "pix_fmt": "yuv420p10le", "color_transfer": "arib-std-b67",
                         "codec_name": "hevc"},
                        {"codec_type": "audio", "codec_name": "aac"}, {"codec_type": "audio", "codec_name": "opus"}],
            "format": {"duration": "4"}}
    info = probe.parse(Path("x.mov"), data)
    assert info.hdr and info.ten_bit and info.vfr and info.audio_codecs == ("aac", "opus")


def test_a_vertical_talk_is_encoded_once_for_both_platforms(tmp_path):
    tall = {p.name: platforms.frame(1080, 1920, p.default_aspect) for p in (platforms.LINKEDIN, platforms.WECHAT)}
    assert tall["linkedin"] == tall["wechat"]
    same = [burn.Target(tmp_path / "a.linkedin.mp4", tall["linkedin"], "ass", 6000),
            burn.Target(tmp_path / "a.wechat.mp4", tall["wechat"], "ass", 4000)]
    [(first, copies)] = burn.distinct(same)
    assert first.path.name == "a.linkedin.mp4" and first.kbps == 4000 and copies == [tmp_path / "a.wechat.mp4"]
    wide = [burn.Target(tmp_path / f"b.{p.name}.mp4", platforms.frame(1920, 1080, p.default_aspect), "ass", 4000)
            for p in (platforms.LINKEDIN, platforms.WECHAT)]
    assert [copies for _, copies in burn.distinct(wide)] == [[], []]


def test_a_4k_source_is_scaled_down_once_for_every_platform(tmp_path):
    info = probe.MediaInfo(tmp_path / "phone.mp4", 10.0, 3840, 2160, 30.0, ("aac",))
    targets = [burn.Target(tmp_path / f"{p.name}.mp4", platforms.frame(3840, 2160, p.default_aspect), "", 4000)
               for p in (platforms.LINKEDIN, platforms.WECHAT)]
    args = burn.chunk_args("ffmpeg", info, targets, burn.Chunk(0, 0.0, None))
    graph = args[args.index("-filter_complex") + 1]
    assert graph.startswith("[0:v]scale=1920:1080,format=yuv420p,split=2"), graph


@pytest.mark.slow
def test_a_fitted_picture_keeps_its_frame_times_over_a_blur_drawn_five_times_a_second(tmp_path):
    """Every frame of the source has its own grey level: frame k of the 9:16 video shows
    source frame k in the picture, while the blurred margins change only every 5th frame
    (25 fps, blur drawn 5 times a second) and follow the picture."""
    rate, seconds = 25, 2
    source = tmp_path / "levels.mkv"
    subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-f", "lavfi", "-i",
                    f"color=c=black:s=320x180:r={rate},geq=lum='16+mod(N*37,200)':cb=128:cr=128",
                    "-t", str(seconds), "-c:v", "ffv1", "-pix_fmt", "yuv420p", str(source)], check=True)
    info = probe.probe(source)
    frame = platforms.frame(320, 180, "9:16")
    x, y, w, h = frame.picture
    ass = subtitles.bilingual_ass([], frame.width, frame.height, "Noto Sans CJK SC")
    out = tmp_path / "tall.mp4"
    burn.burn(info, [burn.Target(out, frame, ass, 4000)], tmp_path / "work", lambda done: None)
    grey = subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-i", str(out), "-f", "rawvideo",
                           "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(grey, np.uint8).reshape(-1, frame.height, frame.width).astype(float)
    assert len(frames) == rate * seconds
    picture = frames[:, y + h // 4:y + 3 * h // 4, x + w // 4:x + 3 * w // 4].mean(axis=(1, 2))
    wanted = np.array([(k * 37) % 200 * 255 / 219 for k in range(len(frames))])  # read back as full range
    assert np.abs(picture - wanted).max() < 4  # no frame of the picture early, late or repeated
    margin = frames[:, 4:y - 4, :].mean(axis=(1, 2))  # the blurred band above the picture
    changes = int((np.abs(np.diff(margin)) > 1).sum())
    assert 5 <= changes <= seconds * burn.BACKGROUND_FPS  # the blur is redrawn, about 5 times a second
    # each blur is drawn from a frame of the fifth of a second it is held for (fps picks the
    # window's last): the margins follow the picture, never more than 4 frames apart
    held = rate // burn.BACKGROUND_FPS
    drawn = np.arange(0, len(frames) - held, held)
    assert max(np.corrcoef(margin[drawn], wanted[drawn + lag])[0, 1] for lag in range(held)) > 0.95


def test_x264_looks_fewer_frames_ahead_above_720p():
    """x264 holds every frame of its lookahead: above 720p, normal holds 10 (at a lower CRF)."""
    def lookahead(pixels: int) -> str:
        args = burn.encoder_args("libx264", "normal", 3000, 3, pixels)
        return args[args.index("-x264-params") + 1].split("rc-lookahead=")[1].split(":")[0]

    assert lookahead(1280 * 720) == "60" and lookahead(1920 * 1080) == lookahead(1080 * 1920) == "10"
    assert burn.encoder_args("libx264", "normal", 3000, 3, 1920 * 1080).count("-threads") == 1
