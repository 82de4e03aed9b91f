"""Per-unit statistics of a trace against a per-timestep label, computed window by window (lstm_viz.core.stream): mean, spread, range,
Pearson correlation with a per-timestep label, and the AUC of a yes/no label.

Windows are merged with Chan et al.'s pairwise update of means and centred sums (exact, no cancellation in
``sum(x^2) - n mean^2``). The AUC is read from per-unit histograms of the two classes over ``bins`` bins of
equal mass (edges: the unit's quantiles, estimated from up to SAMPLE evenly spaced timesteps), so neither
outliers nor a crowd of values near one number can squeeze a unit into a few bins; a value finds its bin
through a table of GRID fine cells over the unit's range. It equals the rank-based AUC (Mann-Whitney U /
n1 n0) up to pairs inside one bin or one fine cell: within 1e-3 on a trained model's cells (tests).

A keyframe trace of a text kept the units' sums in its pass (lstm_viz.core.unit_sums): ``sparse_correlation``
then reads only the windows where the label is not zero, ``unit_stats`` of the whole text none.

Each computation that reads windows is one generator, ``iter_correlation``, ``iter_sparse_correlation`` and
``iter_auc``: it yields its progress in (0, 1] after each window it reads (close it to stop reading: the app
cancels a search that way) and returns the result. ``correlation``, ``sparse_correlation`` and ``auc`` run it to
its end.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generator

import numpy as np

from .errors import InputError
from .generators import run_to_end, scaled
from .stream import CHUNK, spans, time_range, window
from .unit_sums import StateSums, pearson

AUC_BINS = 512
GRID = 8192  # fine cells per unit that find a value's bin by table lookup
SHIFT = 10
EDGES_IN = 1 << SHIFT  # more than the edges of one unit (AUC_BINS - 1)
SAMPLE = 8192  # timesteps kept (evenly spaced) to place the AUC's bins


@dataclass(frozen=True)
class SpreadStats:
    """One quantity of one layer and direction, per unit, over ``n`` timesteps."""

    n: int
    mean: np.ndarray  # (U,) float64
    std: np.ndarray  # (U,) population standard deviation
    min: np.ndarray  # (U,)
    max: np.ndarray  # (U,)
    sample: np.ndarray | None = None  # (S, U) float32 values at evenly spaced timesteps (S <= SAMPLE)


class _Moments:
    """Running count, means, centred sums of squares and co-moment with a label, merged window by window."""

    def __init__(self, stride: int = 0):
        self.n = 0
        self.stride = stride  # keep every stride-th row (0: none)
        self.rows: list[np.ndarray] = []
        self.mv = self.m2v = self.cvy = self.lo = self.hi = None
        self.my = self.m2y = 0.0

    def add(self, v: np.ndarray, y: np.ndarray | None = None) -> None:
        """v (K, U) float32 or float64, y (K,) float64 or None."""
        k = len(v)
        if k == 0:
            return
        if self.stride:
            first = -self.n % self.stride  # the rows whose running index is a multiple of stride
            self.rows.append(v[first::self.stride].astype(np.float32))
        mv = v.mean(axis=0, dtype=np.float64)  # (U,)
        dv = v - mv.astype(v.dtype)  # (K, U), in v's own precision
        off = dv.mean(axis=0, dtype=np.float64)  # (U,): what rounding the mean to v's precision left
        m2v = np.einsum("ku,ku->u", dv, dv, dtype=np.float64) - k * off * off  # (U,)
        lo, hi = v.min(axis=0), v.max(axis=0)
        if y is not None:
            my = float(y.mean())
            dy = y - my  # (K,)
            m2y = float(dy @ dy)
            cvy = dy @ dv  # (U,)
        if self.n == 0:
            self.n, self.mv, self.m2v, self.lo, self.hi = k, mv, m2v, lo, hi
            if y is not None:
                self.my, self.m2y, self.cvy = my, m2y, cvy
            return
        n = self.n + k
        delta_v = mv - self.mv  # (U,)
        self.m2v = self.m2v + m2v + delta_v * delta_v * (self.n * k / n)
        if y is not None:
            delta_y = my - self.my
            self.cvy = self.cvy + cvy + delta_v * delta_y * (self.n * k / n)
            self.m2y = self.m2y + m2y + delta_y * delta_y * (self.n * k / n)
            self.my = self.my + delta_y * k / n
        self.mv = self.mv + delta_v * k / n
        self.lo, self.hi = np.minimum(self.lo, lo), np.maximum(self.hi, hi)
        self.n = n

    def stats(self) -> SpreadStats:
        sample = np.concatenate(self.rows) if self.rows else None
        return SpreadStats(self.n, self.mv, np.sqrt(np.maximum(self.m2v, 0.0) / self.n), self.lo, self.hi, sample)

    def r(self) -> np.ndarray:
        return pearson(self.cvy, self.m2v, self.m2y)  # (U,)


def unit_stats(trace, quantity: str, layer: int = 0, reverse: bool = False, t0: int = 0,
               t1: int | None = None) -> SpreadStats:
    """Mean, standard deviation, min and max of every unit over timesteps [t0, t1) (default: all). A keyframe
    trace of a text answers the whole text from the statistics its pass kept (then without a sample)."""
    t0, t1 = time_range(trace, t0, t1)
    if (t0, t1) == (0, len(trace)) and getattr(trace, "unit_sums", None) is not None:
        st = trace.stats(quantity, layer, reverse)  # lstm_viz.core.stats.UnitStats, kept by the pass
        return SpreadStats(t1, st.mean, st.std, st.min, st.max)
    return _sampled_stats(trace, quantity, layer, reverse, t0, t1)


def _sampled_stats(trace, quantity: str, layer: int, reverse: bool, t0: int, t1: int) -> SpreadStats:
    return run_to_end(_iter_sampled_stats(trace, quantity, layer, reverse, t0, t1))


def _iter_sampled_stats(trace, quantity: str, layer: int, reverse: bool, t0: int, t1: int
                        ) -> Generator[float, None, SpreadStats]:
    acc = _Moments(_stride(t1 - t0))
    for s, e in spans(t0, t1):
        acc.add(window(trace, quantity, layer, reverse, s, e))
        yield (e - t0) / (t1 - t0)
    return acc.stats()


def _stride(n: int) -> int:
    return max(1, -(-n // SAMPLE))


def _labels(trace, labels) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=np.float64)
    if y.ndim != 1 or len(y) != len(trace):
        raise InputError(f"{len(y) if y.ndim == 1 else y.shape} labels for a trace of {len(trace)} timesteps")
    return y, np.isfinite(y)


def correlation(trace, labels, quantity: str, layer: int = 0, reverse: bool = False
                ) -> tuple[np.ndarray, SpreadStats]:
    """Pearson r (U,) of every unit with ``labels`` (T,), and the units' stats over the timesteps used.

    Timesteps whose label is not finite are left out; r is NaN for a constant unit or a constant label."""
    return run_to_end(iter_correlation(trace, labels, quantity, layer, reverse))


def iter_correlation(trace, labels, quantity: str, layer: int = 0, reverse: bool = False
                     ) -> Generator[float, None, tuple[np.ndarray, SpreadStats]]:
    """``correlation``, yielding progress after each window it reads."""
    y, keep = _labels(trace, labels)
    acc = _Moments(_stride(int(keep.sum())))
    T = len(trace)
    for s, e in spans(0, T):
        v = window(trace, quantity, layer, reverse, s, e)  # (K, U)
        k = keep[s:e]
        acc.add(v[k], y[s:e][k]) if not k.all() else acc.add(v, y[s:e])
        yield e / T
    if acc.n < 2:
        raise InputError(f"the labels have {acc.n} finite value(s): nothing to correlate with")
    return acc.r(), acc.stats()


def sparse_correlation(trace, labels, quantity: str, layer: int, reverse: bool, sums: StateSums) -> np.ndarray:
    """Pearson r (U,) of every unit with finite ``labels`` (T,), as ``correlation``, from the unit sums kept by
    the keyframe pass (lstm_viz.core.unit_sums) and only the windows where a label is not zero.

    sum_t (y_t - mean y)(v_t - mean v) = sum over y_t != 0 of y_t (v_t - mean v), since the v_t - mean v sum
    to zero: a regex that matches in a few places reads a few chunks, not the text."""
    return run_to_end(iter_sparse_correlation(trace, labels, quantity, layer, reverse, sums))


def iter_sparse_correlation(trace, labels, quantity: str, layer: int, reverse: bool, sums: StateSums
                            ) -> Generator[float, None, np.ndarray]:
    """``sparse_correlation``, yielding progress (the share of the timesteps to read) after each window."""
    y, _ = _labels(trace, labels)  # (T,) float64, all finite (the caller checks)
    if sums.n < 2:
        raise InputError(f"the labels have {sums.n} finite value(s): nothing to correlate with")
    dy = y - y.mean()
    m2y = float(dy @ dy)
    co = np.zeros(len(sums.mean))  # (U,)
    grid = getattr(trace, "keyframe_every", CHUNK)
    runs = label_runs(y, grid, longest=grid)  # one chunk per window: a cancel waits for one chunk at most
    total, done = sum(e - s for s, e in runs), 0
    for s, e in runs:
        at = np.flatnonzero(y[s:e])  # rows of the window with a label
        v = window(trace, quantity, layer, reverse, s, e)[at]  # (n, U)
        co += y[s:e][at] @ (v - sums.mean)  # (U,) float64
        done += e - s
        yield done / total
    return pearson(co, sums.m2, m2y)


def label_runs(y: np.ndarray, grid: int, longest: int = CHUNK) -> list[tuple[int, int]]:
    """The windows [s, e) to read for the non-zero labels of ``y``: runs of consecutive ``grid``-aligned chunks
    that hold one, each at most max(grid, ``longest``) steps (cut on the grid)."""
    T = len(y)
    chunks = np.unique(np.flatnonzero(y) // grid)  # the chunks holding a non-zero label
    per = max(1, longest // grid)  # chunks per window at most
    out: list[tuple[int, int]] = []
    start = prev = None
    for m in chunks.tolist():
        if start is not None and m == prev + 1 and m - start < per:
            prev = m
            continue
        if start is not None:
            out.append((start * grid, min((prev + 1) * grid, T)))
        start = prev = m
    if start is not None:
        out.append((start * grid, min((prev + 1) * grid, T)))
    return out


def auc(trace, labels, quantity: str, layer: int = 0, reverse: bool = False, stats: SpreadStats | None = None,
        bins: int = AUC_BINS) -> np.ndarray:
    """(U,) P(value at a yes-timestep > value at a no-timestep) + half the ties, per unit.

    ``labels``: (T,) yes (non-zero) / no (zero); NaN labels are left out. 0.5: the unit does not separate
    the two; 1: it is higher at every yes-timestep; 0: lower. NaN when one class is empty. ``stats``: from
    ``correlation`` (with its sample of values), to save a pass."""
    return run_to_end(iter_auc(trace, labels, quantity, layer, reverse, stats, bins))


def iter_auc(trace, labels, quantity: str, layer: int = 0, reverse: bool = False, stats: SpreadStats | None = None,
             bins: int = AUC_BINS) -> Generator[float, None, np.ndarray]:
    """``auc``, yielding progress after each window it reads (without ``stats``: two passes, half each)."""
    y, keep = _labels(trace, labels)
    yes = keep & (y != 0)
    no = keep & (y == 0)
    n1, n0 = int(yes.sum()), int(no.sum())
    T = len(trace)
    part = 0.0  # the share of the progress the stats pass took
    if stats is None or stats.sample is None:
        stats = yield from scaled(_iter_sampled_stats(trace, quantity, layer, reverse, 0, T), 0.0, 0.5)
        part = 0.5
    U = len(stats.mean)
    if n1 == 0 or n0 == 0:
        return np.full(U, np.nan)
    ordered = np.sort(stats.sample.T, axis=1)  # (U, S): each unit's sampled values in order
    at = (np.arange(1, bins) * (ordered.shape[1] - 1) + bins // 2) // bins  # (bins - 1,): quantiles, rounded
    edges = np.ascontiguousarray(ordered[:, at], dtype=np.float32)  # (U, bins - 1), sorted per unit
    table, single, lo, scale = _bin_table(edges, stats.min, stats.max)
    cells = np.arange(U, dtype=np.int32) * GRID  # (U,): each unit's block of the table
    blocks = np.arange(U, dtype=np.int32) * bins  # (U,): each unit's block of bins
    hist = np.zeros(U * bins * 2, np.int64)  # (U * bins * 2,): [unit, bin, no/yes]
    for s, e in spans(0, len(trace)):
        v = window(trace, quantity, layer, reverse, s, e)  # (K, U)
        g = ((v - lo) * scale).astype(np.int32)  # (K, U): the value's fine cell
        np.clip(g, 0, GRID - 1, out=g)
        g += cells
        code = table[g]  # (K, U): edges before the cell * EDGES_IN + edges inside it
        b = code >> SHIFT  # (K, U): the bin, up to the edges inside the value's own cell
        straddled = (code & (EDGES_IN - 1)) > 0  # (K, U): cells that hold edges: find those bins exactly
        if straddled.any():
            where = np.flatnonzero(straddled.ravel())
            cell = g.ravel()[where]
            edge = single[cell]  # the cell's one edge value, where all its edges are equal
            simple = ~np.isnan(edge)  # (a tie-heavy unit: many equal edges, one comparison)
            flat_b = b.ravel()
            flat_b[where[simple]] += (code.ravel()[where[simple]] & (EDGES_IN - 1)) * \
                (v.ravel()[where[simple]] >= edge[simple])
            straddled.ravel()[where[simple]] = False
        for u in np.flatnonzero(straddled.any(axis=0)):
            rows = np.flatnonzero(straddled[:, u])
            b[rows, u] = np.searchsorted(edges[u], v[rows, u], side="right")
        key = (b + blocks) * 2 + yes[s:e, None]  # (K, U)
        kept = keep[s:e]
        hist += np.bincount((key if kept.all() else key[kept]).ravel(), minlength=U * bins * 2)
        yield part + (1.0 - part) * e / T
    hist = hist.reshape(U, bins, 2)
    hist_no, hist_yes = hist[..., 0], hist[..., 1]
    hy = hist_yes.reshape(U, bins).astype(np.float64)
    hn = hist_no.reshape(U, bins).astype(np.float64)
    below = np.cumsum(hn, axis=1) - hn  # (U, bins): no-values in lower bins
    wins = (hy * (below + 0.5 * hn)).sum(axis=1)  # (U,)
    return wins / (n1 * n0)


def _bin_table(edges: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """A lookup from fine cells (GRID per unit, equal width over [lo, hi]) to equal-mass bins.

    Returns, per cell (U * GRID,): int32 (edges of the unit (U, bins - 1) in earlier cells) * EDGES_IN + (edges
    inside the cell), and the value of the cell's edges when they are all equal (else NaN); and lo (U,),
    GRID / width (U,) as float32 to find a value's cell."""
    U = len(lo)
    # A unit whose values span less than 1e-30 is constant for this purpose (GRID / width must stay finite in
    # float32; hypothesis found a unit ranging over 1e-38).
    width = np.where(hi - lo > 1e-30, hi - lo, 1.0)  # (U,)
    lo, scale = lo.astype(np.float32), (GRID / width).astype(np.float32)  # (U,): as the values' cells are found
    cell = np.clip(((edges - lo[:, None]) * scale[:, None]).astype(np.int64), 0, GRID - 1)  # (U, bins - 1)
    counts = np.bincount((cell + np.arange(U)[:, None] * GRID).ravel(), minlength=U * GRID).reshape(U, GRID)
    before = (np.cumsum(counts, axis=1) - counts).ravel()  # (U * GRID,): edges in earlier cells
    counts = counts.ravel()
    single = np.full(U * GRID, np.nan, np.float32)
    held = np.flatnonzero(counts)  # cells that hold edges
    start = (held // GRID) * edges.shape[1] + before[held]  # their first edge in edges.ravel()
    first, last = edges.ravel()[start], edges.ravel()[start + counts[held] - 1]
    single[held[first == last]] = first[first == last]
    return (before * EDGES_IN + counts).astype(np.int32), single, lo, scale


def rank_auc(values, labels) -> np.ndarray:
    """Exact rank-based AUC of every column of ``values`` (T, U) for yes/no ``labels`` (T,): a reference for
    small arrays (it sorts whole columns)."""
    v = np.asarray(values, dtype=np.float64)
    y = np.asarray(labels) != 0
    n1, n0 = int(y.sum()), int((~y).sum())
    out = np.full(v.shape[1], np.nan)
    if n1 == 0 or n0 == 0:
        return out
    for u in range(v.shape[1]):
        order = np.argsort(v[:, u], kind="stable")
        sv = v[order, u]
        ranks = np.empty(len(sv))
        i = 0
        while i < len(sv):  # average ranks of ties
            j = i
            while j + 1 < len(sv) and sv[j + 1] == sv[i]:
                j += 1
            ranks[order[i:j + 1]] = (i + j) / 2 + 1
            i = j + 1
        out[u] = (ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    return out
