"""File > Export figure/data write what is on screen: layer, focus quantity, selected units, visible range."""
from __future__ import annotations

import csv

import numpy as np
from PySide6 import QtGui, QtWidgets

from lstm_viz.app import dialogs

from .conftest import open_text


def test_export_data_writes_the_focus_quantity_of_the_selected_units(qtbot, window, checkpoint, tmp_path,
                                                                      monkeypatch):
    tr = open_text(qtbot, window, checkpoint)
    window.layer_box.setCurrentIndex(1)
    window.state.select_unit(1)
    window.state.select_unit(3, add=True)
    out = tmp_path / "cell.csv"
    monkeypatch.setattr(dialogs, "save_file", lambda *a: str(out))
    window.act_export_data.trigger()
    assert "wrote" in window.status_label.text(), window.status_label.text()
    text = out.read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    values = np.array([[float(v) for v in r[-2:]] for r in rows if r and r[0].isdigit()])
    np.testing.assert_allclose(values, tr.get("cell", 1)[:, [1, 3]], rtol=1e-6, atol=1e-7)


def test_export_figure_writes_a_png_of_the_current_view(qtbot, window, checkpoint, tmp_path, monkeypatch):
    open_text(qtbot, window, checkpoint)
    out = tmp_path / "fig.png"
    monkeypatch.setattr(dialogs, "save_file", lambda *a: str(out))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", lambda *a, **k: ("forget", True))
    window.act_export_fig.trigger()
    assert out.exists(), window.status_label.text()
    assert QtGui.QImage(str(out)).width() > 100


def test_closing_during_an_analysis_exits_cleanly(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint)
    window.state.set_text("abc " * 5000)
    assert window.session.runner.busy("analysis")
    window.close()
    assert window.session.runner.pool.activeThreadCount() == 0
