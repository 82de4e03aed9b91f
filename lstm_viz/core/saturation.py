"""Gate saturation (Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding Recurrent Networks", 2015).

Per unit of a gate: the fraction of timesteps where it is left-saturated (below ``low``, 0.1: nearly shut) and
right-saturated (above ``high``, 0.9: nearly open). A forget-gate unit in the right-saturated corner keeps
almost all of its cell from step to step: it remembers for long. One near the left edge forgets at once.
Counted window by window (lstm_viz.core.stream) for any gate of any cell type; a keyframe trace of a text has
the counts of the whole text at the default thresholds from its pass (lstm_viz.core.unit_sums).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .errors import InputError
from .stream import check_quantity, gate_quantities, spans, targets, time_range, window
from .unit_sums import HIGH, LOW


@dataclass(frozen=True, eq=False)
class Saturation:
    """One gate of one layer and direction."""

    quantity: str
    layer: int
    reverse: bool
    left: np.ndarray  # (U,) fraction of timesteps with value < low
    right: np.ndarray  # (U,) fraction of timesteps with value > high
    steps: int  # timesteps counted
    low: float = LOW
    high: float = HIGH

    @property
    def direction(self) -> str:
        return "backward" if self.reverse else "forward"


def gate_saturation(trace, quantities: Sequence[str] | None = None, layers: Sequence[int] | int | None = None,
                    directions: Sequence[bool] | bool | None = None, low: float = LOW, high: float = HIGH,
                    t0: int = 0, t1: int | None = None) -> list[Saturation]:
    """Saturation of every unit of each gate (default: all the trace's gates), layer and direction, over
    timesteps [t0, t1) (default: all); ordered by layer, direction, then gate."""
    if not 0.0 <= low < high <= 1.0:
        raise InputError(f"saturation needs 0 <= low < high <= 1, not low={low}, high={high}")
    quantities = gate_quantities(trace) if quantities is None else tuple(quantities)
    if not quantities:
        raise InputError("this trace has no gates")
    for q in quantities:
        check_quantity(trace, q)
    t0, t1 = time_range(trace, t0, t1)
    sums = getattr(trace, "unit_sums", None)
    kept = sums.saturation if sums is not None and (low, high, t0, t1) == (LOW, HIGH, 0, len(trace)) else {}
    out = []
    for layer, reverse in targets(trace, layers, directions):
        for q in quantities:
            if (q, layer, reverse) in kept:  # counted in the keyframe pass
                left, right, n = kept[(q, layer, reverse)]
                out.append(Saturation(q, layer, reverse, left / n, right / n, n, low, high))
                continue
            left = right = None
            for s, e in spans(t0, t1):
                v = window(trace, q, layer, reverse, s, e)  # (K, U)
                lo = (v < low).sum(axis=0)  # (U,)
                hi = (v > high).sum(axis=0)  # (U,)
                left, right = (lo, hi) if left is None else (left + lo, right + hi)
            n = t1 - t0
            out.append(Saturation(q, layer, reverse, left / n, right / n, n, low, high))
    return out
