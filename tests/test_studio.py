"""`bivideo studio`, its server side, for real: the command as a user runs it (making the
subtitles first when there are none), the token, Host and Origin checks, the CSP, saving
(never losing work, byte-identical when nothing changed), re-translation at the local
LibreTranslate stand-in, suggestions from the local OpenAI-compatible stand-in, and a burn
from the page's API that yields a valid video. The page itself: test_studio_page.py."""

from __future__ import annotations

import json
import re

import pytest

from bivideo import srtio
from tests.conftest import bivideo, make_video, probe_json
from tests.scoring import read_srt
from tests.studio_support import llm_studio, studio

pytestmark = pytest.mark.slow  # real Whisper, real encodes


@pytest.fixture(scope="module")
def first(tmp_path_factory, english_recording, libre):
    """A talk with no subtitles yet, opened in the studio: it makes them first."""
    folder = tmp_path_factory.mktemp("studio")
    video = make_video(english_recording["path"], folder / "my talk, 1.mp4")
    with studio(video, "--translator", "libre", "--translator-url", libre[0], "--for", "both") as server:
        state = server.get("/api/state").json()
    return video, state, server.err


@pytest.fixture
def talk(first, tmp_path, libre):
    """The talk's subtitles made again in this test's own output folder (transcript and
    translations come from the caches), for a test that changes them."""
    video = first[0]
    run = bivideo("make", video, "--preview", "-o", tmp_path, "--model", "base", "--translator", "libre",
                  "--translator-url", libre[0])
    assert run.code == 0, run.err
    return video, tmp_path


def _open(talk, libre, *args):
    video, folder = talk
    return studio(video, "-o", str(folder), "--translator", "libre", "--translator-url", libre[0], *args)


def test_studio_makes_the_subtitles_first_and_serves_them(first):
    video, state, stderr = first
    # with its progress in the terminal (the transcript may come from the cache of an earlier test)
    assert "making them first" in stderr and ("transcribe" in stderr or "transcript: reused" in stderr)
    for suffix in ("en.srt", "zh.srt", "bilingual.srt"):
        assert video.with_name(f"{video.stem}.{suffix}").is_file()
    on_disk = read_srt(video.with_name(f"{video.stem}.bilingual.srt"))
    assert len(state["cues"]) == len(on_disk) > 3
    assert [c["en"] for c in state["cues"]] == [s.content.split("\n")[-1] for s in on_disk]
    assert state["spoken"] == "en" and state["frames"][0]["platform"] == "linkedin"
    wechat = state["frames"][1]
    assert (wechat["width"], wechat["height"], wechat["button_zone"]) == (720, 1280, 0.15)
    # the speech regions bivideo found cover each cue's words
    for cue in state["cues"]:
        assert any(a < cue["end"] and b > cue["start"] for a, b in state["speech"]), cue
    assert all(c["words"] for c in state["cues"]), "the transcribed words' times are given for splitting"


def test_every_request_needs_the_token_the_host_and_for_writes_the_origin(talk, libre):
    with _open(talk, libre) as server:
        for path in ("/", "/api/state", "/api/peaks", "/media/video", "/media/font", "/static/studio.js"):
            assert server.get(path, token=False).status_code == 403, path
            assert server.get(path + "?token=wrong", token=False).status_code == 403, path
            assert server.get(path).status_code == 200, path
        assert server.post("/api/check", {"cues": []}, token=False).status_code == 403
        # the first load sets a cookie: the page's own requests (module imports, the video) carry it
        first = server.get("/")
        cookie = first.cookies.get(f"bivideo_{server.port}")
        assert cookie == server.token and "HttpOnly" in first.headers["Set-Cookie"]
        assert server.get("/api/state", token=False, cookies={f"bivideo_{server.port}": cookie}).status_code == 200
        # DNS rebinding: a page on another name that resolves to 127.0.0.1
        assert server.get("/api/state", headers={"Host": f"attacker.example:{server.port}"}).status_code == 403
        # writes from another origin, or with none, are refused
        body = {"cues": []}
        assert server.post("/api/check", body, origin="http://attacker.example").status_code == 403
        assert server.post("/api/check", body, origin=None).status_code == 403
        assert server.post("/api/check", body).status_code == 200


def test_the_page_allows_no_inline_script(talk, libre):
    with _open(talk, libre) as server:
        page = server.get("/")
        policy = page.headers["Content-Security-Policy"]
        script = re.search(r"script-src ([^;]*)", policy)[1].split()
        assert "'self'" in script and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
        assert "default-src 'none'" in policy
        html = page.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script>"
        assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler"
        assert "http://" not in html and "https://" not in html, "nothing may come from the internet"


