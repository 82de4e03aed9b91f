"""Open a checkpoint file safely and turn it into a LoadedModel.

Our own format is rebuilt directly; anything else (state_dicts of other projects, training dicts, whole
pickled modules the user chose to trust) goes through lstm_viz.core.importer.
"""
from __future__ import annotations

import pickle
import struct
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from .checkpoint import from_checkpoint_dict, is_lstm_viz_checkpoint
from .errors import CheckpointError
from .model import LoadedModel
from .vocab import Vocab


def read_checkpoint_file(path: str | Path, trust: bool = False) -> Any:
    """``torch.load`` the file with weights_only=True; only ``trust=True`` allows arbitrary pickles."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such file")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: file is empty")
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        with warnings.catch_warnings():  # e.g. "Detected pickle protocol 4": not the user's concern
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        msg = str(e)
        found = re.search(r"(?i)unsupported (?:global: )?GLOBAL ([\w.]+)", msg)
        with open(path, "rb") as f:
            head = f.read(2)
        looks_pickled = head == b"PK" or head[:1] == b"\x80"  # a zip checkpoint, or a pickle (protocol >= 2)
        if found is None and ("weights_only" not in msg.lower().replace(" ", "_") or not looks_pickled):
            raise CheckpointError(f"{path}: not a PyTorch checkpoint, or truncated or corrupt "
                                  f"({_first_line(msg).split('. ')[0]})") from None
        if not trust:
            what = f"a pickled Python object ({found.group(1)})" if found else "pickled data that is not plain weights"
            raise CheckpointError(
                f"{path}: holds {what}; safe loading refuses it because unpickling can run code. If you trust "
                f"the file, pass --trust; or re-save it as weights with "
                f"torch.save(model.state_dict(), 'model_state.pt')") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, AttributeError, struct.error,
            IndexError, KeyError, TypeError) as e:
        detail = _first_line(str(e)).split(". ")[0].rstrip(".")
        if isinstance(e, (KeyError, IndexError, TypeError, AttributeError)) or len(detail) < 8:
            detail = "unreadable data"  # the unpickler tripped over bytes that are not a checkpoint
        raise CheckpointError(f"{path}: not a PyTorch checkpoint, or truncated or corrupt ({detail})") from None
    # Only here when the user trusted the file explicitly.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001 - a trusted pickle may fail in any way; report it in one line
        hint = ("; the classes it was pickled with must be importable here - or re-save it where they are, with "
                "torch.save(model.state_dict(), 'model_state.pt')" if isinstance(e, (AttributeError, ImportError))
                else "")
        raise CheckpointError(f"{path}: could not unpickle the trusted file ({type(e).__name__}: "
                              f"{_first_line(str(e))}){hint}") from None


def load_model(path: str | Path, vocab: str | Path | Vocab | list | None = None, module: str | None = None,
               trust: bool = False) -> LoadedModel:
    """Load any supported checkpoint. ``vocab``: a Vocab, a token list, or a vocab file for checkpoints that
    carry none. ``module``: the prefix of the LSTM to use when the file holds several. ``trust``: allow a
    whole pickled module (can run code: only for files you trust)."""
    path = Path(path)
    vocab_name = "the given vocab"
    if isinstance(vocab, (str, Path)):
        vocab_name = f"vocab file {vocab}"
        vocab = Vocab.load(vocab)
    elif isinstance(vocab, (list, tuple)):
        vocab = Vocab.from_tokens(vocab)
    obj = read_checkpoint_file(path, trust=trust)
    if is_lstm_viz_checkpoint(obj):
        loaded = from_checkpoint_dict(obj, path)
        if vocab is not None:
            raise CheckpointError(f"{path}: is an lstm_viz checkpoint with its own vocab; do not pass another")
        return loaded
    from .importer import import_checkpoint  # foreign layouts

    return import_checkpoint(obj, path=path, vocab=vocab, module=module, vocab_name=vocab_name)


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0][:120] if text else ""
