"""Export a trace's numbers: one quantity as CSV, or a subset of the trace in the NPZ trace format.

Also parses and checks the selection both data and figure export share: which units (``--units 0,5,7``) and
which timesteps (``--range START:END``, start inclusive, end exclusive, like a Python slice without steps).
Headless: numpy and the csv module only.

CSV layout, one row per timestep::

    t,token,unit_0,unit_5,unit_7
    0,T,0.512345672,-0.0312,0.9

``t`` is the position in the whole text (so a range 10:20 starts at t = 10), ``token`` the token as read (a
newline is a quoted field holding a newline), then one column per selected unit, float32 values written with
9 significant digits so they read back exactly.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checkpoint import atomic_write
from .errors import InputError
from .trace import Trace

_UNITS = re.compile(r"^\s*\d+(\s*-\s*\d+)?\s*(,\s*\d+(\s*-\s*\d+)?\s*)*$")


def parse_units(text: str) -> tuple[int, ...]:
    """``"0,5,7"`` -> (0, 5, 7); ``"2-4"`` -> (2, 3, 4). Order kept, repeats dropped."""
    if text is None or not _UNITS.match(text):
        raise InputError(f"units {text!r} are not a list of unit numbers such as 0,5,7 or 2-4")
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        lo_i = int(lo)
        hi_i = int(hi) if hi.strip() else lo_i
        if hi_i < lo_i:
            raise InputError(f"units {part.strip()!r}: the range runs backwards")
        out.extend(u for u in range(lo_i, hi_i + 1) if u not in out)
    return tuple(out)


def parse_range(text: str) -> tuple[int | None, int | None]:
    """``"START:END"`` -> (start, end), start inclusive, end exclusive; either side may be left empty."""
    m = re.fullmatch(r"\s*(\d*)\s*:\s*(\d*)\s*", text or "")
    if not m:
        raise InputError(f"range {text!r} is not START:END (timesteps, e.g. 0:80; START or END may be empty)")
    start, end = (int(g) if g else None for g in m.groups())
    if start is not None and end is not None and end <= start:
        raise InputError(f"range {text.strip()} is empty: END must be larger than START")
    return start, end


@dataclass(frozen=True)
class Selection:
    """Checked units and timesteps of one quantity of a trace."""

    units: tuple[int, ...]  # unit numbers, in the order asked for
    start: int  # first timestep
    end: int  # one past the last timestep

    @property
    def times(self) -> slice:
        return slice(self.start, self.end)


def validate_selection(trace: Trace, quantity: str = "cell", layer: int = 0, reverse: bool = False,
                       units=None, time_range=None) -> Selection:
    """Check a selection against the trace; InputError with a one-line reason when it does not fit.

    ``units``: None (all), a sequence of ints, or a string for parse_units. ``time_range``: None (all), a
    (start, end) pair where either may be None, or a string for parse_range."""
    trace.check(quantity, layer, reverse)  # raises for a layer or direction that does not exist
    T, n = len(trace), trace.units(layer, quantity)  # nothing read: a lazy trace recomputes only what is asked
    if isinstance(units, str):
        units = parse_units(units)
    if units is None:
        units = tuple(range(n))
    else:
        units = tuple(int(u) for u in units)
        if not units:
            raise InputError("no units selected")
        bad = [u for u in units if not 0 <= u < n]
        if bad:
            where = f"layer {layer}{' backward' if reverse else ''}"
            raise InputError(f"unit {bad[0]} does not exist: {where} has {n} units (0 to {n - 1})")
    if isinstance(time_range, str):
        time_range = parse_range(time_range)
    start, end = (0, T) if time_range is None else time_range
    start = 0 if start is None else int(start)
    end = T if end is None else int(end)
    if start < 0 or end > T:
        raise InputError(f"range {start}:{end} lies outside the text, which has {T} timesteps (0:{T})")
    if end <= start:
        raise InputError(f"range {start}:{end} is empty: END must be larger than START")
    return Selection(units, start, end)


def csv_rows(trace: Trace, quantity: str, layer: int = 0, reverse: bool = False, units=None,
             time_range=None):
    """Header then one list per timestep: t, token, values (as strings)."""
    sel = validate_selection(trace, quantity, layer, reverse, units, time_range)
    data = trace.window(quantity, layer, reverse, sel.start, sel.end, list(sel.units))  # (T', U)
    yield ["t", "token", *(f"unit_{u}" for u in sel.units)]
    for k, t in enumerate(range(sel.start, sel.end)):
        yield [str(t), trace.tokens[t], *(f"{v:.9g}" for v in data[k].tolist())]


def write_csv(trace: Trace, path: str | Path, quantity: str, layer: int = 0, reverse: bool = False,
              units=None, time_range=None) -> None:
    """One quantity as CSV (layout in the module docstring); atomic."""
    if quantity not in trace.quantities:
        raise InputError(f"unknown quantity {quantity!r}; one of {', '.join(trace.quantities)}")
    rows = list(csv_rows(trace, quantity, layer, reverse, units, time_range))  # check before touching disk

    def write(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)

    atomic_write(path, write)


def subset(trace: Trace, units=None, time_range=None) -> tuple[Trace, Selection]:
    """The trace cut to some units (of every quantity, layer and direction) and timesteps."""
    sel = validate_selection(trace, trace.quantities[0], 0, False, units, time_range)
    cols = list(sel.units)
    arrays = {}
    for name, a in trace.arrays.items():
        if cols and max(cols) >= a.shape[1]:
            raise InputError(f"unit {max(cols)} does not exist in {name}, which has {a.shape[1]} units")
        arrays[name] = np.ascontiguousarray(a[sel.times][:, cols])
    ids = None if trace.token_ids is None else trace.token_ids[sel.times].copy()
    probs = None if trace.probs is None else trace.probs[sel.times].copy()
    loss = None if trace.loss is None else trace.loss[sel.times].copy()
    unknown = tuple(i - sel.start for i in trace.unknown if sel.start <= i < sel.end)
    sub = Trace(tokens=trace.tokens[sel.times], token_ids=ids, arrays=arrays, num_layers=trace.num_layers,
                bidirectional=trace.bidirectional, probs=probs, loss=loss, vocab_tokens=trace.vocab_tokens,
                unknown=unknown, model_name=trace.model_name, metadata=dict(trace.metadata), cell=trace.cell,
                reads_backward=trace.reads_backward)
    return sub, sel


def write_npz(trace: Trace, path: str | Path, units=None, time_range=None) -> None:
    """The trace format (see lstm_viz.core.trace), cut to the selection; atomic.

    Two more arrays say what was kept: ``units`` (the unit numbers of the columns) and ``time_range``
    ([start, end) in the original text). Trace.load_npz reads the file like any trace."""
    sub, sel = subset(trace, units, time_range)
    sub.save_npz(path, extra={"units": np.array(sel.units, dtype=np.int64),
                              "time_range": np.array([sel.start, sel.end], dtype=np.int64)})


__all__ = ["Selection", "csv_rows", "parse_range", "parse_units", "subset", "validate_selection",
           "write_csv", "write_npz"]
