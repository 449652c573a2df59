"""Sentence-level translation over real HTTP to local servers (LibreTranslate- and
OpenAI-compatible, on 127.0.0.1): request counts, cache, retries, failures part-way, LLM
replies with the wrong numbers, the glossary; and Whisper's offline translate task."""

from __future__ import annotations

import json
import subprocess
import threading
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bivideo import datatypes, flow, glossary, translate, translation_units, translators
from bivideo.datatypes import Cue
from bivideo.errors import BivideoError, TranslationFailed
from bivideo.settings import Settings
from bivideo.ui import Reporter
from tests.conftest import PREPARES_MODEL, bivideo, cli, join_audio, make_video
from tests.scoring import read_srt
from tests.servers import EN_MARK, ZH_MARK, libre_server, openai_server

JFK = [Cue(0.3, 2.4, "And so my fellow Americans,"), Cue(2.5, 6.5, "ask not what your country can do for you,"),
       Cue(6.6, 10.2, "ask what you can do for your country.")]
TALK = [*JFK, Cue(11.0, 13.0, "We choose to go to the moon."), Cue(13.1, 15.0, "Not because it is easy."),
        Cue(15.1, 17.0, "But because it is hard."), Cue(17.1, 18.5, "你好世界。", language="zh")]


pytestmark = pytest.mark.usefixtures("quick_retries")


def run(cues, backend, cache, terms=None):
    translator = translate.UnitTranslator(backend, cache, terms or glossary.Glossary())
    done = []
    return translate.translate_cues(cues, translator, done.append), done, translator


def test_units_follow_punctuation_language_and_pauses():
    assert translation_units.units(TALK) == [[0, 1, 2], [3], [4], [5], [6]]
    # unpunctuated speech: a noticeable pause stands in for the sentence end, whatever the cue count
    unpunctuated = [Cue(i * 0.95, i * 0.95 + 0.9, "没有标点的话", language="zh") for i in range(6)]
    assert translation_units.units(unpunctuated) == [[0, 1, 2, 3, 4, 5]]
    assert translation_units.units(unpunctuated, [0, 0.1, 0.5, 0.9, 0.1, 0.1]) == [[0, 1, 2], [3, 4, 5]]


spoken_cue = st.tuples(st.sampled_from(["en", "zh"]), st.sampled_from(["", ",", ".", "?", "。", "，"]),
                       st.floats(0.0, 3.0), st.integers(1, 60))


@given(st.lists(spoken_cue, max_size=30))
def test_units_are_contiguous_same_language_runs_within_the_cap(spec):
    cues, start = [], 0.0
    for language, ending, gap, size in spec:
        cues.append(Cue(start + gap, start + gap + 1.0, ("word " if language == "en" else "词") * size + ending,
                        language=language))
        start += gap + 1.0
    groups = translation_units.units(cues)
    assert [i for group in groups for i in group] == list(range(len(cues)))
    for group in groups:
        text = translation_units.joined([cues[i].source for i in group], cues[group[0]].language)
        assert len({cues[i].language for i in group}) == 1
        assert len(group) == 1 or (len(text.encode()) <= translation_units.MAX_UNIT_BYTES
                                   and cues[group[-1]].end - cues[group[0]].start <= translation_units.MAX_UNIT_SECONDS)
        assert not any(cues[i].source.endswith(datatypes.SENTENCE_END) for i in group[:-1])


@settings(deadline=None)  # the first call loads jieba's dictionary
@given(st.lists(st.text("abcde ,.", min_size=1, max_size=30).filter(str.strip), min_size=1, max_size=5),
       st.lists(st.sampled_from(["我们", "今天", "讨论", "模型", "，", "。", "LLM", "3.5"]), min_size=1, max_size=20))
def test_spread_gives_every_cue_one_piece_and_loses_nothing(sources, words):
    translation = "".join(words)
    pieces = translation_units.spread(translation, sources, "en", "zh")
    assert len(pieces) == len(sources) and "".join(pieces) == translation.strip()
    english = translation_units.spread(" ".join(sources), ["中文"] * len(sources), "zh", "en")
    assert len(english) == len(sources) and " ".join(english).split() == " ".join(sources).split()


def test_a_sentence_is_translated_once_and_spread_over_its_cues():
    pieces = translation_units.spread("不要问国家能为你做什么，而要问你能为国家做什么。",
                              ["ask not what your country can do for you,", "ask what you can do for your country."],
                              "en", "zh")
    assert pieces == ["不要问国家能为你做什么，", "而要问你能为国家做什么。"]


