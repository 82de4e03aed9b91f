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
