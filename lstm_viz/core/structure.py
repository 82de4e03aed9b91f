"""Which unit of a trace shows the most slow structure: a first guess at "a unit worth looking at".

A unit that tracks something in the text (inside a quote, the nesting depth, the current line) changes
slowly and by a lot; a unit that is noise changes quickly or hardly at all. The score is

    variance(u) x lag-1 autocorrelation(u)

over time, computed per unit of a (T, units) array: high when the values vary widely *and* each step looks
like the previous one. It is a heuristic for choosing what to show first, not an analysis result.

For the cell state, score tanh(c), what the unit passes on (h = o * tanh(c)): a cell that drifts to -30 over
the text has a huge variance but is saturated and says nothing, while one that swings between -1 and +1 at
each quote or bracket is the unit worth showing. (On the demo model this picks the comment/docstring unit,
where raw c picks a drifting one.)
"""
from __future__ import annotations

import numpy as np


def slow_structure(values: np.ndarray) -> np.ndarray:
    """values (T, units) -> (units,) scores, variance x lag-1 autocorrelation (0 where undefined)."""
    x = np.asarray(values, dtype=np.float64)  # (T, U)
    if x.ndim != 2:
        raise ValueError(f"expected a (T, units) array, got shape {x.shape}")
    T, U = x.shape
    if T < 3 or U == 0:
        return np.zeros(U)
    x = np.where(np.isfinite(x), x, 0.0)
    centred = x - x.mean(axis=0)  # (T, U)
    var = (centred * centred).mean(axis=0)  # (U,)
    lagged = (centred[1:] * centred[:-1]).mean(axis=0)  # (U,) lag-1 autocovariance
    with np.errstate(divide="ignore", invalid="ignore"):
        autocorr = np.where(var > 0, lagged / var, 0.0)  # (U,)
    return np.clip(autocorr, 0.0, None) * var


def most_structured_unit(values: np.ndarray | None) -> int | None:
    """The unit with the highest slow-structure score (the lowest index on ties); None when there are none."""
    if values is None or np.asarray(values).ndim != 2 or np.asarray(values).shape[1] == 0:
        return None
    return int(np.argmax(slow_structure(values)))


def cell_unit_to_show(cell: np.ndarray | None) -> int | None:
    """The unit to show first from a (T, units) cell state: the most slow structure in tanh(c)."""
    if cell is None:
        return None
    return most_structured_unit(np.tanh(np.asarray(cell, dtype=np.float64)))  # (T, U) in [-1, 1]


class RunningStructure:
    """``slow_structure`` of tanh(values) accumulated chunk by chunk, in one pass, without holding (T, units).

    Chunks come in the order a direction reads the text (left to right, or right to left): each chunk is
    adjacent to the one before it, so the lag-1 products across chunk edges are counted. Sums in float64 of
    values in [-1, 1]: the scores equal the whole-array ones to about 1e-9."""

    def __init__(self, units: int):
        self.n = 0
        self.s = np.zeros(units)  # sum x
        self.s2 = np.zeros(units)  # sum x^2
        self.lag = np.zeros(units)  # sum x_t x_{t-1}
        self.first_row = self.last_row = None  # x at the lowest and the highest position seen so far
        self._lo = self._hi = None  # positions of those rows

    def add(self, s: int, chunk: np.ndarray) -> None:
        """The (n, units) values of positions s .. s + n - 1 (tanh is applied here)."""
        x = np.tanh(np.asarray(chunk, dtype=np.float64))  # (n, U)
        x = np.where(np.isfinite(x), x, 0.0)
        n = len(x)
        if n == 0:
            return
        self.s += x.sum(axis=0)
        self.s2 += (x * x).sum(axis=0)
        self.lag += (x[1:] * x[:-1]).sum(axis=0)
        if self.n == 0:
            self.first_row, self.last_row, self._lo, self._hi = x[0], x[-1], s, s + n - 1
        elif s == self._hi + 1:  # after what was seen
            self.lag += x[0] * self.last_row
            self.last_row, self._hi = x[-1], s + n - 1
        elif s + n == self._lo:  # before it
            self.lag += x[-1] * self.first_row
            self.first_row, self._lo = x[0], s
        else:
            raise ValueError(f"chunk at {s} is not next to the steps {self._lo}..{self._hi} seen so far")
        self.n += n

    def scores(self) -> np.ndarray:
        """(units,) variance x clipped lag-1 autocorrelation, as ``slow_structure(tanh(values))``."""
        T = self.n
        if T < 3:
            return np.zeros(len(self.s))
        mu = self.s / T
        var = self.s2 / T - mu * mu
        # sum over t >= 1 of (x_t - mu)(x_{t-1} - mu)
        lagged = (self.lag - mu * ((self.s - self.first_row) + (self.s - self.last_row)) + (T - 1) * mu * mu) / (T - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            autocorr = np.where(var > 1e-12, lagged / var, 0.0)
        return np.clip(autocorr, 0.0, None) * np.maximum(var, 0.0)