def test_libre_sentence_requests_cache_and_edits(cache):
    with libre_server() as (url, server):
        backend = translators.make("libre", url)
        targets, done, _ = run(TALK, backend, cache)
        assert len(targets) == len(TALK) and all(targets)  # one line per cue, times untouched by design
        assert len(server.requests) == 5  # the 3-cue sentence is one request
        sent = {r["q"]: (r["source"], r["target"]) for r in server.requests}
        assert sent["And so my fellow Americans, ask not what your country can do for you, "
                    "ask what you can do for your country."] == ("en", "zh")
        assert sent["你好世界。"] == ("zh", "en")  # a mixed talk: each sentence the other way
        assert done[-1] == len(TALK)
        assert targets[-1].startswith(EN_MARK) and ZH_MARK in "".join(targets[:3])

        again, _, translator = run(TALK, backend, cache)
        assert again == targets and len(server.requests) == 5 and translator.hits == 5  # all from the cache

        edited = list(TALK)
        edited[4] = Cue(13.1, 15.0, "Not because it is simple.")
        run(edited, backend, cache)
        assert len(server.requests) == 6 and server.requests[-1]["q"] == "Not because it is simple."


@pytest.mark.parametrize("kind, serve", [("libre", libre_server), ("openai", openai_server)])
def test_429_twice_then_success(cache, kind, serve):
    with serve() as (url, server):
        server.actions = ["429", "429"]
        targets, _, _ = run(JFK, translators.make(kind, url), cache)
        assert all(targets) and len(server.requests) == 3


def test_dropped_connection_keeps_finished_sentences_and_rerun_continues(cache, monkeypatch):
    monkeypatch.setattr(translate, "WORKERS", 1)  # in order, so "part-way" is well defined
    with libre_server() as (url, server):
        server.actions, server.then = ["ok", "ok"], "drop"
        with pytest.raises(TranslationFailed) as failure:
            run(TALK, translators.make("libre", url), cache)
        message = str(failure.value)
        assert "translator 'libre' failed: cannot connect to http://127.0.0.1:" in message and "\n" not in message
        assert "2 of 5 units done and kept" in message
        server.then, before = "ok", len(server.requests)
        targets, _, translator = run(TALK, translators.make("libre", url), cache)
        assert translator.hits == 2 and len(server.requests) - before == 3 and all(targets)


def test_server_errors_and_hangs_become_one_line(cache, monkeypatch):
    monkeypatch.setattr(translate, "REQUEST_TIMEOUT", 0.5)
    monkeypatch.setattr(translate, "RETRIES", 1)
    with libre_server() as (url, server):
        server.then = "hang"
        with pytest.raises(TranslationFailed, match="no answer within"):
            run(JFK[:1], translators.make("libre", url), cache)
        server.then = "400"
        with pytest.raises(TranslationFailed, match="translator 'libre' failed"):
            run(JFK[:1], translators.make("libre", url), cache)
        assert len(server.requests) == 3  # the hang was retried, the 400 was not


def test_openai_numbered_lines_with_context_and_glossary(cache):
    terms = glossary.parse("Zhiwei\t志伟\nLLM\tLLM\n")
    cues = [Cue(0, 2, "Zhiwei trained an LLM,"), Cue(2.1, 4, "and it worked."), Cue(4.1, 6, "Then it broke.")]
    with openai_server() as (url, server):
        targets, _, _ = run(cues, translators.make("openai", url), cache, terms)
        assert len(server.requests) == 2 and all(t.startswith(ZH_MARK) for t in targets)
        first = next(r for r in server.requests if "1" in r["lines"] and "2" in r["lines"])
        assert first["lines"] == {"1": "Zhiwei trained an LLM,", "2": "and it worked."}
        assert "Then it broke." in first["prompt"]  # the next sentence as context
        assert "Zhiwei => 志伟" in first["prompt"] and "LLM => LLM" in first["prompt"]


@pytest.mark.parametrize("actions, requests, whole", [(["missing"], 2, False), (["extra"], 2, False),
                                                      (["missing", "extra"], 3, True)])
def test_openai_reply_with_wrong_numbers_is_repaired(cache, actions, requests, whole):
    with openai_server() as (url, server):
        server.actions = list(actions)
        targets, _, _ = run(JFK, translators.make("openai", url), cache)
        assert len(server.requests) == requests and len(targets) == 3 and all(targets)
        if whole:  # fell back to the whole sentence as one line, spread over the cues
            assert list(server.requests[-1]["lines"]) == ["1"]


def test_keys_never_reach_errors_or_the_cache(cache, monkeypatch):
    secret = "sk-test-very-secret-key-123"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    with openai_server() as (url, server):
        run(JFK, translators.make("openai", url), cache)
        assert server.requests[0]["authorization"] == f"Bearer {secret}"  # sent to the server, nowhere else
        server.then = "401"
        with pytest.raises(TranslationFailed) as failure:
            run([Cue(0, 1, "Something new.")], translators.make("openai", url), cache)
    assert secret not in str(failure.value)
    assert secret.encode() not in cache.path.read_bytes()


