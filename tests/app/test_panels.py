"""The units panels in the window: units per feature, search by example and match, saturation, cell diagram.
Each gesture in a panel must reach the AppState, and what a panel shows must be the trace's own numbers."""
from __future__ import annotations

import pytest
from PySide6 import QtCore

from .conftest import open_text

TEXT = "abc 'de' (fa (bb) c)\nhij. 'ab' (c)\n" * 3
LEFT = QtCore.Qt.MouseButton.LeftButton


def click_row(qtbot, lst, item):
    lst.scrollToItem(item)
    qtbot.mouseClick(lst.viewport(), LEFT, pos=lst.visualItemRect(item).center())


def test_units_panel_fills_and_a_click_selects_the_unit(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint, TEXT)
    panel = window.units_panel
    qtbot.waitUntil(lambda: len(panel.rows()) > 0, timeout=10000)
    assert set(panel.table) and all(s.quantity == "cell" for v in panel.table.values() for s in v)
    s = window.state
    item = next(i for i in panel.rows() if (i.data(QtCore.Qt.ItemDataRole.UserRole).layer,
                                            i.data(QtCore.Qt.ItemDataRole.UserRole).unit) != (s.layer, s.units[0]))
    score = item.data(QtCore.Qt.ItemDataRole.UserRole)
    assert f"cell {score.unit} — " in item.text() and "r = " in item.text()
    click_row(qtbot, panel.list, item)
    assert (s.layer, s.reverse, s.units) == (score.layer, score.reverse, (score.unit,))
    assert tr.num_layers == 2 and item.text().startswith(f"layer {score.layer} cell {score.unit}")


def test_units_panel_names_the_best_unit_and_leaves_the_window_s_pick(qtbot, window, checkpoint):
    from lstm_viz.core.structure import cell_unit_to_show

    tr = open_text(qtbot, window, checkpoint, TEXT, pick=True)
    panel = window.units_panel
    qtbot.waitUntil(lambda: len(panel.rows()) > 0, timeout=10000)
    best = max((s for v in panel.table.values() for s in v), key=lambda s: abs(s.r))
    assert panel.best == best
    assert f"cell {best.unit}</a>:" in panel.headline.text()
    assert window.state.units == (cell_unit_to_show(tr.get("cell", 0)),)  # the panel did not move it
    panel.headline.linkActivated.emit("best")
    assert (window.state.layer, window.state.units) == (best.layer, (best.unit,))


def test_units_panel_regex(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint, TEXT)
    panel = window.units_panel
    panel.regex.setText(r"\(.*?\)")
    panel.search_regex()
    qtbot.waitUntil(lambda: len(panel.rows(regex=True)) > 0, timeout=10000)
    item = panel.rows(regex=True)[-1]
    score = item.data(QtCore.Qt.ItemDataRole.UserRole)
    click_row(qtbot, panel.regex_list, item)
    assert (window.state.layer, window.state.units) == (score.layer, (score.unit,))


def test_a_bad_regex_is_one_line_in_the_panel(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint, TEXT)
    panel = window.units_panel
    panel.regex.setText("(unclosed")
    panel.search_regex()
    qtbot.waitUntil(lambda: panel.status.text().startswith("⚠"), timeout=10000)
    assert "does not compile" in panel.status.text() and "\n" not in panel.status.text()
    # the feature table may arrive after the regex's error: the error stays in view
    qtbot.waitUntil(lambda: not window.session.runner.busy(), timeout=10000)
    panel._progress(window.state.trace, 0.5)
    panel._table_ready(window.state.trace, dict(panel.table))
    assert panel.status.text().startswith("⚠") and "does not compile" in panel.status.text()
    panel.regex.setText("")
    panel.search_regex()
    panel._table_ready(window.state.trace, dict(panel.table))
    assert panel.status.text().startswith("top 3 units")


def strip_pos(window, t):
    strip = window.stack.strip
    scene = strip.plot.getViewBox().mapViewToScene(QtCore.QPointF(t + 0.5, 0.5))
    return strip.widget.mapFromScene(scene)


def test_shift_drag_on_the_strip_searches_the_span_and_a_click_selects(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint, TEXT)
    view = window.stack.strip.widget.viewport()
    shift = QtCore.Qt.KeyboardModifier.ShiftModifier
    qtbot.mousePress(view, LEFT, shift, strip_pos(window, 9))
    qtbot.mouseMove(view, strip_pos(window, 13))
    qtbot.mouseRelease(view, LEFT, shift, strip_pos(window, 13))
    panel = window.span_search
    assert panel.span == (9, 14)
    assert window.span_picker.region.isVisible()
    qtbot.waitUntil(lambda: panel.results.count() > 0, timeout=10000)
    from lstm_viz.core.search import search_span
    expected = search_span(window.state.trace, 9, 14, "cell", k=len(panel.scores))
    assert [(s.layer, s.unit, s.score) for s in panel.scores] == [(s.layer, s.unit, s.score) for s in expected]
    s = window.state
    item = next(panel.results.item(k) for k in range(panel.results.count())
                if (panel.scores[k].layer, panel.scores[k].unit) != (s.layer, s.units[0]))
    score = item.data(QtCore.Qt.ItemDataRole.UserRole)
    click_row(qtbot, panel.results, item)
    assert (s.layer, s.units) == (score.layer, (score.unit,))


