"""A stack whose layers differ in size (awd-lstm-lm's 400 -> 1150 -> 400): switching layers redraws each with
its own units and keeps the selection inside the layer shown."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from .conftest import open_text, stack_checkpoint


def test_switching_layers_of_different_sizes(qtbot, window, tmp_path):
    tr = open_text(qtbot, window, stack_checkpoint(tmp_path / "stack.pt"))
    assert [window.layer_box.itemText(k) for k in range(window.layer_box.count())] == ["0", "1", "2"]
    assert [tr.units(k) for k in range(3)] == [6, 10, 6]
    window.layer_box.setCurrentIndex(1)
    assert window.state.layer == 1 and window.state.num_units() == 10
    window.unit_field.setText("9")  # a unit only the middle layer has
    qtbot.keyClick(window.unit_field, QtCore.Qt.Key.Key_Return)
    assert window.state.units == (9,)
    for q in window.state.panels:
        np.testing.assert_array_equal(window.stack.heatmaps[q].image.image, tr.get(q, 1).T)
    np.testing.assert_allclose(window.stack.traces.curves[0].yData, tr.get("cell", 1)[:, 9])
    assert "unit 9" in window.text_tabs.tabText(0)
    window.layer_box.setCurrentIndex(2)  # 6 units: unit 9 does not exist here
    assert window.state.layer == 2 and all(u < 6 for u in window.state.units)
    for q in window.state.panels:
        np.testing.assert_array_equal(window.stack.heatmaps[q].image.image, tr.get(q, 2).T)
    u = window.state.units[0]
    np.testing.assert_allclose(window.stack.traces.curves[0].yData, tr.get("cell", 2)[:, u])
    assert "unit 9" not in window.text_tabs.tabText(0) and "unit 9" not in window.inspector.text()
    window.unit_field.setText("9")
    qtbot.keyClick(window.unit_field, QtCore.Qt.Key.Key_Return)
    assert "0–5" in window.status_label.text() and window.state.units == (u,)
