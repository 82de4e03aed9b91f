"""File > Export figure/data write what is on screen: layer, focus quantity, selected units, visible range,
the heatmaps' row order; the file type is the one chosen; the data filters say exactly what is written.
File dialogs are patched, never clicked."""
from __future__ import annotations

import csv

import numpy as np
from PySide6 import QtGui, QtWidgets

from lstm_viz.app import export
from lstm_viz.core.trace import Trace

from .conftest import make_checkpoint, open_text


def _save_as(monkeypatch, path, chosen=""):
    """The save dialog answers ``path`` with the filter whose label starts with ``chosen``."""
    def fake(parent, caption, directory, filters):
        label = next(f for f in filters.split(";;") if f.startswith(chosen))
        return str(path), label
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", fake)


def test_export_data_writes_the_focus_quantity_of_the_selected_units(qtbot, window, checkpoint, tmp_path,
                                                                      monkeypatch):
    tr = open_text(qtbot, window, checkpoint)
    window.layer_box.setCurrentIndex(1)
    window.state.select_unit(1)
    window.state.select_unit(3, add=True)
    out = tmp_path / "cell.csv"
    _save_as(monkeypatch, out, "CSV")
    window.act_export_data.trigger()
    assert "wrote" in window.status_label.text(), window.status_label.text()
    text = out.read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    values = np.array([[float(v) for v in r[-2:]] for r in rows if r and r[0].isdigit()])
    np.testing.assert_allclose(values, tr.get("cell", 1)[:, [1, 3]], rtol=1e-6, atol=1e-7)


def test_export_figure_writes_a_png_of_the_current_view(qtbot, window, checkpoint, tmp_path, monkeypatch):
    open_text(qtbot, window, checkpoint)
    out = tmp_path / "fig.png"
    _save_as(monkeypatch, out, "PNG")
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", lambda *a, **k: ("forget", True))
    window.act_export_fig.trigger()
    assert out.exists(), window.status_label.text()
    assert QtGui.QImage(str(out)).width() > 100


def test_a_name_without_extension_gets_the_chosen_filters(qtbot, window, checkpoint, tmp_path, monkeypatch):
    open_text(qtbot, window, checkpoint)
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", lambda *a, **k: ("forget", True))
    _save_as(monkeypatch, tmp_path / "figure", "PDF")
    window.act_export_fig.trigger()
    assert (tmp_path / "figure.pdf").read_bytes()[:5] == b"%PDF-", window.status_label.text()
    assert not (tmp_path / "figure.png").exists()
    _save_as(monkeypatch, tmp_path / "values", "NPZ: every")
    window.act_export_data.trigger()
    assert (tmp_path / "values.npz").exists(), window.status_label.text()


def test_exported_heatmap_has_the_on_screen_row_order_and_range(qtbot, window, tmp_path, monkeypatch):
    from lstm_viz import figures

    ckpt = make_checkpoint(tmp_path / "wide.pt", hidden=12, layers=1)
    tr = open_text(qtbot, window, ckpt, text="abc 'de' (fa)\nhij." * 4)
    window.order_box.setCurrentIndex(1)  # by variance
    order = tuple(int(u) for u in window.stack.heatmaps["forget_gate"].axis.order)
    assert order != tuple(sorted(order))
    window.stack.strip.plot.setXRange(10, 40, padding=0)
    specs = []
    real = figures.export_figure
    monkeypatch.setattr(figures, "export_figure", lambda trace, spec, path: (specs.append(spec),
                                                                             real(trace, spec, path)))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", lambda *a, **k: ("forget", True))
    _save_as(monkeypatch, tmp_path / "f.png", "PNG")
    window.act_export_fig.trigger()
    (spec,) = specs
    assert spec.order == order and spec.time_range == window.stack.visible_time_range() == (10, 40)
    fig = figures.build_figure(tr, spec)
    try:
        image = next(i for i in fig.scene.items() if type(i).__name__ == "ImageItem").image
        ky, kx = image.shape[0] // len(order), image.shape[1] // 30
        np.testing.assert_array_equal(image[::ky, ::kx], tr.get("forget_gate", 0)[10:40][:, list(order)].T)
    finally:
        fig.close()
    # zoomed in on some rows: only those rows
    window.stack.heatmaps["forget_gate"].vb.setYRange(2, 6, padding=0)
    window.act_export_fig.trigger()
    assert specs[-1].units == order[2:6]


def test_npz_filters_say_what_they_write(qtbot, window, checkpoint, tmp_path, monkeypatch):
    tr = open_text(qtbot, window, checkpoint)
    window.state.select_unit(2)
    window.stack.strip.plot.setXRange(3, 9, padding=0)
    labels = [label for label, _ in export.data_filters("cell")]
    assert any("selected units" in label for label in labels) and any("whole trace" in label for label in labels)
    _save_as(monkeypatch, tmp_path / "part.npz", "NPZ: every quantity, selected")
    window.act_export_data.trigger()
    part = Trace.load_npz(tmp_path / "part.npz")
    assert len(part) == 6 and part.get("cell", 0).shape == (6, 1)
    _save_as(monkeypatch, tmp_path / "all.npz", "NPZ: the whole trace")
    window.act_export_data.trigger()
    whole = Trace.load_npz(tmp_path / "all.npz")
    assert len(whole) == len(tr)
    for name in tr.keys():
        np.testing.assert_array_equal(whole[name], tr[name])


def test_closing_during_an_analysis_exits_cleanly(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint)
    window.state.set_text("abc " * 5000)
    assert window.session.runner.busy("analysis")
    window.close()
    assert window.session.runner.pool.activeThreadCount() == 0


def test_a_gru_exports_its_dashboard_and_heatmaps_from_the_window(qtbot, window, tmp_path, monkeypatch):
    open_text(qtbot, window, make_checkpoint(tmp_path / "gru.pt", cell="gru"))
    offered = []

    def pick(view):
        def get_item(parent, title, label, items, *a, **k):
            offered.append(list(items))
            return view, True
        return get_item
    for view in ("dashboard", "reset"):
        out = tmp_path / f"{view}.png"
        _save_as(monkeypatch, out, "PNG")
        monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", pick(view))
        window.act_export_fig.trigger()
        assert out.exists() and "wrote" in window.status_label.text(), window.status_label.text()
        img = QtGui.QImage(str(out)).convertToFormat(QtGui.QImage.Format.Format_RGB888)
        a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
        a = a[:, :img.width() * 3].reshape(img.height(), img.width(), 3)
        assert (a < 250).any(axis=2).mean() > 0.05, f"{view}: nearly blank"
    assert offered[0] == ["dashboard", "reset", "update", "new", "hidden", "traces", "text", "all layers"]
    assert window.errors == []
