"""Find units that track something: Pearson correlation of every unit with a per-timestep label.

Labels come from the synthetic corpora (lstm_viz.core.corpora) or from the text itself (``text_labels``:
inside a string, bracket depth, indentation, position in the line, inside a comment).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError


def unit_correlations(values, labels) -> np.ndarray:
    """values (T, units), labels (T,) -> (units,) Pearson r; NaN for a constant unit or a constant label."""
    v = np.asarray(values, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if v.ndim != 2 or y.ndim != 1 or len(v) != len(y):
        raise InputError(f"correlation needs values (T, units) and labels (T,), got {v.shape} and {y.shape}")
    keep = np.isfinite(y) & np.isfinite(v).all(axis=1)  # (T,)
    v, y = v[keep], y[keep]
    if len(y) < 2:
        return np.full(v.shape[1], np.nan)
    v = v - v.mean(axis=0)  # (T, units)
    y = y - y.mean()  # (T,)
    num = y @ v  # (units,)
    den = np.sqrt((v * v).sum(axis=0) * (y @ y))  # (units,)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 1e-12 * max(1.0, float(np.abs(num).max(initial=0.0))), num / den, np.nan)
    return np.clip(r, -1.0, 1.0)


@dataclass(frozen=True)
class UnitScore:
    layer: int
    unit: int
    r: float  # Pearson correlation with the label (sign kept)
    quantity: str = "cell"


def best_units(trace, labels, quantity: str = "cell", layer: int | None = 0, k: int = 5,
               reverse: bool = False) -> list[UnitScore]:
    """The ``k`` units whose ``quantity`` correlates most (by |r|) with ``labels``; ``layer=None``: all layers."""
    labels = np.asarray(labels)
    if len(labels) != len(trace):
        raise InputError(f"{len(labels)} labels for a trace of {len(trace)} timesteps")
    layers = range(trace.num_layers) if layer is None else [layer]
    scores = []
    for lay in layers:
        r = unit_correlations(trace.get(quantity, lay, reverse), labels)
        scores += [UnitScore(lay, u, float(r[u]), quantity) for u in range(len(r)) if np.isfinite(r[u])]
    return sorted(scores, key=lambda s: -abs(s.r))[:k]


# -- labels computed from a text -------------------------------------------------------------------------
def text_labels(text: str) -> dict[str, np.ndarray]:
    """Per-character labels of a (Python-like) text, each (len(text),), describing the state after the char:

    ``in_string`` 1 inside a '...' / "..." / triple-quoted string (quote marks opening: 1, closing: 0);
    ``in_comment`` 1 from # to the end of the line (outside strings); ``bracket_depth`` open (, [, { outside
    strings and comments; ``indent`` leading spaces of the current line; ``line_pos`` characters since the
    last newline."""
    n = len(text)
    in_string = np.zeros(n, np.int64)
    in_comment = np.zeros(n, np.int64)
    depth = np.zeros(n, np.int64)
    indent = np.zeros(n, np.int64)
    line_pos = np.zeros(n, np.int64)
    quote = None  # the open string's delimiter
    comment = False
    d = 0
    pos = 0
    ind = 0
    leading = True
    i = 0
    while i < n:
        c = text[i]
        width = 1
        if c == "\n":
            comment, pos, ind, leading = False, 0, 0, True
        else:
            pos += 1
            if leading and c == " ":
                ind += 1
            else:
                leading = False
        if quote is not None:
            if c == "\\":
                width = 2
            elif text.startswith(quote, i):
                width = len(quote)
                quote = None
            elif c == "\n" and len(quote) == 1:
                quote = None
        elif comment:
            pass
        elif c == "#":
            comment = True
        elif c in "'\"":
            quote = c * 3 if text.startswith(c * 3, i) else c
            width = len(quote)
        elif c in "([{":
            d += 1
        elif c in ")]}":
            d = max(0, d - 1)
        for j in range(i, min(i + width, n)):
            in_string[j] = quote is not None
            in_comment[j] = comment
            depth[j] = d
            indent[j] = ind
            line_pos[j] = pos + (j - i)
        pos += width - 1
        i += width
    # a closing delimiter consumed in one go is all "outside", an opening one all "inside"
    return {"in_string": in_string, "in_comment": in_comment, "bracket_depth": depth, "indent": indent,
            "line_pos": line_pos}
