"""Issue 18: translation units on real transcripts (counted at a local server), each LLM
line's length budget, the presets (DeepSeek, Qwen, Ollama), `--translator auto`, and the
--refine pass. Servers are local stand-ins on 127.0.0.1 speaking the real protocols."""

from __future__ import annotations

import json
import socket
import subprocess
from itertools import pairwise

import pytest

from bivideo import (
    audio,
    datatypes,
    engines,
    flow,
    glossary,
    segmentation,
    transcribe,
    translate,
    translation_units,
    translators,
)
from bivideo.datatypes import Cue
from bivideo.errors import BivideoError
from bivideo.settings import Settings
from bivideo.standard import NOTICEABLE_PAUSE, display_width
from bivideo.translators import openai_chat
from bivideo.ui import Reporter
from tests.conftest import PREPARES_MODEL, bivideo, cli, make_video
from tests.servers import REFINED_ZH, ZH_MARK, libre_server, openai_server

# A long sentence (Hawthorne, public domain) read by espeak-ng: speech the project makes itself.
LONG_SENTENCE = ("The child was given to her, whose place was on that same dishonored bosom, to connect her parent "
                 "forever with the race and descent of mortals, and to be finally a blessed soul in heaven.")


pytestmark = pytest.mark.usefixtures("quick_retries")


def _transcribed(wav) -> tuple[list[Cue], list]:
    engine = engines.load_engine("faster-whisper", "base")
    transcript = transcribe.transcribe(engine, audio.load(wav), "auto", lambda t: None)
    built = segmentation.build(transcript.words, transcript.language, 25.0, transcript.segment_ends,
                            transcript.word_languages)
    return built, transcript.words


@pytest.fixture(scope="module")
def real(manifest, tmp_path_factory):
    """Real Whisper transcripts: the long read sentence, JFK's sentence, and unpunctuated
    spontaneous Mandarin (zh04, a meeting)."""
    folder = tmp_path_factory.mktemp("real")
    spoken = folder / "espeak.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(spoken), LONG_SENTENCE], check=True)
    out = {}
    for name, path in [("long", spoken), ("jfk", manifest["en08_jfk_inaugural_ask_not.flac"]["path"]),
                       ("zh04", manifest["zh04_wenetspeech_TEST_MEETING_T0000000001_S00000.wav"]["path"])]:
        wav = folder / f"{name}.wav"
        audio.extract(path, wav)
        out[name] = _transcribed(wav)
    return out


def _ends_well(cues: list[Cue], pauses: list[float], last: int) -> bool:
    """A unit may end only at a sentence end, clause punctuation, a noticeable pause, a
    change of language, or the end of the talk."""
    if last == len(cues) - 1:
        return True
    return (cues[last].source.rstrip().endswith(datatypes.SENTENCE_END + datatypes.CLAUSE_END)
            or pauses[last + 1] >= NOTICEABLE_PAUSE or cues[last].language != cues[last + 1].language)


def _requests(cues: list[Cue], words: list, cache) -> int:
    """Translation requests for the cues, counted at a local LibreTranslate stand-in."""
    with libre_server() as (url, server):
        translator = translate.UnitTranslator(translators.make("libre", url), cache, glossary.Glossary())
        pauses = translation_units.pauses_before(cues, words)
        targets = translate.translate_cues(cues, translator, lambda n: None, pauses)
        assert all(targets)
        return len(server.requests)


@pytest.mark.slow
def test_a_long_sentence_is_one_request_on_real_transcripts(real, cache):
    for name in ("long", "jfk"):
        cues, words = real[name]
        sentence_ends = sum(c.source.rstrip().endswith(datatypes.SENTENCE_END) for c in cues)
        assert sentence_ends == 1 and _requests(cues, words, cache) == 1, [c.source for c in cues]
    assert len(real["long"][0]) > 4  # more cues than the old cut every 4 allowed


@pytest.mark.slow
def test_a_forced_cut_falls_at_a_phrase_end_never_mid_phrase(real, monkeypatch):
    monkeypatch.setattr(translation_units, "MAX_UNIT_BYTES", 100)  # as if the sentence were four times as long
    for name in ("long", "jfk", "zh04"):
        cues, words = real[name]
        pauses = translation_units.pauses_before(cues, words)
        groups = translation_units.units(cues, pauses)
        assert [i for g in groups for i in g] == list(range(len(cues)))
        for group, following in pairwise(groups):
            if _ends_well(cues, pauses, group[-1]):
                continue
            # a cut elsewhere only where no phrase end was inside the cap
            reach = [k for k in range(group[0], following[-1] + 1)
                     if translation_units._fits(list(range(group[0], k + 1)), cues)]
            assert not any(_ends_well(cues, pauses, k) for k in reach), (name, [cues[i].source for i in group])
    long_units = translation_units.units(real["long"][0], translation_units.pauses_before(*real["long"]))
    ends = [real["long"][0][g[-1]].source.rstrip()[-1] for g in long_units]
    assert len(ends) > 1 and set(ends) <= {",", "."}, ends  # the cap forced cuts, each after a comma


