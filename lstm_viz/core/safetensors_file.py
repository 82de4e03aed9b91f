"""Read ``.safetensors`` files: a JSON header naming each tensor's dtype, shape and byte range, then raw bytes.

No code can hide in the format; the ``safetensors`` package (a declared dependency) checks the header against the
file. The result is a flat state_dict with the header's ``__metadata__`` (a str -> str dict) under that key.

Tied weights: ``safetensors.torch.save_model`` drops every tensor that shares all of its storage with another
one and records ``{dropped name: kept name}`` in the metadata (e.g. ``encoder.weight -> decoder.weight`` for a
language model whose embedding is tied to its decoder). As ``safetensors.torch.load_model`` does, the dropped
name is given back as the kept tensor, and the note says so.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError

_MAX_HEADER = 100_000_000  # the safetensors format's own limit on the JSON header


def looks_like_safetensors(head: bytes, path: Path) -> bool:
    """An 8-byte little-endian header length, then a JSON object; or the .safetensors suffix."""
    if path.suffix.lower() == ".safetensors":
        return True
    if len(head) < 10:
        return False
    n = int.from_bytes(head[:8], "little")
    return 2 <= n <= _MAX_HEADER and head[8:9] == b"{"


def read_safetensors(path: Path):
    from .file_formats import ReadResult

    try:
        from safetensors import safe_open
    except ImportError:
        raise CheckpointError(f"{path}: is a safetensors file; reading it needs the safetensors package "
                              f"(pip install safetensors)") from None
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = dict(f.metadata() or {})
            tensors: dict[str, Any] = {name: f.get_tensor(name) for name in f.keys()}
    except Exception as e:  # noqa: BLE001 - safetensors reports damage as several error types; one line
        detail = str(e).strip().splitlines()[0][:100] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{path}: not a safetensors file, or truncated or corrupt ({detail})") from None
    tied = restore_tied(tensors, metadata)
    note = ", ".join(f"{k!r} is the tied {v!r}" for k, v in tied.items()) + \
        " (safetensors' save_model dropped it as shared; the file's metadata says so)" if tied else ""
    return ReadResult({**tensors, "__metadata__": metadata}, "safetensors", note)


def restore_tied(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> dict[str, str]:
    """Give back the tensors save_model dropped as shared: metadata ``{dropped: kept}`` where the file holds
    ``kept`` and not ``dropped``. Returns {dropped: kept} for the names restored."""
    restored = {}
    for dropped, kept in metadata.items():
        if isinstance(kept, str) and kept in tensors and dropped not in tensors and _looks_like_a_name(dropped):
            tensors[dropped] = tensors[kept]
            restored[dropped] = kept
    return restored


def _looks_like_a_name(key: str) -> bool:
    return bool(key) and not key.startswith("__") and " " not in key and len(key) < 512
