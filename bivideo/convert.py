"""Convert CTranslate2 Whisper weights (faster-whisper's format) to an openai-whisper checkpoint.

The offline weights exist only in CTranslate2 form; openai-whisper loads its own PyTorch
checkpoint. The conversion is lossless: fp16 values widen to fp32, the fused q/k/v (self
attention) and k/v (cross attention) projections split back into separate ones, and the key
projections, which have no bias in Whisper, drop the zero bias CTranslate2 stores.

    python -m bivideo.convert CT2_MODEL_DIR OUT.pt
"""

from __future__ import annotations

import json
import re
import struct
import sys
from pathlib import Path

import numpy as np

# CTranslate2's DataType enum order (include/ctranslate2/types.h).
_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16)


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """All variables of a CTranslate2 model.bin (binary format version 6), aliases resolved."""
    with path.open("rb") as f:
        def unpack(fmt: str) -> int:
            return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]

        def string() -> str:  # length-prefixed, NUL-terminated
            return f.read(unpack("H"))[:-1].decode()

        version = unpack("I")
        if version < 5:
            raise ValueError(f"unsupported CTranslate2 model version {version}")
        string()  # spec name
        unpack("I")  # spec revision
        variables = {}
        for _ in range(unpack("I")):
            name = string()
            shape = [unpack("I") for _ in range(unpack("B"))]
            dtype = _DTYPES[unpack("B")]
            variables[name] = np.frombuffer(f.read(unpack("I")), dtype=dtype).reshape(shape)
        for _ in range(unpack("I")):
            alias, target = string(), string()
            variables[alias] = variables[target]
    return variables


def _split(array: np.ndarray, parts: int) -> list[np.ndarray]:
    return np.split(array, parts, axis=0)


def _attention(v: dict, src: str, dst: str, cross: bool) -> dict[str, np.ndarray]:
    out = {}
    if cross:  # linear_0 = query, linear_1 = fused key/value, linear_2 = output
        q_w, q_b = v[f"{src}/linear_0/weight"], v[f"{src}/linear_0/bias"]
        k_w, v_w = _split(v[f"{src}/linear_1/weight"], 2)
        _, v_b = _split(v[f"{src}/linear_1/bias"], 2)
        o = "linear_2"
    else:  # linear_0 = fused query/key/value, linear_1 = output
        q_w, k_w, v_w = _split(v[f"{src}/linear_0/weight"], 3)
        q_b, _, v_b = _split(v[f"{src}/linear_0/bias"], 3)
        o = "linear_1"
    out.update({f"{dst}.query.weight": q_w, f"{dst}.query.bias": q_b,
                f"{dst}.key.weight": k_w,
                f"{dst}.value.weight": v_w, f"{dst}.value.bias": v_b,
                f"{dst}.out.weight": v[f"{src}/{o}/weight"], f"{dst}.out.bias": v[f"{src}/{o}/bias"]})
    return out


def _norm(v: dict, src: str, dst: str) -> dict[str, np.ndarray]:
    return {f"{dst}.weight": v[f"{src}/gamma"], f"{dst}.bias": v[f"{src}/beta"]}


def _ffn(v: dict, src: str, dst: str) -> dict[str, np.ndarray]:
    return {f"{dst}.mlp.0.weight": v[f"{src}/linear_0/weight"], f"{dst}.mlp.0.bias": v[f"{src}/linear_0/bias"],
            f"{dst}.mlp.2.weight": v[f"{src}/linear_1/weight"], f"{dst}.mlp.2.bias": v[f"{src}/linear_1/bias"],
            **_norm(v, f"{src}/layer_norm", f"{dst}.mlp_ln")}


def _layers(v: dict, side: str) -> int:
    return len({k.split("/")[1] for k in v if re.match(rf"{side}/layer_\d+/", k)})


def state_dict(v: dict[str, np.ndarray]) -> tuple[dict, dict[str, np.ndarray]]:
    """Pure: CTranslate2 variables -> (openai-whisper dims, state dict as fp32 arrays)."""
    n_audio_layer, n_text_layer = _layers(v, "encoder"), _layers(v, "decoder")
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(v["encoder/conv1/weight"].shape[0]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_audio_layer,
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(v["decoder/embeddings/weight"].shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_text_layer,
    }
    sd = {
        "encoder.conv1.weight": v["encoder/conv1/weight"], "encoder.conv1.bias": v["encoder/conv1/bias"],
        "encoder.conv2.weight": v["encoder/conv2/weight"], "encoder.conv2.bias": v["encoder/conv2/bias"],
        "encoder.positional_embedding": v["encoder/position_encodings/encodings"],
        **_norm(v, "encoder/layer_norm", "encoder.ln_post"),
        "decoder.token_embedding.weight": v["decoder/embeddings/weight"],
        "decoder.positional_embedding": v["decoder/position_encodings/encodings"],
        **_norm(v, "decoder/layer_norm", "decoder.ln"),
    }
    for i in range(n_audio_layer):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        sd.update(_attention(v, f"{src}/self_attention", f"{dst}.attn", cross=False))
        sd.update(_norm(v, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln"))
        sd.update(_ffn(v, f"{src}/ffn", dst))
    for i in range(n_text_layer):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        sd.update(_attention(v, f"{src}/self_attention", f"{dst}.attn", cross=False))
        sd.update(_norm(v, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln"))
        sd.update(_attention(v, f"{src}/attention", f"{dst}.cross_attn", cross=True))
        sd.update(_norm(v, f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln"))
        sd.update(_ffn(v, f"{src}/ffn", dst))
    return dims, {name: np.asarray(a, dtype=np.float32) for name, a in sd.items()}


def convert(ct2_dir: Path, out: Path) -> None:
    """Write `out` (an openai-whisper checkpoint) from the CTranslate2 model in `ct2_dir`.
    The alignment heads (used for word timestamps) come from the model's config.json."""
    import torch

    from bivideo.artifacts import atomic_path

    dims, sd = state_dict(read_ct2(ct2_dir / "model.bin"))
    config = json.loads((ct2_dir / "config.json").read_text())
    checkpoint = {"dims": dims, "model_state_dict": {k: torch.from_numpy(a.copy()) for k, a in sd.items()},
                  "alignment_heads": [list(map(int, pair)) for pair in config.get("alignment_heads", [])]}
    with atomic_path(out) as tmp:
        torch.save(checkpoint, tmp)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
