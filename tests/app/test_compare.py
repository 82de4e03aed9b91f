"""Side by side: models added to the window each draw their own trace of the window's text, in rows under the
window's plots, with one time range; a text change re-analyses every row and no row ever draws one text's trace
with another's tokens; a failed or declined open adds nothing; a removed row or a closed window stops its jobs."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6 import QtCore

from lstm_viz.app import dialogs, tasks
from lstm_viz.app.views.units_panel import feature_table
from lstm_viz.core.vocab import display_token

from .conftest import embedded_without_vocab, make_checkpoint, open_text

GRU = ("reset_gate", "update_gate", "new_gate", "hidden")
TEXT = "abc 'de' (fa)\nhij." * 8


def _add(qtbot, win, path, **options):
    with qtbot.waitSignal(win.compare.added, timeout=20000) as blocker:
        win.compare.add_model(path, **options)
    row = blocker.args[0]
    assert row.state.trace is not None
    return row


def _drawn(qtbot, stack, tr, layer=0):
    """Every shown heatmap of ``stack`` draws ``tr``'s own array (unit order by index), and its strip ``tr``'s
    tokens."""
    qtbot.waitUntil(lambda: all(stack.heatmaps[q]._window is not None for q in stack.state.panels))
    assert _strip(stack) == _shown(tr.tokens)
    for q in stack.state.panels:
        h = stack.heatmaps[q]
        expected = tr.get(q, layer).T  # (units, T)
        np.testing.assert_array_equal(h.data, expected)
        a, b, step, _ = h._window  # the image holds the visible window and some on either side
        assert step == 1 and b > a
        np.testing.assert_array_equal(h.image.image, expected[:, a:b])


def _settled(qtbot, win, stacks, x):
    """Once the rows have followed (one per pass of the event loop), every one shows exactly ``x``."""
    qtbot.waitUntil(win.compare.link.settled)
    for s in stacks:
        np.testing.assert_array_equal(_x(s), x)


def _shown(tokens):
    return tuple(display_token(t) for t in tokens)


def _strip(stack):
    """The tokens the strip shows, as it shows them."""
    item = stack.strip.item.tokens
    return tuple(item[t] for t in range(len(item)))


def _x(stack):
    return np.array(stack.strip.plot.getViewBox().viewRange()[0])


@pytest.fixture
def gru(tmp_path):
    return make_checkpoint(tmp_path / "gru.pt", cell="gru", hidden=6, seed=3)


@pytest.fixture
def rnn(tmp_path):
    return make_checkpoint(tmp_path / "rnn.pt", cell="rnn", hidden=5, seed=4)


def test_a_gru_beside_an_lstm_draws_its_own_gates(qtbot, window, checkpoint, gru):
    lstm = open_text(qtbot, window, checkpoint, text=TEXT)
    row = _add(qtbot, window, gru)
    area = window.compare
    assert area.rows == [row] and area.splitter.count() == 2 and row.isVisible()
    tr = row.state.trace
    assert tr.cell.name == "gru" and tr.tokens == lstm.tokens
    assert tuple(row.stack.heatmaps) == GRU
    # the window's gates are an LSTM's: the GRU shows its own first ones, and all four when asked
    assert row.state.panels == ("reset_gate", "update_gate")
    row.state.set_panels(GRU)
    for q in GRU:
        assert row.stack.heatmaps[q].isVisible()
    _drawn(qtbot, row.stack, tr)
    _drawn(qtbot, window.stack, lstm)
    # headers name each model and its cell; the window's row says it is the one the toolbar drives
    assert "gru" in row.title.text() and "GRU" in row.title.text() and "6 units" in row.title.text()
    assert area.main_title.isVisible() and "LSTM" in area.main_title.text()
    # heatmaps the cell has follow the window's toggles; a focus the GRU lacks falls back to h, and says so
    window.state.set_panels(("forget_gate", "hidden"))
    assert row.state.panels == ("hidden",)
    window.state.set_quantity("forget_gate")
    assert row.state.quantity == "hidden" and "has no forget gate" in row.status.text()
    window.state.set_quantity("hidden")
    assert row.state.quantity == "hidden"
    # the unit order and the layer follow the window (both models have two layers); the selection does not
    window.state.set_order("variance")
    window.state.set_layer(1)
    assert row.state.order == "variance" and row.state.layer == 1
    row.state.set_layer(0)  # a click in its own units panel may take it elsewhere ...
    window.state.set_order("mean")
    assert row.state.layer == 0  # ... and it stays there until the window's layer moves
    assert window.errors == []


def test_pan_and_zoom_in_any_row_moves_every_row_to_the_same_range(qtbot, window, checkpoint, gru, rnn):
    lstm = open_text(qtbot, window, checkpoint, text=TEXT)
    rows = [_add(qtbot, window, gru), _add(qtbot, window, rnn)]
    stacks = [window.stack] + [r.stack for r in rows]
    # every row took the window's range when it arrived
    for s in stacks[1:]:
        np.testing.assert_array_equal(_x(s), _x(window.stack))
    window.stack.strip.plot.setXRange(30, 61, padding=0)
    _settled(qtbot, window, stacks, [30, 61])
    # a gesture in a compared row moves the window's plots too
    rows[1].stack.strip.plot.setXRange(70, 90, padding=0)
    _settled(qtbot, window, stacks, [70, 90])

    def aligned():  # every heatmap of every row, after the layout: the same [start, end) to the token
        for s in stacks:
            assert s.visible_time_range() == (70, 90)
            for h in s.heatmaps.values():
                if h.isVisible():
                    np.testing.assert_allclose(h.vb.viewRange()[0], [70, 90], atol=0.02)

    qtbot.waitUntil(aligned, timeout=5000)
    # the selected and hovered timestep show in every row; the selected units stay each model's own
    window.state.select_unit(2)
    rows[0].state.select_unit(5)
    rows[0].state.select_time(75)
    assert window.state.time == 75 and rows[1].state.time == 75
    window.state.set_hover(80, 1)
    assert rows[0].state.hover == (80, None) and rows[1].state.hover == (80, None)
    assert window.state.units == (2,) and rows[0].state.units == (5,)
    assert len(lstm) == len(rows[1].state.trace)


def test_a_text_change_reanalyses_every_row_and_never_mixes_texts(qtbot, window, checkpoint, gru, rnn):
    open_text(qtbot, window, checkpoint, text=TEXT)
    rows = [_add(qtbot, window, gru), _add(qtbot, window, rnn)]
    states = [window.state] + [r.state for r in rows]
    stacks = [window.stack] + [r.stack for r in rows]
    seen, mixed = [], []

    def check(stack, trace):  # connected after the stack's own handler: what it drew with this trace
        seen.append(stack)
        if trace is not None and _strip(stack) != _shown(trace.tokens):
            mixed.append(stack)
        for q, h in stack.heatmaps.items():
            if h.isVisible() and trace is not None and not np.array_equal(h.values, trace.get(q, stack.state.layer)):
                mixed.append((stack, q))

    for s, st in zip(states, stacks):
        s.trace_changed.connect(lambda tr, st=st: check(st, tr))
    new = "(hij) 'abc' de.\n" * 5
    window.state.set_text(new)
    qtbot.waitUntil(lambda: all(s.trace is not None and "".join(s.trace.tokens) == new for s in states),
                    timeout=20000)
    typed = new + "fa 'b'"
    window.editor.setPlainText(typed)  # typing: every row re-analyses after the pause
    qtbot.waitUntil(lambda: all("".join(s.trace.tokens) == typed for s in states), timeout=20000)
    assert not mixed
    assert set(map(id, seen)) == set(map(id, stacks))
    for s, st in zip(states, stacks):
        assert s.text == typed
        _drawn(qtbot, st, s.trace)


def test_a_failed_or_declined_open_adds_no_row(qtbot, window, checkpoint, gru, tmp_path, monkeypatch):
    open_text(qtbot, window, checkpoint, text=TEXT)
    row = _add(qtbot, window, gru)
    area = window.compare
    before = (list(area.rows), area.splitter.count(), row.state.trace,
              row.stack.heatmaps["reset_gate"].image.image.copy())
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with qtbot.waitSignal(area.not_added, timeout=20000) as blocker:
        area.add_model(bad)
    assert "bad.pt" in blocker.args[0] and "\n" not in blocker.args[0]
    assert window.status_label.text().startswith("⚠ not added") and window.errors == [blocker.args[0]]
    novocab, _ = embedded_without_vocab(tmp_path / "novocab.pt")
    asked = []
    monkeypatch.setattr(dialogs, "ask_vocab", lambda parent, p, n, d: asked.append(n) or "")
    with qtbot.waitSignal(area.not_added, timeout=20000):
        area.add_model(novocab)
    assert asked and "not opened" in window.status_label.text()
    assert (area.rows, area.splitter.count(), row.state.trace) == tuple(before[:3])
    np.testing.assert_array_equal(row.stack.heatmaps["reset_gate"].image.image, before[3])
    assert area.pending == [] and not area.pending_label.isVisible()
    assert area.units_tabs.count() == 1 and area.units_tabs.widget(0) is row.units_panel


def test_a_model_without_vocab_is_added_once_the_vocab_is_chosen(qtbot, window, checkpoint, tmp_path, monkeypatch):
    from .conftest import vocab_file

    open_text(qtbot, window, checkpoint, text=TEXT)
    path, tokens = embedded_without_vocab(tmp_path / "novocab.pt")
    vocab = vocab_file(tmp_path / "vocab.json", tokens)
    monkeypatch.setattr(dialogs, "ask_vocab", lambda parent, p, n, d: str(vocab))
    row = _add(qtbot, window, path)
    assert row.state.model.vocab is not None and "".join(row.state.trace.tokens) == TEXT
    assert window.state.model.name == "tiny"  # the window's own model is untouched
    # the answer is remembered: adding the file again does not ask
    monkeypatch.setattr(dialogs, "ask_vocab", lambda *a: pytest.fail("asked again"))
    again = _add(qtbot, window, path)
    assert len(window.compare.rows) == 2 and again.state.trace is not None


def _hold_analysis(monkeypatch):
    """Analyses that run until cancelled; returns the event set once one runs."""
    running = threading.Event()
    gate = threading.Event()

    def held(model, text, **options):
        running.set()
        while True:
            yield 0.5
            gate.wait(0.005)

    monkeypatch.setattr(tasks, "analyse", held)
    return running


def test_removing_a_row_cancels_its_jobs(qtbot, window, checkpoint, gru, rnn, monkeypatch):
    open_text(qtbot, window, checkpoint, text=TEXT)
    keep, gone = _add(qtbot, window, gru), _add(qtbot, window, rnn)
    running = _hold_analysis(monkeypatch)
    gone.session.analyse()
    qtbot.waitUntil(running.is_set, timeout=5000)
    job = gone.session.runner.current["analysis"]
    qtbot.mouseClick(gone.close_button, QtCore.Qt.MouseButton.LeftButton)
    assert job.cancelled and job.done
    assert window.compare.rows == [keep] and window.compare.splitter.count() == 2
    tabs = window.compare.units_tabs
    assert tabs.count() == 1 and tabs.widget(0) is keep.units_panel and tabs.tabText(0) == "gru"
    # the remaining rows still follow the window
    window.stack.strip.plot.setXRange(10, 40, padding=0)
    _settled(qtbot, window, [window.stack, keep.stack], [10, 40])


def test_closing_the_window_cancels_the_compared_jobs(qtbot, window, checkpoint, gru, monkeypatch):
    open_text(qtbot, window, checkpoint, text=TEXT)
    row = _add(qtbot, window, gru)
    running = _hold_analysis(monkeypatch)
    row.session.analyse()
    qtbot.waitUntil(running.is_set, timeout=5000)
    job = row.session.runner.current["analysis"]
    window.close()
    assert job.cancelled and job.done


def test_each_units_panel_lists_its_own_models_units(qtbot, window, checkpoint, gru):
    open_text(qtbot, window, checkpoint, text=TEXT)
    row = _add(qtbot, window, gru)
    panels = [(window.units_panel, window.state), (row.units_panel, row.state)]
    qtbot.waitUntil(lambda: all(p.rows() for p, _ in panels), timeout=20000)
    texts = []
    for panel, state in panels:
        gen = feature_table(state.trace, state.text)
        try:
            while True:
                next(gen)
        except StopIteration as stop:
            table = stop.value
        expected = [s for scores in table.values() for s in scores]
        shown = [item.data(QtCore.Qt.ItemDataRole.UserRole) for item in panel.rows()]
        assert [(s.layer, s.unit, s.quantity, s.r) for s in shown] == [
            (s.layer, s.unit, s.quantity, s.r) for s in expected]
        texts.append([item.text() for item in panel.rows()])
    gru_scores = [i.data(QtCore.Qt.ItemDataRole.UserRole) for i in row.units_panel.rows()]
    assert all(s.quantity == "hidden" for s in gru_scores)  # a GRU's units panel searches its h
    assert texts[0] != texts[1]
    area = window.compare
    assert area.units_tabs.tabText(0) == "gru" and area.units_dock.windowTitle() == "Compared units"
    assert window.panel_docks["units"].windowTitle() == "Units · tiny"
    # a click in the GRU's panel selects a GRU unit, not the window's
    before = window.state.units
    item = row.units_panel.rows()[0]
    row.units_panel._choose(item)
    assert row.state.units == (item.data(QtCore.Qt.ItemDataRole.UserRole).unit,)
    assert window.state.units == before


def test_a_row_whose_analysis_ends_late_takes_the_windows_range(qtbot, window, checkpoint, gru, monkeypatch):
    """The window's new trace arrives first and the user pans; the GRU's arrives later and resets its own zoom:
    that reset must not pull the window back, and the GRU shows the range the user chose."""
    open_text(qtbot, window, checkpoint, text=TEXT)
    row = _add(qtbot, window, gru)
    real, gate = tasks.analyse, threading.Event()

    def gated(model, text, **options):
        if model is row.state.model:
            gate.wait(20)  # on the worker: the GRU's analysis waits for the test
        return (yield from real(model, text, **options))

    monkeypatch.setattr(tasks, "analyse", gated)
    new = "(hij) 'abc' de.\n" * 5
    window.state.set_text(new)
    qtbot.waitUntil(lambda: "".join(window.state.trace.tokens) == new, timeout=20000)
    window.stack.strip.plot.setXRange(20, 41, padding=0)
    _settled(qtbot, window, [window.stack], [20, 41])
    gate.set()
    qtbot.waitUntil(lambda: "".join(row.state.trace.tokens) == new, timeout=20000)
    _settled(qtbot, window, [window.stack, row.stack], [20, 41])


def test_removing_every_row_gives_the_window_back_as_it_was(qtbot, window, checkpoint, gru):
    open_text(qtbot, window, checkpoint, text=TEXT)
    row = _add(qtbot, window, gru)
    area = window.compare
    assert area.main_title.isVisible() and area.units_dock.isVisible()
    area.remove(row)
    assert area.rows == [] and area.splitter.count() == 1
    assert not area.main_title.isVisible() and not area.units_dock.isVisible()
    assert window.panel_docks["units"].windowTitle() == "Units"
    assert window.stack.isVisible()


def test_a_row_that_cannot_read_the_new_text_says_so_and_keeps_its_own_picture(qtbot, window, checkpoint, tmp_path):
    open_text(qtbot, window, checkpoint, text=TEXT)
    strict = make_checkpoint(tmp_path / "strict.pt", cell="gru", unk=False)  # no unknown token in its vocab
    row = _add(qtbot, window, strict)
    old = row.state.trace
    with qtbot.waitSignal(row.session.failed, timeout=20000):
        window.state.set_text(TEXT + "xyz")
    assert row.status.text().startswith("⚠") and "still showing the previous analysis" in row.status.text()
    assert row.state.trace is old  # its own old trace, drawn with its own tokens: never a mix
    _drawn(qtbot, row.stack, old)
    assert window.errors == []


def test_a_long_text_says_what_the_compared_traces_cost(qtbot, window, checkpoint, gru, monkeypatch):
    from lstm_viz.app import compare

    monkeypatch.setattr(compare, "LONG_TEXT", 100)
    open_text(qtbot, window, checkpoint, text=TEXT[:90])
    row = _add(qtbot, window, gru)
    area = window.compare
    assert not area.long_line.isVisible()
    window.state.set_text(TEXT)
    assert area.long_line.isVisible() and "144 characters" in area.long_line.text()
    qtbot.waitUntil(lambda: len(row.state.trace) == len(TEXT), timeout=20000)
    tr = row.state.trace
    held = sum(tr.get(q, k).nbytes for q in tr.quantities for k in range(tr.num_layers)) + tr.probs.nbytes
    assert compare.trace_bytes(row.state.model, len(tr)) == held
    assert f"about {held / 1e6:,.0f} MB more for the compared model" in area.long_line.text()
    area.remove(row)
    assert not area.long_line.isVisible()