def test_peaks_cover_the_talk_and_the_second_opening_reuses_them(talk, libre):
    with _open(talk, libre) as server:
        state = server.get("/api/state").json()
        peaks = server.get("/api/peaks").content
    # one peak a 1/50 s of the audio (the AAC track may end a few frames before the container)
    assert abs(len(peaks) - state["video"]["duration"] * state["peaks_per_second"]) <= 10
    assert max(peaks) > 20 and min(peaks) >= 0  # speech is loud somewhere; peaks are magnitudes
    with _open(talk, libre) as again:
        assert again.get("/api/peaks").content == peaks
    # computed once, when this talk (or another test's of the same content) was first opened
    assert "waveform: " not in server.err + again.err, "the peaks and speech were computed again"


def test_save_writes_every_file_and_nothing_when_nothing_changed(talk, libre):
    video, folder = talk
    files = {s: folder / f"{video.stem}.{s}" for s in ("bilingual.srt", "en.srt", "zh.srt")}
    before = {s: p.read_bytes() for s, p in files.items()}
    with _open(talk, libre) as server:
        state = server.get("/api/state").json()
        same = server.post("/api/save", {"version": state["version"], "cues": state["cues"]}).json()
        assert same["unchanged"] and {s: p.read_bytes() for s, p in files.items()} == before
        cues = [dict(c) for c in state["cues"]]
        hostile = "<img src=x onerror=alert(1)> & \"quotes\""
        cues[0]["en"] = hostile
        cues[1]["end"] = round(cues[1]["end"] - 0.1, 3)
        saved = server.post("/api/save", {"version": state["version"], "cues": cues})
        assert saved.status_code == 200, saved.text
        assert set(saved.json()["written"]) >= {p.name for p in files.values()}
        assert not list(folder.glob(".*part*")), "a temporary file was left behind"
        # the same version again is now out of date: a conflict, nothing written
        stale = server.post("/api/save", {"version": state["version"], "cues": state["cues"]})
        assert stale.status_code == 409 and stale.json()["conflict"]
        assert server.get("/api/state").json()["cues"][0]["en"] == hostile
    assert read_srt(files["bilingual.srt"])[0].content.split("\n")[-1] == hostile
    assert read_srt(files["en.srt"])[0].content == hostile
    assert srtio.read(files["zh.srt"])[1].end == pytest.approx(cues[1]["end"])
    # saved files are the user's: a later make keeps them, and burn burns them
    run = bivideo("make", video, "--preview", "-o", folder, "--model", "base", "--translator", "libre",
                  "--translator-url", libre[0])
    assert run.code == 0 and "kept your edited" in run.err
    assert read_srt(files["bilingual.srt"])[0].content.split("\n")[-1] == hostile


def test_a_file_changed_on_disk_is_a_conflict_and_overwriting_keeps_it(talk, libre):
    video, folder = talk
    bilingual = folder / f"{video.stem}.bilingual.srt"
    with _open(talk, libre) as server:
        state = server.get("/api/state").json()
        theirs = bilingual.read_text(encoding="utf-8").replace(state["cues"][0]["en"], "Edited in another editor")
        bilingual.write_text(theirs, encoding="utf-8")
        cues = [dict(c) for c in state["cues"]]
        cues[2]["en"] = "Fixed in the studio"
        refused = server.post("/api/save", {"version": state["version"], "cues": cues})
        assert refused.status_code == 409 and "changed on disk" in refused.json()["error"]
        assert bilingual.read_text(encoding="utf-8") == theirs
        forced = server.post("/api/save", {"version": state["version"], "cues": cues, "overwrite": True})
        assert forced.status_code == 200, forced.text
    backups = list(folder.glob(f"{bilingual.name}.*.bak"))
    assert [b.read_text(encoding="utf-8") for b in backups] == [theirs]
    assert "Fixed in the studio" in bilingual.read_text(encoding="utf-8")


