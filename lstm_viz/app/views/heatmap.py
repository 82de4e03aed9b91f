"""A heatmap of one quantity: units (rows) x timesteps (columns), with its colour bar.

Only the visible stretch of time is turned into an image, averaged down to about one column per screen
pixel, so a 20,000-step text with hundreds of units pans and zooms smoothly. When everything fits on screen
the image is the data itself: ``image.image == values[:, order].T``.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .. import style
from .common import (BACKGROUND, COLOUR_BAR_GAP, COLOUR_BAR_WIDTH, FOREGROUND, LEFT_AXIS_WIDTH, RIGHT_MARGIN,
                     SELECTED_TIME, hline, view_point, vline)


class UnitAxis(pg.AxisItem):
    """Left axis naming the unit drawn in each row (rows can be re-ordered)."""

    def __init__(self):
        super().__init__("left")
        self.order = np.zeros(0, dtype=int)

    def tickValues(self, minVal, maxVal, size):
        n = len(self.order)
        if n == 0 or size <= 0:
            return []
        minVal, maxVal = sorted((minVal, maxVal))  # the y axis is inverted: unit 0 on top
        lo, hi = max(0, int(math.floor(minVal))), min(n, int(math.ceil(maxVal)))
        rows = max(hi - lo, 1)
        step = max(1, math.ceil(rows * 15 / size))
        for nice in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000):
            if nice >= step:
                step = nice
                break
        start = (lo // step) * step
        return [(step, [r + 0.5 for r in range(start, hi, step) if r >= lo])]

    def tickStrings(self, values, scale, spacing):
        n = len(self.order)
        return [str(int(self.order[int(v)])) if 0 <= int(v) < n else "" for v in values]


class HeatmapView(pg.GraphicsLayoutWidget):
    clicked = QtCore.Signal(int, int, bool)  # timestep, row, add (ctrl held)
    hovered = QtCore.Signal(object, object)  # timestep | None, row | None

    def __init__(self, quantity: str, parent=None):
        super().__init__(parent=parent)
        self.quantity = quantity
        self.setBackground(BACKGROUND)
        self.ci.setContentsMargins(0, 2, RIGHT_MARGIN, 2)
        self.ci.layout.setHorizontalSpacing(COLOUR_BAR_GAP)
        self.axis = UnitAxis()
        self.plot = self.addPlot(row=0, col=0, axisItems={"left": self.axis})
        self.plot.setDefaultPadding(0.0)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.hideAxis("bottom")
        self.axis.setWidth(LEFT_AXIS_WIDTH)
        self.axis.setPen(FOREGROUND)
        self.axis.setTextPen(FOREGROUND)
        # short enough to fit beside a low panel: "forget f", "cell c", ...
        self.axis.setLabel(f"{style.LABELS[quantity].split()[0]} {style.SYMBOL[quantity]}", color=FOREGROUND)
        self.vb = self.plot.getViewBox()
        self.vb.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(colorMap=style.colormap(quantity), interactive=False, width=12,
                                   values=style.levels(quantity))
        self.bar.getAxis("right").setTextPen(FOREGROUND)
        self.bar.getAxis("right").setPen(FOREGROUND)
        self.bar.getAxis("right").setWidth(44)
        self.bar.getAxis("right").enableAutoSIPrefix(False)
        self.bar.setFixedWidth(COLOUR_BAR_WIDTH)  # the right column every time-aligned plot reserves
        self.addItem(self.bar, row=0, col=1)
        self.image.setLookupTable(style.colormap(quantity).getLookupTable(nPts=256))
        self.vline, self.hline, self.tline = vline(), hline(), vline(SELECTED_TIME)
        for item in (self.vline, self.hline, self.tline):
            self.plot.addItem(item, ignoreBounds=True)
        self.marks: list[QtWidgets.QGraphicsRectItem] = []
        self.data = np.zeros((0, 0), dtype=np.float32)  # (units, T): rows in display order
        self.levels = style.levels(quantity)
        self._window = None  # (start, stop, step) of the time window now in the image
        self.vb.sigXRangeChanged.connect(lambda *_: self.refresh())
        self.vb.sigResized.connect(lambda *_: self.refresh())
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.scene().sigMouseClicked.connect(self._mouse_clicked)
        self.setMinimumHeight(60)

    # -- data -----------------------------------------------------------------------------------------------
    def set_data(self, values: np.ndarray | None, order: np.ndarray | None) -> None:
        """values (T, units) of the quantity; order: the unit drawn in each row."""
        if values is None:
            self.data = np.zeros((0, 0), dtype=np.float32)
            self.image.clear()
            self.axis.order = np.zeros(0, dtype=int)
            return
        if order is None or len(order) != values.shape[1]:
            order = np.arange(values.shape[1])
        self.axis.order = np.asarray(order)
        self.data = np.ascontiguousarray(values[:, order].T)  # (units, T) in display order
        self.levels = style.levels(self.quantity, values)
        self.bar.setLevels(self.levels)
        units = self.data.shape[0]
        self.vb.setLimits(yMin=0, yMax=max(units, 1), xMin=0, xMax=max(self.data.shape[1], 1),
                          minYRange=1, minXRange=2)
        self.vb.setYRange(0, units, padding=0)
        self._window = None
        self.refresh()
        self.axis.picture = None
        self.axis.update()

    def refresh(self) -> None:
        """Re-cut the image when the visible time range left the window held, or the zoom changed a lot."""
        U, T = self.data.shape
        if T == 0:
            return
        (x0, x1), _ = self.vb.viewRange()
        x0, x1 = max(0.0, x0), min(float(T), x1)
        visible = max(x1 - x0, 1.0)
        pixels = max(self.vb.width(), 50.0)
        step = max(1, int(visible / pixels))  # about one image column per screen pixel
        if self._window is not None:
            a, b, s = self._window
            if s == step and a <= x0 and x1 <= b:
                return
        a = max(0, int((x0 - visible) // step) * step)
        b = min(T, int(math.ceil(x1 + visible)))
        block = self.data[:, a:b]
        if step > 1:
            starts = np.arange(0, b - a, step)
            counts = np.diff(np.append(starts, b - a))
            block = np.add.reduceat(block, starts, axis=1) / counts.astype(np.float32)  # (units, columns): bin means
        self.image.setImage(block, levels=self.levels, autoLevels=False)
        self.image.setRect(QtCore.QRectF(a, 0, b - a, U))
        self._window = (a, b, step)

    # -- decorations ----------------------------------------------------------------------------------------
    def set_marks(self, rows: list[int], colours: list[str]) -> None:
        """Outline the rows of the selected units, each in its trace colour."""
        for m in self.marks:
            self.plot.removeItem(m)
        self.marks = []
        T = self.data.shape[1]
        for row, colour in zip(rows, colours):
            rect = QtWidgets.QGraphicsRectItem(QtCore.QRectF(0, row, T, 1))
            pen = pg.mkPen(colour, width=2)
            pen.setCosmetic(True)
            rect.setPen(pen)
            rect.setZValue(10)
            self.plot.addItem(rect, ignoreBounds=True)
            self.marks.append(rect)

    def set_crosshair(self, t: int | None, row: int | None) -> None:
        self.vline.setVisible(t is not None)
        if t is not None:
            self.vline.setPos(t + 0.5)
        self.hline.setVisible(row is not None)
        if row is not None:
            self.hline.setPos(row + 0.5)

    def set_selected_time(self, t: int) -> None:
        self.tline.setPos(t + 0.5)
        self.tline.show()

    # -- gestures -------------------------------------------------------------------------------------------
    def _cell(self, scene_pos):
        p = view_point(self.plot, scene_pos)
        U, T = self.data.shape
        if p is None or not (0 <= p.x() < T and 0 <= p.y() < U):
            return None
        return int(p.x()), int(p.y())

    def _mouse_moved(self, pos) -> None:
        cell = self._cell(pos)
        self.hovered.emit(*(cell if cell else (None, None)))

    def _mouse_clicked(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton or event.double():
            return
        cell = self._cell(event.scenePos())
        if cell is not None:
            add = bool(event.modifiers() & (QtCore.Qt.KeyboardModifier.ControlModifier
                                            | QtCore.Qt.KeyboardModifier.ShiftModifier))
            self.clicked.emit(cell[0], cell[1], add)

    def leaveEvent(self, event) -> None:
        self.hovered.emit(None, None)
        super().leaveEvent(event)
