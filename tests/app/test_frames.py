"""A pan frame costs one paint per plot, and the traces' value axis holds still while the curves stay in view."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from lstm_viz.app.views.traces import TracesView

from .conftest import open_text


class PaintCounter(QtCore.QObject):
    def __init__(self, widgets):
        super().__init__()
        self.counts = {w: 0 for w in widgets}
        for w in widgets:
            w.viewport().installEventFilter(self)
        self.of = {w.viewport(): w for w in widgets}

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QtCore.QEvent.Type.Paint and obj in self.of:
            self.counts[self.of[obj]] += 1
        return False


def test_a_pan_frame_paints_every_plot_once(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint, text="abc 'de' (fa)\nhij." * 40)
    stack = window.stack
    strip = stack.strip.plot
    strip.setXRange(10, 60, padding=0)
    plots = [stack.strip.widget, stack.traces.widget] + [h for h in stack.heatmaps.values() if h.isVisible()]
    qtbot.waitUntil(lambda: len(stack.traces.curves) > 0)  # the traces' deferred first drawing is done
    app = QtCore.QCoreApplication.instance()
    app.processEvents()
    counter = PaintCounter(plots)
    for k in range(5):  # pyqtgraph alone moves the views inside their paint, which paints them a second time
        strip.setXRange(20 + 10 * k, 70 + 10 * k, padding=0)
        app.processEvents()
    assert len(tr) > 120
    # one paint per frame (a stray late repaint allowed); it was two per frame
    assert all(5 <= n <= 6 for n in counter.counts.values()), {type(w).__name__: n for w, n in counter.counts.items()}


def test_trace_value_axis_holds_still_while_the_curves_stay_in_view(qtbot):
    view = TracesView()
    qtbot.addWidget(view.widget)
    view.widget.resize(600, 150)
    view.widget.show()
    t = np.arange(2000)
    cell = (np.sin(t / 40) * (1 + (t > 1500) * 4)).astype(np.float32)[:, None]  # (T, 1): grows 5x after 1500
    view.set_curves(cell, None, (0,))
    vb = view.plot.getViewBox()
    vb.setXRange(0, 300, padding=0)
    first = vb.viewRange()[1]
    assert first[0] < -0.95 and first[1] > 0.95  # fitted to the visible curve, with a margin
    assert first[1] - first[0] < 2.5
    for x in range(10, 200, 10):  # panning where the curve keeps its range: the axis does not move
        vb.setXRange(x, x + 300, padding=0)
        assert vb.viewRange()[1] == first
    vb.setXRange(1600, 1900, padding=0)  # the curve leaves the range: refitted
    lo, hi = vb.viewRange()[1]
    assert lo < -4.9 and hi > 4.9
    vb.setXRange(100, 400, padding=0)  # back where it is small: fills less than half, refitted tighter
    lo, hi = vb.viewRange()[1]
    assert hi - lo < 2.5
