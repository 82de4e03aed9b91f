"""A trace: everything an LSTM computed while reading one text, as plain read-only numpy arrays.

Keys (the NPZ format, documented in the README): ``tokens``, ``token_ids``, and per layer l
``input_gate_l{l}``, ``forget_gate_l{l}``, ``candidate_l{l}``, ``output_gate_l{l}``, ``cell_l{l}``,
``hidden_l{l}``, each (T, units) float32, with ``_reverse`` for the backward direction; ``probs`` (T, V)
and ``loss`` (T,) when the model has a decoder.

``probs[t]`` is the model's distribution over the token after t; ``loss[t]`` is -ln of the probability it gave
to token t before reading it (nats), NaN for t = 0 and for unknown tokens.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Generator, Mapping

import numpy as np
import torch

from .checkpoint import atomic_write
from .errors import InputError
from .gates import QUANTITIES, iter_lstm_states
from .model import LoadedModel

NPZ_VERSION = 1


def key(quantity: str, layer: int = 0, reverse: bool = False) -> str:
    """The array name of one quantity: ``key("forget_gate", 1, True) == "forget_gate_l1_reverse"``."""
    if quantity not in QUANTITIES:
        raise InputError(f"unknown quantity {quantity!r}; one of {', '.join(QUANTITIES)}")
    return f"{quantity}_l{layer}" + ("_reverse" if reverse else "")


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Trace:
    tokens: tuple[str, ...]  # one per timestep, as read from the text
    token_ids: np.ndarray | None  # (T,) int64; None when the model read raw input vectors
    arrays: Mapping[str, np.ndarray]  # name -> (T, units) float32, see the module docstring
    num_layers: int
    bidirectional: bool = False
    probs: np.ndarray | None = None  # (T, V) float32
    loss: np.ndarray | None = None  # (T,) float32, nats
    vocab_tokens: tuple[str, ...] | None = None  # names of the V columns of probs
    unknown: tuple[int, ...] = ()  # positions of tokens not in the vocab (fed as the unknown token)
    model_name: str = ""
    metadata: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        for a in (*self.arrays.values(), self.token_ids, self.probs, self.loss):
            if a is not None:
                _frozen(a)

    # -- lookup -------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self.arrays:
            return self.arrays[name]
        if name == "tokens":
            return np.array(self.tokens, dtype=str)
        extra = {"token_ids": self.token_ids, "probs": self.probs, "loss": self.loss}
        if extra.get(name) is not None:
            return extra[name]
        raise KeyError(f"no array {name!r} in this trace; it has {', '.join(self.keys())}")

    def keys(self) -> list[str]:
        names = ["tokens"] + (["token_ids"] if self.token_ids is not None else []) + list(self.arrays)
        return names + [n for n in ("probs", "loss") if getattr(self, n) is not None]

    def get(self, quantity: str, layer: int = 0, reverse: bool = False) -> np.ndarray:
        """(T, units) float32 array of one quantity."""
        if not 0 <= layer < self.num_layers:
            raise InputError(f"layer {layer} does not exist; the model has {self.num_layers}")
        if reverse and not self.bidirectional:
            raise InputError("the model has no backward direction")
        return self.arrays[key(quantity, layer, reverse)]

    def units(self, layer: int = 0, quantity: str = "cell") -> int:
        return self.get(quantity, layer).shape[1]

    @property
    def directions(self) -> tuple[bool, ...]:
        return (False, True) if self.bidirectional else (False,)

    # -- files --------------------------------------------------------------------------------------------
    def save_npz(self, path: str | Path, extra: Mapping[str, np.ndarray] | None = None) -> None:
        """Write every array under its key (see module docstring), plus ``extra`` arrays; atomic."""
        data = {name: self[name] for name in self.keys()}
        data["npz_version"] = np.array(NPZ_VERSION)
        if self.vocab_tokens is not None:
            data["vocab"] = np.array(self.vocab_tokens, dtype=str)
        if self.unknown:
            data["unknown"] = np.array(self.unknown, dtype=np.int64)
        data.update(extra or {})

        def write(tmp):
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **data)

        atomic_write(path, write)

    @classmethod
    def load_npz(cls, path: str | Path) -> "Trace":
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: not a readable lstm_viz trace ({e})") from None
        arrays = {k: v for k, v in data.items() if k.rsplit("_l", 1)[0] in QUANTITIES}
        layers = 1 + max(int(k.split("_l")[-1].split("_")[0]) for k in arrays)
        return cls(tokens=tuple(str(t) for t in data["tokens"]), token_ids=data.get("token_ids"),
                   arrays=arrays, num_layers=layers, bidirectional=any(k.endswith("_reverse") for k in arrays),
                   probs=data.get("probs"), loss=data.get("loss"),
                   vocab_tokens=tuple(data["vocab"]) if "vocab" in data else None,
                   unknown=tuple(int(i) for i in data.get("unknown", ())), model_name=Path(path).stem)


def _inputs(loaded: LoadedModel, x) -> tuple[tuple[str, ...], torch.Tensor | None, torch.Tensor, tuple[int, ...]]:
    """text | token ids | input vectors -> (tokens, ids or None, LSTM inputs (T, input_size), unknown)."""
    model, vocab = loaded.model, loaded.vocab
    if isinstance(x, str):
        if vocab is None:
            if loaded.config.input_mode == "vectors":
                raise InputError(f"this model reads input vectors, not text: give an array of shape "
                                 f"(T, {loaded.config.input_size})")
            raise InputError(f"this model has no vocab to read text with: give a vocab file (--vocab) with "
                             f"{loaded.config.vocab_size} tokens, or token ids")
        enc = vocab.encode(x)
        ids = torch.from_numpy(enc.ids)
        return enc.tokens, ids, model.inputs(ids), enc.unknown
    arr = np.asarray(x)
    if arr.size == 0:
        raise InputError("the input is empty: nothing to analyse")
    if arr.ndim == 1 and np.issubdtype(arr.dtype, np.integer):
        V = loaded.config.vocab_size
        if V and (arr.min() < 0 or arr.max() >= V):
            raise InputError(f"token ids must lie in [0, {V}), got [{arr.min()}, {arr.max()}]")
        ids = torch.from_numpy(arr.astype(np.int64))
        tokens = tuple(vocab.decode(arr)) if vocab is not None else tuple(str(int(i)) for i in arr)
        return tokens, ids, model.inputs(ids), ()
    if arr.ndim == 2 and np.issubdtype(arr.dtype, np.floating):
        want = loaded.config.input_size
        if arr.shape[1] != want:
            raise InputError(f"input vectors have {arr.shape[1]} features; the model reads {want}")
        if not np.isfinite(arr).all():
            raise InputError("input vectors contain NaN or infinity")
        return tuple(str(t) for t in range(len(arr))), None, torch.from_numpy(arr), ()
    raise InputError(f"cannot analyse an input of shape {arr.shape} and type {arr.dtype}: give text, "
                     "token ids (T,) or input vectors (T, input_size)")


def iter_trace(loaded: LoadedModel, x, chunk: int | None = None) -> Generator[float, None, Trace]:
    """Yield progress in [0, 1]; return the Trace. ``x``: text, token ids (T,), or input vectors (T, in)."""
    with torch.no_grad():
        tokens, ids, inputs, unknown = _inputs(loaded, x)
    model = loaded.model
    kwargs = {} if chunk is None else {"chunk": chunk}
    states = yield from iter_lstm_states(model.rnn, inputs, **kwargs)
    arrays: dict[str, np.ndarray] = {}
    for layer, per_dir in enumerate(states):
        for d, st in enumerate(per_dir):
            for q in QUANTITIES:
                arrays[key(q, layer, bool(d))] = getattr(st, q)
    probs = loss = None
    if model.decoder is not None and ids is not None:
        last = states[-1]
        with torch.no_grad():
            out = torch.cat([torch.from_numpy(st.hidden) for st in last], dim=1)  # (T, D*Hout)
            out = out.to(loaded.dtype)
            probs_t = torch.cat([torch.softmax(model.decoder(part), dim=-1)
                                 for part in out.split(4096)]).float()  # (T, V)
        probs = probs_t.numpy()
        loss = np.full(len(tokens), np.nan, dtype=np.float32)
        target = ids[1:].numpy()
        p = probs[np.arange(len(target)), target]  # probability given to token t+1 at step t
        loss[1:] = -np.log(np.maximum(p, np.finfo(np.float32).tiny))
        loss[list(unknown)] = np.nan
    return Trace(tokens=tokens, token_ids=None if ids is None else ids.numpy().copy(), arrays=arrays,
                 num_layers=len(states), bidirectional=len(states[0]) == 2, probs=probs, loss=loss,
                 vocab_tokens=loaded.vocab.tokens if loaded.vocab is not None else None, unknown=unknown,
                 model_name=loaded.name)


def trace(loaded: LoadedModel, x, chunk: int | None = None) -> Trace:
    """Run the model over ``x`` and return every gate, cell and hidden state (see iter_trace)."""
    gen = iter_trace(loaded, x, chunk)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value
