"""The text coloured token by token by one unit's value (Karpathy et al., "Visualizing and Understanding
Recurrent Networks", 2015): a still pyqtgraph widget that paints each token on a cell of its colour.

Characters are drawn as text (so they stay text in SVG and PDF), in a monospace font, wrapped at a fixed
number of columns and at every newline (drawn as a visible return sign). Several units stack as blocks, each
headed by its unit number.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from lstm_viz.core.vocab import display_token

from .parts import FONT, INK, MONO, TICK_PX, font

BREAKS = ("\n", "<eos>")


def _cells(tokens, word_level: bool, columns: int) -> list[tuple[int, int, int, str]]:
    """(line, column, width in characters, shown text) of each token's cell."""
    tokens = list(tokens)
    # Character text wraps between words where it can: the length of the word starting at each position.
    word_len = [0] * (len(tokens) + 1)
    if not word_level:
        for i in range(len(tokens) - 1, -1, -1):
            word_len[i] = 0 if tokens[i].isspace() else word_len[i + 1] + 1
    out, line, col = [], 0, 0
    for i, tok in enumerate(tokens):
        starts_word = not word_level and word_len[i] and (i == 0 or tokens[i - 1].isspace())
        if starts_word and col > 0 and col + word_len[i] > columns and word_len[i] <= columns // 3:
            line, col = line + 1, 0
        if tok in BREAKS:
            shown = "\u21b5"
        elif tok == " " and not word_level:
            shown = " "  # a blank coloured cell, as in the original pictures
        else:
            shown = display_token(tok)
        width = max(1, len(shown))
        if col > 0 and col + width > columns:
            line, col = line + 1, 0
        out.append((line, col, width, shown))
        col += width + (1 if word_level else 0)
        if tok in BREAKS:
            line, col = line + 1, 0
    return out


class ColouredText(pg.GraphicsWidget):
    """Blocks of coloured text, one per unit.

    values: (T', U) in data units; colours come from ``cmap`` over ``levels``. ``max_lines`` cuts each
    block (with an ellipsis) for compact figures such as the dashboard."""

    def __init__(self, tokens, values: np.ndarray, units, cmap: pg.ColorMap, levels: tuple[float, float],
                 word_level: bool = False, columns: int = 80, px: int = 14, max_lines: int | None = None,
                 ink: float = 1.0, caption: str = "", centre: bool = True):
        super().__init__()
        self.font = font(px, MONO)
        self.label_font = font(TICK_PX + 1, FONT, bold=True)
        fm = QtGui.QFontMetricsF(self.font)
        self.cw, self.lh = fm.horizontalAdvance("M"), fm.height() + 3
        self.ascent = fm.ascent() + 1.5
        self.ink = ink
        self.cells = _cells(tokens, word_level, columns)
        lines = (self.cells[-1][0] + 1) if self.cells else 1
        self.truncated = max_lines is not None and lines > max_lines
        self.lines = min(lines, max_lines) if max_lines else lines
        lo, hi = levels
        norm = np.clip((np.asarray(values, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)  # (T', U)
        self.colours = [cmap.map(norm[:, k], mode=pg.ColorMap.QCOLOR) for k in range(norm.shape[1])]
        self.units = tuple(units)
        self.caption = caption
        self.centre = centre
        self.header = TICK_PX + 8
        self.block_h = self.header + self.lines * self.lh + 10
        used = max((col + w for _, col, w, _ in self.cells), default=1)  # short texts get a narrow block
        width = max(min(columns, used) * self.cw, 120) + 4
        self.setPreferredSize(width, self.block_h * len(self.units))
        self.setMinimumSize(width, self.block_h * len(self.units))
        self.setMaximumHeight(self.block_h * len(self.units))

    def paint(self, p: QtGui.QPainter, *args):
        width = self.size().width()
        left = (max(0.0, (width - self.preferredWidth()) / 2) if self.centre else 0.0) + 2
        for k, unit in enumerate(self.units):
            top = k * self.block_h
            p.setFont(self.label_font)
            p.setPen(pg.mkPen(INK))
            p.drawText(QtCore.QPointF(left, top + self.header - 6), f"unit {unit}{self.caption}")
            p.setFont(self.font)
            y0 = top + self.header
            for (line, col, w, shown), colour in zip(self.cells, self.colours[k]):
                if line >= self.lines:
                    break
                rect = QtCore.QRectF(left + col * self.cw, y0 + line * self.lh, w * self.cw, self.lh)
                p.fillRect(rect, colour)
                if shown.strip():
                    light = colour.lightnessF() < 0.5
                    p.setPen(pg.mkPen("#ffffff" if light else "#000000"))
                    p.drawText(QtCore.QPointF(rect.left(), rect.top() + self.ascent), shown)
            if self.truncated:
                p.setPen(pg.mkPen(INK))
                p.drawText(QtCore.QPointF(left, y0 + self.lines * self.lh + self.ascent - 2), "\u2026")
