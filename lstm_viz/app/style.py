"""The app's colours: the selected units' trace colours, and (from lstm_viz.look, shared with the exported
figures) every quantity's label, symbol, colour map and colour range for every cell type.

``QUANTITIES`` and ``GATES`` remain the LSTM's for older callers; the views read the quantities of the trace's
own cell (``trace.quantities``) and never assume these.
"""
from __future__ import annotations

from lstm_viz.core.cells import CELLS, LSTM_QUANTITIES
from lstm_viz.look import (BOUNDED, CLIP_PERCENTILE, DIVERGING, EXACT_VALUES, LABELS, SEQUENTIAL, SHORT,  # noqa: F401
                           SYMBOL, colormap, default_panels, is_gate, levels, quantity_name, short_label,
                           state_quantity, title)

GATES = tuple(q for q in LSTM_QUANTITIES if q in CELLS["lstm"].gates or q in CELLS["lstm"].bounded)  # i, f, g, o
QUANTITIES = LSTM_QUANTITIES

# Distinct colours for the selected units' traces (Tableau 10), readable on the dark background.
UNIT_COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                "#9c755f", "#bab0ac")


def unit_colour(k: int) -> str:
    """The colour of the k-th selected unit (cycles after ten)."""
    return UNIT_COLOURS[k % len(UNIT_COLOURS)]
