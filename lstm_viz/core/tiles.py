"""Fine tiles of a keyframe trace: per-unit means over bins of 2**level steps, finer than the summaries the trace
keeps, recomputed from its keyframes chunk by chunk when a view asks, and kept in a bounded LRU.

A medium zoom on a long text (a few thousand to a few tens of thousands of steps across a screen) wants bins of
2 to 128 steps, while a 1,000,000-token trace keeps summaries from 128 or 256 steps up (``min_summary_level``)
and exact windows are read only for short spans. ``TileCache.compute(layer, reverse, level, m, quantities)``
recomputes chunk m (``keyframe_every`` steps of every quantity of one layer and direction, bit for bit the
numbers of the pass) and keeps, for each quantity asked for, the means over its bins of 2**level steps:
(ceil(n / 2**level), units) float32, summed in float64; bin i of a level covers steps [i 2**level,
(i + 1) 2**level) of the text, the text's last bin may be shorter. A pan recomputes only the chunks it has not
seen. ``fill`` writes the tiles held over a stand-in image and says which chunks are missing; ``work`` runs a
list of chunks in order on a worker thread, for at most WORK_BUDGET seconds.

For the quantities asked for as ``bands`` (the traces' state) a chunk also keeps each bin's min and max, a
(2, bins, units) float32 band tile (``fill_band``), so a curve drawn from the bins' means carries an exact
min/max band at the same resolution. A band tile takes twice a mean tile's bytes and is kept in the same LRU,
within the same TILE_BUDGET; computing it (one min and one max over the chunk) adds well under a tenth of the
chunk's recompute (see tests/test_tiles.py).

The cost rule (``affordable``): a view asks for fine tiles of a span only when recomputing the chunks it covers
takes at most WORK_BUDGET seconds of work at this model's rate: CPU seconds per step of the worker thread,
measured per layer (the median of the last few chunks; a busy machine then makes the picture arrive later but
does not change what a zoom shows) and, before the first chunk, estimated from the model's size
(``PRIOR_STEPS_PER_SECOND`` for the demo's one layer of 256 LSTM units, scaled by the weights a step multiplies).
At ~35,000 steps/s (the demo model on one core) that is about 50,000 visible steps; at ~6,000 (2 x 512) about
9,000. Beyond that the kept summary is drawn: honest, only coarser. One ``work`` call (one request) also stops
after WORK_BUDGET seconds of wall time; the view asks again for what is still missing when it redraws.
"""
from __future__ import annotations

import statistics
import threading
import time
from collections import OrderedDict, deque
from typing import Callable, Iterable, Sequence

import numpy as np

TILE_BUDGET = 64 * 2 ** 20  # bytes of tiles kept per trace
WORK_BUDGET = 1.5  # seconds of recomputing one request may ask for (and one ``work`` call may spend)
PRIOR_STEPS_PER_SECOND = 35_000.0  # the demo model (1 x 256 LSTM, all quantities) on one core
_PRIOR_COST = 6 * 256 * (256 + 256)  # its weights per step in the units of _cost: quantity columns x (in + H)


