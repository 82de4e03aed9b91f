"""Which kind of file a checkpoint is, and reading it without running code: the entry point of the safe reader.

``read_file(path)`` tells the formats apart by their first bytes and names, reads them with the code-free
readers (lstm_viz.core.torch_archive, torchscript, safetensors_file) and returns a :class:`ReadResult`: the
object (plain containers, tensors and :class:`~lstm_viz.core.pickled.Pickled` placeholders), the format, and a
phrase for ``info`` such as "whole pickled model model.RNNModel, read without running its code".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CheckpointError
from .pickled import Pickled, PickledGlobal, walk
from .safe_pickle import PickleReadError


@dataclass(frozen=True)
class ReadResult:
    obj: Any  # what torch.load would give, with Pickled placeholders for every object it would have built
    format: str  # "torch zip", "torch legacy", "pickle", "torchscript", "safetensors", "trusted pickle"
    note: str = ""  # what was read, for `info`: "" for plain weights


def read_file(path: str | Path) -> ReadResult:
    """Read any supported checkpoint file without importing or calling anything it names."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(512)
    try:
        if head[:2] == b"PK":
            return _read_zip(path)
        if len(head) >= 262 and head[257:262] == b"ustar":
            raise CheckpointError(
                f"{path}: is in PyTorch's oldest checkpoint format (a tar archive, PyTorch < 0.4), which lstm_viz "
                f"reads only with --trust; or re-save it as weights with a PyTorch of that time")
        if head[:1] == b"\x80":
            from .torch_archive import read_legacy

            with open(path, "rb") as f:
                kind, obj = read_legacy(path, f)
            if kind == "plain":
                return ReadResult(obj, "pickle", describe(obj) or "a plain pickle, read without running its code")
            return ReadResult(obj, "torch legacy", describe(obj))
        from .safetensors_file import looks_like_safetensors, read_safetensors

        if looks_like_safetensors(head, path):
            return read_safetensors(path)
    except CheckpointError:
        raise
    except PickleReadError as e:
        raise CheckpointError(f"{path}: not a PyTorch checkpoint, or truncated or corrupt ({e})") from None
    except MemoryError:
        raise CheckpointError(f"{path}: not a PyTorch checkpoint, or truncated or corrupt (too large to read)") \
            from None
    except Exception as e:  # noqa: BLE001 - zipfile and struct fail in many ways on damaged archives: one line
        detail = str(e).splitlines()[0][:80] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{path}: not a PyTorch checkpoint, or truncated or corrupt ({detail})") from None
    raise CheckpointError(f"{path}: not a PyTorch checkpoint, or truncated or corrupt (unknown file format)")


def _read_zip(path: Path) -> ReadResult:
    from .torch_archive import open_zip

    archive = open_zip(path)
    try:
        if archive.has("archive_format") or any("/models/" in n for n in archive.names) and not archive.has("data.pkl"):
            raise CheckpointError(
                f"{path}: is a torch.export program (.pt2), which holds a traced graph rather than a module; "
                f"lstm_viz reads weights: where the model's code lives, save "
                f"torch.save(model.state_dict(), 'model_state.pt') and open that")
        if archive.has("constants.pkl") or any(n.startswith(f"{archive.prefix}/code/") for n in archive.names):
            from .torchscript import read_torchscript

            return read_torchscript(archive)
        if not archive.has("data.pkl"):
            raise CheckpointError(f"{path}: is a zip archive but not a PyTorch checkpoint (no data.pkl)")
        obj = archive.load_pickle("data.pkl")
        return ReadResult(obj, "torch zip", describe(obj))
    finally:
        archive.zf.close()


def describe(obj: Any) -> str:
    """A phrase naming the pickled classes the reader kept as placeholders; "" for plain weights."""
    if isinstance(obj, Pickled) and obj.is_module:
        return f"whole pickled model {obj.name}, read without running its code"
    inner = list(obj.values()) if isinstance(obj, dict) else list(obj) if isinstance(obj, (list, tuple)) else []
    modules = [o.name for o in inner if isinstance(o, Pickled) and o.is_module]
    if modules:
        kind = "dict" if isinstance(obj, dict) else type(obj).__name__
        names = ", ".join(dict.fromkeys(modules))
        return f"a {kind} holding whole pickled models ({names}), read without running their code"
    names = sorted(_pickled_names(obj))
    if names:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        return f"pickled objects ({shown}) kept by name, without running their code"
    return ""


def _pickled_names(root: Any) -> set[str]:
    return {o.name for o in walk(root) if isinstance(o, Pickled) and not isinstance(o, PickledGlobal)}
