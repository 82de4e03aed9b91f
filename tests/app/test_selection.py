"""The selected (t, unit): the inspector shows it unless the mouse is over a cell, it stays valid across models
and quantities, the "go to unit" field reaches any unit, and a new model opens on a unit worth looking at."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.structure import cell_unit_to_show
from lstm_viz.core.vocab import Vocab

from .conftest import ALPHABET, make_checkpoint, open_text


def test_alt_arrows_move_the_inspector_off_a_stale_hover(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint)
    window.state.select_unit(1)
    window.state.set_hover(5, 3)  # the mouse was over a cell, then went to the keyboard
    window.state.select_time(0)
    window.act_next_step.trigger()
    assert window.state.time == 1
    html = window.inspector.text()
    assert "timestep 1<" in html and "unit 1<" in html


def test_leaving_the_plots_shows_the_selection_again(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint)
    window.state.select_unit(2)
    window.state.select_time(4)
    window.state.set_hover(7, 0)
    assert "timestep 7<" in window.inspector.text()
    QtWidgets.QApplication.sendEvent(window.stack.heatmaps["forget_gate"], QtCore.QEvent(QtCore.QEvent.Type.Leave))
    html = window.inspector.text()
    assert "timestep 4<" in html and "unit 2<" in html


def test_a_model_change_never_leaves_a_stale_unit(qtbot, window, checkpoint, tmp_path):
    open_text(qtbot, window, checkpoint)
    window.state.select_unit(3)
    window.state.set_hover(2, 3)
    small = make_checkpoint(tmp_path / "small.pt", hidden=2, layers=1)
    with qtbot.waitSignal(window.session.analysed, timeout=20000):
        window.open_checkpoint(small)
    assert all(u < 2 for u in window.state.units)
    assert window.state.hover == (None, None)
    assert "unit 3" not in window.inspector.text()


def _proj_checkpoint(path):
    vocab = Vocab.from_text(ALPHABET)
    model = LSTMLanguageModel(ModelConfig(input_size=3, hidden_size=6, proj_size=2, vocab_size=len(vocab))).eval()
    save_checkpoint(path, model, vocab, {})
    return path


def test_proj_size_hidden_focus_says_why_instead_of_a_stale_label(qtbot, window, tmp_path):
    open_text(qtbot, window, _proj_checkpoint(tmp_path / "proj.pt"))
    window.state.select_unit(4)
    qtbot.waitUntil(lambda: "unit 4" in window.text_tabs.tabText(0))
    window.quantity_box.setCurrentIndex(window.quantity_box.findData("hidden"))
    label = window.text_tabs.tabText(0)
    assert "hidden" in label and "2 units" in label, label
    assert window.coloured_page.currentWidget() is window.coloured_message  # not white-on-black text
    assert "no unit 4" in window.coloured_message.text()
    window.state.select_unit(1)
    assert window.coloured_page.currentWidget() is window.coloured_scroll
    assert window.text_tabs.tabText(0).endswith("hidden state h of unit 1")
    assert window.coloured.values is not None


def test_escape_with_nothing_running_does_not_say_cancelled(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint)
    qtbot.waitUntil(lambda: not window.session.runner.busy())
    window.act_cancel.trigger()
    assert "cancel" not in window.status_label.text()


def test_go_to_unit_field(qtbot, window, tmp_path):
    open_text(qtbot, window, make_checkpoint(tmp_path / "wide.pt", hidden=12, layers=1))
    field = window.unit_field
    field.setText("10")
    qtbot.keyClick(field, QtCore.Qt.Key.Key_Return)
    assert window.state.units == (10,)
    assert "unit 10" in window.text_tabs.tabText(0)
    for bad, words in (("12", "0–11"), ("x7", "number"), ("-1", "0–11")):
        field.setText(bad)
        qtbot.keyClick(field, QtCore.Qt.Key.Key_Return)
        msg = window.status_label.text()
        assert words in msg and "\n" not in msg, (bad, msg)
        assert window.state.units == (10,)


def test_a_new_model_opens_on_its_most_structured_unit_by_variance(qtbot, fresh_settings, tmp_path, monkeypatch):
    from lstm_viz.app.main_window import MainWindow

    window = MainWindow(settings=fresh_settings)
    qtbot.addWidget(window)
    window.show()
    assert window.state.order == "variance" and window.order_box.currentText() == "by variance"
    text = ("the 'quoted words' (and brackets) here.\n" * 6)
    hits = []
    for seed in range(6):
        ckpt = make_checkpoint(tmp_path / f"m{seed}.pt", hidden=8, layers=1, seed=seed)
        trace = open_text(qtbot, window, ckpt, text, pick=True)
        want = cell_unit_to_show(trace.get("cell", 0))
        assert window.state.units == (want,)
        hits.append(want)
    assert window.state.order == "variance"
    assert any(h != 0 for h in hits)  # the test can tell a picked unit from unit 0
    assert f"unit {hits[-1]}" in window.text_tabs.tabText(0)
