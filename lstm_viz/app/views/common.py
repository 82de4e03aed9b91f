"""Pieces every time-aligned plot shares: a fixed-width left axis and a fixed-width right column (so every
plot area has the same pixels and the time axes line up to the token), the crosshair line, and mapping a
scene mouse position to data coordinates."""
from __future__ import annotations

from collections import OrderedDict

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

LEFT_AXIS_WIDTH = 78  # pixels: the same in every plot, so that time lines up
# pixels right of every plot area: the heatmaps' colour bars live there, the other plots keep it empty.
# pyqtgraph links x axes by screen pixels, so the plot areas must be exactly as wide as each other.
COLOUR_BAR_WIDTH = 62  # the bar and its value axis
COLOUR_BAR_GAP = 6  # between a heatmap and its bar
RIGHT_MARGIN = 4
RIGHT_COLUMN_WIDTH = COLOUR_BAR_GAP + COLOUR_BAR_WIDTH + RIGHT_MARGIN
BACKGROUND = "#15171c"
FOREGROUND = "#c8ccd4"
CROSSHAIR = QtGui.QColor(255, 255, 255, 150)
SELECTED_TIME = QtGui.QColor(255, 210, 80, 170)


def make_plot_widget(**axis_items) -> pg.PlotWidget:
    w = pg.PlotWidget(background=BACKGROUND, axisItems=axis_items or None)
    plot = w.getPlotItem()
    plot.setDefaultPadding(0.0)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    for name in ("left", "bottom"):
        ax = plot.getAxis(name)
        ax.setPen(FOREGROUND)
        ax.setTextPen(FOREGROUND)
    plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
    plot.getAxis("left").enableAutoSIPrefix(False)
    reserve_right_column(plot)
    return w


def transform_at_once(vb: pg.ViewBox) -> None:
    """Apply a range change to the view's transform when it happens, not when the view starts painting.

    pyqtgraph defers the transform (and a y range that follows the visible data) to ``prepareForPaint``, which
    runs inside the paint: the new transform then dirties the scene again and every pan frame paints each plot
    twice. Preparing right after the range changed folds both into one paint."""
    vb.sigRangeChanged.connect(lambda *_: vb.prepareForPaint())


class OnePerPass(QtCore.QObject):
    """Runs queued calls one per pass of the event loop, first queued first; a key queued again while it waits
    keeps its place (and its call). Views that all re-cut after the same zoom (three heatmaps of ~25 ms each for
    a 2 x 512 model) then paint one after another in short passes, the window answering between them, instead of
    in one long pass. Until its turn, a view shows its previous image where it was, in the new range."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._queue: OrderedDict = OrderedDict()
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._next)

    def add(self, key, call) -> None:
        self._queue.setdefault(key, call)
        if not self._timer.isActive():
            self._timer.start()

    def discard(self, key) -> None:
        self._queue.pop(key, None)

    def __len__(self) -> int:
        return len(self._queue)

    def _next(self) -> None:
        if not self._queue:
            return
        _, call = self._queue.popitem(last=False)
        if self._queue:
            self._timer.start()  # started during this pass: it fires in the next one, after the paint
        call()


def reserve_right_column(plot: pg.PlotItem) -> None:
    """An empty right axis as wide as a heatmap's colour bar column (see RIGHT_COLUMN_WIDTH)."""
    plot.showAxis("right")
    right = plot.getAxis("right")
    right.setTicks([[]])
    right.setStyle(showValues=False, tickLength=0)
    right.setPen(pg.mkPen(None))
    right.setWidth(RIGHT_COLUMN_WIDTH)


def blend(colour: str, alpha: float, over: str = BACKGROUND) -> QtGui.QColor:
    """``colour`` at ``alpha`` over ``over``, as one opaque colour (opaque lines paint several times faster)."""
    a, b = QtGui.QColor(colour), QtGui.QColor(over)
    mix = lambda x, y: round(alpha * x + (1 - alpha) * y)  # noqa: E731
    return QtGui.QColor(mix(a.red(), b.red()), mix(a.green(), b.green()), mix(a.blue(), b.blue()))


class ValueGrid(pg.GraphicsObject):
    """Horizontal lines at the left axis's major ticks, in one opaque dim colour.

    What ``PlotItem.showGrid(y=True, alpha=...)`` draws, for a fraction of the cost: pyqtgraph draws its grid as
    translucent tick lines inside the axis picture, which a plot whose y range follows the visible data repaints
    on every pan frame (about 10 ms a frame on a 1300 px plot; these lines: well under 1 ms)."""

    def __init__(self, plot: pg.PlotItem, alpha: float = 0.15):
        super().__init__()
        self.axis = plot.getAxis("left")
        self.pen = QtGui.QPen(blend(FOREGROUND, alpha), 0)  # cosmetic: one pixel whatever the zoom
        self.setZValue(-100)  # under the curves
        plot.addItem(self, ignoreBounds=True)
        plot.getViewBox().sigRangeChanged.connect(lambda *_: self.prepareGeometryChange())

    def boundingRect(self) -> QtCore.QRectF:
        vb = self.getViewBox()
        if vb is None:
            return QtCore.QRectF()
        (x0, x1), (y0, y1) = vb.viewRange()
        return QtCore.QRectF(x0, y0, x1 - x0, y1 - y0)

    def values(self) -> list[float]:
        """The y values of the lines: the axis's major ticks in the visible range."""
        vb = self.getViewBox()
        if vb is None:
            return []
        _, (y0, y1) = vb.viewRange()
        levels = self.axis.tickValues(y0, y1, max(vb.height(), 1.0))
        return [v for v in levels[0][1] if y0 <= v <= y1] if levels else []

    def paint(self, p: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None:
            return
        (x0, x1), _ = vb.viewRange()
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        p.setPen(self.pen)
        p.drawLines([QtCore.QLineF(x0, y, x1, y) for y in self.values()])


def vline(colour=CROSSHAIR, width=1.0) -> pg.InfiniteLine:
    line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(colour, width=width))
    line.setZValue(20)
    line.hide()
    return line


def hline(colour=CROSSHAIR) -> pg.InfiniteLine:
    line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(colour, width=1))
    line.setZValue(20)
    line.hide()
    return line


def view_point(plot: pg.PlotItem, scene_pos: QtCore.QPointF) -> QtCore.QPointF | None:
    """Data coordinates of a scene position inside the plot's view box, else None."""
    vb = plot.getViewBox()
    if not vb.sceneBoundingRect().contains(scene_pos):
        return None
    return vb.mapSceneToView(scene_pos)
