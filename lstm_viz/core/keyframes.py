"""A trace of a long text that keeps keyframes, not arrays: any window is recomputed exactly when asked.

    tr = keyframe_trace(loaded, text)            # one pass over the text; or iter_keyframe_trace(...) for progress
    tr.window("forget_gate", 0, False, 500_000, 502_000)   # (2000, units), recomputed in milliseconds
    tr.summary("cell", 0, False, level=12)       # per-unit mean/min/max per block of 4096 steps, kept
    tr.stats("hidden", 0, False)                 # per-unit mean, variance, min, max, kept

One pass streams through the text in chunks of K steps (a power of two) on a fixed grid of text positions
0, K, 2K, ... T. For every layer and direction it keeps the recurrent state at each grid point (a forward
direction: the state before reading position g; a backward direction: the state after reading g .. T-1), the
multiscale summaries (lstm_viz.core.pyramid) and the streaming statistics of every quantity. A window is
recomputed chunk by chunk from those states with the very code of the full trace (the cell's fused forward,
then its ``chunk`` function), on the same grid, so it is the numbers of the pass bit for bit. A layer above the
first reads the outputs of the layer below, recomputed the same way for the same chunks.

Memory: the keyframes (T / K x state per layer and direction), the summaries (a budget), ``loss`` (T,) and the
token ids, never (T, units) per quantity. ``probs`` is not held: ``tr.probs[t]`` (or any slice) recomputes the
rows asked for. Layers above the first of a bidirectional model recompute the layers below while streaming
(about one extra fused forward per lower layer and direction).
"""
from __future__ import annotations

import threading
from typing import Callable, Generator, Sequence

import numpy as np
import torch

from .cell_compute import units_of
from .errors import InputError
from .keyframe_engine import LRU, Engine
from .model import LoadedModel
from .pyramid import FINEST, PyramidBuilder, min_level_for
from .stats import RunningStats, Summary, UnitStats
from .structure import RunningStructure
from .trace import TraceBase, key
from .unit_sums import UnitSumsBuilder
from .tracing import _inputs

KEYFRAME_EVERY = 1024  # steps between keyframes; a power of two
SUMMARY_BUDGET = 256 * 2 ** 20  # bytes for the summaries of all quantities, layers and directions
SAMPLE_ROWS = 1024  # rows (every unit) kept per quantity, spread evenly over the text (colour ranges)
Sink = Callable[[str, int, np.ndarray, int], None]  # (array name, first step, (n, ...) rows, T) for writers


