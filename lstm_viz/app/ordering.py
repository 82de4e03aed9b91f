"""The order in which units are drawn as heatmap rows: by index, variance, mean, or activation at a timestep."""
from __future__ import annotations

import numpy as np


def unit_order(values: np.ndarray | None, mode: str, t: int = 0) -> np.ndarray | None:
    """values (T, units) -> (units,) unit indices, the row order (largest first for the statistics)."""
    if values is None:
        return None
    n = values.shape[1]
    if mode == "index" or n == 0:
        return np.arange(n)
    if mode == "variance":
        key = values.var(axis=0)
    elif mode == "mean":
        key = values.mean(axis=0)
    elif mode == "activation":
        key = values[min(max(t, 0), len(values) - 1)]
    else:
        raise ValueError(f"unknown order {mode!r}")
    return np.argsort(-key, kind="stable")
