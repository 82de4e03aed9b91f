"""What the views draw is the trace's data; gestures on the views change the state, and back."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from lstm_viz.app import style
from lstm_viz.core.loading import load_model
from lstm_viz.core.trace import trace as run_trace

from .conftest import open_text


def _click(qtbot, heatmap, t, row, modifier=QtCore.Qt.KeyboardModifier.NoModifier):
    scene = heatmap.vb.mapViewToScene(QtCore.QPointF(t + 0.5, row + 0.5))
    pos = heatmap.mapFromScene(scene)
    qtbot.mouseClick(heatmap.viewport(), QtCore.Qt.MouseButton.LeftButton, modifier, pos)


def test_heatmaps_draw_the_models_own_values(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint)
    expected = run_trace(load_model(checkpoint), "abc 'de' (fa)\nhij.")
    assert tr.tokens == expected.tokens
    for q in window.state.panels:
        h = window.stack.heatmaps[q]
        np.testing.assert_array_equal(h.image.image, expected.get(q, 0).T)
        assert h.bar.levels() == style.levels(q, expected.get(q, 0))
    assert window.stack.strip.item.tokens[3] == "\u2423" and window.stack.strip.item.tokens[13] == "\u21b5"
    # the coloured text shows unit 0's cell state with the diverging map
    lo, hi = style.levels("cell", expected.get("cell", 0)[:, 0])
    colours = style.colormap("cell").map(np.clip((expected.get("cell", 0)[:, 0] - lo) / (hi - lo), 0, 1), mode="byte")
    np.testing.assert_array_equal(window.coloured.colours, colours)


def test_layer_and_order_change_what_is_drawn(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint)
    window.layer_box.setCurrentIndex(1)
    np.testing.assert_array_equal(window.stack.heatmaps["forget_gate"].image.image, tr.get("forget_gate", 1).T)
    window.order_box.setCurrentIndex(1)  # by variance of the focus quantity (cell)
    order = np.argsort(-tr.get("cell", 1).var(axis=0), kind="stable")
    np.testing.assert_array_equal(window.stack.heatmaps["input_gate"].image.image, tr.get("input_gate", 1)[:, order].T)
    assert list(window.stack.heatmaps["input_gate"].axis.order) == list(order)
    window.panel_actions["cell"].setChecked(True)
    assert "cell" in window.state.panels and window.stack.heatmaps["cell"].isVisible()
    np.testing.assert_array_equal(window.stack.heatmaps["cell"].image.image, tr.get("cell", 1)[:, order].T)


def test_click_selects_unit_and_ctrl_click_adds(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint)
    h = window.stack.heatmaps["forget_gate"]
    _click(qtbot, h, 5, 2)
    assert window.state.units == (2,) and window.state.time == 5
    curve = window.stack.traces.curves[0]
    np.testing.assert_allclose(curve.yData, tr.get("cell", 0)[:, 2])
    assert window.coloured.label.endswith("unit 2")
    _click(qtbot, h, 6, 3, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.state.units == (2, 3)
    assert len(window.stack.traces.curves) == 2
    assert [m.rect().top() for m in h.marks] == [2, 3]
    window.act_hidden.setChecked(True)
    assert len(window.stack.traces.curves) == 4
    np.testing.assert_allclose(window.stack.traces.curves[3].yData, tr.get("hidden", 0)[:, 3])


def test_hover_shows_every_gate_and_moves_the_crosshair(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint)
    h = window.stack.heatmaps["input_gate"]
    scene = h.vb.mapViewToScene(QtCore.QPointF(3.5, 1.5))
    qtbot.mouseMove(h.viewport(), h.mapFromScene(scene))
    qtbot.waitUntil(lambda: window.state.hover == (3, 1))
    text = window.inspector.text()
    for q in style.QUANTITIES:
        assert f"{tr.get(q, 0)[3, 1]:+.4f}" in text
    assert "top 5" in text
    assert all(v.vline.isVisible() and v.vline.value() == 3.5 for v in window.stack.heatmaps.values())
    assert window.coloured.hover_t == 3


def test_coloured_text_hover_reports_loss_and_predictions(qtbot, window, checkpoint):
    from lstm_viz.app.views.coloured_text import tooltip_html

    tr = open_text(qtbot, window, checkpoint)
    window.text_tabs.setCurrentIndex(0)
    x, y, w, _ = window.coloured.boxes[2]
    assert window.coloured.token_at(QtCore.QPointF(x + w / 2, y + 3)) == 2
    html = tooltip_html(tr, 2, 0.5, "cell")
    assert f"{tr.loss[2] / np.log(2):.3f} bits" in html and "nats" not in html  # one unit everywhere
    best = int(np.argmax(tr.probs[2]))
    assert f"{tr.probs[2][best]:.3f}" in html


def test_keyboard_steps_through_time_and_units(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint)
    window.order_box.setCurrentIndex(1)
    order = list(window.stack.heatmaps["forget_gate"].axis.order)
    window.state.select_unit(order[0])
    window.act_next_unit.trigger()
    assert window.state.units == (order[1],)
    window.act_next_step.trigger()
    window.act_next_step.trigger()
    assert window.state.time == 2
    window.act_prev_step.trigger()
    assert window.state.time == 1 and window.coloured.selected_t == 1
    assert window.stack.heatmaps["forget_gate"].tline.value() == 1.5
    for _ in range(len(tr) + 3):
        window.act_next_step.trigger()
    assert window.state.time == len(tr) - 1
