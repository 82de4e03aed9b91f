"""The Cell dock draws the loaded model's own cell type (GRU, plain RNN, peephole, CIFG, LSTM) with numbers equal
to the trace, and steps through time with Alt+Right."""
from __future__ import annotations

import pytest

from lstm_viz.core.diagram import CellStep
from lstm_viz.core.diagram_cells import GRUStep, RNNStep
from lstm_viz.figures.cell_diagram import CellDiagram
from lstm_viz.figures.cell_diagram_gru import GRUDiagram, RNNDiagram

from .conftest import make_checkpoint, open_text

TEXT = "abc 'de' (fa)\nhij."


def _shown(qtbot, window, t, unit, layer=0, reverse=False):
    view = window.diagram_view
    qtbot.waitUntil(lambda: view.step is not None and (view.step.t, view.step.unit, view.step.layer,
                                                       view.step.reverse) == (t, unit, layer, reverse),
                    timeout=10000)
    assert view.item is not None and view.item.step is view.step
    return view.step


def test_a_gru_draws_its_own_cell_and_steps_with_alt_right(qtbot, window, tmp_path):
    tr = open_text(qtbot, window, make_checkpoint(tmp_path / "g.pt", cell="gru", bidirectional=True), TEXT)
    window.panel_docks["diagram"].raise_()
    window.state.set_layer(1)
    window.state.set_reverse(True)
    window.state.select_unit(2)
    window.state.select_time(5)
    for t in (5, 6):
        s = _shown(qtbot, window, t, 2, 1, True)
        assert isinstance(s, GRUStep) and isinstance(window.diagram_view.item, GRUDiagram)
        h = float(tr.window("hidden", 1, True, t, t + 1)[0, 2])
        h_prev = float(tr.window("hidden", 1, True, t + 1, t + 2)[0, 2])  # backward: the previous step is t + 1
        z, n = s.gate("update_gate").value, s.gate("new_gate").value
        assert abs((1 - z) * n + z * h_prev - h) <= 1e-5 and s.h_prev == pytest.approx(h_prev, abs=1e-7)
        title = window.diagram_view.title.text()
        assert title.startswith("GRU, unit 2, layer 1, backward") and f"t = {t}" in title and "c =" not in title
        if t == 5:
            window.activateWindow()
            window.act_next_step.trigger()  # Alt+Right


@pytest.mark.parametrize("cell, step_type, item_type", [("rnn", RNNStep, RNNDiagram),
                                                        ("peephole", CellStep, CellDiagram),
                                                        ("cifg", CellStep, CellDiagram)])
def test_every_cell_type_gets_its_picture(qtbot, window, tmp_path, cell, step_type, item_type):
    tr = open_text(qtbot, window, make_checkpoint(tmp_path / f"{cell}.pt", cell=cell), TEXT)
    window.panel_docks["diagram"].raise_()
    window.state.select_unit(1)
    window.state.select_time(4)
    s = _shown(qtbot, window, 4, 1)
    assert type(s) is step_type and type(window.diagram_view.item) is item_type and s.cell == cell
    assert s.h == pytest.approx(float(tr.window("hidden", 0, False, 4, 5)[0, 1]), abs=1e-5)
    if cell != "rnn":
        i, f, g = (s.gate(q).value for q in ("input_gate", "forget_gate", "candidate"))
        assert abs(f * s.c_prev + i * g - s.c) <= 1e-5 and s.c == tr.window("cell", 0, False, 4, 5)[0, 1]
    if cell == "cifg":
        assert s.gate("input_gate").coupled and abs(s.gate("input_gate").value - (1 - f)) <= 1e-6
    # an LSTM opened after it gets the LSTM's picture back
    open_text(qtbot, window, make_checkpoint(tmp_path / "l.pt"), TEXT)
    window.state.select_unit(1)
    window.state.select_time(4)
    qtbot.waitUntil(lambda: window.diagram_view.step is not None and window.diagram_view.step.cell == "lstm",
                    timeout=10000)
    assert type(window.diagram_view.item) is CellDiagram
