"""Memory work of issue 19: the blockwise passes give the same numbers as the whole-talk ones
they replace, and long talks are decoded in spans cut in pauses."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from bivideo import audio, transcribe


@pytest.fixture(scope="module")
def samples(tmp_path_factory, manifest) -> np.ndarray:
    """en04 (35 s, 8 kHz telephone band) as bivideo hears it, three times over (past a block)."""
    wav = tmp_path_factory.mktemp("audio") / "en04.wav"
    audio.extract(manifest["en04_osr_us_000_0034_harvard_list72_8k.wav"]["path"], wav)
    return np.tile(audio.load(wav), 3)


def test_load_reads_blocks_into_the_same_samples(tmp_path):
    wav = tmp_path / "noise.wav"
    pcm = np.random.default_rng(0).integers(-32768, 32767, audio.BLOCK * 2 + 123, dtype=np.int16)
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(audio.SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    assert np.array_equal(audio.load(wav), pcm.astype(np.float32) / 32768.0)


def test_silero_blockwise_matches_one_call(samples):
    from faster_whisper.vad import get_vad_model

    # faster-whisper's call zeroes the last 64 samples it is given: only the last frame may differ
    whole = get_vad_model()(np.pad(samples, (0, -len(samples) % audio.VAD_FRAME))).ravel()
    blockwise = audio.speech_probabilities(samples)
    assert len(samples) > audio.VAD_BLOCK and len(blockwise) == len(whole)
    assert np.array_equal(blockwise[:-1], whole[:-1])


def test_features_blockwise_match_faster_whispers(samples):
    from faster_whisper.feature_extractor import FeatureExtractor

    assert len(samples) // 160 > transcribe.FEATURE_BLOCK
    assert np.array_equal(transcribe._blockwise_features({"feature_size": 80})(samples, chunk_length=30),
                          FeatureExtractor(feature_size=80)(samples, chunk_length=30))


def test_energy_regions_unchanged_by_blocks(samples, monkeypatch):
    whole = audio.energy_speech_regions(samples)
    monkeypatch.setattr(audio, "BLOCK", 16_000 * 7)  # blocks of 7 s: many block edges inside speech
    assert audio.energy_speech_regions(samples) == whole


def test_short_talk_is_one_span():
    assert transcribe.spans([(1.0, 5.0), (8.0, 20.0)], 25.0) == [(0.0, 25.0)]


def test_spans_cut_in_the_middle_of_pauses_long_enough():
    speech = [(0.0, 250.0), (250.5, 500.0), (502.0, 580.0), (583.0, 700.0), (701.0, 1100.0)]
    spans = transcribe.spans(speech, 1200.0, longest=600.0, gap=1.0)
    assert spans == [(0.0, 581.5), (581.5, 1200.0)]  # not in the 0.5 s pause; 700.5 came too late
    for start, _ in spans[1:]:  # every cut lies in silence, more than the decoding pad from speech
        assert all(not a - audio.PAD < start < b + audio.PAD for a, b in speech)
