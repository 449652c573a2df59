"""The pure cores of the stages, and the translator over real HTTP to a local server."""

from __future__ import annotations

import pysubs2
import pytest
import srt

from bivideo import audio, burn, platforms, probe, segmentation, subtitles
from bivideo.errors import BivideoError

VIDEO = {"codec_type": "video", "width": 1920, "height": 1080, "avg_frame_rate": "30000/1001"}
AUDIO = {"codec_type": "audio", "codec_name": "aac"}


def test_probe_reads_display_size_after_rotation():
    rotated = dict(VIDEO, side_data_list=[{"rotation": -90}])
    info = probe.parse(probe.Path("phone.mov"), {"streams": [rotated, AUDIO], "format": {"duration": "12.5"}})
    assert (info.width, info.height, round(info.fps, 2), info.duration) == (1080, 1920, 29.97, 12.5)


def test_probe_rejects_what_it_cannot_use():
    with pytest.raises(BivideoError, match="no video or audio stream"):
        probe.parse(probe.Path("x.mkv"), {"streams": [{"codec_type": "subtitle"}], "format": {"duration": "3"}})
    silent = probe.parse(probe.Path("x.mp4"), {"streams": [VIDEO], "format": {"duration": "3"}})
    assert silent.audio_codecs == () and not silent.audio_only  # burnable; `make` refuses it (nothing to transcribe)


def test_probe_takes_audio_only_with_or_without_cover_art():
    cover = dict(VIDEO, disposition={"attached_pic": 1})  # an MP3's or M4A's cover: no picture to burn into
    for streams in ([AUDIO], [cover, AUDIO]):
        memo = probe.parse(probe.Path("memo.m4a"), {"streams": streams, "format": {"duration": "3"}})
        assert memo.audio_only and memo.audio_codecs == ("aac",) and memo.duration == 3
        assert memo.fps == platforms.STILL_FPS  # its videos show a still at this rate


def test_speech_regions_merge_up_to_one_whisper_window():
    regions = [(0.0, 4.0), (4.5, 12.0), (13.0, 29.0), (31.0, 40.0), (95.0, 99.0)]
    assert audio.merge_regions(regions) == [(0.0, 29.0), (31.0, 40.0), (95.0, 99.0)]


def test_srt_and_ass_carry_both_languages_in_order():
    cue = segmentation.Cue(1.0, 2.5, "Ask not {what}", "不要问", "en")
    bilingual = list(srt.parse(subtitles.bilingual_srt([cue])))
    assert bilingual[0].content == "不要问\nAsk not {what}"
    ass = pysubs2.SSAFile.from_string(subtitles.bilingual_ass([cue], 1280, 720, "Noto Sans CJK SC"))
    assert ass.styles["ZH"].fontsize > ass.styles["EN"].fontsize
    event = ass.events[0]
    assert event.text == "不要问\\N{\\rEN}Ask not \\{what\\}" and (event.start, event.end) == (1000, 2500)


def test_burn_filter_names_only_fixed_safe_files(tmp_path):
    info = probe.MediaInfo(tmp_path / "-it's [a]: 50%.mp4", 3.0, 641, 361, 25.0, ("opus",))
    frame = platforms.frame(641, 361, "keep")
    args = burn.chunk_args("ffmpeg", info, [burn.Target(tmp_path / "out.mp4", frame, "", 1000)],
                           burn.Chunk(0, 0.0, None))
    graph = args[args.index("-filter_complex") + 1]
    assert graph == ("[0:v]format=yuv420p,split=1[s0];"
                     "[s0]scale=640:360,subtitles=subtitles0.ass:fontsdir=fonts,setsar=1[v0]")
    assert args[args.index("-i") + 1].startswith("/")  # never read as an option
    joined = burn.mux_args("ffmpeg", info, "chunks0.txt", tmp_path / "-out.mp4")
    source, out = joined[joined.index("-i", joined.index("chunks0.txt")) + 1], joined[joined.index("+faststart") + 1]
    assert source.startswith("/") and out.startswith("/")
    assert joined[joined.index("-c:a") + 1] == "aac"  # opus is re-encoded for MP4
