"""The "depth" figure: one quantity for every layer and direction, stacked on one time axis (the app's All
layers view). Each row has its own units (layers may differ in size, a projected hidden state has fewer), its
own colour bar (lstm_viz.look.levels of that row) and, from the app, its on-screen unit order."""
from __future__ import annotations

import numpy as np

from lstm_viz import look
from lstm_viz.core.errors import InputError
from lstm_viz.core.export_data import Selection, validate_selection

from . import parts


def depth_rows(trace) -> list[tuple[int, bool]]:
    """(layer, reverse) of every row, top to bottom: layer 0 first, forward before backward."""
    return [(layer, reverse) for layer in range(trace.num_layers) for reverse in trace.directions]


def row_title(layer: int, reverse: bool, bidirectional: bool) -> str:
    return f"layer {layer}" + ((", backward \u2190" if reverse else ", forward \u2192") if bidirectional else "")


def _ordered(units: tuple[int, ...], order) -> tuple[int, ...]:
    """``units`` in ``order`` (the app's rows); units it does not name follow by number."""
    if order is None:
        return units
    chosen = set(units)
    first = [int(u) for u in dict.fromkeys(order) if int(u) in chosen]
    return tuple(first + sorted(chosen - set(first)))


def depth_figure(trace, spec, ink: float):
    """The Figure of ``spec`` (view "depth"): ``spec.quantity`` (default the cell's state) of every layer and
    direction over ``spec.time_range``; ``spec.units`` in every row (each must have them); ``spec.orders``:
    each row's unit order, one per row of depth_rows (None: by number)."""
    from .compose import _finish, _new_widget, _plot_width  # compose dispatches here: imported late

    q = look.state_quantity(trace.cell) if spec.quantity is None else trace.cell.check(spec.quantity)
    rows = depth_rows(trace)
    if spec.orders is not None and len(spec.orders) != len(rows):
        raise InputError(f"{len(spec.orders)} row orders for {len(rows)} layers and directions")
    sels = []
    for k, (layer, reverse) in enumerate(rows):
        sel = validate_selection(trace, q, layer, reverse, spec.units, spec.time_range)
        order = spec.orders[k] if spec.orders is not None else None
        sels.append(Selection(_ordered(sel.units, order), sel.start, sel.end))
    first = sels[0]
    pw = _plot_width(trace, first, 520, 1100)
    w = _new_widget()
    if spec.title is not None:
        title = spec.title
    else:
        name = trace.model_name or trace.cell.title
        title = f"{name}: {look.LABELS[q]}, every layer{' and direction' if trace.bidirectional else ''}"
    w.addItem(parts.title_item(title), 0, 0, 1, 2)
    height, plots = 60.0, []
    for k, ((layer, reverse), sel) in enumerate(zip(rows, sels)):
        data = trace.window(q, layer, reverse, sel.start, sel.end)[:, list(sel.units)]  # (T', U)
        ph = float(np.clip(len(sel.units) * 5, 90, 220))
        last = k == len(rows) - 1
        plot, _ = parts.heatmap(data, q, sel.units, trace.tokens, sel.start, sel.end, (pw, ph), ink,
                                show_x_label=last)
        plot.setTitle(row_title(layer, reverse, trace.bidirectional), size=f"{parts.LABEL_PX}px",
                      color=parts.INK, bold=True)
        w.addItem(plot, 1 + k, 0)
        w.addItem(parts.colour_bar(q, data, ink), 1 + k, 1)
        plots.append(plot)
        height += ph + (80 if last else 45)
    for p in plots[1:]:
        p.setXLink(plots[0])
    return _finish(w, pw + parts.LEFT_AXIS + 140, height, title)
