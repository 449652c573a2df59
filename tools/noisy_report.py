"""English word error rates on noisy radio recordings: bivideo beside faster-whisper's own path.

Each English recording of ../shared/media (and, so that the talk is decoded in parts, all of
them joined with pauses) is played as a radio in noise (tests.talks.noisy_recording: pink and
brown noise at 0, 5 and 10 dB SNR, band-limited to 300-3000 Hz). Per recording:
- faster-whisper: the same base weights, `WhisperModel(...).transcribe(audio, language="en",
  vad_filter=True)` with otherwise its defaults (its own VAD options, conditioning on the
  previous text);
- bivideo: bivideo.transcribe.transcribe with engine faster-whisper, model base, `--from en`
  (or as --from says);
- with --ablate, bivideo again with each of its speech passes switched off in turn (the
  re-decoding of speech left without words, the decoding in parts, the removal of words
  where the VAD heard no speech), and with faster-whisper's VAD inside the engine at
  bivideo's options (audio.VAD_OPTIONS), the pass that cost the words before issue #27.
Then the mean over the recordings. Not timed: run it at any load (`nice -n 10` on a shared
machine). The noisy WAVs are made once per name in --folder (a temporary one by default).
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from unittest import mock

import numpy as np
from support import MEDIA

from bivideo import audio, engines, hallucinations, transcribe
from tests.scoring import faster_whisper_own, wer
from tests.talks import joined, noisy_recording, wav_file

COLOURS = ("pink", "brown")
SNRS = (0.0, 5.0, 10.0)
JOINED = "en-joined"  # all the English recordings, 1.5 s apart: over a minute, so decoded in two parts
PAUSE = 1.5


def plain_text(pcm: np.ndarray, cached: Path) -> str:
    """faster-whisper's own text (tests.scoring.faster_whisper_own), kept in the file
    `cached`: it does not depend on bivideo's code."""
    if not cached.exists():
        cached.write_text(faster_whisper_own(audio.floats(pcm), "en"), encoding="utf-8")
    return cached.read_text(encoding="utf-8")


def bivideo_text(pcm: np.ndarray, language: str) -> str:
    """bivideo's text, as a `bivideo make` of its own gives it: on a model loaded afresh
    (CTranslate2 seeds a thread's sampling once, so a model that sampled before goes on
    from there)."""
    engines.unload_engines()
    engine = engines.load_engine("faster-whisper", "base")
    return transcribe.transcribe(engine, pcm, language, lambda t: None).text


@contextmanager
def _bivideo_vad_options() -> Iterator[None]:
    """faster-whisper's VAD inside bivideo's engine at audio.VAD_OPTIONS, as before issue #27."""
    from faster_whisper import WhisperModel
    from faster_whisper.vad import VadOptions

    own = WhisperModel.transcribe

    def transcribe(self, *args, **kwargs):
        return own(self, *args, **{**kwargs, "vad_parameters": VadOptions(**audio.VAD_OPTIONS)})

    with mock.patch.object(WhisperModel, "transcribe", transcribe):
        yield


ABLATIONS: dict[str, Callable[[], AbstractContextManager]] = {
    "no re-decoding": lambda: mock.patch.object(transcribe, "untranscribed", lambda *_: []),
    "one span": lambda: mock.patch.object(transcribe, "part_length", lambda *_: math.inf),
    "words over silence kept": lambda: mock.patch.object(hallucinations, "_in_speech", lambda *_: True),
    "engine VAD at bivideo's options": _bivideo_vad_options,
}


def recordings(folder: Path) -> dict[str, tuple[np.ndarray, str]]:
    """Clean 16 kHz recordings by name, with their reference transcripts; the joined talk last."""
    with (MEDIA / "MANIFEST.tsv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["language"] == "en"]
    out = {}
    for row in rows:
        wav = folder / (Path(row["file"]).stem + ".wav")
        if not wav.exists():
            audio.extract(MEDIA / row["file"], wav)
        out[wav.stem] = (audio.load(wav), row["reference_transcript"])
    out[JOINED] = (joined([pcm for pcm, _ in out.values()], PAUSE),
                   " ".join(reference for _, reference in out.values()))
    return out


def noisy(name: str, pcm: np.ndarray, colour: str, snr: float, folder: Path) -> np.ndarray:
    clean = folder / f"{name}.wav"
    if not clean.exists():  # the joined talk
        wav_file(pcm, clean)
    return audio.load(noisy_recording(clean, colour, snr, folder))


def scores(samples: np.ndarray, reference: str, columns: list[str], plain: Path, language: str) -> dict[str, float]:
    """WER by column: faster-whisper's own path (its text kept in the file `plain`), bivideo,
    and bivideo with each of the ABLATIONS named in `columns`."""
    out = {"faster-whisper": wer(reference, plain_text(samples, plain))}
    for column in columns[1:]:
        if column == "one span" and transcribe.part_length(len(samples) / audio.SAMPLE_RATE,
                                                            None if language == "auto" else "en") == transcribe.SPAN:
            out[column] = out["bivideo"]  # decoded whole either way
            continue
        with ABLATIONS[column]() if column in ABLATIONS else nullcontext():
            out[column] = wer(reference, bivideo_text(samples, language))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, help="where the noisy WAVs are made (and reused)")
    parser.add_argument("--ablate", action="store_true", help="also bivideo with each speech pass off in turn")
    parser.add_argument("--clean", action="store_true", help="also the clean recordings")
    parser.add_argument("--only", help="recordings whose name holds this")
    parser.add_argument("--from", dest="language", choices=("en", "auto"), default="en", help="bivideo's --from")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        talks = {k: v for k, v in recordings(folder).items() if not args.only or args.only in k}
        columns = ["faster-whisper", "bivideo", *(ABLATIONS if args.ablate else ())]
        widths = [max(9, len(c)) for c in columns]
        conditions: list[tuple[str, float | None]] = [("clean", None)] if args.clean else []
        conditions += [(colour, snr) for colour in COLOURS for snr in SNRS]
        print(f"{'recording':<44} {'noise':<10}" + "".join(f" {c:>{w}}" for c, w in zip(columns, widths)), flush=True)
        noisy_scores: dict[str, list[float]] = {c: [] for c in columns}
        for name, (pcm, reference) in talks.items():
            for colour, snr in conditions:
                samples = pcm if snr is None else noisy(name, pcm, colour, snr, folder)
                noise = "clean" if snr is None else f"{colour}{snr:g}dB"
                row = scores(samples, reference, columns, folder / f"{name}.{noise}.faster-whisper.txt",
                             args.language)
                for column, value in row.items():
                    if snr is not None:
                        noisy_scores[column].append(value)
                print(f"{name[:44]:<44} {noise:<10}" + "".join(f" {row[c]:>{w}.3f}" for c, w in zip(columns, widths)),
                      flush=True)
        print(f"{'mean over the noisy recordings':<55}"
              + "".join(f" {statistics.mean(noisy_scores[c]):>{w}.3f}" for c, w in zip(columns, widths)))


if __name__ == "__main__":
    main()
