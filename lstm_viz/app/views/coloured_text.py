"""The text coloured character by character by one unit's value (Karpathy-style). Hovering a character
shows its loss and the model's top-5 guesses for what follows.

Lines wrap between words, never inside one (a word longer than a line is the only exception). A long text is
laid out in passes of the event loop (LAYOUT_CHUNK tokens each), and only the visible lines are coloured and
painted, so a 200,000-character text never holds the GUI thread for long. ``show_time_range`` scrolls the
enclosing scroll area to the stretch of text the plots show."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lstm_viz.core.vocab import display_token

from .. import style
from .lazy import probs_ready

LAYOUT_CHUNK = 5_000  # tokens laid out per pass of the event loop (a pass stays well under 100 ms)
MARGIN = 6.0  # pixels left of every line


def tooltip_html(trace, t: int, value: float | None, label: str, fetcher=None) -> str:
    """What hovering timestep t tells: the token, the unit's value, its loss, the top-5 next tokens."""
    tok = display_token(trace.tokens[t])
    lines = [f"<b>t = {t}</b> &nbsp; token <b>{_esc(tok)}</b>"]
    if value is not None and np.isfinite(value):
        lines.append(f"{label}: <b>{value:+.3f}</b>")
    if trace.loss is not None:
        loss = float(trace.loss[t])
        lines.append("loss: (first token)" if np.isnan(loss) else f"loss: {loss:.2f} nats (p = {np.exp(-loss):.3f})")
    if trace.probs is not None and trace.vocab_tokens is not None and (fetcher is None or probs_ready(trace, t, fetcher)):
        p = trace.probs[t]
        top = np.argsort(p)[::-1][:5]
        rows = "".join(f"<tr><td><b>{_esc(display_token(trace.vocab_tokens[i]))}</b></td>"
                       f"<td align='right'>{p[i]:.3f}</td></tr>" for i in top)
        lines.append(f"next token, top 5:<table cellspacing='0' cellpadding='1'>{rows}</table>")
    return "<br>".join(lines)


