"""Find units that track something: Pearson correlation of every unit with a per-timestep label.

Labels come from the synthetic corpora (lstm_viz.core.corpora) or from the text itself (``text_labels``, in
lstm_viz.core.features: inside a string, bracket depth, indentation, position in the line, inside a comment,
...). The searches themselves live in lstm_viz.core.search (by feature, by example), lstm_viz.core.match and
lstm_viz.core.saturation; this module keeps the first, array-based entry points.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError
from .features import text_labels
from .search import UnitScore, search_feature

__all__ = ["UnitScore", "best_units", "text_labels", "unit_correlations"]


def unit_correlations(values, labels) -> np.ndarray:
    """values (T, units), labels (T,) -> (units,) Pearson r; NaN for a constant unit or a constant label."""
    v = np.asarray(values, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if v.ndim != 2 or y.ndim != 1 or len(v) != len(y):
        raise InputError(f"correlation needs values (T, units) and labels (T,), got {v.shape} and {y.shape}")
    keep = np.isfinite(y) & np.isfinite(v).all(axis=1)  # (T,)
    v, y = v[keep], y[keep]
    if len(y) < 2:
        return np.full(v.shape[1], np.nan)
    v = v - v.mean(axis=0)  # (T, units)
    y = y - y.mean()  # (T,)
    num = y @ v  # (units,)
    den = np.sqrt((v * v).sum(axis=0) * (y @ y))  # (units,)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 1e-12 * max(1.0, float(np.abs(num).max(initial=0.0))), num / den, np.nan)
    return np.clip(r, -1.0, 1.0)


def best_units(trace, labels, quantity: str = "cell", layer: int | None = 0, k: int = 5,
               reverse: bool = False) -> list[UnitScore]:
    """The ``k`` units whose ``quantity`` correlates most (by |r|) with ``labels``; ``layer=None``: all layers.
    (lstm_viz.core.search.search_feature does the same over any layers and directions, with AUC.)"""
    labels = np.asarray(labels)
    if len(labels) != len(trace):
        raise InputError(f"{len(labels)} labels for a trace of {len(trace)} timesteps")
    return search_feature(trace, labels, quantity, layer, reverse, k=k, with_auc=False)
