"""Shift+drag on the token strip or on the coloured text picks a span of the text (for search by example); the
span stays shaded in both.

Event filters (on the strip's viewport, on the coloured text widget): plain drags and clicks still do what they
did; only Shift+drags are taken. The coloured text is read through its public ``token_at`` and ``span_bands`` and
shaded by a child widget laid over it that lets every mouse event through.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

SPAN_BRUSH = QtGui.QColor(80, 200, 255, 60)
# On the coloured text (any colour map behind it) the span is outlined in a colour no map uses
TEXT_SPAN_PEN = QtGui.QColor(225, 0, 175)
TEXT_SPAN_BRUSH = QtGui.QColor(225, 0, 175, 40)


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


class _SpanShade(QtWidgets.QWidget):
    """Over the coloured text, transparent to the mouse: one translucent band per line of the span."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text
        self.span: tuple[int, int] | None = None
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_NoSystemBackground)
        self.resize(text.size())

    def bands(self) -> list[QtCore.QRectF]:
        """The span's rectangles, one per shown line it covers, in the text widget's coordinates."""
        return [] if self.span is None else self.text.span_bands(*self.span)

    def paintEvent(self, event) -> None:
        bands = self.bands()
        if not bands:
            return
        p = QtGui.QPainter(self)
        p.setPen(QtGui.QPen(TEXT_SPAN_PEN, 2))
        p.setBrush(TEXT_SPAN_BRUSH)
        for r in bands:
            if r.intersects(QtCore.QRectF(event.rect())):
                p.drawRect(r)


class TextSpanPicker(QtCore.QObject):
    """Shift+drag over the coloured text (a views.coloured_text.ColouredText) picks tokens [start, end)."""

    picked = QtCore.Signal(int, int)  # [start, end) in timesteps

    def __init__(self, text, parent=None):
        super().__init__(parent)
        self.text = text
        self.shade = _SpanShade(text)
        self.shade.raise_()
        self._anchor: int | None = None
        self._last: int | None = None
        text.installEventFilter(self)

    @property
    def span(self) -> tuple[int, int] | None:
        return self.shade.span

    def show_span(self, start: int | None, end: int | None) -> None:
        """Shade [start, end), or nothing."""
        self.shade.span = None if start is None or end is None or end <= start else (int(start), int(end))
        self.shade.update()

    def eventFilter(self, obj, event) -> bool:
        E = QtCore.QEvent.Type
        kind = event.type()
        if kind == E.Resize:
            self.shade.resize(event.size())  # the text grows as it is laid out
            return False
        if kind not in (E.MouseButtonPress, E.MouseMove, E.MouseButtonRelease):
            return False
        if kind == E.MouseButtonPress:
            shift = bool(event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier)
            if not shift or event.button() != QtCore.Qt.MouseButton.LeftButton:
                return False
            self._anchor = self._last = self.text.token_at(event.position())
            if self._anchor is not None:
                self.show_span(self._anchor, self._anchor + 1)
            return True  # no click on the text (it would select the timestep)
        if self._anchor is None:
            return False
        t = self.text.token_at(event.position())
        if t is not None:
            self._last = t
            self.show_span(min(self._anchor, t), max(self._anchor, t) + 1)
        if kind == E.MouseButtonRelease:
            a, b = min(self._anchor, self._last), max(self._anchor, self._last) + 1
            self._anchor = self._last = None
            self.picked.emit(a, b)
            return True
        return False  # moves still reach the text: its hover and tooltip follow the mouse