class LazyProbs:
    """``trace.probs`` of a keyframe trace: (T, V) rows recomputed when indexed (an int, a slice or int array)."""

    def __init__(self, trace: "KeyframeTrace", V: int):
        self._trace, self.shape, self.dtype, self.ndim = trace, (len(trace), V), np.dtype(np.float32), 2

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        rows = np.arange(self.shape[0])[index]  # IndexError / shape rules of numpy
        flat = np.atleast_1d(rows)
        out = np.empty((len(flat), self.shape[1]), np.float32)
        K = self._trace.keyframe_every
        for m in np.unique(flat // K):
            sel = flat // K == m
            out[sel] = self._trace._chunk_probs(int(m))[flat[sel] - m * K]
        return out[0] if np.ndim(rows) == 0 else out.reshape(np.shape(rows) + (self.shape[1],))

    def __array__(self, dtype=None, copy=None):
        """Every row (T, V): computes them all; for small traces (saving an NPZ)."""
        return np.asarray(self[:], dtype=dtype)


class KeyframeTrace(TraceBase):
    """A trace that holds keyframes, summaries and statistics and recomputes windows (module docstring)."""

    def __init__(self, engine: Engine, tokens, token_ids, loss, summaries, stats, min_summary_level, *,
                 vocab_tokens=None, unknown=(), model_name="", metadata=None, cache_chunks: int = 16,
                 samples=None, structure=None, unit_sums=None):
        self._engine = engine
        self.tokens, self.token_ids, self.loss = tuple(tokens), token_ids, loss
        self.num_layers, self.bidirectional = engine.L, engine.D == 2
        self.cell, self.reads_backward = engine.cell, engine.backward
        self.vocab_tokens, self.unknown, self.model_name = vocab_tokens, tuple(unknown), model_name
        self.metadata = dict(metadata or {})
        self.keyframe_every = engine.K
        self.min_summary_level = min_summary_level
        self._summaries, self._stats = summaries, stats  # key -> {level: Summary}, key -> UnitStats
        self._lock = threading.RLock()
        self._compute = threading.Lock()
        self._samples = samples or {}  # key -> (n, units) rows spread over the text
        self._structure = structure or {}  # (layer, reverse) -> (units,) slow-structure scores of the state
        self._state_q = "cell" if engine.cell.has_cell_state else "hidden"
        self.unit_sums = unit_sums  # lstm_viz.core.unit_sums.UnitSums of the text read, or None
        self._chunks = LRU(cache_chunks)  # (layer, d, m) -> quantity -> (n, units)
        self._probs = LRU(cache_chunks)  # m -> (n, V)
        decodes = engine.decoder is not None and token_ids is not None
        self.probs = LazyProbs(self, engine.decoder.out_features) if decodes else None

    def units(self, layer: int = 0, quantity: str | None = None) -> int:
        self.check(quantity or self.quantities[0], layer)
        return units_of(self._engine.rnn, quantity or self.quantities[0], layer)

    def _chunk(self, layer: int, d: int, m: int) -> dict[str, np.ndarray]:
        """One chunk's quantities, from the cache or recomputed; the lock is held only to look up and store,
        never while computing, so a thread asking whether a window is cached never waits for a recompute."""
        k = (layer, d, m)
        with self._lock:
            if k in self._chunks.items:
                return self._chunks.get(k, None)
        with self._compute:  # the engine's modules are shared: one recompute at a time
            with self._lock:
                if k in self._chunks.items:
                    return self._chunks.get(k, None)
            out = self._engine.run(layer, d, m, self._engine.inputs(layer, m), True)[1]
        for a in out.values():
            a.setflags(write=False)
        with self._lock:
            return self._chunks.get(k, lambda: out)

    def recompute(self, layer: int, reverse: bool, m: int) -> dict[str, np.ndarray]:
        """Chunk m's quantities (n, units) each: from the cache if there, else recomputed and NOT cached (for work
        over many chunks, e.g. lstm_viz.core.tiles, that must not push out the windows the views read)."""
        k = (layer, int(reverse), m)
        with self._lock:
            if k in self._chunks.items:
                return self._chunks.items[k]
        with self._compute:
            return self._engine.run(layer, int(reverse), m, self._engine.inputs(layer, m), True)[1]

    def tile_cache(self):
        """This trace's lstm_viz.core.tiles.TileCache (fine bins recomputed on request), made on first use."""
        from .tiles import TileCache

        with self._lock:
            if getattr(self, "_tile_cache", None) is None:
                self._tile_cache = TileCache(self)
            return self._tile_cache

    def cached(self, layer: int, reverse: bool, t0: int, t1: int) -> bool:
        """Steps t0 <= t < t1 of this layer and direction are in the chunk cache: ``window`` returns at once."""
        K = self.keyframe_every
        with self._lock:
            return all((layer, int(reverse), m) in self._chunks.items for m in range(t0 // K, (max(t1, t0 + 1) - 1) // K + 1))

    @property
    def cache_steps(self) -> int:
        """Steps of one layer and direction the chunk cache holds: a longer window is recomputed every time."""
        return self._chunks.size * self.keyframe_every

    def probs_cached(self, t: int) -> bool:
        """``probs[t]`` is in the cache: reading it returns at once."""
        with self._lock:
            return int(t) // self.keyframe_every in self._probs.items

    def sample_rows(self, quantity: str, layer: int = 0, reverse: bool = False) -> np.ndarray:
        """(n, units) the rows kept while streaming: every k-th step (k = ceil(T / SAMPLE_ROWS)), every unit. Kept
        for the quantities whose colour range comes from their values (not gates, not tanh-bounded ones); others
        are read as windows of one step (slow)."""
        self.check(quantity, layer, reverse)
        k = key(quantity, layer, reverse)
        return self._samples[k] if k in self._samples else super().sample_rows(quantity, layer, reverse)

    def structure_scores(self, layer: int = 0, reverse: bool = False) -> np.ndarray:
        """(units,) lstm_viz.core.structure.slow_structure of tanh(the cell's state), accumulated in the pass."""
        self.check(self._state_q, layer, reverse)
        return self._structure[(layer, bool(reverse))]

    def _chunk_probs(self, m: int) -> np.ndarray:
        with self._lock:
            if m in self._probs.items:
                return self._probs.get(m, None)
        with self._compute:
            p = self._engine.probs(self._engine.outputs(self.num_layers - 1, m))
        with self._lock:
            return self._probs.get(m, lambda: p)

    def window(self, quantity: str, layer: int = 0, reverse: bool = False, t0: int = 0, t1: int | None = None,
               units: Sequence[int] | slice | None = None) -> np.ndarray:
        self.check(quantity, layer, reverse)
        t0, t1 = self.span(t0, t1)
        n_units = self.units(layer, quantity)
        cols = _columns(units, n_units, key(quantity, layer, reverse))
        if t0 == t1:
            return np.zeros((0, n_units), np.float32)[:, cols]
        K = self.keyframe_every
        parts = [self._chunk(layer, int(reverse), m)[quantity] for m in range(t0 // K, (t1 - 1) // K + 1)]
        a = parts[0] if len(parts) == 1 else np.concatenate(parts)  # (chunks * K, units)
        start = (t0 // K) * K
        return a[t0 - start:t1 - start, cols]

    def summary(self, quantity: str, layer: int = 0, reverse: bool = False, level: int = 0) -> Summary:
        """Kept for every level >= min_summary_level; finer levels are computed from windows (slow)."""
        self.check(quantity, layer, reverse)
        if level < self.min_summary_level:
            return super().summary(quantity, layer, reverse, level)
        levels = self._summaries[key(quantity, layer, reverse)]
        top = max(levels)
        return levels[level] if level <= top else Summary(level, *(getattr(levels[top], k)
                                                                    for k in ("mean", "min", "max")))

    def stats_at_hand(self, quantity: str, layer: int = 0, reverse: bool = False) -> bool:
        return True  # kept by the pass

    def stats(self, quantity: str, layer: int = 0, reverse: bool = False) -> UnitStats:
        self.check(quantity, layer, reverse)
        return self._stats[key(quantity, layer, reverse)]

    def state_at(self, layer: int, reverse: bool, g: int) -> tuple[np.ndarray, ...]:
        """The kept state at grid point g (text position g * keyframe_every): (h,) or (h, c)."""
        return tuple(p[g].numpy().copy() for p in self._engine.keyframes[layer][int(reverse)])


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _columns(units, n: int, name: str):
    if units is None:
        return slice(None)
    if isinstance(units, slice):
        return units
    cols = np.asarray(units, dtype=np.int64)
    if cols.size and not (0 <= cols.min() and cols.max() < n):
        raise InputError(f"units {cols.min()}..{cols.max()} do not all exist; {name} has {n} units")
    return cols


def _read_input(loaded: LoadedModel, x):
    """(tokens, ids or None, rows(s, e) -> inputs (e - s, in), unknown) without building all inputs at once."""
    if isinstance(x, str) and loaded.vocab is not None:
        enc = loaded.vocab.encode(x)
        tokens, ids, vectors, unknown = enc.tokens, torch.from_numpy(enc.ids), None, enc.unknown
    else:
        tokens, ids, vectors, unknown = _inputs(loaded, x)
    if len(tokens) == 0:
        raise InputError("the input is empty: nothing to analyse")
    if ids is not None:
        def rows(s, e):
            with torch.no_grad():
                return loaded.model.inputs(ids[s:e])  # (e - s, in)
        return tokens, ids, rows, unknown
    return tokens, None, lambda s, e: vectors[s:e], unknown


def iter_keyframe_trace(loaded: LoadedModel, x, state=None, keyframe_every: int = KEYFRAME_EVERY,
                        summary_budget: float = SUMMARY_BUDGET, sink: Sink | None = None, finest_summary: int = FINEST,
                        cache_chunks: int = 16, unit_sums: bool | None = None) -> Generator[float, None, KeyframeTrace]:
    """Yield progress in [0, 1] after every chunk; return the KeyframeTrace (``yield from`` it; close to cancel).

    ``x``: text, token ids (T,) or input vectors (T, in); ``state``: the initial state (see
    lstm_viz.core.tracing). ``sink(name, s, rows, T)``, when given, receives every chunk of every quantity
    (``name`` as in lstm_viz.core.trace.key) and of ``probs``: rows of steps s, s + 1, ... of T. Summaries are kept
    for levels >= ``finest_summary`` (blocks of 2**level steps), coarser when ``summary_budget`` bytes demand it.
    ``unit_sums``: when ``x`` is a text, keep the unit statistics of lstm_viz.core.unit_sums (``trace.unit_sums``);
    default: unless a sink writes the chunks (a file keeps no sums)."""
    K = int(keyframe_every)
    if K < 1 or K & (K - 1):
        raise InputError(f"keyframe_every must be a power of two, not {keyframe_every}")
    tokens, ids, rows, unknown = _read_input(loaded, x)
    T = len(tokens)
    eng = Engine(loaded, rows, T, K, state)
    names = [(key(q, layer, bool(d)), layer, d, q) for layer in range(eng.L) for d in range(eng.D)
             for q in eng.cell.quantities]
    columns = sum(units_of(eng.rnn, q, layer) for _, layer, _, q in names)
    k0 = min_level_for(T, columns, summary_budget, finest_summary)
    stats = {n: RunningStats(units_of(eng.rnn, q, layer)) for n, layer, _, q in names}
    every = max(1, -(-T // SAMPLE_ROWS))  # keep rows 0, every, 2 every, ...
    unbounded = [q for q in eng.cell.quantities if q not in eng.cell.gates and q not in eng.cell.bounded]
    samples = {n: np.zeros((-(-T // every), units_of(eng.rnn, q, layer)), np.float32) for n, layer, _, q in names
               if q in unbounded}  # the states: their colour range comes from the values (gates have fixed ones)
    state_q = "cell" if eng.cell.has_cell_state else "hidden"
    structure = {(layer, bool(d)): RunningStructure(units_of(eng.rnn, state_q, layer))
                 for layer in range(eng.L) for d in range(eng.D)}
    keep_sums = sink is None if unit_sums is None else unit_sums
    sums = UnitSumsBuilder.for_text(x, tokens, state_q, tuple(eng.cell.gates)) if keep_sums else None  # x a text
    pyramids = {n: PyramidBuilder(T, units_of(eng.rnn, q, layer), k0, K) for n, layer, _, q in names}
    decodes = eng.decoder is not None and ids is not None
    loss = np.full(T, np.nan, np.float32) if decodes else None
    id_array = ids.numpy() if ids is not None else None
    carry = [None]  # the distribution at the step read just before the current chunk

    def consume(layer, d, m, out):
        s = m * K
        for q, a in out.items():
            n = key(q, layer, bool(d))
            stats[n].add(a)
            pyramids[n].add(s, a)
            first = -(-s // every) * every  # the first kept row at or after s
            if n in samples:
                samples[n][first // every:(first // every) + len(range(first, s + len(a), every))] = a[first - s::every]
            if q == state_q:
                structure[(layer, bool(d))].add(s, a)
            if sums is not None:
                sums.add(q, layer, bool(d), s, a)
            if sink is not None:
                sink(n, s, a, T)

    def decode(m, out):
        s, e = eng.span(m)
        p = eng.probs(out)  # (n, V)
        if sink is not None:
            sink("probs", s, p, T)
        tiny = np.finfo(np.float32).tiny
        if not eng.backward:  # token t was predicted at t - 1
            loss[s + 1:e] = -np.log(np.maximum(p[np.arange(e - s - 1), id_array[s + 1:e]], tiny))
            if carry[0] is not None:
                loss[s] = -np.log(max(carry[0][id_array[s]], tiny))
            carry[0] = p[-1].copy()
        else:  # read right to left: token t was predicted at t + 1
            loss[s:e - 1] = -np.log(np.maximum(p[1 + np.arange(e - s - 1), id_array[s:e - 1]], tiny))
            if carry[0] is not None:
                loss[e - 1] = -np.log(max(carry[0][id_array[e - 1]], tiny))
            carry[0] = p[0].copy()

    total = eng.M if eng.D == 1 else eng.M * (eng.L * 2 + decodes)
    done = 0
    if eng.D == 1:  # one pass in reading order, every layer per chunk
        for m in eng.read_order():
            inp = eng.inputs(0, m)
            for layer in range(eng.L):
                inp, out = eng.run(layer, 0, m, inp, True, keep=True)
                consume(layer, 0, m, out)
            if decodes:
                decode(m, inp)
            done += 1
            yield done / total
    else:  # layer by layer; a layer's input is recomputed from the keyframes of the layers below
        for layer in range(eng.L):
            for d in range(2):
                for m in eng.order(d):
                    _, out = eng.run(layer, d, m, eng.inputs(layer, m), True, keep=True)
                    consume(layer, d, m, out)
                    done += 1
                    yield done / total
        if decodes:
            for m in eng.read_order():
                decode(m, eng.outputs(eng.L - 1, m))
                done += 1
                yield done / total
    if loss is not None and unknown:
        loss[list(unknown)] = np.nan
    if loss is not None:
        loss.setflags(write=False)
    metadata = {"cell": eng.cell.name, "keyframe_every": K}
    if eng.cell.name == "rnn":
        metadata["nonlinearity"] = eng.rnn.nonlinearity
    if state is not None:
        metadata["initial_state"] = "given"
    return KeyframeTrace(eng, tokens, None if id_array is None else id_array.copy(), loss,
                         {n: p.finish() for n, p in pyramids.items()}, {n: rs.result() for n, rs in stats.items()},
                         k0, vocab_tokens=loaded.vocab.tokens if loaded.vocab is not None else None,
                         unknown=unknown, model_name=loaded.name, metadata=metadata, cache_chunks=cache_chunks,
                         samples={n: _frozen(a) for n, a in samples.items()},
                         structure={k: r.scores() for k, r in structure.items()},
                         unit_sums=sums.finish() if sums is not None else None)


def keyframe_trace(loaded: LoadedModel, x, state=None, keyframe_every: int = KEYFRAME_EVERY,
                   summary_budget: float = SUMMARY_BUDGET, sink: Sink | None = None,
                   finest_summary: int = FINEST) -> KeyframeTrace:
    """Run the model over ``x`` once and return a KeyframeTrace (see iter_keyframe_trace)."""
    gen = iter_keyframe_trace(loaded, x, state, keyframe_every, summary_budget, sink, finest_summary)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value
