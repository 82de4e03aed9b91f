"""Shift+drag on the token strip picks a span of the text (for search by example); the span stays shaded.

An event filter on the strip's viewport: plain drags still pan and zoom as before; only Shift+drags are taken.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

SPAN_BRUSH = QtGui.QColor(80, 200, 255, 60)


class SpanPicker(QtCore.QObject):
    picked = QtCore.Signal(int, int)  # [start, end) in timesteps

    def __init__(self, strip, parent=None):
        super().__init__(parent)
        self.strip = strip  # a TextStripView
        self.region = pg.LinearRegionItem(orientation="vertical", movable=False, brush=SPAN_BRUSH,
                                          pen=pg.mkPen(SPAN_BRUSH.lighter(150), width=1))
        self.region.setZValue(10)
        self.region.hide()
        strip.plot.addItem(self.region, ignoreBounds=True)
        self._anchor: int | None = None
        strip.widget.viewport().installEventFilter(self)

    def show_span(self, start: int | None, end: int | None) -> None:
        """Shade [start, end), or nothing."""
        if start is None or end is None or end <= start:
            self.region.hide()
            return
        self.region.setRegion((start, end))
        self.region.show()

    def _timestep(self, event) -> int | None:
        scene = self.strip.widget.mapToScene(event.position().toPoint())
        return self.strip.timestep_at(scene)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        E = QtCore.QEvent.Type
        if kind not in (E.MouseButtonPress, E.MouseMove, E.MouseButtonRelease):
            return False
        shift = bool(event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier)
        if kind == E.MouseButtonPress:
            if not shift or event.button() != QtCore.Qt.MouseButton.LeftButton:
                return False
            self._anchor = self._timestep(event)
            if self._anchor is not None:
                self.show_span(self._anchor, self._anchor + 1)
            return True
        if self._anchor is None:
            return False
        t = self._timestep(event)
        if t is not None:
            self.show_span(min(self._anchor, t), max(self._anchor, t) + 1)
        if kind == E.MouseButtonRelease:
            start, end = self.region.getRegion()
            self._anchor = None
            self.picked.emit(int(round(start)), int(round(end)))
        return True