@pytest.mark.slow
def test_unpunctuated_mandarin_is_cut_only_at_pauses(real, cache):
    cues, words = real["zh04"]
    pauses = translation_units.pauses_before(cues, words)
    groups = translation_units.units(cues, pauses)
    assert not any(c.source.rstrip().endswith(datatypes.SENTENCE_END + datatypes.CLAUSE_END) for c in cues)
    # the speaker's hesitations (0.4-0.7 s) inside a phrase do not cut it
    assert all(pauses[g[-1] + 1] >= translation_units.SENTENCE_PAUSE for g in groups[:-1])
    assert _requests(cues, words, cache) == len(groups) < len(cues)


# --- budgets ----------------------------------------------------------------------------------

SHORT = [Cue(0.0, 1.2, "So the thing we found was that the model keeps repeating itself,"),
         Cue(1.3, 4.0, "and only when the audio is quiet."), Cue(4.5, 6.0, "Then it stops.")]


def _run(cues, backend, cache):
    translator = translate.UnitTranslator(backend, cache, glossary.Glossary())
    return translate.translate_cues(cues, translator, lambda n: None), translator


def test_the_prompt_carries_each_lines_budget(cache):
    with openai_server() as (url, server):
        targets, translator = _run(SHORT, translators.make("openai", url), cache)
    first = next(r for r in server.requests if len(r["lines"]) == 2)
    # 16 per line; 9 characters a second: 1.2 s -> 10, 2.7 s -> 24 (so 16)
    assert first["budgets"]["1"] == {"max_chars": 10, "one_line": 16, "seconds": 1.2, "readable": 10}
    assert first["budgets"]["2"]["max_chars"] == 16 and first["budgets"]["2"]["readable"] == 24
    assert "Tight budgets (give a faithful but condensed rendering" in first["prompt"]
    assert "keep the meaning): lines 1.\n" in first["prompt"]  # 64 characters of English in 1.2 s; line 2 fits
    assert translator.over_budget == 0 and all(display_width(t, "zh") <= 16 for t in targets)


def test_over_budget_lines_are_asked_for_once_more_then_fit(cache):
    with openai_server() as (url, server):
        server.actions = ["long"]  # the first reply overflows every line; the re-ask keeps to the budget
        targets, translator = _run(SHORT[:2], translators.make("openai", url), cache)
    assert len(server.requests) == 2
    again = server.requests[1]
    assert set(again["lines"]) == {"1", "2"} and "was too long: line 1:" in again["prompt"]
    assert "over its 10" in again["prompt"] and "over its 16" in again["prompt"]
    assert display_width(targets[0], "zh") <= 10 and display_width(targets[1], "zh") <= 16
    assert (translator.over_budget, translator.still_over) == (2, 0)


def test_only_the_lines_over_budget_are_asked_again_and_a_second_overflow_is_accepted(cache, capsys):
    with openai_server() as (url, server):
        server.actions = ["long", "long"]
        backend = translators.make("openai", url)
        cues = flow.translated(SHORT[:2], None, Settings(translator="openai"), Reporter(), None,
                                   (backend, glossary.Glossary()))
    assert len(server.requests) == 2 and len(cues) == 2  # asked once more, then accepted
    assert "2 lines over their length budget were asked for again; 2 still over, accepted" in capsys.readouterr().err


def test_a_partial_overflow_re_asks_only_that_line(cache):
    with openai_server() as (url, server):
        server.actions = ["long1"]
        targets, translator = _run(SHORT[:2], translators.make("openai", url), cache)
    assert len(server.requests) == 2 and list(server.requests[1]["lines"]) == ["1"]
    assert server.requests[1]["lines"]["1"] == SHORT[0].source  # asked from the source again, the rest kept
    assert "The other lines of the sentence, kept:" in server.requests[1]["prompt"]
    assert display_width(targets[0], "zh") <= 10 and translator.over_budget == 1


# --- presets and auto -------------------------------------------------------------------------

@pytest.mark.parametrize("name, key, model", [("deepseek", "DEEPSEEK_API_KEY", "deepseek-chat"),
                                              ("qwen", "DASHSCOPE_API_KEY", "qwen-plus"),
                                              ("ollama", None, "qwen2.5:7b")])
def test_presets_send_their_model_and_key(cache, monkeypatch, name, key, model):
    secret = f"sk-{name}-secret-123"
    for variable in openai_chat.KEY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    if key:
        with pytest.raises(BivideoError, match=f"needs {key}"):
            translators.make(name)
        monkeypatch.setenv(key, secret)
    with openai_server() as (url, server):
        _run(SHORT[2:], translators.make(name, url), cache)
        monkeypatch.setenv(openai_chat.model_variable(name), "my-model")
        _run(SHORT[1:2], translators.make(name, url), cache)
    assert [r["model"] for r in server.requests] == [model, "my-model"]
    assert server.requests[0]["authorization"] == (f"Bearer {secret}" if key else None)
    assert secret.encode() not in cache.path.read_bytes()