def test_threshold_slider_reranks(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint, TEXT)
    panel = window.span_search
    panel.set_span(9, 14)
    qtbot.waitUntil(lambda: panel.results.count() > 0, timeout=10000)
    panel.use_threshold.setChecked(True)
    panel.slider.setValue(20)
    qtbot.waitUntil(lambda: bool(panel.scores) and panel.scores[0].threshold == pytest.approx(0.2), timeout=10000)


def test_match_lists_other_places_and_a_click_jumps_there(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint, TEXT)
    panel = window.span_search
    panel.set_span(9, 14)
    qtbot.waitUntil(lambda: panel.results.count() > 0, timeout=10000)
    panel.results.item(0).setSelected(True)
    qtbot.mouseClick(panel.match_button, LEFT)
    qtbot.waitUntil(lambda: panel.match_list.count() > 0, timeout=10000)
    far = max(range(panel.match_list.count()), key=lambda k: panel.matches[k].start)
    m = panel.matches[far]
    assert not (m.start < 14 and m.end > 9)  # the query itself is not a match
    window.stack.strip.plot.setXRange(0, 10, padding=0)
    click_row(qtbot, panel.match_list, panel.match_list.item(far))
    assert window.state.time == m.start
    a, b = window.stack.visible_time_range()
    assert a <= m.start and m.end <= b


def saturating_checkpoint(path, hidden=8):
    """A tiny model with large weights, so its gates saturate at various rates (dots spread over the plots)."""
    import torch

    from lstm_viz.core.checkpoint import save_checkpoint
    from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
    from lstm_viz.core.vocab import Vocab

    from .conftest import ALPHABET

    torch.manual_seed(3)
    vocab = Vocab.from_text(ALPHABET)
    model = LSTMLanguageModel(ModelConfig(input_size=3, hidden_size=hidden, num_layers=2,
                                          vocab_size=len(vocab))).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.mul_(6.0 if "rnn" in name else 3.0)
    save_checkpoint(path, model, vocab, {"corpus": "test"})
    return path


def test_saturation_dot_click_selects_and_marks_the_unit(qtbot, window, tmp_path):
    tr = open_text(qtbot, window, saturating_checkpoint(tmp_path / "sat.pt"), TEXT)
    window.panel_docks["saturation"].raise_()
    view = window.saturation_view
    qtbot.waitUntil(lambda: bool(view.result), timeout=10000)
    from lstm_viz.core.saturation import gate_saturation
    assert [(s.quantity, s.layer) for s in view.result] == [(s.quantity, s.layer) for s in gate_saturation(tr)]
    # a dot that stands apart from the others in its plot, in the other layer
    target = None
    for sat in view.result:
        if sat.layer != 1:
            continue
        for u in range(len(sat.left)):
            others = [(sat.left[v], sat.right[v]) for v in range(len(sat.left)) if v != u]
            if all(abs(x - sat.left[u]) + abs(y - sat.right[u]) > 0.08 for x, y in others) and u != 0:
                target = (sat, u)
                break
        if target:
            break
    assert target is not None, "the test model should spread its dots"
    sat, u = target
    qtbot.waitUntil(lambda: view.graphics.isVisible())
    qtbot.mouseClick(view.graphics.viewport(), LEFT, pos=view.dot_position(sat.quantity, 1, False, u))
    assert (window.state.layer, window.state.units) == (1, (u,))
    xs, ys = view.marks[(sat.quantity, 1, False)].getData()
    assert list(xs) == [sat.left[u]] and list(ys) == [sat.right[u]]


def test_cell_diagram_shows_the_trace_and_follows_alt_right(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint, TEXT)
    window.panel_docks["diagram"].raise_()
    view = window.diagram_view
    window.state.set_layer(1)
    window.state.select_unit(2)
    window.state.select_time(5)
    qtbot.waitUntil(lambda: view.step is not None and (view.step.t, view.step.unit, view.step.layer) == (5, 2, 1),
                    timeout=10000)

    def check(step, t):
        for q in ("input_gate", "forget_gate", "candidate", "output_gate"):
            assert step.gate(q).value == pytest.approx(float(tr.get(q, 1)[t, 2]), abs=1e-6)
        assert step.c == pytest.approx(float(tr.get("cell", 1)[t, 2]), abs=1e-6)
        assert step.c_prev == pytest.approx(float(tr.get("cell", 1)[t - 1, 2]), abs=1e-6)
        f, i, g = (step.gate(q).value for q in ("forget_gate", "input_gate", "candidate"))
        assert step.c == pytest.approx(f * step.c_prev + i * g, abs=1e-5)

    check(view.step, 5)
    assert view.item is not None and view.item.step is view.step
    window.activateWindow()
    window.act_next_step.trigger()  # Alt+Right
    qtbot.waitUntil(lambda: view.step.t == 6, timeout=10000)
    check(view.step, 6)
    assert "t = 6" in view.title.text()


