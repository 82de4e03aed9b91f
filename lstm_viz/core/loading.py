"""Open a checkpoint file safely and turn it into a LoadedModel.

Files are read without running code (lstm_viz.core.file_formats); our own format is rebuilt directly, anything
else (state_dicts of other projects, training dicts, whole pickled models as Pickled trees, safetensors,
TorchScript weights) goes through lstm_viz.core.importer. Only ``trust=True`` calls torch.load(weights_only=False).
"""
from __future__ import annotations

import dataclasses
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from .checkpoint import from_checkpoint_dict, is_lstm_viz_checkpoint
from .errors import CheckpointError
from .file_formats import ReadResult, read_file
from .model import LoadedModel
from .pickled import walk
from .vocab import Vocab


def read_checkpoint(path: str | Path, trust: bool = False) -> ReadResult:
    """Read a checkpoint without running code (lstm_viz.core.file_formats): tensors and plain data as
    themselves, every other pickled object as an inert Pickled placeholder. ``trust=True`` means a real
    ``torch.load(weights_only=False)`` for pickles (the file's classes must then be importable)."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such file")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file")
    try:
        if path.stat().st_size == 0:
            raise CheckpointError(f"{path}: file is empty")
        with open(path, "rb") as f:
            head = f.read(262)
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read ({e.strerror or e})") from None
    is_tar = head[257:262] == b"ustar"  # PyTorch's oldest format
    if trust and (head[:1] == b"\x80" or is_tar or (head[:2] == b"PK" and _is_torch_zip(path))):
        return ReadResult(_trusted_load(path), "trusted pickle")
    try:
        return read_file(path)
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read ({e.strerror or e})") from None


def read_checkpoint_file(path: str | Path, trust: bool = False) -> Any:
    """What :func:`read_checkpoint` read: the object alone."""
    return read_checkpoint(path, trust=trust).obj


def _is_torch_zip(path: Path) -> bool:
    """A torch.save zip archive (not TorchScript, not torch.export): the only zip a trusted torch.load reads."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return True  # let torch.load say what is wrong with it
    return any(n.endswith("/data.pkl") for n in names) and not any(
        n.endswith("/constants.pkl") or n.endswith("/archive_format") for n in names)


def _trusted_load(path: Path) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001 - a trusted pickle may fail in any way; report it in one line
        hint = ("; the classes it was pickled with must be importable here - or open it without --trust, which "
                "reads it without its code" if isinstance(e, (AttributeError, ImportError)) else "")
        raise CheckpointError(f"{path}: could not unpickle the trusted file ({type(e).__name__}: "
                              f"{_first_line(str(e))}){hint}") from None


def load_model(path: str | Path, vocab: str | Path | Vocab | list | None = None, module: str | None = None,
               trust: bool = False, nonlinearity: str | None = None) -> LoadedModel:
    """Load any supported checkpoint. ``vocab``: a Vocab, a token list, or a vocab file for checkpoints that
    carry none. ``module``: the prefix of the LSTM to use when the file holds several. ``trust``: allow a
    whole pickled module (can run code: only for files you trust). ``nonlinearity``: "tanh" or "relu" for a
    plain RNN, whose state_dict does not store it (a whole pickled nn.RNN says it itself)."""
    path = Path(path)
    vocab_name = "the given vocab"
    if isinstance(vocab, (str, Path)):
        vocab_name = f"vocab file {vocab}"
        vocab = Vocab.load(vocab)
    elif isinstance(vocab, (list, tuple)):
        vocab = Vocab.from_tokens(vocab)
    read = read_checkpoint(path, trust=trust)
    obj = read.obj
    if is_lstm_viz_checkpoint(obj):
        loaded = from_checkpoint_dict(obj, path)
        if vocab is not None:
            raise CheckpointError(f"{path}: is an lstm_viz checkpoint with its own vocab; do not pass another")
        return loaded
    from .importer import import_checkpoint  # foreign layouts

    if read.note and not _holds_a_tensor(obj):
        raise CheckpointError(f"{path}: holds no model weights, only {read.note}")
    # Whole pickled models go to the importer as the reader gave them: a tree of inert placeholders whose
    # attributes (nonlinearity, rnn_type, is_forward_lm, the class name) the importer reads as hints.
    loaded = import_checkpoint(obj, path=path, vocab=vocab, module=module, vocab_name=vocab_name,
                               nonlinearity=nonlinearity)
    if read.note and not any(read.note in n for n in (loaded.layout, *loaded.notes)):
        loaded = dataclasses.replace(loaded, notes=(read.note, *loaded.notes))
    return loaded


def _holds_a_tensor(root: Any) -> bool:
    return any(isinstance(o, torch.Tensor) for o in walk(root))


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0][:120] if text else ""
