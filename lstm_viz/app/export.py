"""File > Export figure… and Export data…: what is on screen (layer, direction, focus quantity, selected
units, visible time range) written through lstm_viz.figures and lstm_viz.core.export_data."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from . import dialogs, style
from .worker import one_line

FIGURE_VIEWS = {"dashboard": "dashboard", "forget_gate": "forget", "input_gate": "input", "output_gate": "output",
                "candidate": "candidate", "cell": "cell", "hidden": "hidden"}


def current_view(window) -> dict:
    s = window.state
    return {"layer": s.layer, "reverse": s.reverse, "units": tuple(s.units) or None,
            "time_range": window.stack.visible_time_range(), "quantity": s.quantity}


def figure_choices() -> list[str]:
    return ["dashboard", "forget", "input", "output", "candidate", "cell", "hidden", "traces", "text"]


def export_figure(window) -> None:
    s = window.state
    if s.trace is None:
        window.status_label.setText("nothing to export yet: no analysis")
        return
    view, ok = QtWidgets.QInputDialog.getItem(window, "Export figure", "View:", figure_choices(), 0, False)
    if not ok:
        return
    path = dialogs.save_file(window, "Export figure", window.settings.value("recent/export", "", type=str),
                             "PNG image (*.png);;SVG vector (*.svg);;PDF (*.pdf)")
    if not path:
        return
    if not Path(path).suffix:
        path += ".png"
    window.settings.setValue("recent/export", str(Path(path).parent))
    try:
        from lstm_viz.figures import FigureSpec, export_figure as write_figure
    except ImportError as e:
        dialogs.error(window, "Export figure", f"figure export is not available in this build ({e})")
        return
    v = current_view(window)
    units = v["units"] if view in ("traces", "text", "dashboard") else None
    spec = FigureSpec(view=view, layer=v["layer"], reverse=v["reverse"], units=units,
                      time_range=v["time_range"], quantity=v["quantity"])
    _run(window, lambda: write_figure(s.trace, spec, path), f"wrote {path}", "Export figure")


def export_data(window) -> None:
    s = window.state
    if s.trace is None:
        window.status_label.setText("nothing to export yet: no analysis")
        return
    path = dialogs.save_file(window, "Export data", window.settings.value("recent/export", "", type=str),
                             f"CSV of the {style.LABELS[s.quantity]} (*.csv);;NPZ of every quantity (*.npz)")
    if not path:
        return
    if not Path(path).suffix:
        path += ".csv"
    window.settings.setValue("recent/export", str(Path(path).parent))
    try:
        from lstm_viz.core import export_data as ed
    except ImportError as e:
        dialogs.error(window, "Export data", f"data export is not available in this build ({e})")
        return
    v = current_view(window)
    if Path(path).suffix.lower() == ".npz":
        job = lambda: ed.write_npz(s.trace, path, units=v["units"], time_range=v["time_range"])  # noqa: E731
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
