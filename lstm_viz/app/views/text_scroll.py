"""Which part of a long text the coloured text has laid out, which line it shows at the top, and where each
token is on the widget: the window and scrolling bookkeeping of ``coloured_text.ColouredText``.

Only a window of the text around what is shown is laid out (``text_layout.TextWindow``): a far jump begins a new
window, a near one grows it, and a later pass of the event loop grows a few screens above and below what is
shown and trims what lies far beyond them. ``show_time_range`` (the plots' visible stretch) is applied once per
pass of the event loop, however often it is asked. ``TextScrolling`` is mixed into the widget, which provides
``fm``, ``line_h``, ``tokens``, ``spaced``, the timers ``_follow_timer`` and ``_grow_timer``, the ``scrolled``
signal and ``_layout_changed`` (forget anything keyed by line numbers).
"""
from __future__ import annotations

import math

import numpy as np
from PySide6 import QtCore

from .text_layout import TextWindow
from .token_tooltip import shown_token

LAYOUT_CHUNK = 1500  # tokens laid out per step of growing the window (about a millisecond)
NEAR = 6000  # a token this close past the window's ends is reached by growing it, farther by a new window
MARGIN_SCREENS = 2  # screens laid out above and below what is shown (trimmed beyond twice that)


class Boxes:
    """``boxes[t]`` or ``boxes[a:b]`` (columns too: ``boxes[a:b, 3]``): (x, y, width, line) of tokens in the
    widget's coordinates as now scrolled; NaN for tokens outside the laid-out window. ``len`` is the text's."""

    def __init__(self, text: "TextScrolling"):
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


class TextScrolling:
    """The laid-out window (``win``), the top line shown (``top``, in the window's numbering), scrolling by lines,
    to a token or to the plots' range, and token boxes (``boxes``, ``token_at``, ``span_bands``)."""

    def _init_scrolling(self) -> None:
        self.win: TextWindow | None = None
        self.top = 0  # the line shown at the top (the window's numbering)
        self.boxes = Boxes(self)
        self._wheel = 0.0
        self._follow: tuple[int, int] | None = None  # a time range to show in the next pass of the event loop
        self._range: tuple[int, int] | None = None  # the last time range asked for

    # -- the laid-out window ------------------------------------------------------------------------------
    def _width_of(self, token: str) -> float:
        return self.fm.horizontalAdvance(shown_token(token))

    def _new_window(self, anchor: int) -> None:
        """Lay the text out afresh (at the widget's width) around token ``anchor``, shown at the top."""
        self._layout_changed()
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
                win.prepend(LAYOUT_CHUNK, keep_line=self.top)
            return False
        win.reset(win.start_before(t))
        self._layout_changed()
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
            win.prepend(LAYOUT_CHUNK, keep_line=self.top)  # no line from the top one down moves
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
