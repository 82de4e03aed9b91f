"""Value axes read in the data's own units: no SI prefix rescaling ("(x0.001)"), labels that fit."""
from __future__ import annotations

import numpy as np

from lstm_viz.app.views.heatmap import HeatmapView
from lstm_viz.app.views.traces import TracesView


def _ticks(axis):
    lo, hi = sorted(axis.range)
    strings = []
    for spacing, values in axis.tickValues(lo, hi, 200):
        strings += axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)
    return [float(s.replace("\u2212", "-")) for s in strings if s]


def test_trace_ticks_of_small_values_read_as_the_values(qtbot):
    view = TracesView()
    qtbot.addWidget(view.widget)
    view.widget.resize(600, 120)
    view.widget.show()
    t = np.arange(300)
    cell = np.stack([0.2 * np.sin(t / 20), 0.1 * np.cos(t / 9)], axis=1).astype(np.float32)  # (T, 2)
    view.set_curves(cell, None, (0, 1))
    axis = view.plot.getAxis("left")
    qtbot.waitUntil(lambda: max(abs(v) for v in axis.range) < 1.0)
    ticks = _ticks(axis)
    assert ticks and max(abs(v) for v in ticks) <= 0.35, ticks
    assert axis.autoSIPrefixScale == 1.0
    assert "x0.001" not in axis.labelString() and "(x" not in axis.labelString()
    # the label fits the panel's height, with h_t too
    assert axis.label.boundingRect().width() <= view.widget.height()
    view.set_curves(cell, np.tanh(cell), (0, 1))
    assert axis.label.boundingRect().width() <= view.widget.height() - 20


def test_colour_bar_ticks_of_a_small_range_read_as_the_values(qtbot):
    view = HeatmapView("hidden")
    qtbot.addWidget(view)
    view.resize(600, 150)
    view.show()
    values = np.random.default_rng(0).uniform(-0.2, 0.2, size=(100, 8)).astype(np.float32)
    view.set_data(values, None)
    axis = view.bar.getAxis("right")
    ticks = _ticks(axis)
    assert ticks and max(abs(v) for v in ticks) <= 0.25, ticks
    assert axis.autoSIPrefixScale == 1.0
