"""The text coloured token by token by one unit's value (Karpathy-style). Hovering a token shows its loss and
the model's top-5 guesses for what follows; clicking it selects its timestep.

Lines wrap between words, never inside one (a word longer than a line is the only exception). Only a window of
the text around what is shown is laid out (``text_layout.TextWindow``: a few screens either side, grown in
later passes of the event loop and trimmed behind), so a text of a million tokens opens, jumps and follows the
plots at the cost of a few screens. The widget is the view itself: ``ColouredTextPane`` puts it next to a
scroll bar whose range is timesteps. Painted lines are kept as images per block of lines (``text_paint``) and
blitted while scrolling; the hover and selection marks are drawn over them. ``show_time_range`` (the plots'
visible stretch) is applied once per pass of the event loop, however often it is asked.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from lstm_viz.core.vocab import display_token

from .. import style
from .lazy import probs_ready
from .text_layout import TextWindow
from .text_paint import PAPER, UNKNOWN, render_lines

LAYOUT_CHUNK = 1500  # tokens laid out per step of growing the window (about a millisecond)
NEAR = 6000  # a token this close past the window's ends is reached by growing it, farther by a new window
MARGIN_SCREENS = 2  # screens laid out above and below what is shown (trimmed beyond twice that)
BLOCK_LINES = 8  # lines per cached image
KEPT_BLOCKS = 48  # cached images kept (those nearest the view)


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


class _Boxes:
    """``boxes[t]`` or ``boxes[a:b]`` (columns too: ``boxes[a:b, 3]``): (x, y, width, line) of tokens in the
    widget's coordinates as now scrolled; NaN for tokens outside the laid-out window. ``len`` is the text's."""

    def __init__(self, text: "ColouredText"):
        self.text = text

    def __len__(self) -> int:
        return len(self.text.tokens)

    def __getitem__(self, key):
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        if isinstance(rows, slice):
            return self.text._box_rows(*rows.indices(len(self))[:2])[:, cols]
        t = int(rows) + (len(self) if int(rows) < 0 else 0)
        if not 0 <= t < len(self):
            raise IndexError(rows)
        return self.text._box_rows(t, t + 1)[0, cols]


class ColouredText(QtWidgets.QWidget):
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
        self.win: TextWindow | None = None
        self.top = 0  # the line shown at the top (the window's numbering)
        self.boxes = _Boxes(self)
        self._wmap: dict[str, float] = {}  # token -> width in pixels
        self._shown: dict[str, str] = {}
        self._blocks: dict[int, tuple] = {}  # block of lines -> (first token, end, image, values known)
        self._wheel = 0.0
        self._colour_range = (-1.0, 1.0)
        self._cmap = None
        self._follow: tuple[int, int] | None = None  # a time range to show in the next pass of the event loop
        self._range: tuple[int, int] | None = None  # the last time range asked for
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

    # -- the laid-out window ------------------------------------------------------------------------------
    def _width_of(self, token: str) -> float:
        return self.fm.horizontalAdvance(_shown(token))

    def _new_window(self, anchor: int) -> None:
        """Lay the text out afresh (at the widget's width) around token ``anchor``, shown at the top."""
        self._blocks.clear()
        self._grow_timer.stop()
        gap = self.fm.horizontalAdvance(" ") if self.spaced else 0.0
        self.win = TextWindow(self.tokens, self._width_of, max(self.width() - 12, 200), self.spaced, gap,
                              self._wmap)
        if self.tokens:
            self._reach(anchor)
            self._set_top(self.win.line_of(min(anchor, len(self.tokens) - 1)))
        else:
            self.update()

    @property
    def laid_window(self) -> tuple[int, int]:
        """Tokens [start, end) laid out now."""
        return (self.win.start, self.win.end) if self.win is not None else (0, 0)

    def _reach(self, t: int) -> bool:
        """Lay token t out: by growing the window when t is near it, else in a new window (True)."""
        win, t = self.win, min(max(t, 0), len(self.tokens) - 1)
        if win.start <= t < win.end:
            return False
        if len(win) and win.end <= t < win.end + NEAR:
            while win.end <= t:
                win.extend(LAYOUT_CHUNK)
            return False
        if len(win) and win.start - NEAR <= t < win.start:
            while win.start > t:
                win.prepend(LAYOUT_CHUNK)
            return False
        win.reset(win.start_before(t))
        self._blocks.clear()
        while win.end <= t:
            win.extend(LAYOUT_CHUNK)
        return True

    def _ensure_lines(self, first: int, last: int) -> None:
        win = self.win
        while win.first_line > first and not win.at_start:
            win.prepend(LAYOUT_CHUNK)
        while win.last_line < last and not win.at_end:
            win.extend(LAYOUT_CHUNK)

    def _lines_shown(self) -> int:
        return max(1, math.ceil((self.height() - 4) / self.line_h))

    def _lines_whole(self) -> int:
        return max(1, int((self.height() - 4) // self.line_h))

    def _set_top(self, line: int) -> None:
        """Show ``line`` at the top (no further than the text's end allows), laying out what that needs."""
        win, whole = self.win, self._lines_whole()
        self._ensure_lines(line, line + whole)
        if win.at_end:
            line = min(line, win.last_line - whole + 1)
            self._ensure_lines(line, line)
        self.top = max(line, win.first_line)
        self._ensure_lines(self.top, self.top + self._lines_shown())
        first, _ = win.tokens_of(self.top, self.top)
        a, b = win.tokens_of(self.top, self.top + whole - 1)
        self.scrolled.emit(first, max(b - a, 1))
        self.update()
        self._grow_timer.start()

    def _grow(self) -> None:
        """In a later pass: lay out a few screens above and below what is shown; drop what is far from it."""
        win, shown = self.win, self._lines_shown()
        if win is None or not self.tokens:
            return
        margin = MARGIN_SCREENS * shown
        if win.first_line > self.top - margin and not win.at_start:
            win.prepend(LAYOUT_CHUNK)
        elif win.last_line < self.top + shown + margin and not win.at_end:
            win.extend(LAYOUT_CHUNK)
        else:
            if win.first_line < self.top - 2 * margin or win.last_line > self.top + shown + 2 * margin:
                win.trim(self.top - margin, self.top + shown + margin)
            return
        self._grow_timer.start()

    # -- scrolling ----------------------------------------------------------------------------------------
    def first_shown(self) -> int:
        """The first token on the top line."""
        return self.win.tokens_of(self.top, self.top)[0] if self.win is not None and self.tokens else 0

    def scroll_lines(self, n: int) -> None:
        if self.win is not None and self.tokens and n:
            self._set_top(self.top + n)

    def scroll_to_token(self, t: int, direction: int = 0) -> None:
        """Show the line of token t at the top; ``direction`` > 0: at least one line further down than now."""
        if self.win is None or not self.tokens:
            return
        if self._reach(t):
            self._set_top(self.win.line_of(min(t, len(self.tokens) - 1)))
            return
        line = self.win.line_of(min(max(t, 0), len(self.tokens) - 1))
        self._set_top(max(line, self.top + 1) if direction > 0 else line)

    def show_time_range(self, t0: int, t1: int) -> None:
        """Scroll so that timesteps [t0, t1) (the plots' visible range) are shown, from the top of the view when
        they do not all fit; done in the next pass of the event loop (the last request of a pass wins)."""
        self._follow = self._range = (int(t0), int(t1))
        self._follow_timer.start()

    def _apply_follow(self) -> None:
        if self._follow is None or self.win is None or not self.tokens:
            return  # once there is a text
        T = len(self.tokens)
        t0, t1 = self._follow
        self._follow = None
        t0 = min(max(t0, 0), T - 1)
        last = min(max(t1 - 1, t0), T - 1)
        jumped = self._reach(t0)
        win, whole = self.win, self._lines_whole()
        first = win.line_of(t0)
        self._ensure_lines(first, first + whole)
        end_line = win.line_of(last) if last < win.end else first + whole + 1
        if not jumped and self.top <= first and end_line <= self.top + whole - 1:
            return
        self._set_top(first if end_line - first + 1 > whole or first < self.top else end_line - whole + 1)

    def keyPressEvent(self, event) -> None:
        K, whole = QtCore.Qt.Key, self._lines_whole()
        moves = {K.Key_Up: -1, K.Key_Down: 1, K.Key_PageUp: -max(whole - 1, 1), K.Key_PageDown: max(whole - 1, 1)}
        if event.key() in moves:
            self.scroll_lines(moves[event.key()])
        elif event.key() in (K.Key_Home, K.Key_End) and self.tokens:
            self.scroll_to_token(0 if event.key() == K.Key_Home else len(self.tokens) - 1)
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event) -> None:
        self._wheel -= event.angleDelta().y() / 120 * 3
        n = int(self._wheel)
        self._wheel -= n
        self.scroll_lines(n)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self.tokens or self.win is None:
            return
        if event.oldSize().width() != event.size().width():
            self._new_window(self.first_shown())
        else:
            self._set_top(self.top)

    # -- where tokens are ---------------------------------------------------------------------------------
    def _box_rows(self, a: int, b: int) -> np.ndarray:
        """(b - a, 4) x, y, width, line of tokens a..b as now shown; NaN outside the window."""
        out = np.full((max(b - a, 0), 4), np.nan)
        win = self.win
        if win is None or b <= a:
            return out
        i0, i1 = max(a, win.start), min(b, win.end)
        if i1 > i0:
            k0, k1 = i0 - win.start, i1 - win.start
            rows = out[i0 - a:i1 - a]
            rows[:, 0], rows[:, 2], rows[:, 3] = win.x[k0:k1], win.width[k0:k1], win.line[k0:k1]
            rows[:, 1] = (rows[:, 3] - self.top) * self.line_h + 4
        return out

    def token_at(self, pos: QtCore.QPointF) -> int | None:
        if self.win is None or not len(self.win):
            return None
        line = self.top + int((pos.y() - 4) // self.line_h)
        a, b = self.win.tokens_of(line, line)
        if b <= a:
            return None
        xs = self.win.x[a - self.win.start:b - self.win.start]
        k = int(np.searchsorted(xs, pos.x(), side="right")) - 1
        if k < 0:
            return None
        t = a + k
        return t if pos.x() <= xs[k] + max(self.win.width[t - self.win.start], 4) else None

    def span_bands(self, start: int, end: int) -> list[QtCore.QRectF]:
        """Rectangles of tokens [start, end), one per shown line they cover, in the widget's coordinates."""
        if self.win is None or not self.tokens:
            return []
        a, _ = self.win.tokens_of(self.top - 1, self.top - 1)
        _, b = self.win.tokens_of(self.top + self._lines_shown(), self.top + self._lines_shown())
        a, b = max(start, a, self.win.start), min(end, b)
        if b <= a:
            return []
        boxes = self._box_rows(a, b)  # (n, 4)
        cuts = np.flatnonzero(np.diff(boxes[:, 3])) + 1
        heads = np.r_[0, cuts]
        right = np.maximum.reduceat(boxes[:, 0] + np.maximum(boxes[:, 2], 4), heads)
        return [QtCore.QRectF(boxes[h, 0], boxes[h, 1], r - boxes[h, 0], self.line_h - 1)
                for h, r in zip(heads, right)]

    # -- painting -----------------------------------------------------------------------------------------
    def _block_image(self, block: int, a: int, b: int, rgb) -> QtGui.QImage:
        """The image of block ``block``: tokens [a, b) with backgrounds ``rgb`` ((b - a, 3) bytes or None)."""
        win = self.win
        k0, k1 = a - win.start, b - win.start
        toks = self.tokens[a:b]
        shown_map = self._shown
        for tok in set(toks) - shown_map.keys():
            shown_map[tok] = _shown(tok)
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


class ColouredTextPane(QtWidgets.QFrame):
    """The coloured text (``text``) beside its scroll bar, whose range is timesteps: dragging it to t shows the
    line of token t at the top. ``viewport()`` and ``verticalScrollBar()`` answer as a QScrollArea's would."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.text = ColouredText()
        self.bar = QtWidgets.QScrollBar(QtCore.Qt.Orientation.Vertical)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        self.bar.setRange(0, 0)
        self.text.scrolled.connect(self._scrolled)
        self.bar.valueChanged.connect(self._bar_moved)
        self._first = 0

    def viewport(self) -> ColouredText:
        return self.text

    def verticalScrollBar(self) -> QtWidgets.QScrollBar:
        return self.bar

    def _scrolled(self, first: int, per_screen: int) -> None:
        bar = self.bar
        self._first = first
        with QtCore.QSignalBlocker(bar):
            bar.setRange(0, max(len(self.text.tokens) - 1, 0))
            bar.setPageStep(max(per_screen, 1))
            bar.setSingleStep(max(per_screen // max(self.text._lines_whole(), 1), 1))
            bar.setValue(first)

    def _bar_moved(self, value: int) -> None:
        self.text.scroll_to_token(value, direction=value - self._first)