def test_split_retranslate_and_check_at_the_local_translator(talk, libre):
    with _open(talk, libre) as server:
        cues = server.get("/api/state").json()["cues"]
        cue = next(c for c in cues if len(c["words"]) >= 4)
        middle = (cue["words"][1][2] + cue["words"][2][1]) / 2  # between the second and third word
        first, second = server.post("/api/split", {"cue": cue, "at": middle}).json()["cues"]
        assert [w[0] for w in first["words"]] == [w[0] for w in cue["words"][:2]]
        assert first["en"] + " " + second["en"] == cue["en"] and first["stale"] and second["stale"]
        outside = server.post("/api/split", {"cue": cue, "at": cue["end"] + 5})
        assert outside.status_code == 422 and "not inside" in outside.json()["error"]
        edited = [dict(c) for c in cues]
        edited[0]["en"] = "Zebra crossings glow orange at night."
        sent = len(libre[1].requests)
        reply = server.post("/api/translate", {"cues": edited, "indices": [0]})
        assert reply.status_code == 200, reply.text
        translated = {t["index"]: t["text"] for t in reply.json()["translations"]}
        assert 0 in translated and "测试译文" in translated[0]
        assert len(libre[1].requests) > sent and "Zebra" in json.dumps(libre[1].requests[-1], ensure_ascii=False)
        verdicts = server.post("/api/check", {"cues": edited[:2]}).json()["verdicts"]
        assert verdicts[0]["en"]["width"] == len(edited[0]["en"]) and verdicts[1]["gap"] is None


def test_a_translator_failure_is_one_line_and_loses_nothing(talk, tmp_path):
    video, folder = talk
    # a translator that refuses every connection: nothing listens on this port
    closed = "http://127.0.0.1:9"
    with studio(video, "-o", str(folder), "--translator", "libre", "--translator-url", closed) as server:
        cues = server.get("/api/state").json()["cues"]
        cues[0]["en"] = "A line the translator never sees"
        reply = server.post("/api/translate", {"cues": cues, "indices": [0]})
        assert reply.status_code == 502
        error = reply.json()["error"]
        assert "\n" not in error and "Traceback" not in error and error
        assert server.get("/api/state").json()["cues"][0]["en"] != cues[0]["en"]  # nothing saved behind the page


def test_suggestions_come_from_the_llm_with_the_glossary(talk, tmp_path):
    video, folder = talk
    with llm_studio(video, folder, tmp_path / "terms.tsv") as (server, recorder):
        state = server.get("/api/state").json()
        assert state["llm"]
        cues = [dict(c) for c in state["cues"]]
        cues[1]["en"] = "We post it on we chat every week."
        reply = server.post("/api/suggest", {"cues": cues})
        assert reply.status_code == 200, reply.text
        found = reply.json()["suggestions"]
        assert {"index": 1, "language": "en", "before": cues[1]["en"], "after": "We post it on WeChat every week."} \
            in found
        prompt = recorder.requests[-1]["prompt"]
        assert prompt.startswith("Proofread") and "WeChat" in prompt and "we chat" in prompt


def test_burn_from_the_page_streams_progress_and_yields_a_valid_video(talk, libre):
    video, folder = talk
    with _open(talk, libre, "--for", "linkedin", "--quality", "draft") as server:
        assert server.post("/api/burn", {}).status_code == 202
        events = []
        with server.get("/api/events", stream=True) as stream:
            kind = None
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line.removeprefix("data: "))))
                    if kind in ("done", "failed"):
                        break
        kinds = [k for k, _ in events]
        assert "progress" in kinds and kinds[-1] == "done", events[-3:]
        output = events[-1][1]["files"][0]
        assert output["name"] == f"{video.stem}.linkedin.mp4"
        served = server.get(output["url"], headers={"Range": "bytes=0-99"})
        assert served.status_code == 206 and len(served.content) == 100
    streams = probe_json(folder / output["name"])["streams"]
    assert {s["codec_name"] for s in streams} >= {"h264", "aac"}


def test_a_failed_burn_is_one_line_on_the_page(talk, libre):
    video, folder = talk
    bilingual = folder / f"{video.stem}.bilingual.srt"
    with _open(talk, libre, "--for", "linkedin") as server:
        bilingual.write_text("1\n00:00:05,000 --> 00:00:01,000\n倒着\nbackwards\n", encoding="utf-8")
        assert server.post("/api/burn", {}).status_code == 202
        with server.get("/api/events", stream=True) as stream:
            text = ""
            for line in stream.iter_lines(decode_unicode=True):
                text += line + "\n"
                if line.startswith("data: ") and "event: failed" in text:
                    break
        error = json.loads(text.strip().splitlines()[-1].removeprefix("data: "))["error"]
    run = bivideo("burn", video, "-o", folder, "--for", "linkedin")
    assert run.code != 0 and run.err.strip().splitlines()[-1] == f"error: {error}"