def _shown(token: str) -> str:
    """Whitespace tokens drawn visibly; everything else as it is."""
    return display_token(token) if token in ("\n", "\t", "\r", " ") else token


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ColouredText(QtWidgets.QWidget):
    hovered = QtCore.Signal(object)  # timestep | None
    clicked = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.font_ = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.font_.setPointSizeF(11)
        self.fm = QtGui.QFontMetricsF(self.font_)
        self.tokens: tuple[str, ...] = ()
        self.spaced = False  # word tokens get a space between them
        self.boxes = np.zeros((0, 4))  # (T, 4): x, y, w, line of each token (the first ``laid`` are placed)
        self.laid = 0
        self.line_h = 1.0
        self._colour_range = (-1.0, 1.0)
        self._cmap = None
        self._follow: tuple[int, int] | None = None  # a time range to show once it is laid out
        self._layout_timer = QtCore.QTimer(self)
        self._layout_timer.setSingleShot(True)
        self._layout_timer.setInterval(0)
        self._layout_timer.timeout.connect(self._layout_more)
        self.trace = None
        self.fetcher = None  # a lazy.Fetcher: probabilities of lazy traces are read through it
        self.values = None  # (T,) values of the primary unit, or a lazy.LazyColumn
        self.label = ""
        self.hover_t: int | None = None
        self.selected_t: int | None = None
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)

    def set_trace(self, trace) -> None:
        self.trace = trace
        self.tokens = () if trace is None else tuple(trace.tokens)
        self.spaced = any(len(t) > 1 for t in self.tokens[:200]) and "\n" not in self.tokens[:200]
        self._layout()

    def set_values(self, values, quantity: str, label: str, levels=None) -> None:
        """values (T,) of the primary unit (or a lazy.LazyColumn, read for the painted tokens only): colours
        from the quantity's colormap and ``levels`` (default: its range over ``values``; each token's colour
        is worked out when it is painted)."""
        self.values, self.label = values, label
        if values is not None:
            self._colour_range = levels if levels is not None else style.levels(quantity, values)
            self._cmap = style.colormap(quantity)
        self.update()

    def colours_of(self, t0: int, t1: int) -> np.ndarray:
        """(t1 - t0, 4) RGBA bytes of tokens t0..t1 (zeros without values)."""
        if self.values is None or len(self.values) != len(self.tokens):
            return np.zeros((max(t1 - t0, 0), 4), dtype=np.uint8)
        lo, hi = self._colour_range
        v = np.asarray(self.values[t0:t1], dtype=np.float64)  # NaN: still being recomputed
        x = np.clip((np.nan_to_num(v) - lo) / (hi - lo), 0, 1)
        out = self._cmap.map(x, mode="byte")  # (t1 - t0, 4)
        out[~np.isfinite(v)] = (235, 235, 230, 255)  # not known yet: plain paper
        return out

    @property
    def colours(self) -> np.ndarray:
        """(T, 4) RGBA bytes of every token (made on request: painting colours only the visible ones)."""
        return self.colours_of(0, len(self.tokens))

    # -- layout -------------------------------------------------------------------------------------------
    def _layout(self) -> None:
        """Start placing every token (x, y, width, line), wrapping between words at the widget's width; the
        first LAYOUT_CHUNK tokens now, the rest in later passes of the event loop."""
        self._layout_timer.stop()
        self.line_h = self.fm.height() + 4
        self._wrap_at = max(self.width() - 12, 200)
        self._wmap: dict[str, float] = {}  # token -> width, filled as tokens are laid out
        self._xs, self._lines = [0.0] * len(self.tokens), [0] * len(self.tokens)
        self.boxes = np.zeros((len(self.tokens), 4))
        self.laid = 0
        self._x, self._line, self._word = MARGIN, 0, None
        self._layout_more()

    def _layout_more(self) -> None:
        """Place the next LAYOUT_CHUNK tokens. A word that would cross the right edge moves to the next line
        whole; whitespace may hang past the edge (it never starts a line)."""
        T = len(self.tokens)
        i0, i1 = self.laid, min(self.laid + LAYOUT_CHUNK, T)
        xs, lines, tokens, wmap = self._xs, self._lines, self.tokens, self._wmap
        for tok in set(tokens[i0:i1]) - wmap.keys():  # widths of the tokens not met before
            wmap[tok] = self.fm.horizontalAdvance(_shown(tok))
        widths = [wmap[t] for t in tokens[i0:i1]]
        space = [t.isspace() for t in tokens[i0:i1]]
        changed = i0
        gap = self.fm.horizontalAdvance(" ") if self.spaced else 0.0
        x, line, word, width = self._x, self._line, self._word, self._wrap_at
        for i in range(i0, i1):  # the only per-token loop: plain arithmetic
            w = widths[i - i0]
            if space[i - i0]:
                word = None
            else:
                if self.spaced or word is None:
                    word = i  # word tokens are words; characters gather into one until whitespace
                if x + w > width and x > MARGIN:
                    carry = word < i and lines[word] == line and xs[word] > MARGIN  # a word begun on this line
                    line += 1
                    if carry:
                        shift = xs[word] - MARGIN
                        for j in range(word, i):
                            xs[j] -= shift
                            lines[j] = line
                        x -= shift
                        changed = min(changed, word)
                    else:
                        x = MARGIN
            xs[i] = x
            lines[i] = line
            x += w + gap
            if tokens[i] == "\n":
                x, line, word = MARGIN, line + 1, None
        self._x, self._line, self._word = x, line, word
        self.boxes[i0:i1, 2] = widths
        self.boxes[changed:i1, 0] = xs[changed:i1]
        self.boxes[changed:i1, 3] = lines[changed:i1]
        self.boxes[changed:i1, 1] = self.boxes[changed:i1, 3] * self.line_h + 4
        self.laid = i1
        n_lines = lines[i1 - 1] + 1 if i1 else 1
        self.setFixedHeight(int(n_lines * self.line_h + 10))
        if i1 < T:
            self._layout_timer.start()
        if self._follow is not None and self._follow[0] < self.laid:
            self.show_time_range(*self._follow)
        self.update()

    def show_time_range(self, t0: int, t1: int) -> None:
        """Scroll the enclosing scroll area so that timesteps [t0, t1) (the plots' visible range) are shown,
        from the top of the view when they do not all fit."""
        self._follow = (t0, t1)
        if not self.laid or t0 >= self.laid:
            return  # once the layout gets there
        self._follow = None
        scroll = self.parentWidget().parentWidget() if self.parentWidget() is not None else None
        if not isinstance(scroll, QtWidgets.QScrollArea):
            return
        bar = scroll.verticalScrollBar()
        view_h = scroll.viewport().height()
        last = min(max(t1 - 1, t0), self.laid - 1)
        top, bottom = self.boxes[t0, 1], self.boxes[last, 1] + self.line_h
        shown_top = bar.value()
        if shown_top <= top and bottom <= shown_top + view_h:
            return
        bar.setValue(int(max(top - 4, 0)) if bottom - top > view_h or top < shown_top
                     else int(bottom - view_h + 4))

    def resizeEvent(self, event) -> None:
        if event.oldSize().width() != event.size().width():
            self._layout()
        super().resizeEvent(event)

    def _line_tokens(self, first: int, last: int) -> np.ndarray:
        """Indices of the laid-out tokens on lines first..last (lines grow with the index)."""
        lines = self.boxes[: self.laid, 3]
        a, b = np.searchsorted(lines, first, side="left"), np.searchsorted(lines, last, side="right")
        return np.arange(a, b)

    def token_at(self, pos: QtCore.QPointF) -> int | None:
        if not self.laid:
            return None
        line = int((pos.y() - 4) // self.line_h)
        idx = self._line_tokens(line, line)
        if not len(idx):
            return None
        xs = self.boxes[idx, 0]
        k = int(np.searchsorted(xs, pos.x(), side="right")) - 1
        if k < 0:
            return None
        t = int(idx[k])
        return t if pos.x() <= self.boxes[t, 0] + max(self.boxes[t, 2], 4) else None

    # -- painting -----------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(event.rect(), QtGui.QColor("#fbfbf8"))
        if not self.laid:
            p.setPen(QtGui.QColor(120, 120, 120))
            p.drawText(self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, "no analysis yet")
            return
        p.setFont(self.font_)
        r = event.rect()
        first = max(0, int((r.top() - 4) // self.line_h))
        last = int((r.bottom() - 4) // self.line_h) + 1
        sel = self._line_tokens(first, last)
        ascent = self.fm.ascent()
        has_colour = self.values is not None and len(self.values) == len(self.tokens)
        colours = self.colours_of(int(sel[0]), int(sel[-1]) + 1) if has_colour and len(sel) else None
        for t in sel:
            x, y, w, _ = self.boxes[t]
            tok = self.tokens[t]
            shown = _shown(tok)
            rect = QtCore.QRectF(x, y, max(w, 2), self.line_h - 1)
            if has_colour:
                c = colours[t - sel[0]]
                bg = QtGui.QColor(int(c[0]), int(c[1]), int(c[2]))
                p.fillRect(rect, bg)
                dark = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] < 140
                p.setPen(QtGui.QColor(255, 255, 255) if dark else QtGui.QColor(20, 20, 20))
            else:
                p.setPen(QtGui.QColor(20, 20, 20))
            if shown != tok:
                p.setPen(QtGui.QColor(110, 110, 110))
            p.drawText(QtCore.QPointF(x, y + ascent + 1), shown)
            if t == self.hover_t or t == self.selected_t:
                pen = QtGui.QPen(QtGui.QColor(0, 0, 0) if t == self.hover_t else QtGui.QColor(230, 150, 0), 2)
                p.setPen(pen)
                p.drawRect(rect.adjusted(0, 0, -1, -1))

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
