"""Rows line up across heatmaps: zooming the unit axis of one moves them all; the zoom keys reset it; the
primary unit's row is scrolled into view."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from .conftest import make_checkpoint, open_text


def _wheel(widget, vb, x, y, steps=3):
    pos = widget.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x, y)))
    for _ in range(steps):
        ev = QtGui.QWheelEvent(QtCore.QPointF(pos), QtCore.QPointF(widget.viewport().mapToGlobal(pos)),
                               QtCore.QPoint(), QtCore.QPoint(0, 120), QtCore.Qt.MouseButton.NoButton,
                               QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase, False)
        QtWidgets.QApplication.sendEvent(widget.viewport(), ev)


def _y(h):
    return np.array(sorted(h.vb.viewRange()[1]))


def test_wheel_zooms_every_heatmaps_unit_axis_together_and_keys_reset_it(qtbot, window, tmp_path):
    ckpt = make_checkpoint(tmp_path / "wide.pt", hidden=40, layers=1)
    open_text(qtbot, window, ckpt, text="abc 'de' (fa)\nhij." * 3)
    shown = [window.stack.heatmaps[q] for q in window.state.panels]
    first = shown[0]
    _wheel(first, first.vb, 10.5, 20.5)
    qtbot.waitUntil(lambda: _y(first)[1] - _y(first)[0] < 39)
    for h in shown[1:]:
        np.testing.assert_allclose(_y(h), _y(first), atol=1e-6)
    window.stack.reset_zoom()
    for h in shown:
        np.testing.assert_allclose(_y(h), [0, 40], atol=1e-6)
    _wheel(first, first.vb, 10.5, 20.5)
    qtbot.waitUntil(lambda: _y(first)[1] - _y(first)[0] < 39)
    window.stack.show_whole_text()
    for h in shown:
        np.testing.assert_allclose(_y(h), [0, 40], atol=1e-6)


def test_selecting_a_unit_scrolls_its_row_into_view(qtbot, window, tmp_path):
    ckpt = make_checkpoint(tmp_path / "wide.pt", hidden=40, layers=1)
    open_text(qtbot, window, ckpt)
    shown = [window.stack.heatmaps[q] for q in window.state.panels]
    shown[0].vb.setYRange(0, 8, padding=0)
    window.state.select_unit(33)  # as the "go to unit" field does
    for h in shown:
        row = list(h.axis.order).index(33)
        y0, y1 = _y(h)
        assert y0 <= row and row + 1 <= y1 and y1 - y0 < 9
