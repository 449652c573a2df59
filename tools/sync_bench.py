"""Subtitle timing against the speech, side by side: are cues on screen while their words are
spoken? Run by `make bench`; `--json` for machines.

Talks are built from the recordings in ../shared/media, joined with known pauses (so each
recording's onset is exact), one talk per language; the Mandarin one mixes read (zh03) and
spontaneous meeting speech (zh04). Each talk is decoded once per engine; then the same words
become cues several ways:
- raw: Whisper's own segments as cues (what the simplest tools show);
- unfitted: bivideo's cues from Whisper's word times as the model gave them;
- bivideo: word times fitted to the energy's speech regions that the Silero VAD confirms
  (audio.heard: the VAD tells speech from noise, the energy where it starts and stops);
- Silero VAD alone, at its frame resolution (32 ms); energy alone, unconfirmed.
Every variant gets the same stand-in translation (tests.servers.length_model_translation) and
goes through fit_bilingual, so what is scored is what the burned video would show. The
reference speech is what `check --audio` finds on the clean audio (energy against the local
noise floor): the same detection whose edges the fit uses, so the "energy" rows are near
zero by construction and the "Silero VAD alone" rows show how far an independent detector
puts the same edges. Also printed: the fitting's cost in seconds per audio minute
against the transcription's own time, and word/character error rates before and after
(fitting only moves times, so they must be the same).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from support import MEDIA

from bivideo import audio, engines, segmentation, standard_report, subtitles, sync_check, transcribe
from bivideo.datatypes import Cue, Transcript, other_language
from tests.scoring import cer, wer
from tests.servers import length_model_translation

FPS = 25.0
# (recording, pause before it in seconds): 1.2 s as in the issue, and a short and a long one
TALKS = {
    "en": [("en04_osr_us_000_0034_harvard_list72_8k.wav", 1.0), ("en08_jfk_inaugural_ask_not.flac", 1.2),
           ("en06_harvard_stale_smell_44k_stereo.wav", 0.7), ("en10_librispeech_1089-134686-0001.wav", 1.9)],
    "zh": [("zh03_osr_cn_000_0072_8k.wav", 1.0), ("zh04_wenetspeech_TEST_MEETING_T0000000001_S00000.wav", 1.2),
           ("zh05_funasr_asr_example_zh.wav", 0.7), ("zh06_aishell1_BAC009S0724W0121.wav", 1.9),
           ("zh04_wenetspeech_TEST_MEETING_T0000000001_S00000.wav", 1.2)],
}


def build_talk(parts: list[tuple[str, float]], folder: Path) -> tuple[np.ndarray, list[float]]:
    """The recordings joined with digital silence; returns samples and each part's offset."""
    pieces, offsets, at = [], [], 0.0
    for name, pause in parts:
        wav = folder / (Path(name).stem + ".wav")
        if not wav.exists():
            audio.extract(next(MEDIA.glob(f"*/{name}")), wav)
        samples = audio.load(wav)
        pieces += [np.zeros(int(pause * audio.SAMPLE_RATE), np.int16), samples]
        at += pause
        offsets.append(at)
        at += len(samples) / audio.SAMPLE_RATE
    return np.concatenate(pieces), offsets


def shown(built: list[Cue], words) -> list[Cue]:
    translated = [replace(c, target=length_model_translation(c.source, c.language, other_language(c.language)))
                  for c in built]
    return segmentation.fit_bilingual(translated, FPS, words)


def row(name: str, final: list[Cue], reference: list[tuple[float, float]]) -> dict:
    report = sync_check.score([(c.start, c.end) for c in final], reference)
    return {"variant": name, "cues": len(final), "onsets": len(report.onsets), "unmatched": report.unmatched,
            "median": round(report.median, 3), "p90": round(report.p90, 3),
            "worst_lead": round(report.worst_lead, 3), "worst_cut": round(report.worst_cut, 3),
            "over_silence": len(report.over_silence),
            "compliance": round(standard_report.score(subtitles.shown(final), FPS).compliance, 4)}


