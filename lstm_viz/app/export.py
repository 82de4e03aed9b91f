"""File > Export figure… and Export data…: what is on screen (layer, direction, focus quantity, selected
units, visible time range) written through lstm_viz.figures and lstm_viz.core.export_data."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from . import dialogs, style
from .worker import one_line

FIGURE_FILTERS = [("PNG image", ".png"), ("SVG vector", ".svg"), ("PDF", ".pdf")]
WHOLE_TRACE = "NPZ: the whole trace"


def current_view(window) -> dict:
    s = window.state
    return {"layer": s.layer, "reverse": s.reverse, "units": tuple(s.units) or None,
            "time_range": window.stack.visible_time_range(), "quantity": s.quantity}


DEPTH = "all layers"  # File > Export figure's name for the depth view


def figure_choices(quantities) -> list[str]:
    """The views File > Export figure offers for a cell with ``quantities``: a GRU's "reset", "update", "new",
    "hidden" heatmaps; an LSTM's "forget", "input", ...; and every layer at once."""
    return ["dashboard", *(q.removesuffix("_gate") for q in quantities), "traces", "text", DEPTH]


def ask_save_path(window, caption: str, filters: list[tuple[str, str]], name: str = "") -> tuple[str, str] | None:
    """A save dialog offering ``filters`` [(label, ".ext")], suggesting the file ``name`` in the last export
    folder; (path, chosen label) or None when cancelled. A name typed without one of the offered extensions
    gets the chosen filter's (PDF chosen: ".pdf")."""
    text = ";;".join(f"{label} (*{ext})" for label, ext in filters)
    folder = window.settings.value("recent/export", "", type=str)
    start = str(Path(folder) / name) if folder and name else (name or folder)
    path, chosen = QtWidgets.QFileDialog.getSaveFileName(window, caption, start, text)
    if not path:
        return None
    label, ext = next(((lab, e) for lab, e in filters if chosen.startswith(lab)), filters[0])
    if Path(path).suffix.lower() not in {e for _, e in filters}:
        path += ext
    window.settings.setValue("recent/export", str(Path(path).parent))
    return path, label


def heatmap_rows(window, quantity: str) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """The heatmap's on-screen row order, and the units of the rows in view (None: all of them)."""
    h = window.stack.heatmaps[quantity]
    order = tuple(int(u) for u in h.axis.order)
    y0, y1 = sorted(h.vb.viewRange()[1])
    r0, r1 = max(0, int(y0 + 0.5)), min(len(order), int(y1 + 0.5))
    if r0 == 0 and r1 >= len(order) or r1 <= r0:
        return order, None
    return order, order[r0:r1]


def export_figure(window) -> None:
    s = window.state
    if s.trace is None:
        window.status_label.setText("nothing to export yet: no analysis")
        return
    choices = figure_choices(s.quantities)
    dock = getattr(window, "depth_dock", None)
    first = choices.index(DEPTH) if dock is not None and dock.isVisible() else 0  # the view in sight
    view, ok = QtWidgets.QInputDialog.getItem(window, "Export figure", "View:", choices, first, False)
    if not ok:
        return
    if view == DEPTH:
        export_depth(window)
        return
    asked = ask_save_path(window, "Export figure", FIGURE_FILTERS)
    if not asked:
        return
    path = asked[0]
    try:
        from lstm_viz.figures import FigureSpec, export_figure as write_figure
        from lstm_viz.figures.compose import HEATMAP_VIEWS
    except ImportError as e:
        dialogs.error(window, "Export figure", f"figure export is not available in this build ({e})")
        return
    v = current_view(window)
    units, order = (v["units"] if view in ("traces", "text", "dashboard") else None), None
    if view in HEATMAP_VIEWS:
        # the rows as on screen: the same order, and only the rows in view when the unit axis is zoomed in
        order, units = heatmap_rows(window, HEATMAP_VIEWS[view])
    elif view == "dashboard":  # the selected units, in their on-screen order
        order = heatmap_rows(window, s.panels[0] if s.panels else s.state_quantity)[0]
    spec = FigureSpec(view=view, layer=v["layer"], reverse=v["reverse"], units=units,
                      time_range=v["time_range"], quantity=v["quantity"], order=order)
    _run(window, lambda: write_figure(s.trace, spec, path), f"wrote {path}", "Export figure")


def depth_spec(window):
    """The All layers view as a FigureSpec: the focus quantity, each row's unit order, the visible range."""
    from lstm_viz.figures import FigureSpec

    s = window.state
    view = getattr(window, "depth_view", None)
    orders = None
    if view is not None and view.rows and all(len(h.axis.order) for h in view.rows.values()):
        orders = tuple(tuple(int(u) for u in h.axis.order) for h in view.rows.values())
    return FigureSpec(view="depth", quantity=s.quantity, time_range=window.stack.visible_time_range(),
                      orders=orders)


def export_depth(window) -> None:
    """Every layer and direction of the focus quantity, as the All layers view shows them (PNG, SVG, PDF)."""
    s = window.state
    if s.trace is None:
        window.status_label.setText("nothing to export yet: no analysis")
        return
    asked = ask_save_path(window, "Export all layers", FIGURE_FILTERS,
                          f"all-layers-{s.quantity.removesuffix('_gate')}.png")
    if not asked:
        return
    from lstm_viz.figures import export_figure as write_figure

    spec, path = depth_spec(window), asked[0]
    _run(window, lambda: write_figure(s.trace, spec, path), f"wrote {path}", "Export all layers")


def data_filters(quantity: str) -> list[tuple[str, str]]:
    """What Export data offers, each label saying exactly what is written."""
    return [(f"CSV: the {style.LABELS[quantity]}, selected units \u00d7 visible range", ".csv"),
            ("NPZ: every quantity, selected units \u00d7 visible range", ".npz"),
            (f"{WHOLE_TRACE}, every quantity, unit and timestep", ".npz")]


def export_data(window) -> None:
    s = window.state
    if s.trace is None:
        window.status_label.setText("nothing to export yet: no analysis")
        return
    asked = ask_save_path(window, "Export data", data_filters(s.quantity))
    if not asked:
        return
    path, label = asked
    try:
        from lstm_viz.core import export_data as ed
    except ImportError as e:
        dialogs.error(window, "Export data", f"data export is not available in this build ({e})")
        return
    v = current_view(window)
    if Path(path).suffix.lower() == ".npz":
        whole = label.startswith(WHOLE_TRACE)
        units, time_range = (None, None) if whole else (v["units"], v["time_range"])
        job = lambda: ed.write_npz(s.trace, path, units=units, time_range=time_range)  # noqa: E731
    else:
        job = lambda: ed.write_csv(s.trace, path, v["quantity"], layer=v["layer"], reverse=v["reverse"],  # noqa: E731
                                   units=v["units"], time_range=v["time_range"])
    _run(window, job, f"wrote {path}", "Export data")


def _run(window, fn, done: str, title: str) -> None:
    """Exports draw with Qt, so they run here on the GUI thread (they take well under a second)."""
    QtWidgets.QApplication.setOverrideCursor(QtGui.QCursor(QtCore.Qt.CursorShape.WaitCursor))
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - reported in one line, the window stays
        QtWidgets.QApplication.restoreOverrideCursor()
        dialogs.error(window, title, one_line(e))
        window.status_label.setText(f"⚠ {one_line(e)}")
        return
    QtWidgets.QApplication.restoreOverrideCursor()
    window.status_label.setText(done)
