"""The pure cores of the stages, and the translator over real HTTP to a local server."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pysubs2
import pytest
import srt

from bivideo import audio, burn, cues, probe, subtitles, translate
from bivideo.errors import BivideoError, TranslationFailed
from tests.servers import ZH_MARK

VIDEO = {"codec_type": "video", "width": 1920, "height": 1080, "avg_frame_rate": "30000/1001"}
AUDIO = {"codec_type": "audio", "codec_name": "aac"}


def test_probe_reads_display_size_after_rotation():
    rotated = dict(VIDEO, side_data_list=[{"rotation": -90}])
    info = probe.parse(probe.Path("phone.mov"), {"streams": [rotated, AUDIO], "format": {"duration": "12.5"}})
    assert (info.width, info.height, round(info.fps, 2), info.duration) == (1080, 1920, 29.97, 12.5)


@pytest.mark.parametrize("streams, message", [([AUDIO], "no video stream"), ([VIDEO], "no audio stream")])
def test_probe_rejects_what_it_cannot_use(streams, message):
    with pytest.raises(BivideoError, match=message):
        probe.parse(probe.Path("x.mp4"), {"streams": streams, "format": {"duration": "3"}})


def test_speech_regions_merge_up_to_one_whisper_window():
    regions = [(0.0, 4.0), (4.5, 12.0), (13.0, 29.0), (31.0, 40.0), (95.0, 99.0)]
    assert audio.merge_regions(regions) == [(0.0, 29.0), (31.0, 40.0), (95.0, 99.0)]


def test_srt_and_ass_carry_both_languages_in_order():
    cue = cues.Cue(1.0, 2.5, "Ask not {what}", "不要问", "en")
    bilingual = list(srt.parse(subtitles.bilingual_srt([cue])))
    assert bilingual[0].content == "不要问\nAsk not {what}"
    ass = pysubs2.SSAFile.from_string(subtitles.bilingual_ass([cue], 1280, 720, "Noto Sans CJK SC"))
    assert ass.styles["ZH"].fontsize > ass.styles["EN"].fontsize
    event = ass.events[0]
    assert event.text == "不要问\\N{\\rEN}Ask not \\{what\\}" and (event.start, event.end) == (1000, 2500)


def test_burn_filter_names_only_fixed_safe_files(tmp_path):
    info = probe.MediaInfo(tmp_path / "-it's [a]: 50%.mp4", 3.0, 640, 360, 25.0, "opus")
    args = burn.ffmpeg_args("ffmpeg", info, tmp_path / "out.mp4", burn.video_filter())
    assert args[args.index("-vf") + 1] == "scale=trunc(iw/2)*2:trunc(ih/2)*2,subtitles=subs.ass:fontsdir=fonts"
    assert args[args.index("-i") + 1].startswith("/")  # never read as an option
    assert args[args.index("-c:a") + 1] == "aac"  # opus is re-encoded for MP4


def test_libre_translator_over_http(libre):
    url, recorder = libre
    translator = translate.make_translator("libre", "en", "zh", url)
    done = []
    out = translate.translate_all(translator, ["Hello there friends", "Bye"], done.append)
    assert out == [f"{ZH_MARK}3词", f"{ZH_MARK}1词"] and done == [1, 2]
    assert recorder.requests[-1]["source"] == "en" and recorder.requests[-1]["target"] == "zh"


@contextmanager
def failing_server(status: int, delay: float = 0.0):
    """A translation server on 127.0.0.1 that answers `status` after `delay` seconds."""
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            threading.Event().wait(delay)
            self.send_response(status)
            self.end_headers()
            self.wfile.write(json.dumps({"error": "boom"}).encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status, delay, message", [(500, 0.0, "translator 'libre' failed"),
                                                    (200, 3.0, "no answer within")])
def test_server_failure_becomes_one_line(monkeypatch, status, delay, message):
    monkeypatch.setattr(translate, "REQUEST_TIMEOUT", 0.5)
    with failing_server(status, delay) as url:
        translator = translate.make_translator("libre", "en", "zh", url)
        with pytest.raises(TranslationFailed, match=message):
            translate.translate_all(translator, ["Hello"], lambda n: None)


def test_translator_keys_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("DEEPL_API_KEY", raising=False)
    with pytest.raises(BivideoError, match="needs DEEPL_API_KEY"):
        translate.make_translator("deepl", "en", "zh")
