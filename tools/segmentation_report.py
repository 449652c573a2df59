"""How well bivideo's cues meet the subtitle standard, against Whisper's raw segments of the
same audio (the baseline), on every recording in ../shared/media, on a talk of at least
5 minutes concatenated from them (English and Mandarin alternating, so per-region language
detection is exercised too), and on one long talk per language joined from its recordings
played at several tempos (TEMPOS: faster and slower speakers, whose words and pauses reach
the lengths where a cue is left too short to read or a Chinese word is cut in two). Beside
the share of cues within every rule: the cues shorter than 5/6 s ("short") and the joins
between Chinese cues inside a jieba word ("cut words"). Run by `make bench`; `--json` for
machines.

Bilingual cues need the other language. Mandarin cues get real English, offline: Whisper's own
translate task (same base model), each translation unit from its own clip of the audio
(bivideo.translators.whisper_translation.translate_units). There is no offline
English->Chinese translator on these machines, so English cues get
tests.servers.length_model_translation: a stand-in with a real translation's length and
punctuation (2.6 English characters per Chinese character), the part of a translation that
decides layout. A Mandarin cue Whisper's translation leaves empty gets the stand-in too (counted
as "stand-in zh->en"). Raw segments are translated the same way, as units of their own.
Error rates are scored against MANIFEST.tsv's references; for the concatenated talk the check
is that the cues' words are exactly the transcript's words.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from support import MEDIA

from bivideo import (
    audio,
    engines,
    segmentation,
    standard,
    standard_report,
    subtitles,
    transcribe,
    translation_units,
    whisper_translation,
)
from bivideo.datatypes import Cue, Word, line_language, other_language
from tests.scoring import cer, inside_a_word, too_short, wer
from tests.servers import length_model_translation
from tests.talks import tempo_talk

FPS = 25.0
CONCAT_MINUTES = 5.0
TEMPOS = (1.0, 0.9, 0.8, 1.5)  # each language's recordings at each, in turn
PAUSES = (1.0, 0.45, 1.2, 0.7, 0.42, 1.9)  # before each recording of the tempo talks, in turn


def translated(shown: list[Cue], engine, samples, words: list[Word]) -> tuple[list[Cue], int]:
    """Cues with their other language (see the module notes), and how many Mandarin cues fell
    back to the stand-in."""
    mandarin = [c for c in shown if c.language == "zh"]
    real = {}
    if mandarin:
        groups = translation_units.units(mandarin, translation_units.pauses_before(mandarin, words))
        for unit in whisper_translation.translate_units(engine, samples, mandarin, groups, words, lambda t: None):
            real.update(zip((id(mandarin[i]) for i in unit.indices), unit.lines))
    out = [replace(c, target=real.get(id(c)) or length_model_translation(
        c.source, c.language, other_language(c.language))) for c in shown]
    return out, sum(not real[id(c)] for c in mandarin)


def measure(name: str, samples, reference: str | None, language: str) -> dict:
    engine = engines.load_engine("faster-whisper", "base")
    transcript = transcribe.transcribe(engine, samples, "auto", lambda t: None)
    raw = [Cue(s.start, s.end, s.text.strip(), language=s.language) for s in transcript.segments]
    built = segmentation.build(transcript.words, transcript.language, FPS, transcript.segment_ends,
                               transcript.word_languages)
    raw_shown, raw_stand_ins = translated(raw, engine, samples, transcript.words)
    built_shown, stand_ins = translated(built, engine, samples, transcript.words)
    ours = segmentation.fit_bilingual(built_shown, FPS, transcript.words)
    raw_report = standard_report.score(subtitles.shown(raw_shown), FPS)
    our_report = standard_report.score(subtitles.shown(ours), FPS)
    spoken = "".join(w.text for w in transcript.words).replace(" ", "")
    row = {
        "recording": name, "language": transcript.language, "seconds": round(len(samples) / audio.SAMPLE_RATE, 1),
        "raw": raw_report.to_json() | {"problems": None}, "cues": our_report.to_json() | {"problems": None},
        "max_cue_seconds": round(max(c.end - c.start for c in ours), 3),
        "short": too_short(ours), "cut_words": inside_a_word(ours),
        "max_line": max(standard.display_width(line, line_language(line))
                        / standard.MAX_LINE[line_language(line)] for e in subtitles.shown(ours) for line in e.lines),
        "words_kept_exactly": "".join(c.source for c in built).replace(" ", "") == spoken,
        "removed": transcript.removed,
        "stand_in_zh_to_en": {"raw": raw_stand_ins, "cues": stand_ins},
    }
    if reference:
        score = wer if language == "en" else cer
        row["error_raw"] = round(score(reference, " ".join(c.source for c in raw)), 4)
        row["error_cues"] = round(score(reference, " ".join(c.source for c in ours)), 4)
    return row


def load(path: Path, folder: Path):
    wav = folder / (path.stem + ".wav")
    audio.extract(path, wav)
    return audio.load(wav)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with (MEDIA / "MANIFEST.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for row in rows:
            samples = load(MEDIA / row["file"], folder)
            results.append(measure(Path(row["file"]).stem, samples, row["reference_transcript"], row["language"]))
        # the long talk: the recordings in turn, repeated until it lasts 5 minutes
        total = sum(float(r["duration_seconds"]) for r in rows)
        repeats = int(CONCAT_MINUTES * 60 // total) + 1
        listing = folder / "list.txt"
        listing.write_text("".join(f"file '{folder / (Path(r['file']).stem + '.wav')}'\n" for r in rows) * repeats)
        talk = folder / "talk.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                        "-c", "copy", str(talk)], check=True)
        results.append(measure(f"concatenated talk ({repeats} x all)", audio.load(talk), None, "mixed"))
        for language in ("en", "zh"):
            played = [r for r in rows if r["language"] == language]
            parts = [(MEDIA / r["file"], tempo, PAUSES[k % len(PAUSES)])
                     for k, (tempo, r) in enumerate((t, r) for t in TEMPOS for r in played)]
            results.append(measure(f"{language} talk at tempos {', '.join(map(str, TEMPOS))}",
                                   tempo_talk(parts, folder), None, language))
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    print(f"{'recording':<52} {'lang':<4} {'sec':>6} {'raw ok':>7} {'cues ok':>8} {'raw n':>6} {'cues n':>6} "
          f"{'short':>5} {'cut words':>9} {'max s':>6} {'max line':>8} {'err raw':>8} {'err cues':>8} words")
    for r in results:
        print(f"{r['recording'][:52]:<52} {r['language']:<4} {r['seconds']:>6} {r['raw']['compliance']:>7.1%} "
              f"{r['cues']['compliance']:>8.1%} {r['raw']['cues']:>6} {r['cues']['cues']:>6} "
              f"{len(r['short']):>5} {len(r['cut_words']):>9} "
              f"{r['max_cue_seconds']:>6} {r['max_line']:>8.2f} {r.get('error_raw', '-'):>8} "
              f"{r.get('error_cues', '-'):>8} {'same' if r['words_kept_exactly'] else 'DIFFER'}")
    for r in results:
        broken = {k: v for k, v in r["cues"]["rules"].items() if v}
        if broken:
            print(f"  {r['recording']}: cues breaking rules: {broken}")
        if r["short"] or r["cut_words"]:
            print(f"  {r['recording']}: short cues {r['short']}, cues joined inside a word {r['cut_words']}")
        if any(r["stand_in_zh_to_en"].values()):
            print(f"  {r['recording']}: Mandarin cues Whisper's translation left empty (stand-in used): "
                  f"{r['stand_in_zh_to_en']}")


if __name__ == "__main__":
    main()
