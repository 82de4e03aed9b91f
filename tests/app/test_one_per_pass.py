"""Heatmaps re-cut one per pass of the event loop after a zoom, so no single pass holds the window for all of
them (a 2 x 512 model: three re-cuts of ~25 ms each, 80-150 ms in one pass before)."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lstm_viz.app.views.common import OnePerPass


def test_queued_calls_run_one_per_pass_in_order_and_a_requeued_key_keeps_its_place(qtbot):
    q = OnePerPass()
    ran = []
    for k in "abc":
        q.add(k, lambda k=k: ran.append(k))
    q.add("a", lambda: ran.append("A"))  # already waiting: keeps its place and its call
    passes = 0
    while len(q) and passes < 10:
        QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents)
        passes += 1
        assert len(ran) <= passes  # never two in one pass
    assert ran == ["a", "b", "c"] and passes == 3
    q.add("d", lambda: ran.append("d"))
    q.discard("d")
    qtbot.wait(20)
    assert ran == ["a", "b", "c"]


def test_the_plot_stack_heatmaps_recut_in_turn(qtbot, window):
    """Each heatmap of the window asks the shared queue to re-cut after a range change; none re-cuts at once."""
    from .test_responsive import synthetic_trace

    stack = window.stack
    window.state.set_trace(synthetic_trace(2000, 16, layers=1))
    qtbot.waitUntil(lambda: not len(stack.passes), timeout=10000)
    shown = [h for h in stack.heatmaps.values() if h.isVisible()]
    assert len(shown) >= 2
    stack.strip.plot.setXRange(0, len(window.state.trace) / 2, padding=0)
    assert len(stack.passes) == len(shown)  # queued, none cut yet
    qtbot.waitUntil(lambda: not len(stack.passes), timeout=10000)