def test_preset_urls(monkeypatch):
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-x")
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-x")
    assert {name: translators.make(name).url for name in ("deepseek", "qwen", "ollama")} == {
        "deepseek": "https://api.deepseek.com/v1/chat/completions",
        "qwen": "https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions",
        "ollama": "http://127.0.0.1:11434/v1/chat/completions"}


@PREPARES_MODEL
def test_ollama_preset_reaches_a_local_server_on_its_own_port(cache):
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 11434)) == 0:
            pytest.skip("something already listens on Ollama's port 11434")
    with openai_server(port=11434) as (_, server):
        _run(SHORT[2:], translators.make("ollama"), cache)
        doctor = cli("doctor", "--translator", "ollama")
    assert server.requests[0]["model"] == "qwen2.5:7b"
    assert any(line.startswith("ok") and "ollama reachable at http://127.0.0.1:11434/v1" in line
               for line in doctor.out.splitlines()), doctor.out


@pytest.mark.parametrize("keys, chosen", [(("DEEPSEEK_API_KEY", "OPENAI_API_KEY"), "deepseek"),
                                          (("OPENAI_API_KEY", "DASHSCOPE_API_KEY"), "openai"),
                                          (("DASHSCOPE_API_KEY",), "qwen"), ((), "google")])
def test_auto_chooses_by_environment(monkeypatch, keys, chosen):
    for variable in openai_chat.KEY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for variable in keys:
        monkeypatch.setenv(variable, "sk-x")
    name, why = translators.choose("auto")
    assert name == chosen and (keys[0] if keys else "none of") in why


@pytest.fixture(scope="module")
def jfk_video(manifest, tmp_path_factory):
    return make_video(manifest["en08_jfk_inaugural_ask_not.flac"]["path"],
                      tmp_path_factory.mktemp("jfk") / "talk.mp4", size="320x240")


OFFLINE = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "", "no_proxy": "", "BIVIDEO_BACKOFF": "0.01"}
NO_KEYS = {variable: "" for variable in openai_chat.KEY_VARIABLES}


@pytest.mark.slow
def test_auto_with_a_deepseek_key_says_so_and_uses_it(jfk_video, tmp_path):
    secret = "sk-deepseek-auto-456"
    with openai_server() as (url, server):
        run = bivideo("make", jfk_video, "-o", tmp_path, "--preview", "--model", "base", "--translator-url", url,
                      env={**NO_KEYS, "DEEPSEEK_API_KEY": secret, "BIVIDEO_CACHE": str(tmp_path / "cache")})
    assert run.code == 0, run.err
    assert "translator: deepseek (DEEPSEEK_API_KEY is set" in run.err
    assert server.requests and all(r["authorization"] == f"Bearer {secret}" and r["model"] == "deepseek-chat"
                                   for r in server.requests)
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert secret not in run.out + run.err and secret.encode() not in written


@pytest.mark.slow
def test_auto_offline_names_the_alternatives_in_one_line(jfk_video, tmp_path):
    run = bivideo("make", jfk_video, "-o", tmp_path, "--preview", "--model", "base", env={**NO_KEYS, **OFFLINE})
    assert run.code == 3
    assert "translator: google (none of DEEPSEEK_API_KEY, OPENAI_API_KEY, DASHSCOPE_API_KEY is set" in run.err
    error = [line for line in run.err.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "--translator whisper" in error[0] and "--translator ollama" in error[0]
    assert "Traceback" not in run.err


# --- refine -----------------------------------------------------------------------------------

TALK = [Cue(i * 2.0, i * 2.0 + 1.8, f"Sentence number {i} is here.") for i in range(7)]


def test_refine_one_request_per_window_cached_and_cues_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("BIVIDEO_CACHE", str(tmp_path))
    monkeypatch.setattr(translation_units, "REFINE_WINDOW", 3)
    settings = Settings(translator="openai", refine=True)
    with openai_server() as (url, server):
        backend = translators.make("openai", url)
        out = flow.translated(TALK, None, settings, Reporter(quiet=True), None, (backend, glossary.Glossary()))
        refine = [r for r in server.requests if r["refine"]]
        assert len(server.requests) == 7 + 3 and len(refine) == 3  # 7 sentences, then windows of 3, 3, 1
        assert sorted(len(r["lines"]) for r in refine) == [1, 3, 3]
        assert "Sources:" in refine[0]["prompt"] and ZH_MARK in json.dumps(refine[0]["lines"], ensure_ascii=False)
        assert all(c.target.startswith(REFINED_ZH) for c in out)
        assert [(c.start, c.end, c.source) for c in out] == [(c.start, c.end, c.source) for c in TALK]
        again = flow.translated(TALK, None, settings, Reporter(quiet=True), None, (backend, glossary.Glossary()))
        assert len(server.requests) == 10 and again == out  # a rerun: nothing sent


def test_refine_needs_an_llm_translator():
    with pytest.raises(BivideoError, match="--refine needs an LLM translator"):
        translate.text_translator(Settings(translator="google", refine=True), Reporter(quiet=True))
