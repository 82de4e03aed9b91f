"""The hovered cell in words: timestep, token, unit, and the value there of every quantity of the model's cell
type (an LSTM's i, f, g, o, c, h; a GRU's r, z, n, h), each with its symbol; the loss and the top-5 next-token
guesses when the model has a decoder."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from lstm_viz.core.vocab import display_token

from .. import style
from .token_tooltip import esc as _esc
from .token_tooltip import loss_bits, next_tokens_html


def inspector_html(trace, layer: int, reverse: bool, t: int | None, unit: int | None, fetcher=None) -> str:
    """``fetcher`` (a lazy.Fetcher): the rows of a trace that recomputes its windows are read through it, and
    shown as "…" until they are ready (never a recompute on the GUI thread)."""
    if trace is None:
        return "<i>no analysis yet</i>"
    if t is None:
        return "<i>hover a heatmap, a trace or the text</i>"
    tok = display_token(trace.tokens[t])
    out = [f"<b>timestep {t}</b> &nbsp; token <b>{_esc(tok)}</b>"]
    if unit is not None:
        out.append(f"<b>unit {unit}</b>, layer {layer}{', backward' if reverse else ''}")
        rows = []
        for q in trace.quantities:
            if fetcher is not None:
                a = fetcher.window(trace, q, layer, reverse, t, t + 1, who="inspector")
                if a is None:
                    rows.append(f"<tr><td>{style.LABELS[q]}</td><td align='right'>…</td></tr>")
                    continue
            else:
                a = trace.window(q, layer, reverse, t, t + 1)  # (1, units): one step, not the whole array
            if unit < a.shape[1]:
                rows.append(f"<tr><td>{style.LABELS[q]}</td><td align='right'><b>{a[0, unit]:+.4f}</b></td></tr>")
        out.append("<table cellspacing='0' cellpadding='2'>" + "".join(rows) + "</table>")
        if not trace.cell.has_cell_state:
            who = trace.cell.a_title[:1].upper() + trace.cell.a_title[1:]
            out.append(f"<i>{_esc(who)} has no separate cell state: h<sub>t</sub> is all it "
                       "carries to the next step</i>")
    if trace.loss is not None:
        loss = float(trace.loss[t])
        out.append("loss: — (first token)" if np.isnan(loss) else f"loss of this token: {loss_bits(loss)}")
    top = next_tokens_html(trace, t, fetcher, padding=2)
    if top:
        out.append(top)
    return "<br>".join(out)


class Inspector(QtWidgets.QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        self.setMargin(8)
        self.setMinimumWidth(210)
        self.setWordWrap(True)
        self.fetcher = None  # a lazy.Fetcher: lazy traces are read through it
        self.show_cell(None, 0, False, None, None)

    def show_cell(self, trace, layer, reverse, t, unit) -> None:
        self.setText(inspector_html(trace, layer, reverse, t, unit, self.fetcher))
