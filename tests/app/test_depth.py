"""The All layers view: one heatmap per (layer, direction) of the focus quantity, drawing the trace's own numbers,
on the main plots' time axis; a click selects the unit and shows its layer; its figure is the same rows."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6 import QtCore, QtWidgets

from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.vocab import Vocab

from .conftest import ALPHABET, make_checkpoint, open_text, stack_checkpoint

TEXT = "abc 'de' (fa)\nhij."
LEFT = QtCore.Qt.MouseButton.LeftButton


def _open_depth(qtbot, window):
    window.act_depth.trigger()
    view = window.depth_view
    qtbot.waitUntil(lambda: view.shown and not view.building and all(h.shape[1] for h in view.rows.values()),
                    timeout=5000)
    window.stack.show_whole_text()
    qtbot.waitUntil(lambda: all(h._window is not None and h._window[0] == 0 and h._window[1] >= h.shape[1]
                                for h in view.rows.values()), timeout=5000)
    return view


def _cell_pos(h, t, row):
    scene = h.vb.mapViewToScene(QtCore.QPointF(t + 0.5, row + 0.5))
    return h.mapFromScene(scene)


@pytest.fixture
def bi2(tmp_path):
    return make_checkpoint(tmp_path / "bi.pt", hidden=5, layers=2, bidirectional=True)


def test_one_heatmap_per_layer_and_direction_with_the_trace_s_numbers(qtbot, window, bi2):
    tr = open_text(qtbot, window, bi2, TEXT)
    assert not window.depth_dock.isVisible()  # a mode the user asks for
    view = _open_depth(qtbot, window)
    assert list(view.rows) == [(0, False), (0, True), (1, False), (1, True)]
    assert window.state.quantity == "cell"
    for (layer, reverse), h in view.rows.items():
        np.testing.assert_array_equal(h.image.image, tr.get("cell", layer, reverse).T)
        assert h.quantity == "cell"
    labels = [h.axis.labelText for h in view.rows.values()]
    assert labels[0].startswith("layer 0 →") and labels[3].startswith("layer 1 ←")
    assert "▸" in labels[0] and "▸" not in labels[3]  # the row the main view shows
    window.quantity_box.setCurrentIndex(window.quantity_box.findData("forget_gate"))
    for (layer, reverse), h in view.rows.items():
        np.testing.assert_array_equal(h.image.image, tr.get("forget_gate", layer, reverse).T)
        assert h.levels == (0.0, 1.0)


def test_rows_follow_the_state_s_order_rule_on_their_own_numbers(qtbot, window, bi2):
    tr = open_text(qtbot, window, bi2, TEXT)
    view = _open_depth(qtbot, window)
    window.order_box.setCurrentIndex(1)  # by variance
    for (layer, reverse), h in view.rows.items():
        expected = np.argsort(-tr.get("cell", layer, reverse).var(axis=0, dtype=np.float64), kind="stable")
        np.testing.assert_array_equal(h.axis.order, expected)
        np.testing.assert_array_equal(h.image.image, tr.get("cell", layer, reverse)[:, expected].T)
    # the main view's row has the main heatmaps' order (they are ordered by the focus quantity too)
    np.testing.assert_array_equal(view.rows[(0, False)].axis.order, window.stack.heatmaps["forget_gate"].axis.order)


def test_a_click_selects_the_unit_and_shows_its_layer_and_direction(qtbot, window, bi2):
    open_text(qtbot, window, bi2, TEXT)
    view = _open_depth(qtbot, window)
    s = window.state
    assert (s.layer, s.reverse, s.units) == (0, False, (0,))
    h = view.rows[(1, True)]
    qtbot.mouseClick(h.viewport(), LEFT, pos=_cell_pos(h, 6, 3))
    assert (s.layer, s.reverse, s.units, s.time) == (1, True, (int(h.axis.order[3]),), 6)
    assert window.layer_box.currentIndex() == 1 and window.direction_box.currentIndex() == 1
    assert "▸" in h.axis.labelText
    # the selected unit is outlined in that row only
    assert len(h.marks) == 1 and h.marks[0].rect().top() == 3
    assert not view.rows[(0, False)].marks


def test_hovering_another_layer_s_row_shows_its_cell_in_the_inspector(qtbot, window, bi2):
    tr = open_text(qtbot, window, bi2, TEXT)
    view = _open_depth(qtbot, window)
    h = view.rows[(1, True)]
    qtbot.mouseMove(h.viewport(), _cell_pos(h, 4, 2))
    qtbot.waitUntil(lambda: "layer 1, backward" in window.inspector.text())
    unit = int(h.axis.order[2])
    assert f"unit {unit}" in window.inspector.text() and "timestep 4" in window.inspector.text()
    assert f"{tr.get('cell', 1, True)[4, unit]:+.4f}" in window.inspector.text()
    assert window.state.layer == 0  # hovering changes nothing but the hover


def test_the_time_axis_follows_the_main_strip_both_ways(qtbot, window, bi2):
    open_text(qtbot, window, bi2, TEXT * 3)
    view = _open_depth(qtbot, window)
    strip = window.stack.strip.plot.getViewBox()
    window.stack.strip.plot.setXRange(10, 30, padding=0)
    for h in view.rows.values():
        assert h.vb.viewRange()[0] == pytest.approx([10, 30])
    view.rows[(1, True)].vb.setXRange(5, 25, padding=0)  # a zoom or pan in a row moves every plot
    assert strip.viewRange()[0] == pytest.approx([5, 25])
    assert window.stack.heatmaps["forget_gate"].vb.viewRange()[0] == pytest.approx([5, 25])
    assert view.rows[(0, False)].vb.viewRange()[0] == pytest.approx([5, 25])


def test_a_hidden_view_leaves_the_time_axis_alone(qtbot, window, bi2):
    open_text(qtbot, window, bi2, TEXT)
    window.stack.show_whole_text()
    strip = window.stack.strip.plot.getViewBox()
    before = strip.viewRange()[0]
    for h in window.depth_view.rows.values():
        h.vb.setXRange(2, 4, padding=0)
    assert strip.viewRange()[0] == before


def test_layers_of_different_sizes_and_a_projected_hidden_state(qtbot, window, tmp_path):
    tr = open_text(qtbot, window, stack_checkpoint(tmp_path / "stack.pt"), TEXT)
    view = _open_depth(qtbot, window)
    assert [h.shape[0] for h in view.rows.values()] == [6, 10, 6]
    for (layer, _), h in view.rows.items():
        np.testing.assert_array_equal(h.image.image, tr.get("cell", layer).T)
    torch.manual_seed(5)
    vocab = Vocab.from_text(ALPHABET)
    cfg = ModelConfig(input_size=3, hidden_size=6, proj_size=2, num_layers=2, vocab_size=len(vocab))
    save_checkpoint(tmp_path / "proj.pt", LSTMLanguageModel(cfg).eval(), vocab, {})
    tr = open_text(qtbot, window, tmp_path / "proj.pt", TEXT)
    window.quantity_box.setCurrentIndex(window.quantity_box.findData("hidden"))
    qtbot.waitUntil(lambda: [h.shape[0] for h in view.rows.values()] == [2, 2])
    for (layer, _), h in view.rows.items():
        np.testing.assert_array_equal(h.image.image, tr.get("hidden", layer).T)


def test_a_one_layer_model_says_so(qtbot, window, tmp_path):
    tr = open_text(qtbot, window, make_checkpoint(tmp_path / "one.pt", layers=1), TEXT)
    view = _open_depth(qtbot, window)
    assert len(view.rows) == 1 and "1 layer and one direction" in view.title.text()
    np.testing.assert_array_equal(view.rows[(0, False)].image.image, tr.get("cell", 0).T)


def test_the_view_reads_nothing_while_hidden_and_its_shortcut_is_listed(qtbot, window, bi2):
    from lstm_viz.app.actions import shortcut_rows

    open_text(qtbot, window, bi2, TEXT)
    assert all(h.shape == (0, 0) for h in window.depth_view.rows.values())
    assert ("All layers", "Ctrl+Shift+L") in shortcut_rows(window)  # the help page lists it
    keys = [k for _, k in shortcut_rows(window)]
    assert keys.count("Ctrl+Shift+L") == 1
    window.act_depth.trigger()
    qtbot.waitUntil(lambda: window.depth_view.shown)
    window.depth_dock.close()  # its own close button: the menu toggle follows
    assert not window.act_depth.isChecked() and not window.depth_view.shown


def test_export_button_writes_the_rows_as_shown(qtbot, window, bi2, tmp_path, monkeypatch):
    from lstm_viz import figures

    open_text(qtbot, window, bi2, TEXT * 2)
    view = _open_depth(qtbot, window)
    window.order_box.setCurrentIndex(1)
    window.stack.strip.plot.setXRange(3, 20, padding=0)
    asked = []

    def save(parent, caption, start, filters):
        asked.append(start)
        return str(tmp_path / "depth"), next(f for f in filters.split(";;") if f.startswith("SVG"))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", save)
    specs = []
    real = figures.export_figure
    monkeypatch.setattr(figures, "export_figure", lambda tr, spec, path: (specs.append(spec), real(tr, spec, path)))
    qtbot.mouseClick(view.export_button, LEFT)
    assert asked == ["all-layers-cell.png"]
    assert (tmp_path / "depth.svg").read_text(encoding="utf-8").count("<svg") == 1, window.status_label.text()
    (spec,) = specs
    assert spec.view == "depth" and spec.quantity == "cell"
    assert spec.orders == tuple(tuple(int(u) for u in h.axis.order) for h in view.rows.values())
    assert spec.time_range == window.stack.visible_time_range() == (3, 20)


def test_file_export_figure_offers_all_layers_when_the_view_is_open(qtbot, window, bi2, tmp_path, monkeypatch):
    open_text(qtbot, window, bi2, TEXT)
    _open_depth(qtbot, window)
    offered = []

    def pick(parent, title, label, items, current, editable):
        offered.append(items[current])
        return items[current], True
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", pick)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *a: (str(tmp_path / "all.pdf"), "PDF (*.pdf)"))
    window.act_export_fig.trigger()
    assert offered == ["all layers"]
    assert (tmp_path / "all.pdf").read_bytes()[:5] == b"%PDF-", window.status_label.text()
