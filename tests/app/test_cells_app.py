"""Every cell type in the window: a GRU shows its own r, z, n, h (no empty cell-state panel), a plain RNN its h;
an LSTM opened after them gets its own panels back; the inspector, toggles, focus and traces follow the cell."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from lstm_viz.app.views.inspector import inspector_html

from .conftest import make_checkpoint, open_text

GRU = ("reset_gate", "update_gate", "new_gate", "hidden")
LSTM = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")


def _drawn(qtbot, window, q, tr):
    """The heatmap of ``q`` once drawn: its image is the trace's own array (rows in unit order)."""
    h = window.stack.heatmaps[q]
    expected = tr.get(q, window.state.layer).T  # (units, T)
    qtbot.waitUntil(lambda: h.image.image is not None and h.image.image.shape == expected.shape)
    np.testing.assert_array_equal(h.image.image, expected)
    np.testing.assert_array_equal(h.data, expected)


def test_a_gru_shows_its_own_gates_and_says_it_has_no_cell_state(qtbot, window, settings, tmp_path):
    window.close()
    settings.setValue("view/quantity", "cell")  # a focus saved by an earlier session
    from lstm_viz.app.main_window import MainWindow

    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.errors = []
    window.show()
    tr = open_text(qtbot, window, make_checkpoint(tmp_path / "gru.pt", cell="gru"))
    assert tr.cell.name == "gru"
    assert tuple(window.stack.heatmaps) == GRU
    window.state.set_panels(GRU)
    for q in GRU:
        assert window.stack.heatmaps[q].isVisible()
        _drawn(qtbot, window, q, tr)
    assert window.stack.heatmaps["reset_gate"].axis.labelText == "reset r"
    # the traces draw h, and say so; "also h_t" means nothing here
    curves = window.stack.traces.curves
    assert len(curves) == 1 and curves[0].name() == "h, unit 0"
    np.testing.assert_array_equal(curves[0].yData, tr.get("hidden", 0)[:, 0])
    assert window.stack.traces.plot.getAxis("left").labelText == "hidden h"
    assert not window.act_hidden.isEnabled()
    # toggles and focus list the GRU's quantities, on the keys 1..4
    assert tuple(window.panel_actions) == GRU
    assert [a.shortcut().toString() for a in window.panel_actions.values()] == ["1", "2", "3", "4"]
    assert [a.iconText() for a in window.panel_actions.values()] == ["r", "z", "n", "h"]
    box = window.quantity_box
    assert [box.itemData(i) for i in range(box.count())] == list(GRU)
    # the saved focus was the cell state: the hidden state stands in, with a line saying why
    assert window.state.quantity == "hidden" and box.currentData() == "hidden"
    assert "no separate cell state" in window.status_label.text()
    # the inspector names r, z, n with their symbols, and says there is no cell state
    html = inspector_html(tr, 0, False, 2, 1)
    for label in ("reset gate r", "update gate z", "new gate n", "hidden state h", "no separate cell state"):
        assert label in html
    assert "forget" not in html and "cell state c" not in html
    assert f"{tr.get('update_gate', 0)[2, 1]:+.4f}" in html
    window.state.set_hover(2, 1)
    assert "update gate z" in window.inspector.text()
    assert window.errors == []


def test_a_gru_heatmap_toggles_with_its_number_key(qtbot, window, tmp_path):
    open_text(qtbot, window, make_checkpoint(tmp_path / "gru.pt", cell="gru"))
    new = window.stack.heatmaps["new_gate"]
    assert not new.isVisible()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_3)
    assert new.isVisible() and "new_gate" in window.state.panels


def test_an_lstm_after_a_gru_gets_its_own_panels_back(qtbot, window, checkpoint, tmp_path):
    lstm = open_text(qtbot, window, checkpoint)
    window.state.set_panels(("forget_gate", "cell"))
    open_text(qtbot, window, make_checkpoint(tmp_path / "gru.pt", cell="gru"))
    assert window.state.panels == ("reset_gate", "update_gate")
    lstm = open_text(qtbot, window, checkpoint)
    assert tuple(window.stack.heatmaps) == LSTM and tuple(window.panel_actions) == LSTM
    assert window.state.panels == ("forget_gate", "cell")
    assert [q for q, h in window.stack.heatmaps.items() if h.isVisible()] == ["forget_gate", "cell"]
    _drawn(qtbot, window, "forget_gate", lstm)
    _drawn(qtbot, window, "cell", lstm)
    assert window.state.quantity == "cell"  # the focus the user chose comes back with a cell state
    assert window.stack.traces.curves[0].name() == "c, unit 0" and window.act_hidden.isEnabled()
    assert "forget gate f" in inspector_html(lstm, 0, False, 1, 0)


def test_a_plain_rnn_shows_just_its_hidden_state(qtbot, window, tmp_path):
    tr = open_text(qtbot, window, make_checkpoint(tmp_path / "rnn.pt", cell="rnn"))
    # no focus was ever chosen: its state h is shown, with no complaint about a missing c
    assert window.state.quantity == "hidden" and "cell state" not in window.status_label.text()
    assert tuple(window.stack.heatmaps) == ("hidden",) and window.state.panels == ("hidden",)
    assert window.stack.heatmaps["hidden"].isVisible()
    _drawn(qtbot, window, "hidden", tr)
    np.testing.assert_array_equal(window.stack.traces.curves[0].yData, tr.get("hidden", 0)[:, 0])
    window.step_unit(1)  # moves along the hidden state's rows: there is no cell-state heatmap to look in
    assert window.state.units == (1,)
    assert window.errors == []


def test_a_focus_the_cell_lacks_falls_back_to_hidden_and_returns(qtbot, window, checkpoint, tmp_path):
    open_text(qtbot, window, checkpoint)
    window.state.set_quantity("forget_gate")
    open_text(qtbot, window, make_checkpoint(tmp_path / "gru.pt", cell="gru"))
    assert window.state.quantity == "hidden" and "forget gate f" in window.status_label.text()
    window.quantity_box.setCurrentIndex(window.quantity_box.findData("update_gate"))
    assert window.state.quantity == "update_gate"
    tr = window.state.trace
    qtbot.waitUntil(lambda: window.coloured.trace is tr)
    assert "update gate z of unit 0" in window.text_tabs.tabText(0)
