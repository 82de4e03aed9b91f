"""Pieces every time-aligned plot shares: a fixed-width left axis and a fixed-width right column (so every
plot area has the same pixels and the time axes line up to the token), the crosshair line, and mapping a
scene mouse position to data coordinates."""
from __future__ import annotations

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


def reserve_right_column(plot: pg.PlotItem) -> None:
    """An empty right axis as wide as a heatmap's colour bar column (see RIGHT_COLUMN_WIDTH)."""
    plot.showAxis("right")
    right = plot.getAxis("right")
    right.setTicks([[]])
    right.setStyle(showValues=False, tickLength=0)
    right.setPen(pg.mkPen(None))
    right.setWidth(RIGHT_COLUMN_WIDTH)


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
