"""What every search panel shares: job callbacks that outlive no widget, writing a chosen unit (with its layer
and direction) to the AppState, and naming a unit the way the panels list it ("cell 108", "layer 1 backward
cell 7")."""
from __future__ import annotations

import shiboken6

from .. import style


def guarded(owner, fn):
    """``fn``, made a no-op once ``owner`` (a widget) is deleted: a job's result or progress may still be queued
    when its panel's window closes."""
    def call(*args):
        if shiboken6.isValid(owner):
            fn(*args)
    return call


def select_units(state, layer: int, reverse: bool, units, add: bool = False) -> None:
    """Show ``layer`` / ``reverse`` and select ``units`` there (the first is the primary one)."""
    units = [int(u) for u in units]
    if not units or state.trace is None:
        return
    state.set_layer(int(layer))
    state.set_reverse(bool(reverse) and state.trace.bidirectional)
    state.select_unit(units[0], add=add)
    for u in units[1:]:
        if u not in state.units:
            state.select_unit(u, add=True)


def unit_name(trace, quantity: str, layer: int, reverse: bool, unit: int) -> str:
    """"cell 108"; with several layers or directions the layer and direction too."""
    where = []
    if trace is not None and trace.num_layers > 1:
        where.append(f"layer {layer}")
    if reverse:
        where.append("backward")
    word = {"cell": "cell", "hidden": "hidden"}.get(quantity, style.SYMBOL.get(quantity, quantity) + " gate")
    return " ".join([*where, word, str(unit)])


def signed(value: float, digits: int = 2) -> str:
    """A number with a true minus sign: −0.84."""
    return f"{value:.{digits}f}".replace("-", "\u2212")