def test_glossary_terms_numbers_and_urls_pass_through_machine_translation(cache):
    terms = glossary.parse("志伟\tZhiwei\n")  # columns in either order
    text, held = glossary.protect("Zhiwei shipped v2 to 3.5% of https://x.io users, @team", terms, "en", "zh")
    assert "Zhiwei" not in text and "https" not in text and "3.5" not in text and "@team" not in text
    assert glossary.restore(text, held) == "志伟 shipped v2 to 3.5% of https://x.io users, @team"
    with libre_server() as (url, server):
        (target,), _, _ = run([Cue(0, 3, "Zhiwei sent 42 files to https://x.io today.")],
                              translators.make("libre", url), cache, terms)
        assert "Zhiwei" not in server.requests[0]["q"]
        assert "志伟" in target and "42" in target and "https://x.io" in target
    with pytest.raises(BivideoError, match="line 1: expected two terms"):
        glossary.parse("just one column\n")


LECTURE = ["zh03_osr_cn_000_0072_8k.wav", "zh04_wenetspeech_TEST_MEETING_T0000000001_S00000.wav",
           "zh05_funasr_asr_example_zh.wav", "zh06_aishell1_BAC009S0724W0121.wav",
           "zh04_wenetspeech_TEST_MEETING_T0000000001_S00000.wav", "zh03_osr_cn_000_0072_8k.wav"]


@pytest.mark.slow
def test_whisper_gives_every_cue_of_a_mandarin_lecture_english_from_its_own_unit(tmp_path, manifest):
    # read and spontaneous Mandarin, 80 s, with pauses between the recordings
    wav = join_audio([manifest[name]["path"] for name in LECTURE], tmp_path / "lecture.wav", silence=1.0)
    video = make_video(wav, tmp_path / "lecture.mp4", size="320x240")
    offline = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "NO_PROXY": "",
               "BIVIDEO_CACHE": str(tmp_path / "cache")}
    result = bivideo("make", video, "--model", "base", "--translator", "whisper", "--for", "none", "--quality", "draft",
                     env=offline)
    assert result.code == 0, result.err
    chinese, english = read_srt(tmp_path / "lecture.zh.srt"), read_srt(tmp_path / "lecture.en.srt")
    assert len(chinese) == len(english) > 8
    assert [(c.start, c.end) for c in chinese] == [(c.start, c.end) for c in english]
    assert all(c.content.strip() for c in english), [c.content for c in english]  # every cue bilingual
    # where each line came from, as recorded by the whisper translator
    (record,) = (tmp_path / "cache" / "work").glob("*/whisper-translation-*.json")
    units = json.loads(record.read_text(encoding="utf-8"))
    clips = [tuple(u["clip"]) for u in units]
    assert all(a < b <= c for (a, b), (c, _) in pairwise(clips))  # no audio heard for two units
    for unit in units:
        assert all(unit["clip"][0] <= a < b <= unit["clip"][1] for a, b in unit["line_clips"])
    flat = lambda text: " ".join(text.split())  # noqa: E731
    for cue in english:  # each cue's English is a piece of the unit whose clip holds its start
        start = cue.start.total_seconds()
        (unit,) = [u for u in units if u["clip"][0] <= start < u["clip"][1]]
        assert flat(cue.content) in flat(" ".join(unit["lines"])), (start, cue.content, unit)
    # and it is a translation of that unit: 美丽 comes out as "beautiful" (or near) every time
    said = [c.start.total_seconds() for c in chinese if "美丽" in c.content]
    assert said
    for start in said:
        (unit,) = [u for u in units if u["clip"][0] <= start < u["clip"][1]]
        assert any(w in " ".join(unit["lines"]).lower() for w in ("beautiful", "magnificent", "lovely", "pretty"))


def test_whisper_cannot_translate_into_chinese():
    from bivideo import whisper_translation

    with pytest.raises(BivideoError, match="only translates into English"):
        whisper_translation.check_languages([Cue(0, 1, "你好", language="zh"), Cue(1, 2, "hello", language="en")])
    whisper_translation.check_languages([Cue(0, 1, "你好", language="zh")])  # Mandarin only: into English is fine


def test_translator_keys_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("DEEPL_API_KEY", raising=False)
    with pytest.raises(BivideoError, match="needs DEEPL_API_KEY"):
        translators.make("deepl")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(BivideoError, match="needs OPENAI_API_KEY"):
        translators.make("openai")


