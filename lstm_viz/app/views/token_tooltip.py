"""What hovering a token of the coloured text tells (its timestep, the unit's value, its loss, the model's top-5
guesses for what follows), and how a token is written there and in the text (whitespace drawn visibly)."""
from __future__ import annotations

import numpy as np

from lstm_viz.core.vocab import display_token

from .lazy import probs_ready


def tooltip_html(trace, t: int, value: float | None, label: str, fetcher=None) -> str:
    """What hovering timestep t tells: the token, the unit's value, its loss, the top-5 next tokens."""
    tok = display_token(trace.tokens[t])
    lines = [f"<b>t = {t}</b> &nbsp; token <b>{esc(tok)}</b>"]
    if value is not None and np.isfinite(value):
        lines.append(f"{label}: <b>{value:+.3f}</b>")
    if trace.loss is not None:
        loss = float(trace.loss[t])
        lines.append("loss: (first token)" if np.isnan(loss)
                     else f"loss: {loss_bits(loss)} (p = {np.exp(-loss):.3f})")
    top = next_tokens_html(trace, t, fetcher, padding=1)
    if top:
        lines.append(top)
    return "<br>".join(lines)


def loss_bits(nats: float) -> str:
    """A token's loss as the app writes it everywhere: bits (the train dialog's bits per character)."""
    return f"{nats / np.log(2):.3f} bits"


def next_tokens_html(trace, t: int, fetcher=None, padding: int = 1) -> str:
    """The model's top-5 guesses after timestep t as a small table; "" without a vocabulary, or while a lazy
    trace's probabilities are recomputed (the fetcher's ``ready`` follows)."""
    if trace.probs is None or trace.vocab_tokens is None or not (fetcher is None or probs_ready(trace, t, fetcher)):
        return ""
    p = trace.probs[t]
    top = np.argsort(p)[::-1][:5]
    rows = "".join(f"<tr><td><b>{esc(display_token(trace.vocab_tokens[i]))}</b></td>"
                   f"<td align='right'>{p[i]:.3f}</td></tr>" for i in top)
    return f"next token, top 5:<table cellspacing='0' cellpadding='{padding}'>{rows}</table>"


def shown_token(token: str) -> str:
    """Whitespace tokens drawn visibly; everything else as it is."""
    return display_token(token) if token in ("\n", "\t", "\r", " ") else token


def esc(s: str) -> str:
    """``s`` safe inside HTML."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