def test_saturation_of_a_trace_without_gates_clears_the_old_plots(qtbot, window, tmp_path, monkeypatch):
    open_text(qtbot, window, saturating_checkpoint(tmp_path / "sat.pt"), TEXT)
    window.panel_docks["saturation"].raise_()
    view = window.saturation_view
    qtbot.waitUntil(lambda: bool(view.plots), timeout=10000)
    from lstm_viz.core.errors import InputError
    from lstm_viz.app.views import saturation_view

    def no_gates(trace):
        raise InputError("this trace has no gates")

    monkeypatch.setattr(saturation_view, "saturation", no_gates)
    window.session.analyse()  # a new trace of the same text
    qtbot.waitUntil(lambda: view.status.text() == "⚠ this trace has no gates", timeout=10000)
    assert not view.plots and not view.result


def test_a_job_reporting_after_its_panel_is_gone_does_nothing(qtbot, window, checkpoint):
    """The window may close while a panel's job still has progress or a result queued."""
    import shiboken6

    from lstm_viz.app.state import AppState
    from lstm_viz.app.views.units_panel import UnitsPanel

    class Recorder:
        def __init__(self):
            self.calls = []

        def start(self, kind, fn, args=(), kwargs=None, **callbacks):
            self.calls.append(callbacks)

        def cancel(self, kind=None):
            pass

    tr = open_text(qtbot, window, checkpoint, TEXT)
    state, runner = AppState(), Recorder()
    state.set_text(window.state.text)
    panel = UnitsPanel(state, runner)
    state.set_trace(tr)
    panel.settle.timeout.emit()  # the table job starts
    callbacks = runner.calls[-1]
    shiboken6.delete(panel)
    callbacks["progress"](0.5)  # raised RuntimeError (a deleted QLabel) before
    callbacks["returned"]({})
    callbacks["errored"]("late")


def test_a_gru_s_panels_search_its_hidden_state_and_offer_its_own_quantities(qtbot, window, tmp_path):
    """A GRU has no cell state: the units panel searches h, the span search lists r, z, n, h (not the LSTM's)."""
    from .conftest import make_checkpoint

    gru = make_checkpoint(tmp_path / "gru.pt", cell="gru")
    open_text(qtbot, window, gru, TEXT)
    panel = window.units_panel
    qtbot.waitUntil(lambda: len(panel.rows()) > 0, timeout=10000)
    assert all(s.quantity == "hidden" for v in panel.table.values() for s in v)
    box = window.span_search.quantity_box
    assert [box.itemData(i) for i in range(box.count())] == ["reset_gate", "update_gate", "new_gate", "hidden"]
    assert box.currentData() == "hidden"
    assert "hidden state" in panel.status.text() and "cell state" not in panel.status.text()


def _token_pos(window, t):
    x, y, w, _ = window.coloured.boxes[t]
    return QtCore.QPoint(int(x + max(w, 4) / 2), int(y + window.coloured.line_h / 2))


def test_shift_drag_on_the_coloured_text_searches_the_span_and_shades_it(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint, TEXT)
    text, picker, panel = window.coloured, window.text_span_picker, window.span_search
    qtbot.waitUntil(lambda: text.laid_window == (0, len(window.state.trace)))
    window.state.select_time(2)
    shift = QtCore.Qt.KeyboardModifier.ShiftModifier
    qtbot.mousePress(text, LEFT, shift, _token_pos(window, 13))
    qtbot.mouseMove(text, _token_pos(window, 9))  # dragged leftwards: the span still runs forwards
    qtbot.mouseRelease(text, LEFT, shift, _token_pos(window, 9))
    assert panel.span == (9, 14) and picker.span == (9, 14)
    assert window.state.time == 2  # a Shift+drag is no click on a timestep
    assert window.span_picker.region.isVisible()  # the strip shades the same span
    bands = picker.shade.bands()
    assert len(bands) == 1 and bands[0].contains(QtCore.QPointF(_token_pos(window, 11)))
    assert not bands[0].contains(QtCore.QPointF(_token_pos(window, 15)))
    qtbot.waitUntil(lambda: panel.results.count() > 0, timeout=10000)
    from lstm_viz.core.search import search_span
    expected = search_span(window.state.trace, 9, 14, "cell", k=len(panel.scores))
    assert [(s.layer, s.unit) for s in panel.scores] == [(s.layer, s.unit) for s in expected]
    panel.set_span(20, 40)  # typed: the text shades it too, over the lines it covers
    lines = sorted(set(text.boxes[20:40, 3]))
    assert picker.span == (20, 40) and len(lines) > 1
    assert [b.top() for b in picker.shade.bands()] == [text.boxes[20:40][text.boxes[20:40, 3] == n][0, 1]
                                                        for n in lines]
    qtbot.mouseClick(text, LEFT, pos=_token_pos(window, 5))  # a plain click still selects a timestep
    assert window.state.time == 5 and panel.span == (20, 40)
