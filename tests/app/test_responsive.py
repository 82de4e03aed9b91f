"""The GUI thread keeps answering while a 20,000-step trace is drawn and the user reorders units, toggles a
heatmap, changes the focus quantity and steps through time under "by activation" order.

A 10 ms QTimer ticks on the GUI thread; each gesture is started from the event loop (as a click would be) and
the longest time between two ticks is the longest pause. The bound is generous (the machine running the
tests may be busy); ``scripts/bench_responsive.py`` measures the real numbers with the demo model.
"""
from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6 import QtCore

from lstm_viz.core.trace import Trace, key

STEPS, UNITS = 20_000, 512
BOUND = 0.5  # seconds; the views before this test waited 0.7 to 1.1 s on most of these gestures


def synthetic_trace(steps: int, units: int, layers: int = 2) -> Trace:
    """Values of the right ranges without a model (views never compute gates)."""
    rng = np.random.default_rng(0)
    arrays = {}
    for layer in range(layers):
        for q in ("input_gate", "forget_gate", "output_gate"):
            arrays[key(q, layer)] = rng.random((steps, units), dtype=np.float32)
        arrays[key("candidate", layer)] = rng.uniform(-1, 1, (steps, units)).astype(np.float32)
        arrays[key("cell", layer)] = np.cumsum(rng.normal(0, 0.1, (steps, units)), axis=0).astype(np.float32)
        arrays[key("hidden", layer)] = np.tanh(arrays[key("cell", layer)])
    text = ("The quick brown fox (jumps) over \"the lazy dog\".\n" * (steps // 49 + 1))[:steps]
    return Trace(tokens=tuple(text), token_ids=None, arrays=arrays, num_layers=layers, model_name="synthetic")


class Gaps:
    def __init__(self):
        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.reset()
        self.timer.start()

    def _tick(self):
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now
        self.ticks += 1

    def reset(self):
        self.last, self.longest, self.ticks = time.perf_counter(), 0.0, 0


@pytest.fixture
def gaps():
    g = Gaps()
    yield g
    g.timer.stop()


def _gesture(qtbot, gaps, action, done=lambda: True):
    """Run ``action`` from the event loop, wait until ``done`` and 15 more ticks (the deferred passes);
    return the longest pause."""
    qtbot.waitUntil(lambda: gaps.ticks > 3)
    gaps.reset()
    QtCore.QTimer.singleShot(0, action)
    qtbot.waitUntil(done, timeout=30000)
    n = gaps.ticks
    qtbot.waitUntil(lambda: gaps.ticks > n + 15, timeout=30000)
    return gaps.longest


def test_no_gesture_stops_the_gui_thread_for_long(qtbot, window, gaps):
    tr = synthetic_trace(STEPS, UNITS)
    s = window.state
    window.stack.traces.widget.setMinimumHeight(90)
    pauses = {"open and draw": _gesture(qtbot, gaps, lambda: s.set_trace(tr),
                                        lambda: window.coloured.trace is tr and bool(window.stack.traces.curves))}
    pauses["whole text"] = _gesture(qtbot, gaps, window.stack.show_whole_text)
    pauses["reorder"] = _gesture(qtbot, gaps, lambda: window.order_box.setCurrentIndex(1))
    pauses["toggle heatmap"] = _gesture(qtbot, gaps, lambda: window.panel_actions["cell"].trigger())
    pauses["focus"] = _gesture(qtbot, gaps, lambda: window.quantity_box.setCurrentIndex(5))
    window.order_box.setCurrentIndex(3)  # by activation at the selected step
    for k in range(3):
        pauses[f"Alt+Right {k + 1}"] = _gesture(qtbot, gaps, window.act_next_step.trigger)
    assert s.time == 3 and window.stack.heatmaps["cell"].isVisible()
    slow = {name: round(1000 * p) for name, p in pauses.items() if p > BOUND}
    assert not slow, f"GUI-thread pauses over {1000 * BOUND:.0f} ms: {slow} (all: " \
                     f"{ {n: round(1000 * p) for n, p in pauses.items()} })"