def cues_from(transcript: Transcript) -> list[Cue]:
    built = segmentation.build(transcript.words, transcript.language, FPS, transcript.segment_ends,
                       transcript.word_languages)
    return shown(built, transcript.words)


def measure(language: str, engine_name: str, samples: np.ndarray, references: str) -> dict:
    engine = engines.load_engine(engine_name, "base")
    began = time.perf_counter()
    speech = audio.fine_speech_regions(samples)  # the VAD pass decoding needs anyway
    decoded = transcribe.decode(engine, samples, language, lambda t: None, audio.padded(speech))
    decode_seconds = time.perf_counter() - began
    began = time.perf_counter()  # what the fit adds: the energy's regions, and moving the words
    energy = audio.energy_speech_regions(samples)
    fitted = transcribe.fit_to_speech(decoded, audio.heard(energy, speech))
    fit_seconds = time.perf_counter() - began
    reference = energy  # the same detection bivideo.sync_check runs for `check --audio`
    raw = [Cue(s.start, s.end, s.text.strip(), language=s.language) for s in decoded.segments]
    minutes = len(samples) / audio.SAMPLE_RATE / 60
    score = wer if language == "en" else cer
    return {
        "talk": language, "engine": engine_name, "seconds": round(minutes * 60, 1),
        "fit_seconds_per_minute": round(fit_seconds / minutes, 3),
        "fit_share_of_transcription": round(fit_seconds / decode_seconds, 4),
        "error_before": round(score(references, decoded.text), 4),
        "error_after": round(score(references, fitted.text), 4),
        "variants": [row("raw Whisper segments", shown(raw, None), reference),
                     row("bivideo, word times unfitted", cues_from(decoded), reference),
                     row("bivideo (VAD-confirmed energy)", cues_from(fitted), reference),
                     row("Silero VAD alone", cues_from(transcribe.fit_to_speech(decoded, speech)), reference),
                     row("energy alone", cues_from(transcribe.fit_to_speech(decoded, energy)), reference)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--engine", action="append", choices=engines.ENGINES)
    args = parser.parse_args()
    with (MEDIA / "MANIFEST.tsv").open(encoding="utf-8") as f:
        manifest = {Path(r["file"]).name: r["reference_transcript"] for r in csv.DictReader(f, delimiter="\t")}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for language, parts in TALKS.items():
            samples, _ = build_talk(parts, Path(tmp))
            references = " ".join(manifest[name] for name, _ in parts)
            for engine in args.engine or engines.ENGINES:
                results.append(measure(language, engine, samples, references))
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    print("cue start vs speech onset (s; negative = early), measured by bivideo.sync_check on the clean audio")
    print(f"{'talk':<4} {'engine':<15} {'variant':<30} {'cues':>5} {'onsets':>6} {'median':>7} {'p90':>6} "
          f"{'earliest':>8} {'max cut':>7} {'silence':>7} {'std ok':>7} {'no cue':>6}")
    for r in results:
        for v in r["variants"]:
            print(f"{r['talk']:<4} {r['engine']:<15} {v['variant']:<30} {v['cues']:>5} {v['onsets']:>6} "
                  f"{v['median']:>7.3f} {v['p90']:>6.3f} {-v['worst_lead']:>8.3f} {v['worst_cut']:>7.3f} "
                  f"{v['over_silence']:>7} {v['compliance']:>7.1%} {v['unmatched']:>6}")
    print("\nfitting word times to the speech: cost and accuracy")
    for r in results:
        print(f"{r['talk']:<4} {r['engine']:<15} {r['seconds']:>6}s audio: "
              f"{r['fit_seconds_per_minute']:.3f} s per audio "
              f"minute = {r['fit_share_of_transcription']:.2%} of transcription; "
              f"{'WER' if r['talk'] == 'en' else 'CER'} {r['error_before']:.3f} before, {r['error_after']:.3f} after")


if __name__ == "__main__":
    main()
