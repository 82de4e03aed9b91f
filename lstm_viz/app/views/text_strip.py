"""The tokens along the shared time axis, whitespace made visible. Only the visible tokens are painted, and
only when there is room for them; zoomed far out the strip shows a tick per token instead."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from lstm_viz.core.vocab import display_token

from .common import FOREGROUND, SELECTED_TIME, make_plot_widget, view_point, vline


class TokenStripItem(pg.GraphicsObject):
    def __init__(self):
        super().__init__()
        self.tokens = ShownTokens(())
        self.font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.font.setPointSizeF(10.5)

    def set_tokens(self, tokens) -> None:
        """The trace's tokens as they are (a tuple is kept, not copied); each is made visible when painted, so a
        million-token text costs nothing here."""
        self.prepareGeometryChange()
        self.tokens = ShownTokens(tokens)
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(0, 0, max(len(self.tokens), 1), 1)

    def paint(self, p: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None or not self.tokens:
            return
        (x0, x1), _ = vb.viewRange()
        lo, hi = max(0, int(x0)), min(len(self.tokens), int(x1) + 1)
        tr = p.transform()
        left, right = tr.map(QtCore.QPointF(0, 0.5)), tr.map(QtCore.QPointF(1, 0.5))
        per_token = right.x() - left.x()  # pixels per timestep
        p.save()
        p.resetTransform()
        fm = QtGui.QFontMetricsF(self.font)
        p.setFont(self.font)
        y = left.y()
        if per_token >= fm.horizontalAdvance("M") * 0.9:
            p.setPen(QtGui.QColor(FOREGROUND))
            for t in range(lo, hi):
                x = tr.map(QtCore.QPointF(t + 0.5, 0.5)).x()
                text = self.tokens[t]
                if fm.horizontalAdvance(text) > per_token * 1.1:
                    text = fm.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, per_token)
                w = fm.horizontalAdvance(text)
                p.drawText(QtCore.QPointF(x - w / 2, y + fm.ascent() / 2 - 1), text)
        else:
            p.setPen(QtGui.QColor(120, 125, 135))
            p.drawText(QtCore.QPointF(tr.map(QtCore.QPointF(max(x0, 0), 0)).x() + 6, y + fm.ascent() / 2 - 1),
                       "zoom in to read the tokens")
        p.restore()


class ShownTokens:
    """The tokens as the strip shows them (whitespace made visible), converted when read: a million-token text
    costs nothing to set."""

    def __init__(self, tokens):
        self.raw = tokens if isinstance(tokens, tuple) else tuple(tokens)

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, t: int) -> str:
        return display_token(self.raw[t])


class TextStripView:
    """A short plot holding the token strip; its x axis is the one all views link to."""

    def __init__(self):
        self.widget = make_plot_widget()
        self.widget.setFixedHeight(34)
        self.plot = self.widget.getPlotItem()
        self.plot.hideAxis("bottom")
        self.plot.getAxis("left").setTicks([[]])
        self.plot.getAxis("left").setLabel("text", color=FOREGROUND)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.setYRange(0, 1, padding=0)
        self.item = TokenStripItem()
        self.plot.addItem(self.item)
        self.vline, self.tline = vline(), vline(SELECTED_TIME)
        self.plot.addItem(self.vline, ignoreBounds=True)
        self.plot.addItem(self.tline, ignoreBounds=True)

    def set_tokens(self, tokens) -> None:
        self.item.set_tokens(tokens)
        self.plot.getViewBox().setLimits(xMin=0, xMax=max(len(tokens), 1), minXRange=2)

    def timestep_at(self, scene_pos) -> int | None:
        p = view_point(self.plot, scene_pos)
        if p is None or not 0 <= p.x() < len(self.item.tokens):
            return None
        return int(p.x())
