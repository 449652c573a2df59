"""Noisy radio recordings (tests.talks.noisy_recording): bivideo's transcription loses no
more words than faster-whisper's own path on the same weights (issue #27; the whole set,
pass by pass: tools/noisy_report.py)."""

from __future__ import annotations

import pytest

from bivideo import audio, engines, transcribe
from tests.scoring import faster_whisper_own, wer
from tests.talks import noisy_recording

MARGIN = 0.01  # WER: a recording's bivideo transcript may be at most this much worse


@pytest.mark.slow
@pytest.mark.parametrize("colour", ["pink", "brown"])
def test_noisy_radio_recording_no_worse_than_faster_whispers_own_path(manifest, tmp_path, colour):
    row = manifest["en08_jfk_inaugural_ask_not.flac"]
    pcm = audio.load(noisy_recording(row["path"], colour, 5.0, tmp_path))
    plain = wer(row["reference_transcript"], faster_whisper_own(audio.floats(pcm), "en"))
    ours = transcribe.transcribe(engines.load_engine("faster-whisper", "base"), pcm, "en", lambda t: None).text
    assert wer(row["reference_transcript"], ours) <= plain + MARGIN, ours
