"""Memory work of issue 19: the talk held as int16 and the blockwise passes give the same
numbers as the whole-talk float32 ones they replace, and long talks are decoded in spans cut
in pauses."""

from __future__ import annotations

import numpy as np
import pytest

from bivideo import audio, engines, transcribe
from tests.talks import wav_file


@pytest.fixture(scope="module")
def pcm(tmp_path_factory, manifest) -> np.ndarray:
    """en04 (35 s, 8 kHz telephone band) as bivideo holds it, three times over (past a block)."""
    wav = tmp_path_factory.mktemp("audio") / "en04.wav"
    audio.extract(manifest["en04_osr_us_000_0034_harvard_list72_8k.wav"]["path"], wav)
    return np.tile(audio.load(wav), 3)


def _float32_as_before(pcm: np.ndarray) -> np.ndarray:
    """The samples as `audio.load` gave them before the talk was held as int16."""
    samples = np.empty(len(pcm), dtype=np.float32)
    samples[:] = pcm
    samples /= 32768.0
    return samples


def test_load_reads_blocks_into_the_same_samples(tmp_path):
    wav = tmp_path / "noise.wav"
    pcm = np.random.default_rng(0).integers(-32768, 32767, audio.BLOCK * 2 + 123, dtype=np.int16)
    loaded = audio.load(wav_file(pcm, wav))
    assert loaded.dtype == np.int16 and np.array_equal(loaded, pcm)


def test_floats_are_bit_for_bit_the_float32_samples_of_before():
    every = np.arange(-32768, 32768).astype(np.int16)
    converted = audio.floats(every)
    assert converted.dtype == np.float32
    assert np.array_equal(converted.view(np.uint32), _float32_as_before(every).view(np.uint32))


def test_silero_blockwise_on_int16_matches_one_call_on_float32(pcm):
    from faster_whisper.vad import get_vad_model

    samples = _float32_as_before(pcm)
    # faster-whisper's call zeroes the last 64 samples it is given: only the last frame may differ
    whole = get_vad_model()(np.pad(samples, (0, -len(samples) % audio.VAD_FRAME))).ravel()
    blockwise = audio.speech_probabilities(pcm)
    assert len(pcm) > audio.VAD_BLOCK and len(blockwise) == len(whole)
    assert np.array_equal(blockwise[:-1], whole[:-1])


def test_features_blockwise_match_faster_whispers(pcm):
    from faster_whisper.feature_extractor import FeatureExtractor

    samples = _float32_as_before(pcm)
    assert len(samples) // 160 > engines.FEATURE_BLOCK
    # the same values to float32's rounding: the Mel filters' matrix product sums in an order that
    # depends on the block's shape and the processor's BLAS kernel (1 ulp, 1.2e-7, seen on one machine,
    # none on another); a feature off by anything a decoder could notice is 1e-3 or more
    np.testing.assert_allclose(engines._blockwise_features({"feature_size": 80})(audio.floats(pcm), chunk_length=30),
                               FeatureExtractor(feature_size=80)(samples, chunk_length=30), rtol=0, atol=1e-6)


def test_levels_of_int16_blocks_match_the_whole_talks_float32_squares(pcm, monkeypatch):
    frames = _float32_as_before(pcm)[:len(pcm) // 160 * 160].reshape(-1, 160)
    whole = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    assert np.array_equal(audio.levels(pcm, 160), whole)
    monkeypatch.setattr(audio, "BLOCK", 16_000 * 7)  # blocks of 7 s: many block edges inside speech
    assert np.array_equal(audio.levels(pcm, 160), whole)


def test_short_talk_is_one_span():
    assert transcribe.spans([(1.0, 5.0), (8.0, 20.0)], 25.0) == [(0.0, 25.0)]


def test_spans_cut_in_the_middle_of_pauses_long_enough():
    speech = [(0.0, 250.0), (250.5, 500.0), (502.0, 580.0), (583.0, 700.0), (701.0, 1100.0)]
    spans = transcribe.spans(speech, 1200.0, longest=600.0, gap=1.0)
    assert spans == [(0.0, 581.5), (581.5, 1200.0)]  # not in the 0.5 s pause; 700.5 came too late
    for start, _ in spans[1:]:  # every cut lies in silence, more than the decoding pad from speech
        assert all(not a - audio.PAD < start < b + audio.PAD for a, b in speech)