def bin_means(a: np.ndarray, level: int) -> np.ndarray:
    """(n, units) -> (ceil(n / 2**level), units) float32: means over consecutive bins of 2**level rows (the last
    may be shorter), summed in float64."""
    B = 1 << level
    n, units = a.shape
    if B == 1:
        return np.array(a, np.float32)
    full = n // B * B
    out = np.empty((-(-n // B), units), np.float32)
    out[:full // B] = a[:full].reshape(-1, B, units).sum(axis=1, dtype=np.float64) / B  # (n // B, units)
    if full < n:
        out[-1] = a[full:].sum(axis=0, dtype=np.float64) / (n - full)
    return out


def bin_extremes(a: np.ndarray, level: int) -> np.ndarray:
    """(n, units) -> (2, ceil(n / 2**level), units) float32: the min and the max over the same bins as
    ``bin_means``."""
    B = 1 << level
    n, units = a.shape
    out = np.empty((2, -(-n // B), units), np.float32)
    full = n // B * B
    blocks = a[:full].reshape(-1, B, units)  # (n // B, B, units)
    out[0, :full // B], out[1, :full // B] = blocks.min(axis=1), blocks.max(axis=1)
    if full < n:
        out[0, -1], out[1, -1] = a[full:].min(axis=0), a[full:].max(axis=0)
    return out


def _cost(trace, layer: int) -> float:
    """Weights one step of ``layer`` multiplies, its inputs recomputed from the layers below: for each layer and
    direction, (quantity columns) x (input + hidden size); the first layer's input size is taken as its hidden."""
    total, inp = 0.0, None
    D = 2 if trace.bidirectional else 1
    for l in range(layer + 1):
        h = trace.units(l, "hidden")
        cols = sum(trace.units(l, q) for q in trace.quantities)
        total += D * cols * ((inp if inp is not None else h) + h)
        inp = D * h
    return total


class TileCache:
    """The fine tiles of one keyframe trace (see the module docstring); thread-safe: the GUI thread reads, one
    worker computes."""

    def __init__(self, trace, budget_bytes: int = TILE_BUDGET):
        self.trace, self.budget = trace, int(budget_bytes)
        self.chunk = int(trace.keyframe_every)
        self.chunk_level = self.chunk.bit_length() - 1
        self.chunks = -(-len(trace) // self.chunk)
        self.nbytes = 0
        # (q, layer, reverse, level, m) -> (bins, units) means; (..., m, "band") -> (2, bins, units) min, max
        self._tiles: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._times: dict[int, deque] = {}  # layer -> seconds per step of its last chunks
        self._last = None  # ((layer, reverse, m), quantity -> (n, units)): the chunk recomputed last

    # -- the LRU ------------------------------------------------------------------------------------------
    def get(self, quantity: str, layer: int, reverse: bool, level: int, m: int, band: bool = False
            ) -> np.ndarray | None:
        """Chunk m's tile (its bins of 2**level steps: means (bins, units), or with ``band`` the (2, bins, units)
        min and max), or None when not held."""
        k = (quantity, layer, bool(reverse), level, m) + (("band",) if band else ())
        with self._lock:
            tile = self._tiles.get(k)
            if tile is not None:
                self._tiles.move_to_end(k)
            return tile

    def _put(self, k: tuple, tile: np.ndarray) -> None:
        tile.setflags(write=False)
        with self._lock:
            old = self._tiles.pop(k, None)
            self.nbytes += tile.nbytes - (old.nbytes if old is not None else 0)
            self._tiles[k] = tile
            while self.nbytes > self.budget and len(self._tiles) > 1:
                _, gone = self._tiles.popitem(last=False)
                self.nbytes -= gone.nbytes

    def missing(self, quantities: Iterable[str], layer: int, reverse: bool, level: int,
                chunks: Iterable[int], bands: Iterable[str] = ()) -> list[int]:
        """The chunks (in the order given) that lack the tile of one of ``quantities`` or the band tile of one
        of ``bands``."""
        r = bool(reverse)
        suffixes = [(q, ()) for q in quantities] + [(q, ("band",)) for q in bands]
        with self._lock:
            return [m for m in chunks if any((q, layer, r, level, m) + x not in self._tiles for q, x in suffixes)]

    def fill(self, out: np.ndarray, quantity: str, layer: int, reverse: bool, level: int, i0: int,
             units=None) -> list[int]:
        """Write the tiles held over ``out`` (n, units): the bins i0 .. i0 + n - 1 of ``level`` (only the
        columns ``units`` when given: out (n, len(units))); returns the chunks whose bins stayed as they were
        (not held)."""
        return self._fill(out[None], quantity, layer, reverse, level, i0, False, units)

    def fill_band(self, out: np.ndarray, quantity: str, layer: int, reverse: bool, level: int, i0: int,
                  units=None) -> list[int]:
        """``fill`` for band tiles: ``out`` (2, n, units) gets the bins' min and max."""
        return self._fill(out, quantity, layer, reverse, level, i0, True, units)

    def _fill(self, out: np.ndarray, quantity: str, layer: int, reverse: bool, level: int, i0: int, band: bool,
              units) -> list[int]:
        per = 1 << max(self.chunk_level - level, 0)  # bins per chunk
        i1 = i0 + out.shape[1]  # out: (kinds, n, units)
        missing = []
        for m in range(i0 // per, -(-i1 // per)):
            tile = self.get(quantity, layer, reverse, level, m, band)
            if tile is None:
                missing.append(m)
                continue
            tile = tile if band else tile[None]  # (kinds, bins, units)
            s = m * per  # the chunk's first bin
            lo, hi = max(s, i0), min(s + tile.shape[1], i1)
            part = tile[:, lo - s:hi - s]  # (kinds, bins, units)
            out[:, lo - i0:hi - i0] = part if units is None else part[:, :, units]
        return missing

    # -- computing ------------------------------------------------------------------------------------------
    def compute(self, layer: int, reverse: bool, level: int, m: int, quantities: Sequence[str],
                bands: Sequence[str] = ()) -> None:
        """Recompute chunk m of (layer, reverse) and keep the tiles of ``quantities`` (and the band tiles of
        ``bands``) at ``level`` (worker thread: numpy and torch, the GIL held only between their calls)."""
        if not 0 <= level <= self.chunk_level:
            raise ValueError(f"tile level {level} is not within 0 .. {self.chunk_level} (the chunk length)")
        where = (layer, bool(reverse), m)
        last = self._last
        if last is not None and last[0] == where:  # a view joined after this chunk was done: no recompute
            values = last[1]
        else:
            t = time.thread_time()  # the work itself: other threads and processes do not make it dearer
            values = self.trace.recompute(layer, reverse, m)  # quantity -> (n, units) float32
            n = len(next(iter(values.values())))
            self._times.setdefault(layer, deque(maxlen=8)).append((time.thread_time() - t) / max(n, 1))
            self._last = (where, values)
        for q in quantities:
            if self.get(q, layer, reverse, level, m) is None:
                self._put((q, layer, bool(reverse), level, m), bin_means(values[q], level))
        for q in bands:
            if self.get(q, layer, reverse, level, m, True) is None:
                self._put((q, layer, bool(reverse), level, m, "band"), bin_extremes(values[q], level))

    def work(self, layer: int, reverse: bool, level: int, chunks: Sequence[int],
             quantities: Callable[[], Sequence[str]], cancelled: Callable[[], bool] = lambda: False,
             seconds: float | None = None, progress: Callable[[int], None] | None = None,
             bands: Callable[[], Sequence[str]] = tuple) -> int:
        """Compute the missing tiles of ``chunks`` in that order, the quantities (and ``bands``) asked for read
        before each chunk (a view may join while this runs), until every one is held, ``cancelled()`` or
        ``seconds`` (default WORK_BUDGET) have passed; ``progress(done)`` after each chunk. Returns the chunks
        computed."""
        limit = WORK_BUDGET if seconds is None else seconds
        start, done = time.perf_counter(), 0
        while not cancelled() and time.perf_counter() - start < limit:
            qs, bs = tuple(quantities()), tuple(bands())
            todo = self.missing(qs, layer, reverse, level, chunks, bs)
            if not todo:
                break
            self.compute(layer, reverse, level, todo[0], qs, bs)
            done += 1
            if progress is not None:
                progress(done)
        return done

    # -- the cost rule --------------------------------------------------------------------------------------
    def seconds_per_step(self, layer: int) -> float:
        """CPU seconds per step, measured (median of the last chunks) or, before any, estimated from the model's
        size."""
        times = self._times.get(layer)
        if times:
            return statistics.median(list(times))
        return _cost(self.trace, layer) / _PRIOR_COST / PRIOR_STEPS_PER_SECOND

    def affordable(self, layer: int, steps: int) -> bool:
        """Recomputing ``steps`` steps of ``layer`` takes at most WORK_BUDGET seconds (the module's rule)."""
        return steps * self.seconds_per_step(layer) <= WORK_BUDGET
