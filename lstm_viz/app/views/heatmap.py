"""A heatmap of one quantity: units (rows) x timesteps (columns), with its colour bar.

Only the visible stretch of time is turned into an image, averaged down to about one column per screen
pixel, so a 20,000-step text with hundreds of units pans and zooms smoothly. When everything fits on screen
the image is the data itself: ``image.image == values[:, order].T``. Nothing is copied or reordered in full:
each window is cut from the trace's own array and only its rows are put in display order.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from .. import style
from . import binned
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

    def __init__(self, quantity: str, parent=None, passes=None):
        super().__init__(parent=parent)
        self.quantity = quantity
        self._passes = passes  # a common.OnePerPass shared with the other heatmaps: one re-cut per pass
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
        # short enough to fit beside a low panel: "forget f", "reset r", "cell c", ...
        self.axis.setLabel(style.short_label(quantity), color=FOREGROUND)
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
        # The unit axis and the colour bar do not change when time pans: paint them once into a pixmap, not
        # on every frame (replaying their pictures was most of a pan's painting).
        for item in (self.axis, self.bar.getAxis("right"), self.bar):
            item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.image.setLookupTable(style.colormap(quantity).getLookupTable(nPts=256))
        self.vline, self.hline, self.tline = vline(), hline(), vline(SELECTED_TIME)
        for item in (self.vline, self.hline, self.tline):
            self.plot.addItem(item, ignoreBounds=True)
        self.marks: list[QtWidgets.QGraphicsRectItem] = []
        self.values = np.zeros((0, 0), dtype=np.float32)  # (T, units) as the trace holds it: never copied
        self.levels = style.levels(quantity)
        self.bins = None  # callable values -> TimeBins | None (None while it is being built)
        self.source = None  # a lazy.HeatmapSource instead of ``values`` (a trace that recomputes its windows)
        self._identity = True  # rows in unit order
        self._window = None  # (start, stop, step, exact) of the time window now in the image
        # Re-cut in a later pass of the event loop: a drag's many range changes make one cut per pass, and with
        # ``passes`` each heatmap cuts in its own pass.
        self._refresh_timer = QtCore.QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self.vb.sigXRangeChanged.connect(lambda *_: self._refresh_later())
        self.vb.sigResized.connect(lambda *_: self._refresh_later())
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.scene().sigMouseClicked.connect(self._mouse_clicked)
        self.setMinimumHeight(60)

    @property
    def shape(self) -> tuple[int, int]:
        """(units, T) as drawn: rows, columns."""
        if self.source is not None:
            return self.source.units, self.source.T
        return self.values.shape[1], self.values.shape[0]

    @property
    def data(self) -> np.ndarray:
        """(units, T): the whole array in display order. A copy, made on request (tests, export): drawing
        never needs it."""
        if self.source is not None:
            return self.source.full()[:, self.axis.order].T
        if not self.values.size:
            return np.zeros((0, 0), dtype=np.float32)
        return self.values[:, self.axis.order].T

    # -- data -----------------------------------------------------------------------------------------------
    def set_data(self, values: np.ndarray | None, order: np.ndarray | None, levels=None, bins=None) -> None:
        """values (T, units) of the quantity; order: the unit drawn in each row; levels: the colour range
        (computed when None); bins: values -> TimeBins or None, for zoomed-out windows of long texts.

        Nothing is copied here: each refresh cuts the visible window and reorders only its rows."""
        old_units = self.shape[0]
        self.source = None
        if values is None:
            self.values = np.zeros((0, 0), dtype=np.float32)
            self.image.clear()
            self.axis.order = np.zeros(0, dtype=int)
            return
        self.values = values
        self.bins = bins
        self._take(order, values.shape[1], style.levels(self.quantity, values) if levels is None else levels,
                   old_units)

    def set_source(self, source, order: np.ndarray | None, levels) -> None:
        """Draw from a lazy.HeatmapSource (a trace that recomputes its windows): each refresh cuts the visible
        window from it, exact when ready, a coarser kept level meanwhile."""
        old_units = self.shape[0]
        self.values = np.zeros((0, 0), dtype=np.float32)
        self.bins = None
        self.source = source
        self._take(order, source.units, levels, old_units)

    def _take(self, order, n_units: int, levels, old_units: int) -> None:
        if order is None or len(order) != n_units:
            order = np.arange(n_units)
        self.axis.order = np.asarray(order)
        self._identity = bool(np.array_equal(self.axis.order, np.arange(len(order))))
        self.levels = levels
        self.bar.setLevels(self.levels)
        units, T = self.shape
        self.vb.setLimits(yMin=0, yMax=max(units, 1), xMin=0, xMax=max(T, 1), minYRange=1, minXRange=2)
        if units != old_units:
            self.vb.setYRange(0, units, padding=0)
        self.refresh(force=True)
        self.axis.picture = None
        self.axis.update()

    def _refresh_later(self) -> None:
        if self._passes is not None:
            if self.isVisible():  # a hidden one is drawn anew when shown (PlotStack's stale panels)
                self._passes.add(self, self.refresh)
        else:
            self._refresh_timer.start()

    def refresh(self, force: bool = False) -> None:
        """Re-cut the image when the visible time range left the window held, or the zoom changed a lot."""
        self._refresh_timer.stop()
        if self._passes is not None:
            self._passes.discard(self)
        U, T = self.shape
        if T == 0:
            return
        (x0, x1), _ = self.vb.viewRange()
        x0, x1 = max(0.0, x0), min(float(T), x1)
        visible = max(x1 - x0, 1.0)
        pixels = max(self.vb.width(), 50.0)
        step = max(1, int(visible / pixels))  # about one image column per screen pixel
        if self.source is not None:
            self._refresh_source(x0, x1, visible, step, force)
            return
        use_bins = self.bins is not None and step >= binned.BASE
        bins = self.bins(self.values) if use_bins else None
        if bins is not None:
            f = bins.factor_for(step)
            step = max(f, step // f * f)  # whole pyramid bins
        if self._window is not None and not force:
            a, b, s, exact = self._window
            if s == step and a <= x0 and x1 <= b and (exact or bins is None):
                return
        a = max(0, int((x0 - visible) // step) * step)
        b = min(T, int(math.ceil(x1 + visible)))
        exact = not use_bins or bins is not None
        if exact:
            block = binned.bin_means(self.values, a, b, step, bins)  # (columns, T-order units)
        else:
            block = binned.sampled(self.values, a, b, step)  # until the pyramid is ready
        if not self._identity:
            block = block[:, self.axis.order]
        self.image.setImage(np.ascontiguousarray(block.T), levels=self.levels, autoLevels=False)  # (units, cols)
        # every column exactly ``step`` timesteps wide (the last one may reach past the end of the text)
        self.image.setRect(QtCore.QRectF(a, 0, len(block) * step, U))
        self._window = (a, b, step, exact)

    def _refresh_source(self, x0: float, x1: float, visible: float, step: int, force: bool) -> None:
        if self._window is not None and not force:
            a, b, s, exact = self._window
            # fine tiles of this window are being recomputed: ``ready`` redraws it (no re-cut per frame meanwhile)
            if s == step and a <= x0 and x1 <= b and (exact or getattr(self.source, "asked", None) == (a, b, s)):
                return
        a, width, block, complete = self.source.cut(x0, x1, step)
        image = block.T[self.axis.order] if not self._identity else np.ascontiguousarray(block.T)  # (units, cols)
        self.image.setImage(image, levels=self.levels, autoLevels=False)
        self.image.setRect(QtCore.QRectF(a, 0, len(block) * width, self.source.units))
        self._window = (a, a + len(block) * width, step, complete)

    def refresh_if_sampled(self) -> None:
        """The pyramid (or a recomputed window) arrived: redraw a window that was drawn from stand-ins."""
        if self._window is not None and not self._window[3]:
            self.refresh(force=True)

    # -- decorations ----------------------------------------------------------------------------------------
    def set_marks(self, rows: list[int], colours: list[str]) -> None:
        """Outline the rows of the selected units, each in its trace colour."""
        for m in self.marks:
            self.plot.removeItem(m)
        self.marks = []
        T = self.shape[1]
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
        U, T = self.shape
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
