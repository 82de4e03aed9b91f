"""The tokens along the shared time axis, whitespace made visible. Only the visible tokens are painted.

How a token is drawn depends on the room it gets (pixels per timestep), so the strip reads at every zoom the
plots call readable and never draws two tokens over each other:

- ``text``: each token centred in its own column, in the largest of the fixed font's sizes (10.5 pt down to
  MIN_PIXEL_SIZE, about 4 px per glyph) whose glyphs fit; a token longer than its column is cut to what fits,
  with an ellipsis when at least three glyphs fit, as bare leading characters otherwise. A glyph that is wider
  than the column even at the smallest size (a visible newline in a narrow column) becomes its tick.
- ``ticks``: below that, a tick per token (a tall accent mark for a newline, a gap for a space) and the hint
  "zoom in to read the tokens": lines and words keep their shape.
- ``hint``: zoomed so far out that a pixel holds more than MARKS_PER_PIXEL tokens, the hint alone (a frame
  then never walks through a million tokens).
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from lstm_viz.core.vocab import display_token

from .common import FOREGROUND, SELECTED_TIME, make_plot_widget, view_point, vline

FULL_POINT_SIZE = 10.5  # the strip's font when there is room
MIN_PIXEL_SIZE = 7  # the smallest legible size of the fixed font (Noto/DejaVu Sans Mono: 4.2 px per glyph)
HINT_PIXEL_SIZE = 10  # the hint above the ticks
MARKS_PER_PIXEL = 4  # ticks are drawn up to this many tokens per pixel; beyond, the hint alone
HINT = "zoom in to read the tokens"
HINT_COLOUR = QtGui.QColor(120, 125, 135)
TICK_COLOUR = QtGui.QColor(150, 155, 165)
NEWLINE_COLOUR = QtGui.QColor(110, 170, 230)
WHITESPACE = frozenset(" \t\r\n")


class Fonts:
    """The fixed font at the strip's sizes, largest first, with their metrics; the fit of a token at each."""

    def __init__(self):
        base = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        base.setPointSizeF(FULL_POINT_SIZE)
        fonts = [base]
        for px in range(QtGui.QFontInfo(base).pixelSize() - 1, MIN_PIXEL_SIZE - 1, -1):
            f = QtGui.QFont(base)
            f.setPixelSize(px)
            fonts.append(f)
        self.fonts = fonts
        self.metrics = [QtGui.QFontMetricsF(f) for f in fonts]
        self.pixels = [QtGui.QFontInfo(f).pixelSize() for f in fonts]
        self.glyph = [fm.horizontalAdvance("M") for fm in self.metrics]  # px per glyph, decreasing
        self._fit: dict[tuple[str, int], tuple[int, str, float] | None] = {}  # (token, font) -> fit
        self._room = None

    def size_index(self, pixels: int) -> int:
        """The index of the largest size of at most ``pixels`` pixels (the smallest size if none)."""
        return next((k for k, px in enumerate(self.pixels) if px <= pixels), len(self.fonts) - 1)

    def largest(self, room: float) -> int | None:
        """The index of the largest size whose glyphs fit in ``room`` pixels, or None."""
        return next((k for k, g in enumerate(self.glyph) if g <= room), None)

    def fit(self, token: str, room: float, start: int) -> tuple[int, str, float] | None:
        """(font index, text, width) of ``token`` drawn in ``room`` pixels at font ``start`` or smaller: the
        whole token when it fits, else cut (see the module docstring); None when not one glyph fits."""
        if self._room != room:
            self._fit, self._room = {}, room  # a new zoom: the cache is per column width
        key = (token, start)
        if key in self._fit:
            return self._fit[key]
        if len(self._fit) > 50_000:  # a word-level text with a huge vocabulary: never grows without bound
            self._fit = {}
        found = None
        for k in range(start, len(self.fonts)):
            fm = self.metrics[k]
            w = fm.horizontalAdvance(token)
            if w <= room:
                found = (k, token, w)
                break
            if len(token) > 1 and k == start:  # a long token keeps the column's font and is cut
                n = int(room // self.glyph[k])
                text = token[:n - 1] + "\u2026" if n >= 3 else token[:n]
                while text and fm.horizontalAdvance(text) > room:
                    text = text[:-1]
                if text:
                    found = (k, text, fm.horizontalAdvance(text))
                    break
        self._fit[key] = found
        return found


class TokenStripItem(pg.GraphicsObject):
    def __init__(self):
        super().__init__()
        self.tokens = ShownTokens(())
        self.fonts = Fonts()
        self.mode = "hint"  # what the last paint drew: "text", "ticks" or "hint" (see the module docstring)

    def set_tokens(self, tokens) -> None:
        """The trace's tokens as they are (a tuple is kept, not copied); each is made visible when painted, so a
        million-token text costs nothing here."""
        self.prepareGeometryChange()
        self.tokens = ShownTokens(tokens)
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(0, 0, max(len(self.tokens), 1), 1)

    def choose(self, per_token: float) -> str:
        """The mode for ``per_token`` pixels per timestep: "text", "ticks" or "hint"."""
        if self.fonts.largest(per_token) is not None:
            return "text"
        return "ticks" if per_token * MARKS_PER_PIXEL >= 1 else "hint"

    def paint(self, p: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None or not self.tokens:
            return
        (x0, x1), _ = vb.viewRange()
        lo, hi = max(0, int(x0)), min(len(self.tokens), int(x1) + 1)
        tr = p.transform()
        origin, one = tr.map(QtCore.QPointF(0, 0)), tr.map(QtCore.QPointF(1, 1))
        per_token = one.x() - origin.x()  # pixels per timestep
        top, bottom = sorted((origin.y(), one.y()))
        self.mode = self.choose(per_token)
        p.save()
        p.resetTransform()
        if self.mode == "text":
            self._paint_text(p, lo, hi, origin.x(), per_token, (top + bottom) / 2)
        else:
            if self.mode == "ticks":
                self._paint_ticks(p, range(lo, hi), origin.x(), per_token, top, bottom)
            self._paint_hint(p, tr.map(QtCore.QPointF(max(x0, 0), 0)).x() + 6, top, bottom)
        p.restore()

    def labels(self, lo: int, hi: int, left: float, per_token: float) -> list[tuple[int, int, float, str, float]]:
        """[(timestep, font index, x, text, width)] of tokens lo..hi-1 at ``per_token`` pixels each, timestep 0
        starting at pixel ``left``, each text within its own column [left + t per_token, left + (t + 1)
        per_token). Tokens that get no text are left out (their ticks are drawn instead)."""
        fonts = self.fonts
        start = fonts.largest(per_token)
        if start is None:
            return []
        out = []
        tokens = self.tokens
        for t in range(lo, hi):
            got = fonts.fit(tokens[t], per_token, start)
            if got is not None:
                k, text, w = got
                out.append((t, k, left + (t + 0.5) * per_token - w / 2, text, w))
        return out

    def _paint_text(self, p, lo, hi, left, per_token, middle) -> None:
        fonts = self.fonts
        labels = self.labels(lo, hi, left, per_token)
        by_font: dict[int, list] = {}
        for _, k, x, text, _ in labels:
            by_font.setdefault(k, []).append((x, text))
        p.setPen(QtGui.QColor(FOREGROUND))
        for k, items in by_font.items():
            p.setFont(fonts.fonts[k])
            y = middle + fonts.metrics[k].ascent() / 2 - 1
            for x, text in items:
                p.drawText(QtCore.QPointF(x, y), text)
        if len(labels) < hi - lo:  # glyphs too wide for their column even at the smallest size: their ticks
            drawn = {t for t, *_ in labels}
            self._paint_ticks(p, [t for t in range(lo, hi) if t not in drawn], left, per_token,
                              middle - 5, middle + 5)

    def _paint_ticks(self, p, timesteps, left, per_token, top, bottom) -> None:
        """A tick per token in the lower part of [top, bottom]: a tall accent mark for a newline, nothing for
        other whitespace (words stay apart), at most one line per pixel column and kind."""
        raw = self.tokens.raw
        ticks, newlines = {}, {}
        for t in timesteps:
            tok = raw[t]
            x = int(left + (t + 0.5) * per_token)
            if "\n" in tok:
                newlines[x] = None
            elif tok and not WHITESPACE.issuperset(tok):
                ticks[x] = None
        low, high = bottom - 2, bottom - max(6.0, (bottom - top) * 0.3)
        tall = bottom - max(10.0, (bottom - top) * 0.55)
        p.setPen(QtGui.QPen(TICK_COLOUR, 1))
        p.drawLines([QtCore.QLineF(x + 0.5, low, x + 0.5, high) for x in ticks if x not in newlines])
        p.setPen(QtGui.QPen(NEWLINE_COLOUR, 1))
        p.drawLines([QtCore.QLineF(x + 0.5, low, x + 0.5, tall) for x in newlines])

    def _paint_hint(self, p, x, top, bottom) -> None:
        """The hint: above the ticks in a small size, or alone in the middle."""
        k = self.fonts.size_index(HINT_PIXEL_SIZE) if self.mode == "ticks" else 0
        fm = self.fonts.metrics[k]
        p.setFont(self.fonts.fonts[k])
        p.setPen(HINT_COLOUR)
        y = top + fm.ascent() + 1 if self.mode == "ticks" else (top + bottom) / 2 + fm.ascent() / 2 - 1
        p.drawText(QtCore.QPointF(x, y), HINT)


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
