"""Our checkpoint format: one self-describing file that loads with ``torch.load(weights_only=True)``.

    {"format": "lstm_viz", "format_version": 1,
     "config": ModelConfig as a dict (its "cell" names the cell type; older files without it hold an LSTM),
     "vocab": Vocab as a dict (or None),
     "state_dict": {name: tensor}, "metadata": {"corpus": ..., "steps": ..., "losses": [...], "seed": ...}}

Only tensors, dicts, lists, strings and numbers: nothing in it can run code when loaded.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError, LstmVizError
from .model import LoadedModel, ModelConfig, RNNLanguageModel, model_name
from .vocab import Vocab

FORMAT = "lstm_viz"
FORMAT_VERSION = 1


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; when the block ends cleanly, the file written there is synced and
    renamed onto ``path``. An error, a cancel (a generator closed inside the block) or a crash leaves any
    existing file at ``path`` untouched and no half-written file behind. The file gets the mode a plain open()
    would give it (the umask's), not mkstemp's owner-only 0600."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise LstmVizError(f"{path}: folder {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise LstmVizError(f"{path}: cannot write here ({e.strerror or e})") from None
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise LstmVizError(f"{path}: cannot write ({e.strerror or e})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write(path: str | Path, write) -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it onto ``path`` (atomic_path)."""
    with atomic_path(path) as tmp:
        write(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _plain(value: Any) -> Any:
    """Metadata reduced to what weights_only loading accepts."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    return str(value)


def save_checkpoint(path: str | Path, model: RNNLanguageModel, vocab: Vocab | None,
                    metadata: dict | None = None) -> None:
    obj = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "vocab": None if vocab is None else vocab.to_dict(),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "metadata": _plain(metadata or {}),
    }
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def is_lstm_viz_checkpoint(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("format") == FORMAT


def from_checkpoint_dict(obj: dict, path: str | Path = "") -> LoadedModel:
    """Rebuild a model from a loaded checkpoint dict of our format."""
    where = f"{path}: " if path else ""
    version = obj.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{where}lstm_viz checkpoint format version {version!r} is newer than this "
                              f"program reads ({FORMAT_VERSION}); update lstm_viz")
    try:
        config = ModelConfig.from_dict(obj["config"])
        vocab = Vocab.from_dict(obj["vocab"]) if obj.get("vocab") else None
        model = RNNLanguageModel(config)
        state = obj["state_dict"]
        dtype = next(iter(state.values())).dtype if state else torch.float32
        model.to(dtype)
        model.load_state_dict(state)
    except LstmVizError as e:
        raise CheckpointError(f"{where}{e}") from None
    except (KeyError, TypeError, ValueError, RuntimeError, StopIteration) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{where}inconsistent lstm_viz checkpoint ({first})") from None
    if vocab is not None and config.vocab_size and len(vocab) != config.vocab_size:
        raise CheckpointError(f"{where}vocab has {len(vocab)} tokens but the model expects {config.vocab_size}")
    model.eval()
    return LoadedModel(model=model, vocab=vocab, name=model_name(path) if path else "model",
                       source=str(path), layout=f"lstm_viz checkpoint v{version}",
                       metadata=dict(obj.get("metadata") or {}))
