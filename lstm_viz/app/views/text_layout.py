"""Where each token of a text goes in wrapped lines, for a window of the text only.

``TextWindow`` lays out tokens [start, end) of a text in lines that wrap between words, never inside one (a
word longer than a line is the only exception). It grows at either end and is trimmed to the lines around what
is shown, so a text of a million tokens opens and jumps anywhere at the cost of a few screens of layout.

Lines are numbered within the window; growing the window before its first line numbers the new lines below it
(negative numbers are fine), so a line keeps its number while the window moves around it. A window starts at a
line start: after a newline where one is near, else at a word start; growing it backwards ends the new part with
a line break where the old window began, so no line already shown moves. ``reset`` begins a new numbering (and
``epoch`` counts them: anything keyed by line numbers is stale when it changes).

No Qt here: token widths come from a function.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

MARGIN = 6.0  # pixels left of every line
BACK_LIMIT = 4000  # tokens searched back for a newline to start a window at (then a word start will do)
WORD_LIMIT = 1000  # tokens searched for a word boundary to end a piece of layout at


class TextWindow:
    """Tokens [start, end) of ``tokens`` laid out: ``x``, ``width`` (pixels) and ``line`` (window numbering),
    each (end - start,), lines never decreasing."""

    def __init__(self, tokens, width_of: Callable[[str], float], wrap_at: float, spaced: bool, gap: float,
                 widths: dict[str, float] | None = None):
        self.tokens, self.width_of, self.wrap_at, self.spaced, self.gap = tokens, width_of, wrap_at, spaced, gap
        self._wmap = {} if widths is None else widths  # token -> width, filled as tokens are met
        self.epoch = 0
        self.reset(0)

    # -- where windows begin and pieces end ---------------------------------------------------------------
    def _word_start(self, t: int) -> bool:
        return t <= 0 or self.spaced or self.tokens[t - 1].isspace()

    def start_before(self, t: int) -> int:
        """A line start at or before token t: just after the nearest newline within BACK_LIMIT tokens, else the
        start of the word holding t (the text's start when that is near)."""
        tokens, t = self.tokens, min(max(t, 0), len(self.tokens))
        for j in range(t - 1, max(t - BACK_LIMIT, 0) - 1, -1):
            if tokens[j] == "\n":
                return j + 1
        if t <= BACK_LIMIT:
            return 0
        for j in range(t, max(t - WORD_LIMIT, 0), -1):
            if self._word_start(j):
                return j
        return t

    def _word_end(self, t: int) -> int:
        """The first word start at or after t (within WORD_LIMIT tokens; else t)."""
        T = len(self.tokens)
        for j in range(t, min(t + WORD_LIMIT, T)):
            if self._word_start(j):
                return j
        return min(t, T) if t + WORD_LIMIT < T else T

    # -- laying out ---------------------------------------------------------------------------------------
    def _lay(self, i0: int, i1: int, x: float, line: int):
        """Lay tokens [i0, i1) out from pen position x on ``line`` (i0 a word start): (xs, widths, lines, x,
        line after). A word that would cross the right edge moves to the next line whole; whitespace may hang
        past the edge (it never starts a line)."""
        tokens, wmap, spaced, gap, width = self.tokens, self._wmap, self.spaced, self.gap, self.wrap_at
        piece = tokens[i0:i1]
        for tok in set(piece) - wmap.keys():  # widths of the tokens not met before
            wmap[tok] = self.width_of(tok)
        widths = [wmap[t] for t in piece]
        n = i1 - i0
        xs, lines = [0.0] * n, [0] * n
        word = None
        for k in range(n):  # the only per-token loop: plain arithmetic
            w, tok = widths[k], piece[k]
            if tok.isspace():
                word = None
            else:
                if spaced or word is None:
                    word = k  # word tokens are words; characters gather into one until whitespace
                if x + w > width and x > MARGIN:
                    carry = word < k and lines[word] == line and xs[word] > MARGIN  # a word begun on this line
                    line += 1
                    if carry:
                        shift = xs[word] - MARGIN
                        for j in range(word, k):
                            xs[j] -= shift
                            lines[j] = line
                        x -= shift
                    else:
                        x = MARGIN
            xs[k] = x
            lines[k] = line
            x += w + gap
            if tok == "\n":
                x, line, word = MARGIN, line + 1, None
        return np.array(xs), np.array(widths, dtype=np.float64), np.array(lines, dtype=np.int64), x, line

    def reset(self, start: int) -> None:
        """An empty window at ``start`` (a line start), numbering lines from 0 again."""
        self.start = self.end = int(start)
        self.x = np.zeros(0)
        self.width = np.zeros(0)
        self.line = np.zeros(0, dtype=np.int64)
        self._pen = (MARGIN, 0)  # where the token at ``end`` goes: (x, line)
        self._head_partial = False  # the first line is the rest of a paragraph wrapped backwards
        self.epoch += 1

    def extend(self, n: int) -> None:
        """Lay out about n more tokens after the window (up to a word start)."""
        T = len(self.tokens)
        if self.end >= T or n <= 0:
            return
        i1 = self._word_end(min(self.end + n, T))
        xs, ws, ls, x, line = self._lay(self.end, i1, *self._pen)
        self.x, self.width = np.concatenate([self.x, xs]), np.concatenate([self.width, ws])
        self.line = np.concatenate([self.line, ls])
        self.end, self._pen = i1, (x, line)

    def prepend(self, n: int, keep_line: int | None = None) -> None:
        """Lay out about n more tokens before the window, from a line start, ending in a line break where the
        window began. Where it began inside a paragraph (no newline just before it), the paragraph's part before
        it is wrapped from its end backwards, so the line before the window is as full as any (a forward layout
        would end it short, like a paragraph's last line); the paragraph's first laid line is then the partial
        one, laid out again by the next prepend unless it is at or below ``keep_line`` (a line that must not
        move, as the one shown at the top)."""
        if self.start <= 0 or n <= 0:
            return
        s = self.start_before(max(self.start - n, 0))
        if s >= self.start:
            s = max(self.start - n, 0)
        a = e = self.start
        if self._head_partial and keep_line is not None and self.first_line < min(keep_line, self.last_line):
            e = self.tokens_of(self.first_line, self.first_line)[1]  # the partial first line is laid out again
        if self._line_start(a):  # after a newline: the forward layout joins the window exactly
            m = e
        else:
            m = next((j + 1 for j in range(e - 1, s - 1, -1) if self.tokens[j] == "\n"), s)
        pieces = [self._lay(s, m, MARGIN, 0)[:3]] if m > s else []
        pieces += self._lay_backwards(m, e)
        xs, ws, ls = self._stack(pieces)
        k = e - a
        ls += (self.line_of(e) if e < self.end else self._pen[1]) - 1 - ls[-1]
        self.x, self.width = np.concatenate([xs, self.x[k:]]), np.concatenate([ws, self.width[k:]])
        self.line = np.concatenate([ls, self.line[k:]])
        self.start = s
        self._head_partial = m == s and not self._line_start(s)

    def _line_start(self, t: int) -> bool:
        """Token t begins a line in any layout (the text's start, or just after a newline)."""
        return t <= 0 or self.tokens[t - 1] == "\n"

    def _lay_backwards(self, m: int, e: int) -> list:
        """Tokens [m, e) (no newline among them; e a word start) wrapped from the end: each line
        holds as many words as fit before the line below it. A list of (xs, widths, lines) per line, top first."""
        if e <= m:
            return []
        tokens, wmap, gap = self.tokens, self._wmap, self.gap
        piece = tokens[m:e]
        for tok in set(piece) - wmap.keys():
            wmap[tok] = self.width_of(tok)
        w = np.array([wmap[t] for t in piece])  # (n,)
        space = np.array([t.isspace() for t in piece])  # (n,)
        cum = np.r_[0.0, np.cumsum(w + gap)]  # (n + 1,) pen advance before each token
        starts = np.flatnonzero(~space & np.r_[True, space[:-1] | self.spaced])  # word starts, local
        room = self.wrap_at - MARGIN
        lines, end = [], e - m
        while end > 0:
            ink = np.flatnonzero(~space[:end])
            if not len(ink):
                i = 0
            else:
                last = ink[-1]
                word = starts[np.searchsorted(starts, last, side="right") - 1] if starts[0] <= last else 0
                j = np.searchsorted(cum[starts], cum[last] + w[last] - room, side="left")  # first word that fits
                i = min(int(starts[j]) if j < len(starts) else end, int(word))
                if i <= int(starts[0]):
                    i = 0  # the paragraph's first laid line takes what is left
            lines.append(self._lay(m + i, m + end, MARGIN, 0)[:3])
            end = i
        return lines[::-1]

    @staticmethod
    def _stack(pieces) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pieces laid out on their own (lines from 0) one below the other: (xs, widths, lines)."""
        xs, ws, ls, below = [], [], [], 0
        for x, w, line in pieces:
            xs.append(x)
            ws.append(w)
            ls.append(line + below)
            below += int(line[-1]) + 1 if len(line) else 0
        return np.concatenate(xs), np.concatenate(ws), np.concatenate(ls)

    def trim(self, first_line: int, last_line: int) -> None:
        """Keep only lines first_line..last_line (both kept if laid out)."""
        a = int(np.searchsorted(self.line, first_line, side="left"))
        b = int(np.searchsorted(self.line, last_line, side="right"))
        if b < len(self.line):
            self._pen = (MARGIN, int(self.line[b]))
            self.end = self.start + b
        self.x, self.width, self.line = self.x[a:b], self.width[a:b], self.line[a:b]
        self._head_partial = self._head_partial and a == 0
        self.start += a

    # -- reading it ---------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.end - self.start

    @property
    def first_line(self) -> int:
        return int(self.line[0]) if len(self.line) else self._pen[1]

    @property
    def last_line(self) -> int:
        return int(self.line[-1]) if len(self.line) else self._pen[1] - 1

    @property
    def at_start(self) -> bool:
        return self.start <= 0

    @property
    def at_end(self) -> bool:
        return self.end >= len(self.tokens)

    def line_of(self, t: int) -> int:
        """The line of token t (in the window)."""
        return int(self.line[t - self.start])

    def tokens_of(self, first: int, last: int) -> tuple[int, int]:
        """Tokens [a, b) on lines first..last."""
        a = int(np.searchsorted(self.line, first, side="left"))
        b = int(np.searchsorted(self.line, last, side="right"))
        return self.start + a, self.start + b
