"""The glossary steers recognition: its spoken forms go to Whisper as context, and words heard
as a term are written as the glossary writes it (bivideo.soundalike). The matcher's rules and
properties here; the real engine on an espeak-ng talk naming ten terms further down."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bivideo import audio, engines, glossary, soundalike, transcribe
from bivideo.datatypes import Segment, Transcript, Word
from tests.conftest import cli, join_audio
from tests.scoring import errors
from tests.talks import espeak_talk, sixteen_khz, wav_file

# The terms talk: (the glossary's spelling, how espeak-ng is told to say it, the sentence).
TALK = [
    ("WeChat", "we chat", "Most of my readers find these videos on {} every morning."),
    ("Qwen", "kwen", "The translation came from {}, a model trained by Alibaba."),
    ("Aegisub", "ee jee sub", "I used to fix the subtitle timing by hand in {}."),
    ("LinkedIn", "linked in", "The same clip also goes to {} for my colleagues."),
    ("FFmpeg", "F F M peg", "Everything is encoded with {} on a small laptop."),
    ("Kubernetes", "koober netties", "The batch jobs run on a {} cluster at work."),
    ("PyTorch", "pie torch", "The speech model itself is written in {}."),
    ("libass", "lib ass", "The subtitles are drawn by {} before encoding."),
    ("Zhipu", "jee poo", "Another option is the model made by {} in Beijing."),
    ("DeepSeek", "deep seek", "For the Chinese side I usually ask {} to translate."),
]
TERMS = [term for term, _, _ in TALK]
SAID = [sentence.format(sound) for _, sound, sentence in TALK]
GLOSSARY = "WeChat\t微信\nQwen\t通义千问\nAegisub\tAegisub\nLinkedIn\t领英\nFFmpeg\tFFmpeg\n" \
    "Kubernetes\tKubernetes\nPyTorch\tPyTorch\nlibass\tlibass\nZhipu\t智谱\nDeepSeek\t深度求索\n"


def words(*texts: str, start: float = 0.0) -> tuple[Word, ...]:
    return tuple(Word(t, start + i, start + i + 0.8, 0.9) for i, t in enumerate(texts))


def said(found: tuple[Word, ...]) -> str:
    return "".join(w.text for w in found)


def test_words_heard_as_a_term_take_its_spelling_and_the_runs_times():
    heard = words(" Most", " of", " us", " use", " we", " chat,", " or", ' "lib', ' ass."', " It's", " LeBass's.")
    found = soundalike.respell(heard, TERMS)
    assert said(found) == ' Most of us use WeChat, or "libass." It\'s libass\'s.'
    wechat = next(w for w in found if "WeChat" in w.text)
    assert (wechat.start, wechat.end) == (4.0, 5.8)  # from " we" to " chat,"
    assert said(soundalike.respell(words(" Cubernetes", " and", " FF-mpeg", " on", " Egisub"), TERMS)) == \
        " Kubernetes and FFmpeg on Aegisub"
    assert said(soundalike.respell(words(" the", " linked", " in", " page"), TERMS)) == " the LinkedIn page"


def test_ordinary_words_that_merely_resemble_a_term_stay_as_heard():
    for heard in [(" pie", " torch"), (" the", " queen"), (" deep", " sick"), (" a", " GPU"), (" reach", " out"),
                  (" Quinn",), (" lip", " bass"), (" we.", " Chat")]:  # the last: a sentence ends inside the run
        assert soundalike.respell(words(*heard), TERMS) == words(*heard), heard
    # a term that is an ordinary word capitalised changes nothing's case ...
    assert said(soundalike.respell(words(" let's", " go", " and", " rust"), ["Go", "Rust"])) == " let's go and rust"
    # ... but a brand's own casing is kept
    assert said(soundalike.respell(words(" on", " linkedin", " and", " Pytorch"), TERMS)) == " on LinkedIn and PyTorch"


def test_chinese_words_are_never_part_of_a_run():
    heard = words("我们", "用", " we", "chat", "发")
    assert said(soundalike.respell(heard, TERMS)) == "我们用 WeChat发"
    assert soundalike.respell(words("微", "信"), ["微信", *TERMS]) == words("微", "信")


@functools.cache
def _ordinary_words() -> list[str]:
    from wordfreq import top_n_list

    return [w for w in top_n_list("en", 3000) if w.isalpha() and soundalike.ordinary(w)]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_sentences_of_ordinary_words_are_left_alone(data):
    """Any sentence of dictionary words, none of whose runs spells a term's letters, is kept
    word for word: only sound-alikes with a word no dictionary has are rewritten."""
    picked = data.draw(st.lists(st.sampled_from(_ordinary_words()), min_size=1, max_size=12))
    keys = {soundalike.letters(t) for t in TERMS}
    for size in range(1, soundalike.MAX_RUN + 1):
        for i in range(len(picked) - size + 1):
            if "".join(picked[i:i + size]) in keys:
                return  # spells a term: "we chat" is WeChat
    heard = words(*(f" {w}" for w in picked))
    assert soundalike.respell(heard, TERMS) == heard


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TERMS), st.data())
def test_a_term_heard_in_pieces_in_any_case_comes_back_whole(term, data):
    cuts = sorted(data.draw(st.sets(st.integers(1, len(term) - 1), max_size=soundalike.MAX_RUN - 1)))
    pieces = [term[a:b] for a, b in zip([0, *cuts], [*cuts, len(term)])]
    cased = [data.draw(st.sampled_from([p.lower(), p.upper(), p.title(), p])) for p in pieces]
    before, after = words(" I", " use", start=0.0), words(" daily.", start=10.0)
    heard = before + words(*(f" {p}" for p in cased), start=2.0) + after
    found = soundalike.respell(heard, TERMS)
    assert said(found) == f" I use {term} daily."
    assert found[2].start == 2.0 and found[2].end == 2.0 + len(pieces) - 1 + 0.8
    assert soundalike.respell(found, TERMS) == found  # idempotent


def test_a_transcript_is_respelled_segment_by_segment_with_the_english_forms():
    terms = glossary.parse("WeChat\t微信\nDeepSeek\t深度求索\n")
    segment = Segment(0.0, 3.0, " Post it on we chat.", words(" Post", " it", " on", " we", " chat."), "en")
    done = soundalike.respelled(Transcript("en", (segment,)), terms)
    assert done.segments[0].text == " Post it on WeChat."
    assert soundalike.respelled(Transcript("en", (segment,)), glossary.Glossary()).segments[0] is segment


def test_the_prompt_holds_the_spoken_forms_of_the_language_within_the_byte_budget():
    terms = glossary.parse("WeChat\t微信\nLLM\tLLM\nZhipu\t智谱\n")
    assert terms.prompt("en") == "WeChat, LLM, Zhipu"
    assert terms.prompt("zh") == "微信, LLM, 智谱"
    assert terms.prompt(None) == "WeChat, 微信, LLM, Zhipu, 智谱"  # both, a pair at a time, each once
    many = glossary.parse("".join(f"Term{k:03d}\t术语{k:03d}\n" for k in range(100)))
    prompt = many.prompt(None)
    assert len(prompt.encode()) <= glossary.PROMPT_BYTES < len((prompt + ", Term999").encode())
    assert prompt.startswith("Term000, 术语000, Term001") and all(t.strip() for t in prompt.split(","))
    assert glossary.Glossary().prompt("en") == ""


def segment(start: float, texts: list[str], probability: float = 0.9, language: str = "en") -> Segment:
    found = tuple(Word(t, start + i, start + i + 0.8, probability) for i, t in enumerate(texts))
    return Segment(start, found[-1].end, "".join(texts), found, language)


def test_only_segments_that_may_hold_a_misheard_term_are_decoded_again():
    sure = segment(0.0, [" It", " takes", " heat."])
    unsure = segment(5.0, [" on", " which", " at"], probability=0.4)
    unknown = segment(9.0, [" a", " cubernet", " cluster"])  # sure of it, but no dictionary has it
    after = segment(12.0, [" before", " encoding."])
    far = segment(50.0, [" the", " GPU"], probability=0.3)
    chinese = segment(53.0, ["达", "摩", "院"], probability=0.35, language="zh")
    runs = transcribe.term_suspects([sure, unsure, unknown, after, far, chinese])
    # consecutive ones share a decoding while they fit in a window of one language
    assert runs == [[unsure, unknown], [far], [chinese]]
    assert transcribe.term_suspects([sure, after]) == []
    lots = [segment(10.0 * k, [" word"], probability=0.3) for k in range(7)]
    assert [len(run) for run in transcribe.term_suspects(lots)] == [3, 3, 1]  # 0-28.8 s, 30-58.8 s, 60-


def test_a_decoding_with_terms_stops_at_a_length_speech_never_needs():
    assert engines.most_tokens(0) == 16
    assert engines.most_tokens(6 * audio.SAMPLE_RATE) == 76
    assert engines.most_tokens(40 * audio.SAMPLE_RATE) == engines.most_tokens(30 * audio.SAMPLE_RATE) <= 224


@pytest.fixture(scope="module")
def terms_talk(tmp_path_factory) -> np.ndarray:
    return espeak_talk(SAID, tmp_path_factory.mktemp("terms"))


def spelled_right(engine: str, samples: np.ndarray, terms: glossary.Glossary) -> list[str]:
    transcript = transcribe.transcribe(engines.load_engine(engine, "base"), samples, "auto", lambda t: None, terms)
    text = "".join(s.text for s in transcript.segments)
    return [term for term in TERMS if term in text]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["faster-whisper", "openai-whisper"])
def test_the_glossary_gets_the_terms_talk_spelled_right(terms_talk, engine):
    """Base model: 9 of 10 terms with the glossary on both engines (native ISA and GENERIC),
    3 without on faster-whisper, 5 on openai-whisper."""
    without = spelled_right(engine, terms_talk, glossary.Glossary())
    steered = spelled_right(engine, terms_talk, glossary.parse(GLOSSARY))
    assert len(steered) >= 8, steered
    assert len(without) <= 6 and len(without) < len(steered), without


def _lavfi(source: str, dest: Path) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-ac", "1",
                    "-ar", str(audio.SAMPLE_RATE), "-c:a", "pcm_s16le", str(dest)], check=True)
    return dest


MUSIC = "aevalsrc='0.25*sin(2*PI*(220+110*floor(mod(t*2\\,4)))*t)+0.15*sin(2*PI*330*t)*(1+sin(2*PI*3*t))':d=10"
NOISE = "anoisesrc=color=pink:amplitude=0.05:d=6"


@pytest.mark.slow
def test_no_term_is_heard_where_nobody_said_one(tmp_path, manifest):
    """A talk with none of the glossary's terms, English and Mandarin with silence, music and
    noise between: with the glossary, none of its forms appears in the transcript, and every
    word is as heard without it."""
    en, zh = manifest["en08_jfk_inaugural_ask_not.flac"], manifest["zh05_funasr_asr_example_zh.wav"]
    music, noise = _lavfi(MUSIC, tmp_path / "music.wav"), _lavfi(NOISE, tmp_path / "noise.wav")
    wav = join_audio([en["path"], music, noise, zh["path"]], tmp_path / "talk.wav", silence=4.0)
    samples = audio.load(wav)
    terms = glossary.parse(GLOSSARY)
    engine = engines.load_engine("faster-whisper", "base")
    found = {name: transcribe.transcribe(engine, samples, "auto", lambda t: None, g)
             for name, g in [("steered", terms), ("alone", glossary.Glossary())]}
    steered = "".join(s.text for s in found["steered"].segments)
    assert not [form for pair in terms.pairs for form in pair if form.lower() in steered.lower()], steered
    music_starts = len(sixteen_khz(en["path"], tmp_path / "en.wav")) / audio.SAMPLE_RATE + 4.0
    assert not [w for w in found["steered"].words if music_starts < w.start < music_starts + 23.0]
    assert [(w.text, w.start) for w in found["steered"].words] == [(w.text, w.start) for w in found["alone"].words]
    for name, transcript in found.items():
        english = " ".join(s.text for s in transcript.segments if s.language == "en")
        chinese = "".join(s.text for s in transcript.segments if s.language == "zh")
        assert errors(en["reference_transcript"], english, "en") <= 2, (name, english)
        assert errors(zh["reference_transcript"], chinese, "zh") <= 4, (name, chinese)


@pytest.mark.slow
def test_make_with_a_glossary_spells_the_terms_in_the_subtitles(terms_talk, tmp_path, libre):
    """`bivideo make --glossary` end to end: the English subtitles name the terms as the
    glossary spells them, and a glossary added to a talk made without one means a new
    transcript, not the cached one."""
    talk = wav_file(terms_talk, tmp_path / "terms talk.wav")
    tsv = tmp_path / "terms.tsv"
    tsv.write_text(GLOSSARY, encoding="utf-8")

    def make(*args: str) -> str:
        run = cli("make", talk, "--preview", "--from", "en", "--model", "base", "--translator", "libre",
                  "--translator-url", libre[0], "--no-vocab", *args)
        assert run.code == 0, run.err
        subtitles = (tmp_path / "terms talk.en.srt").read_text(encoding="utf-8")
        return " ".join(line for line in subtitles.splitlines() if not line[:1].isdigit())

    alone = [term for term in TERMS if term in make()]
    steered = [term for term in TERMS if term in make("--glossary", tsv)]
    assert len(steered) >= 8 and len(alone) < len(steered), (alone, steered)
