"""`--model auto`: the model chosen for the machine (a pure function of the hardware and the
weights at hand, tested on faked machines), the CPUs a process may use (affinity and cgroup
quotas), and a run offline on a machine that wants `small`: it says so in one line and
transcribes with `base`."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from bivideo import model_choice, toolchain
from bivideo.model_choice import Machine, choose
from bivideo.toolchain import usable_cpus
from tests.conftest import REPO, cli, make_video
from tests.raycluster import loopback_only
from tests.scoring import read_srt, wer

EVERYTHING = {"tiny", "base", "small", "medium", "large-v3", "turbo"}


@pytest.mark.parametrize(("machine", "model", "compute_type"), [
    (Machine("faster-whisper", gpus=1, cpus=2), "turbo", "float16"),
    (Machine("faster-whisper", gpus=4, cpus=64), "turbo", "float16"),
    (Machine("faster-whisper", gpus=0, cpus=64), "small", "int8"),
    (Machine("faster-whisper", gpus=0, cpus=8), "small", "int8"),
    (Machine("faster-whisper", gpus=0, cpus=7), "base", "int8"),
    (Machine("faster-whisper", gpus=0, cpus=2), "base", "int8"),
    (Machine("faster-whisper", gpus=0, cpus=1), "base", "int8"),
    (Machine("openai-whisper", gpus=1, cpus=2), "turbo", "float16"),
    (Machine("openai-whisper", gpus=0, cpus=32), "base", "float32"),  # no int8: small would not keep up
])
def test_auto_takes_the_best_model_the_machine_runs_near_real_time(machine, model, compute_type):
    chosen = choose(machine, EVERYTHING)
    assert (chosen.model, chosen.machine.compute_type, chosen.better) == (model, compute_type, None)
    assert chosen.why and f"model: {model}" in _told(chosen)


def test_whisper_translation_on_a_gpu_gets_large_v3_as_turbo_cannot_translate():
    gpu = Machine("faster-whisper", gpus=1, cpus=8)
    assert choose(gpu, EVERYTHING, translates=True).model == "large-v3"
    assert choose(Machine("faster-whisper", gpus=0, cpus=8), EVERYTHING, translates=True).model == "small"


@pytest.mark.parametrize(("machine", "wanted"), [(Machine("faster-whisper", 0, 16), "small"),
                                                 (Machine("faster-whisper", 1, 4), "turbo")])
def test_without_the_weights_it_wants_auto_settles_for_base_and_says_how_to_get_them(machine, wanted):
    chosen = choose(machine, {"base", "tiny.en"})
    assert (chosen.model, chosen.better) == ("base", wanted)
    (line,) = _told(chosen).splitlines()
    assert line.startswith(f"warning: model: base, not {wanted}:") and f"bivideo models --prepare {wanted}" in line


def test_the_choice_depends_on_the_hardware_and_the_cache_alone():
    machine = Machine("faster-whisper", 0, 12)
    assert choose(machine, {"small"}) == choose(machine, {"small", "medium"}) != choose(machine, set())


def _told(chosen: model_choice.Choice) -> str:
    import io

    from rich.console import Console

    from bivideo.ui import Reporter

    reporter = Reporter()
    reporter.console = Console(file=io.StringIO(), width=400)
    chosen.tell(reporter)
    return reporter.console.file.getvalue()


# --- the CPUs a process may use ----------------------------------------------------------------


def _cpus_in_a_process(*prefix: str) -> int:
    code = "from bivideo.toolchain import usable_cpus; print(usable_cpus())"
    done = subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return int(done.stdout)


def test_a_process_pinned_to_one_cpu_counts_one():
    assert _cpus_in_a_process() == usable_cpus() >= 1
    assert _cpus_in_a_process("taskset", "-c", "0") == 1


@pytest.mark.parametrize(("files", "quota"), [
    ({"cpu.max": "max 100000\n"}, None),  # cgroup v2, no limit
    ({"cpu.max": "150000 100000\n"}, 1.5),  # docker --cpus 1.5
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),  # v1, no limit
    ({"cpu,cpuacct/cpu.cfs_quota_us": "50000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, 0.5),
    ({}, None),  # no cgroup file system (macOS)
])
def test_a_cgroup_cpu_quota_caps_the_count(tmp_path, files, quota):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert toolchain.cgroup_quota(tmp_path) == quota
    affinity = usable_cpus()
    assert usable_cpus(tmp_path) == (affinity if quota is None else max(1, min(affinity, math.ceil(quota))))


def test_models_says_what_auto_picks_here(monkeypatch):
    for cpus, said in [(2, "auto      -> base: small needs 8 CPUs"), (8, "auto      -> small: near real time")]:
        monkeypatch.setattr(model_choice, "usable_cpus", lambda cpus=cpus: cpus)
        run = cli("models")
        assert run.code == 0 and said in run.out, run.out


# --- offline, on a machine that wants small ----------------------------------------------------


@pytest.mark.slow
def test_offline_auto_falls_back_to_base_in_one_line_and_the_run_works(english_recording, libre, tmp_path,
                                                                       monkeypatch):
    if not loopback_only():
        pytest.skip("needs a network namespace with only loopback (no model hub): run through tools/loopback-only, "
                    "as make test does")
    monkeypatch.setattr(model_choice, "usable_cpus", lambda: 8)  # a machine that wants small
    video = make_video(english_recording["path"], tmp_path / "talk.mp4", size="320x240")
    cache = tmp_path / "cache"  # no small in it, nor in the hub's own cache
    env = {"BIVIDEO_CACHE": str(cache), "HF_HOME": str(tmp_path / "hf")}
    translator = ("--translator", "libre", "--translator-url", libre[0], "--for", "none", "--preview")
    run = cli("make", video, *translator, env=env)
    assert run.code == 0, run.err
    said = [line for line in run.err.splitlines() if "model:" in line]
    assert len(said) == 1 and said[0].startswith("warning: model: base, not small:"), run.err
    assert "bivideo models --prepare small" in said[0]
    assert not (cache / "models" / "ct2" / "small" / "model.bin").exists()
    spoken = " ".join(cue.content for cue in read_srt(tmp_path / "talk.en.srt"))
    assert wer(english_recording["reference_transcript"], spoken) <= 0.15, spoken
    # the transcript is keyed by the model used: asking for base by name finds it made
    again = cli("make", video, *translator, "--model", "base", env=env)
    assert again.code == 0, again.err
    assert "model: base, int8 on 8 CPUs\n" in again.err and "transcript: reused" in again.err
