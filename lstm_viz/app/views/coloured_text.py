"""The text coloured token by token by one unit's value (Karpathy-style). Hovering a token shows its loss and
the model's top-5 guesses for what follows (``token_tooltip``); clicking it selects its timestep.

Lines wrap between words, never inside one (a word longer than a line is the only exception). Only a window of
the text around what is shown is laid out (``text_layout.TextWindow``; which window, which line at the top and
where each token is on the widget: ``text_scroll``), so a text of a million tokens opens, jumps and follows the
plots at the cost of a few screens. The widget is the view itself: ``coloured_pane.ColouredTextPane`` puts it
next to a scroll bar whose range is timesteps. This module colours and paints: lines are kept as images per
block of lines (``text_paint``) and blitted while scrolling; the hover and selection marks are drawn over them.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from .. import style
from .text_paint import PAPER, UNKNOWN, render_lines
from .text_scroll import TextScrolling
from .token_tooltip import shown_token, tooltip_html

BLOCK_LINES = 8  # lines per cached image
KEPT_BLOCKS = 48  # cached images kept (those nearest the view)


class ColouredText(TextScrolling, QtWidgets.QWidget):
    """The coloured text itself (see the module's docstring); its window and scrolling: ``text_scroll``."""

    hovered = QtCore.Signal(object)  # timestep | None
    clicked = QtCore.Signal(int)
    scrolled = QtCore.Signal(int, int)  # first token shown, about how many tokens a screen shows

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.font_ = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.font_.setPointSizeF(11)
        self.fm = QtGui.QFontMetricsF(self.font_)
        self.line_h = self.fm.height() + 4
        self.tokens: tuple[str, ...] = ()
        self.spaced = False  # word tokens get a space between them
        self._init_scrolling()
        self._wmap: dict[str, float] = {}  # token -> width in pixels
        self._shown: dict[str, str] = {}
        self._blocks: dict[int, tuple] = {}  # block of lines -> (first token, end, image, values known)
        self._colour_range = (-1.0, 1.0)
        self._cmap = None
        self._follow_timer = self._timer(self._apply_follow)
        self._grow_timer = self._timer(self._grow)
        self.trace = None
        self.fetcher = None  # a lazy.Fetcher: probabilities of lazy traces are read through it
        self.values = None  # (T,) values of the primary unit, or a lazy.LazyColumn
        self.label = ""
        self.hover_t: int | None = None
        self.selected_t: int | None = None
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)  # as a scroll area: keys scroll it

    def _timer(self, slot) -> QtCore.QTimer:
        timer = QtCore.QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(0)
        timer.timeout.connect(slot)
        return timer

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(400, 160)

    # -- the text and its values --------------------------------------------------------------------------
    def set_trace(self, trace) -> None:
        self.trace = trace
        self.tokens = () if trace is None else tuple(trace.tokens)
        self.spaced = any(len(t) > 1 for t in self.tokens[:200]) and "\n" not in self.tokens[:200]
        self._wmap, self._shown = {}, {}
        self._new_window(0)
        if self._follow is None:
            self._follow = self._range  # the plots' range stays (a longer trace of the same text, say)
        self._apply_follow()

    def set_values(self, values, quantity: str, label: str, levels=None) -> None:
        """values (T,) of the primary unit (or a lazy.LazyColumn, read for the painted tokens only): colours
        from the quantity's colormap and ``levels`` (default: its range over ``values``; each token's colour
        is worked out when it is painted)."""
        self.values, self.label = values, label
        if values is not None:
            self._colour_range = levels if levels is not None else style.levels(quantity, values)
            self._cmap = style.colormap(quantity)
        self._blocks.clear()
        self.update()

    def _has_colour(self) -> bool:
        return self.values is not None and len(self.values) == len(self.tokens)

    def _colour_rows(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        """((t1 - t0, 4) RGBA bytes, (t1 - t0,) known) of tokens t0..t1; unknown (still being recomputed):
        plain paper."""
        lo, hi = self._colour_range
        v = np.asarray(self.values[t0:t1], dtype=np.float64)  # NaN: still being recomputed
        x = np.clip((np.nan_to_num(v) - lo) / (hi - lo), 0, 1)
        out = self._cmap.map(x, mode="byte")  # (t1 - t0, 4)
        known = np.isfinite(v)
        out[~known] = (*UNKNOWN, 255)
        return out, known

    def colours_of(self, t0: int, t1: int) -> np.ndarray:
        """(t1 - t0, 4) RGBA bytes of tokens t0..t1 (zeros without values)."""
        if not self._has_colour():
            return np.zeros((max(t1 - t0, 0), 4), dtype=np.uint8)
        return self._colour_rows(t0, t1)[0]

    @property
    def colours(self) -> np.ndarray:
        """(T, 4) RGBA bytes of every token (made on request: painting colours only the shown ones)."""
        return self.colours_of(0, len(self.tokens))

    # -- painting -----------------------------------------------------------------------------------------
    def _block_image(self, block: int, a: int, b: int, rgb) -> QtGui.QImage:
        """The image of block ``block``: tokens [a, b) with backgrounds ``rgb`` ((b - a, 3) bytes or None)."""
        win = self.win
        k0, k1 = a - win.start, b - win.start
        toks = self.tokens[a:b]
        shown_map = self._shown
        for tok in set(toks) - shown_map.keys():
            shown_map[tok] = shown_token(tok)
        shown = [shown_map[t] for t in toks]
        visible_space = np.fromiter((s != t for s, t in zip(shown, toks)), dtype=bool, count=len(toks))
        return render_lines(self.width(), BLOCK_LINES, self.line_h, self.devicePixelRatioF(), self.font_,
                            self.fm.ascent(), win.x[k0:k1], win.width[k0:k1], win.line[k0:k1] - block * BLOCK_LINES,
                            shown, visible_space, rgb, win.gap, " " if self.spaced else "")

    def paintEvent(self, event) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(event.rect(), QtGui.QColor(*PAPER))
        win = self.win
        if win is None or not len(win):
            p.setPen(QtGui.QColor(120, 120, 120))
            p.drawText(self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, "no analysis yet")
            return
        B, top = BLOCK_LINES, self.top
        p.setClipRect(QtCore.QRectF(0, 4, self.width(), self.height()))  # not the line above the top one
        blocks = list(range(top // B, (top + self._lines_shown() - 1) // B + 1))
        spans = {k: win.tokens_of(k * B, k * B + B - 1) for k in blocks}
        # a kept image (first token, end, image, tokens whose value was known) stands while its tokens are the
        # same and no more of their values have arrived since it was painted
        stale = [k for k in blocks if spans[k][1] > spans[k][0]
                 and (self._blocks.get(k, (None,))[:2] != spans[k] or self._blocks[k][3] < spans[k][1] - spans[k][0])]
        if stale:
            a, b = min(spans[k][0] for k in stale), max(spans[k][1] for k in stale)
            rgb, known = self._colour_rows(a, b) if self._has_colour() else (None, None)
            for k in stale:
                i, j = spans[k]
                n_known = j - i if known is None else int(known[i - a:j - a].sum())
                if k in self._blocks and self._blocks[k][:2] == spans[k] and self._blocks[k][3] == n_known:
                    continue  # still waiting for the same values
                image = self._block_image(k, i, j, None if rgb is None else rgb[i - a:j - a, :3])
                self._blocks[k] = (i, j, image, n_known)
        for k in blocks:
            if k in self._blocks:
                p.drawImage(QtCore.QPointF(0, (k * B - top) * self.line_h + 4), self._blocks[k][2])
        for t, colour in ((self.selected_t, QtGui.QColor(230, 150, 0)), (self.hover_t, QtGui.QColor(0, 0, 0))):
            if t is not None and win.start <= t < win.end:
                x, y, w, _ = self._box_rows(t, t + 1)[0]
                p.setPen(QtGui.QPen(colour, 2))
                p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                p.drawRect(QtCore.QRectF(x, y, max(w, 2), self.line_h - 1).adjusted(0, 0, -1, -1))
        p.end()
        if len(self._blocks) > KEPT_BLOCKS:  # forget the images farthest from the view
            for k in sorted(self._blocks, key=lambda k: abs(k - top // B))[KEPT_BLOCKS:]:
                del self._blocks[k]

    def _layout_changed(self) -> None:
        """The window was laid out afresh: its line numbers start over, the kept images are of other lines."""
        self._blocks.clear()

    # -- gestures -----------------------------------------------------------------------------------------
    def mouseMoveEvent(self, event) -> None:
        t = self.token_at(event.position())
        self.hovered.emit(t)
        if t is not None and self.trace is not None:
            value = None if self.values is None else float(self.values[t])
            QtWidgets.QToolTip.showText(event.globalPosition().toPoint(),
                                        tooltip_html(self.trace, t, value, self.label, self.fetcher), self)
        else:
            QtWidgets.QToolTip.hideText()

    def mousePressEvent(self, event) -> None:
        t = self.token_at(event.position())
        if t is not None:
            self.clicked.emit(t)

    def leaveEvent(self, event) -> None:
        self.hovered.emit(None)

    def set_hover(self, t: int | None) -> None:
        if t != self.hover_t:
            self.hover_t = t
            self.update()

    def set_selected(self, t: int | None) -> None:
        self.selected_t = t
        self.update()

