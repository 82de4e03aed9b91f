"""Connectivity in the app (as Distill's "Visualizing memorization in RNNs"): for the model's prediction at the
selected step t (of token t + 1), every earlier token s coloured by ‖∂ log p(token_{t+1}) / ∂ x_s‖ on a log
colour scale with its legend, and the same norms plotted against the distance t − s on log-log axes.

The norms are lstm_viz.core.gradients.connectivity's, computed on the Runner (job kind "connectivity": a newer
step supersedes a running request); this view only colours and plots them. A model that cannot predict a token
(no decoder, reads vectors, bidirectional) gets the core's one-line reason.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from lstm_viz.core.vocab import display_token

from .choose import guarded
from .common import BACKGROUND, FOREGROUND

SHOWN_TOKENS = 1500  # tokens coloured in the strip (the plot has every step back to the start)
MAX_STEPS = 100_000  # the gradient is taken through every step from the start of the text
DECADES = 8  # the colour scale spans at most this many powers of ten below the largest norm
COLOUR_MAP = "viridis"
DEBOUNCE_MS = 120


def compute(model, text: str, at: int, tokens: tuple):
    """The worker's job: yield once (started), return the core's Connectivity. ``tokens``: the trace's first
    at + 1 tokens, which the text must still give (else the analysis shown is of another text)."""
    from lstm_viz.core.errors import InputError
    from lstm_viz.core.gradients import connectivity

    yield 0.0
    result = connectivity(model, text, at)
    if result.tokens != tokens:
        raise InputError("the text changed since the last analysis: connectivity follows once it is analysed")
    return result


def log_range(norms: np.ndarray) -> tuple[float, float]:
    """(lo, hi) in log10 units for the colour scale: the largest norm down to the smallest positive one, at
    most DECADES below the largest."""
    pos = norms[norms > 0]
    if not pos.size:
        return -1.0, 0.0
    hi = math.log10(float(pos.max()))
    lo = max(math.log10(float(pos.min())), hi - DECADES)
    return (lo, hi) if hi > lo else (hi - 1.0, hi)


def colours(norms: np.ndarray, lo: float, hi: float) -> list[QtGui.QColor]:
    """The colour of every norm on the log scale [lo, hi] (norms below 10**lo, zeros included, take the lowest)."""
    with np.errstate(divide="ignore"):
        x = (np.log10(np.maximum(norms, 0)) - lo) / (hi - lo)
    x = np.clip(np.nan_to_num(x, nan=0.0, neginf=0.0), 0, 1)
    cmap = pg.colormap.get(COLOUR_MAP)
    return [cmap.mapToQColor(float(v)) for v in x]


def _ink(c: QtGui.QColor) -> str:
    return "#000000" if 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue() > 140 else "#ffffff"


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(" ", "&nbsp;")


class LogLegend(QtWidgets.QWidget):
    """The colour scale: the colour map from 10**lo to 10**hi with a tick at each power of ten."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lo, self.hi = -1.0, 0.0
        self.setFixedHeight(34)

    def set_range(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi
        self.update()

    def paintEvent(self, event) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), QtGui.QColor(BACKGROUND))
        x0, x1, h = 8.0, self.width() - 8.0, 12.0
        grad = QtGui.QLinearGradient(x0, 0, x1, 0)
        cmap = pg.colormap.get(COLOUR_MAP)
        for k in range(11):
            grad.setColorAt(k / 10, cmap.mapToQColor(k / 10))
        p.fillRect(QtCore.QRectF(x0, 2, x1 - x0, h), grad)
        p.setPen(QtGui.QColor(FOREGROUND))
        first, last = math.ceil(self.lo - 1e-9), math.floor(self.hi + 1e-9)
        step = max(1, math.ceil((last - first + 1) / 6))
        for k in range(last, first - 1, -step):
            x = x0 + (k - self.lo) / (self.hi - self.lo) * (x1 - x0)
            p.drawLine(QtCore.QPointF(x, 2 + h), QtCore.QPointF(x, 5 + h))
            p.drawText(QtCore.QRectF(x - 30, 6 + h, 60, 14), QtCore.Qt.AlignmentFlag.AlignCenter, f"1e{k}")
        p.end()