def test_force_translates_again_and_replaces_the_cache(cache):
    with libre_server() as (url, server):
        backend = translators.make("libre", url)
        run(JFK, backend, cache)
        translator = translate.UnitTranslator(backend, cache, glossary.Glossary(), refresh=True)
        translate.translate_cues(JFK, translator, lambda n: None)
        assert len(server.requests) == 2 and translator.hits == 0


def test_a_failure_stops_the_sentences_in_flight_instead_of_retrying_them(cache, monkeypatch):
    monkeypatch.setattr(translate, "BACKOFF", 1.0)  # the others' retries would come a second later
    with libre_server() as (url, server):
        server.actions, server.then = ["400"], "500"  # one sentence fails for good, the rest would retry
        with pytest.raises(TranslationFailed):
            run(TALK, translators.make("libre", url), cache)
        # every worker has finished: none can touch the cache once the caller closes it
        assert not [t for t in threading.enumerate() if t.name.startswith("translate")]
        threading.Event().wait(2.5)
        assert len(server.requests) <= 5  # each sentence asked at most once: no retries after giving up


def test_the_translation_step_keeps_count_times_and_source(tmp_path, monkeypatch):
    monkeypatch.setenv("BIVIDEO_CACHE", str(tmp_path))  # its own cache: the request count matters
    with libre_server() as (url, server):
        out = flow.translated(TALK, None, Settings(), Reporter(quiet=True), tmp_path / "talk.en.srt",
                                  (translators.make("libre", url), glossary.Glossary()))
        assert [(c.start, c.end, c.source, c.language) for c in out] == \
            [(c.start, c.end, c.source, c.language) for c in TALK]
        assert all(c.target for c in out) and len(server.requests) == 5
    assert (tmp_path / "translations.sqlite3").is_file()


def test_keys_and_url_credentials_stay_out_of_errors(cache, monkeypatch):
    secret = "libre-very-secret-key-456"
    monkeypatch.setenv("LIBRE_API_KEY", secret)
    with libre_server() as (url, server):
        server.then = "403"  # deep-translator's own error quotes the key
        with pytest.raises(TranslationFailed) as refused:
            run(JFK[:1], translators.make("libre", url), cache)
        assert server.requests[0]["api_key"] == secret
        server.then = "drop"
        with pytest.raises(TranslationFailed) as dropped:
            run(JFK[:1], translators.make("libre", url.replace("//", f"//user:{secret}@")), cache)
    for failure in (refused, dropped):
        assert secret not in str(failure.value) and "translator 'libre' failed" in str(failure.value)
    assert "cannot connect to http://127.0.0.1:" in str(dropped.value)


@PREPARES_MODEL
def test_doctor_checks_an_openai_server_and_its_key():
    secret = "sk-doctor-secret-789"
    with openai_server() as (url, server):
        ok = cli("doctor", "--translator", "openai", "--translator-url", url, env={"OPENAI_API_KEY": secret})
        server.then = "401"
        refused = cli("doctor", "--translator", "openai", "--translator-url", url, env={"OPENAI_API_KEY": secret})
    row = [line for line in ok.out.splitlines() if "translator" in line]
    assert row and row[0].startswith("ok") and "reachable" in row[0], ok.out
    assert server.requests[0] == {"models": True, "authorization": f"Bearer {secret}"}
    warn = [line for line in refused.out.splitlines() if "translator" in line]
    assert warn[0].startswith("warn") and "refused the key in OPENAI_API_KEY (HTTP 401)" in warn[0]
    assert secret not in ok.out + ok.err + refused.out + refused.err


@pytest.fixture(scope="module")
def silent_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1",
                    "-f", "lavfi", "-i", "anullsrc=duration=1", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(path)], check=True)
    return path


@pytest.mark.parametrize("args, env, message", [
    ((), {}, "terms.tsv: line 1: expected two terms"),  # from the user's bivideo.toml, relative to it
    (("--translator", "deepl"), {"DEEPL_API_KEY": ""}, "translator 'deepl' needs DEEPL_API_KEY"),
    (("--translator", "whisper", "--to", "zh"), {}, "whisper translator only translates into English"),
])
def test_translator_problems_fail_before_any_slow_stage(tmp_path, silent_clip, args, env, message):
    config = tmp_path / "config" / "bivideo"
    config.mkdir(parents=True)
    if not args:
        (config / "bivideo.toml").write_text('glossary = "terms.tsv"\n', encoding="utf-8")
        (config / "terms.tsv").write_text("just one column\n", encoding="utf-8")
    result = cli("make", silent_clip, "-o", tmp_path / "out", *args,
                     env={"XDG_CONFIG_HOME": str(tmp_path / "config"), **env}, cwd=tmp_path)
    assert result.code == 1 and result.err.strip().splitlines() == [f"error: {result.err.strip()[7:]}"]
    assert message in result.err  # one line, and no stage (audio, transcribe) was started
