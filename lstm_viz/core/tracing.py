"""Run a loaded model over a text (or token ids, or input vectors) and return its Trace.

    tr = trace(loaded, "Hello", state={"h0_l0": ..., "c0_l0": ...})   # or iter_trace(...) for progress

``state`` (optional) is the recurrent state before the first step the model reads, per layer and direction:
a mapping with keys ``h0_l{k}`` (and ``c0_l{k}`` for cells with a cell state), ``_reverse`` for the backward
direction, each of shape (units,) (the ``--initial-state`` NPZ), or torch's own layout: ``h0`` or ``(h0, c0)``
of shape (layers * directions, units). A model with ``reads_backward`` reads the text right to left; the
trace still gives every array in the text's order (position t is token t).
"""
from __future__ import annotations

from typing import Generator, Mapping

import numpy as np
import torch

from .cell_compute import cell_of, units_of
from .errors import InputError
from .gates import iter_states
from .model import LoadedModel
from .trace import Trace, key


def _inputs(loaded: LoadedModel, x) -> tuple[tuple[str, ...], torch.Tensor | None, torch.Tensor, tuple[int, ...]]:
    """text | token ids | input vectors -> (tokens, ids or None, inputs (T, input_size), unknown)."""
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


def initial_state(rnn: torch.nn.Module, state) -> list[list[tuple[torch.Tensor, ...]]]:
    """``state`` (see the module docstring) as [layer][direction] -> (h0,) or (h0, c0); one-line errors."""
    cell = cell_of(rnn)
    L, D = rnn.num_layers, 2 if rnn.bidirectional else 1
    dtype = rnn.weight_ih_l0.dtype
    parts = ("h", "c") if cell.has_cell_state else ("h",)
    size = {(p, layer): units_of(rnn, "hidden" if p == "h" else "cell", layer) for p in parts for layer in range(L)}
    sizes = {p: size[p, 0] for p in parts}
    if not isinstance(state, Mapping):  # torch's layout: h0 or (h0, c0), each (L*D, units)
        if len({size[p, layer] for p in parts[:1] for layer in range(L)}) > 1:
            raise InputError("initial state: the layers of this model differ in size, so one (layers x directions, "
                             f"units) array cannot hold them; give h0_l0 ... h0_l{L - 1} per layer")
        tensors = tuple(state) if isinstance(state, (tuple, list)) else (state,)
        if len(tensors) != len(parts):
            raise InputError(f"initial state: {cell.a_title} needs {' and '.join(p + '0' for p in parts)}, "
                             f"got {len(tensors)} array(s)")
        state = {}
        for p, t in zip(parts, tensors):
            t = torch.as_tensor(np.asarray(t) if not isinstance(t, torch.Tensor) else t)
            if tuple(t.shape) != (L * D, sizes[p]):
                raise InputError(f"initial state: {p}0 has shape {tuple(t.shape)}; the model needs "
                                 f"({L * D}, {sizes[p]}) (layers x directions, units)")
            for layer in range(L):
                for d in range(D):
                    state[f"{p}0_l{layer}" + ("_reverse" if d else "")] = t[layer * D + d]
    want = {f"{p}0_l{layer}" + ("_reverse" if d else ""): size[p, layer]
            for p in parts for layer in range(L) for d in range(D)}
    extra = sorted(set(state) - set(want))
    if extra:
        why = " (this cell has no cell state)" if extra[0].startswith("c0") and not cell.has_cell_state else ""
        raise InputError(f"initial state: unexpected {extra[0]}{why}; a {L}-layer "
                         f"{'bidirectional ' if D == 2 else ''}{cell.title} takes {', '.join(want)}")
    missing = [k for k in want if k not in state]
    if missing:
        raise InputError(f"initial state: {missing[0]} is missing; a {L}-layer "
                         f"{'bidirectional ' if D == 2 else ''}{cell.title} takes {', '.join(want)}")
    out = []
    for layer in range(L):
        per_dir = []
        for d in range(D):
            st = []
            for p in parts:
                name = f"{p}0_l{layer}" + ("_reverse" if d else "")
                v = state[name]
                t = (v if isinstance(v, torch.Tensor) else torch.from_numpy(np.asarray(v))).detach()
                if tuple(t.shape) != (size[p, layer],):
                    raise InputError(f"initial state: {name} has shape {tuple(t.shape)}; the model needs "
                                     f"({size[p, layer]},)")
                if not t.is_floating_point() or not torch.isfinite(t).all():
                    raise InputError(f"initial state: {name} must hold finite floating-point numbers")
                st.append(t.to(dtype))
            per_dir.append(tuple(st))
        out.append(per_dir)
    return out


def iter_trace(loaded: LoadedModel, x, chunk: int | None = None, state=None) -> Generator[float, None, Trace]:
    """Yield progress in [0, 1]; return the Trace. ``x``: text, token ids (T,), or input vectors (T, in).
    ``state``: the initial state (see the module docstring); None for zeros."""
    with torch.no_grad():
        tokens, ids, inputs, unknown = _inputs(loaded, x)
    model = loaded.model
    config = loaded.config
    backward = bool(config.reads_backward)
    init = None if state is None else initial_state(model.rnn, state)
    kwargs = {} if chunk is None else {"chunk": chunk}
    read = inputs.flip(0) if backward else inputs  # (T, in), in the order the model reads
    states = yield from iter_states(model.rnn, read, state=init, **kwargs)

    def text_order(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a[::-1]) if backward else a

    arrays: dict[str, np.ndarray] = {}
    for layer, per_dir in enumerate(states):
        for d, st in enumerate(per_dir):
            for q, a in st.arrays.items():
                arrays[key(q, layer, bool(d))] = text_order(a)
    probs = loss = None
    if model.decoder is not None and ids is not None:
        with torch.no_grad():
            out = torch.cat([torch.from_numpy(st.hidden) for st in states[-1]], dim=1)  # (T, D*Hout), read order
            out = out.to(loaded.dtype)
            probs_t = torch.cat([torch.softmax(model.decoder(part), dim=-1)
                                 for part in out.split(4096)]).float()  # (T, V)
        probs = probs_t.numpy()
        read_ids = (ids.flip(0) if backward else ids).numpy()
        loss = np.full(len(tokens), np.nan, dtype=np.float32)
        p = probs[np.arange(len(read_ids) - 1), read_ids[1:]]  # probability given to the next token read
        loss[1:] = -np.log(np.maximum(p, np.finfo(np.float32).tiny))
        probs, loss = text_order(probs), text_order(loss)
        loss[list(unknown)] = np.nan
    metadata = {"cell": cell_of(model.rnn).name}
    if metadata["cell"] == "rnn":
        metadata["nonlinearity"] = model.rnn.nonlinearity
    if state is not None:
        metadata["initial_state"] = "given"
    return Trace(tokens=tokens, token_ids=None if ids is None else ids.numpy().copy(), arrays=arrays,
                 num_layers=len(states), bidirectional=len(states[0]) == 2, probs=probs, loss=loss,
                 vocab_tokens=loaded.vocab.tokens if loaded.vocab is not None else None, unknown=unknown,
                 model_name=loaded.name, metadata=metadata, cell=cell_of(model.rnn), reads_backward=backward)


def trace(loaded: LoadedModel, x, chunk: int | None = None, state=None) -> Trace:
    """Run the model over ``x`` and return every gate and state of its cell type (see iter_trace)."""
    gen = iter_trace(loaded, x, chunk, state)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value