class ConnectivityView(QtWidgets.QWidget):
    def __init__(self, state, runner, parent=None):
        super().__init__(parent)
        self.state, self.runner = state, runner
        self.result = None  # the core's Connectivity drawn
        self.colours: list[QtGui.QColor] = []  # of the tokens in the strip, s = first_shown .. t
        self.first_shown = 0
        self.shown = False  # on screen (set by its dock): nothing is computed while hidden
        self._for = None  # (trace, t) of the request drawn or running
        self._drawn = None  # (trace, t) of ``result``
        self.spaced = False  # word tokens: a space between them in the strip
        self.title = QtWidgets.QLabel()
        self.title.setWordWrap(True)
        self.at_button = QtWidgets.QPushButton("Connectivity at t")
        self.at_button.setToolTip("Recompute for the selected timestep t (the prediction of token t + 1)")
        self.at_button.clicked.connect(lambda: self.refresh(force=True))
        self.busy = QtWidgets.QProgressBar()
        self.busy.setRange(0, 0)  # one autograd pass: no steps to count
        self.busy.setMaximumHeight(12)
        self.busy.setTextVisible(False)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.strip = QtWidgets.QTextBrowser()
        self.strip.setOpenLinks(False)
        self.strip.setMinimumHeight(90)
        self.strip.setStyleSheet(f"QTextBrowser {{ background: {BACKGROUND}; color: {FOREGROUND}; }}")
        self.strip.highlighted.connect(self._hovered)
        self.legend = LogLegend()
        self.plot_widget = pg.PlotWidget(background=BACKGROUND)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLogMode(x=True, y=True)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setLabel("bottom", "distance t − s", color=FOREGROUND)
        self.plot.setLabel("left", "‖∂ log p / ∂x<sub>s</sub>‖", color=FOREGROUND)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.curve = pg.PlotDataItem(pen=pg.mkPen((120, 190, 255), width=1.5), symbol="o", symbolSize=3,
                                     symbolPen=None, symbolBrush=(120, 190, 255))
        self.plot.addItem(self.curve)
        self.plot_widget.setMinimumHeight(160)
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.at_button)
        top.addWidget(self.busy, 1)
        top.addWidget(self.cancel_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.title)
        lay.addWidget(self.strip, 2)
        lay.addWidget(self.legend)
        lay.addWidget(self.plot_widget, 3)
        lay.addWidget(self.status)
        self.setMinimumHeight(400)  # a short dock scrolls rather than squeezing the lines into the plots
        self._running(False)
        self.debounce = QtCore.QTimer(self)  # stepping through time with the keys asks once it pauses
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.refresh)
        state.trace_changed.connect(lambda _: self.refresh())
        state.time_selected.connect(lambda _: self.debounce.start())
        state.model_changed.connect(lambda _: self.refresh())

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(380, 420)

    def set_shown(self, on: bool) -> None:
        self.shown = on
        self.refresh()

    # -- requests -------------------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Compute the connectivity at the selected step (when shown, and not already drawn or running)."""
        self.debounce.stop()
        st = self.state
        trace, t = st.trace, int(st.time)
        if trace is None or st.model is None:
            self._stop()
            self._clear("analyse a text first")
            return
        if not (self.shown or force) or (self._for == (trace, t) and not force):
            return
        if t > len(trace) - 2:
            self._for = (trace, t)
            self._stop()
            self._clear(f"t = {t} is the last token: there is no next token in the text to predict; select an "
                        "earlier step")
            return
        if t > MAX_STEPS:
            self._for = (trace, t)
            self._stop()
            self._clear(f"t = {t:,}: the gradient is taken through every step from the start of the text, at most "
                        f"{MAX_STEPS:,}; select an earlier step")
            return
        if self._drawn is not None and self._drawn[0] is not trace:
            self._clear("")  # the norms of another model or text do not stay while this one's are computed
        self._for = (trace, t)
        self._running(True)
        self.status.setText(f"differentiating the prediction at t = {t:,}…")
        self.runner.start("connectivity", compute, (st.model, st.text, t, tuple(trace.tokens[: t + 1])),
                          returned=guarded(self, lambda r: self._draw(trace, t, r)),
                          errored=guarded(self, lambda msg: self._failed(trace, t, msg)))

    def cancel(self) -> None:
        """Stop a running request; the view is left empty with a line saying so."""
        if self.runner.busy("connectivity"):
            self._stop()
            self._for = None
            self._clear("cancelled; press “Connectivity at t” to compute it")

    def _stop(self) -> None:
        self.runner.cancel("connectivity")
        self._running(False)

    def _running(self, on: bool) -> None:
        self.busy.setVisible(on)
        self.cancel_button.setVisible(on)

    # -- results --------------------------------------------------------------------------------------------
    def _current(self, trace, t: int) -> bool:
        return trace is self.state.trace and t == self.state.time

    def _failed(self, trace, t: int, msg: str) -> None:
        if self._for == (trace, t):
            self._running(False)  # nothing newer runs
        if self._current(trace, t):
            self._clear(f"⚠ {msg}")

    def _clear(self, message: str) -> None:
        self.result, self.colours, self._drawn = None, [], None
        self.title.setText("")
        self.strip.clear()
        self.curve.setData([], [])
        self.status.setText(message)

    def _draw(self, trace, t: int, result) -> None:
        if self._for == (trace, t):
            self._running(False)  # nothing newer runs
        if not self._current(trace, t):
            return
        self.result, self._drawn = result, (trace, t)
        head = trace.tokens[:200]
        self.spaced = any(len(tok) > 1 for tok in head) and "\n" not in head  # as the coloured text decides
        norms = result.grad_norm  # (t + 1,)
        lo, hi = log_range(norms)
        self.legend.set_range(lo, hi)
        self.first_shown = max(0, t + 1 - SHOWN_TOKENS)
        self.colours = colours(norms[self.first_shown:], lo, hi)
        self.strip.setHtml(self._html(result))
        self.strip.moveCursor(QtGui.QTextCursor.MoveOperation.End)
        d, g = result.distance, norms
        keep = (d > 0) & (g > 0)  # distance 0 and underflowed zeros have no place on log axes
        self.curve.setData(d[keep][::-1].astype(float), g[keep][::-1])
        top = int(np.argmax(norms))
        self.title.setText(f"prediction at t = {t:,} of <b>{_esc(display_token(result.target))}</b> "
                           f"(p = {math.exp(result.log_prob):.3f}); largest at distance {t - top} "
                           f"(<b>{_esc(display_token(result.tokens[top]))}</b>)")
        zeros = int(np.sum(g == 0))
        cut = f"; the strip shows the last {SHOWN_TOKENS:,} of {t + 1:,} steps" if self.first_shown else ""
        self.status.setText(f"‖∂ log p(token t+1) / ∂x<sub>s</sub>‖ at t − s = 0: {g[-1]:.3g}{cut}"
                            + (f"; {zeros} steps underflowed to 0 (not plotted)" if zeros else ""))

    def _html(self, result) -> str:
        parts = []
        for k, (tok, c) in enumerate(zip(result.tokens[self.first_shown:], self.colours)):
            s = self.first_shown + k
            shown = "↵" if tok == "\n" else ("⇥" if tok == "\t" else tok)
            parts.append(f"<a href='#{s}' style='text-decoration:none; color:{_ink(c)}; "
                         f"background-color:{c.name()}'>{_esc(shown)}</a>")
            if tok == "\n":
                parts.append("<br>")
            elif self.spaced:
                parts.append(" ")
        target = display_token(result.target)
        parts.append(f"<span style='color:{FOREGROUND}; border:1px solid; font-weight:bold'>"
                     f"&nbsp;→&nbsp;{_esc(target)}</span>")
        return f"<div style='font-family:monospace; font-size:11pt'>{''.join(parts)}</div>"

    def _hovered(self, url: QtCore.QUrl) -> None:
        r = self.result
        frag = url.fragment() if url is not None else ""
        if r is None or not frag.isdigit() or int(frag) > r.at:
            return
        s = int(frag)
        QtWidgets.QToolTip.showText(QtGui.QCursor.pos(), f"s = {s}, t − s = {r.at - s}: "
                                    f"{display_token(r.tokens[s])!r}  ‖∂ log p / ∂x_s‖ = {r.grad_norm[s]:.3g}",
                                    self.strip)
