"""How fast each Whisper model transcribes on this machine: the figures behind `--model auto`'s
thresholds (README, "Which model").

For each model whose weights are at hand (nothing is downloaded), bivideo's own transcription
(faster-whisper as bivideo loads it, word times, VAD, beam 5) of the ../shared/media recordings
of each language (English alone for an English-only model), joined with 1 s pauses, in a fresh
process per model and language, the best of `--rounds`. Prints the CPU-seconds per audio
second (what the model costs, whatever else runs on the machine) and the wall time as a share
of the audio (what a user waits), with the CPUs the process may use and what `--model auto`
picks here.

    python tools/model_speed.py [--models base small turbo] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from support import MEDIA, REPO, load_average, status

from bivideo import model_choice, toolchain, weights

# In a fresh interpreter: load the model as a run does, then time the transcription alone.
CHILD = """
import json, sys, time
from bivideo import audio, engines, transcribe

model, wav, language, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
samples = audio.load(wav)
engine = engines.load_engine("faster-whisper", model)
best = None
for _ in range(rounds):
    wall, cpu = time.perf_counter(), time.process_time()
    transcribe.transcribe(engine, samples, language, lambda done: None)
    run = (time.perf_counter() - wall, time.process_time() - cpu)
    best = min(best or run, run)
print(json.dumps({"audio": len(samples) / audio.SAMPLE_RATE, "wall": best[0], "cpu": best[1]}))
"""


def joined(language: str, dest: Path) -> Path:
    """Every recording of `language` in ../shared/media, 16 kHz mono, 1 s apart."""
    files = sorted((MEDIA / language).glob("*"))
    inputs = [arg for path in files for arg in ("-i", str(path))]
    graph = ";".join(f"[{i}:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur=1[a{i}]"
                     for i in range(len(files)))
    graph += ";" + "".join(f"[a{i}]" for i in range(len(files))) + f"concat=n={len(files)}:v=0:a=1"
    subprocess.run([toolchain.ffmpeg(), "-v", "error", "-y", *inputs, "-filter_complex", graph, str(dest)],
                   check=True)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["base", model_choice.CPU_MODEL, model_choice.GPU_MODEL])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not (MEDIA / "en").is_dir():
        sys.exit(f"model_speed: needs the recordings of ../shared/media ({MEDIA})")
    machine = model_choice.here("faster-whisper")
    at_hand = {row.name for row in weights.status() if row.offline}
    print(f"CPUs usable: {machine.cpus}, CUDA devices: {machine.gpus}, load average {load_average()}")
    print(f"--model auto here: {model_choice.choose(machine, at_hand).said()}")
    print(f"   {'model':<10}{'language':<10}{'audio s':>9}{'wall s':>8}{'wall/audio':>12}{'cpu s/audio s':>15}")
    with tempfile.TemporaryDirectory(prefix="bivideo-model-speed-") as tmp:
        for model in args.models:
            if model not in at_hand:
                print(f"   {model:<10}not at hand (bivideo models --prepare {model} where the model hub is reached)")
                continue
            for language in ("en",) if model.endswith(".en") else ("en", "zh"):
                wav = Path(tmp) / f"{language}.wav"
                if not wav.exists():
                    joined(language, wav)
                status(f"{model}, {language}")
                child = subprocess.run([sys.executable, "-c", CHILD, model, str(wav), language, str(args.rounds)],
                                       capture_output=True, text=True, check=True, cwd=REPO)
                found = json.loads(child.stdout.splitlines()[-1])
                print(f"   {model:<10}{language:<10}{found['audio']:>9.1f}{found['wall']:>8.2f}"
                      f"{found['wall'] / found['audio']:>12.3f}{found['cpu'] / found['audio']:>15.3f}")


if __name__ == "__main__":
    main()
