"""The long-range lab in the app: the Long range dock's connectivity is lstm_viz.core.gradients' for the same
(model, text, t) and its carousel the direct product of the trace's gates; Tools ▸ Long-range lab… runs a tiny
experiment to the end on the worker, draws one curve per cell type, exports CSV and a figure, gives the same
numbers for the same seed, and Esc cancels it leaving the dialog clean. File dialogs are patched."""
from __future__ import annotations

import csv
import threading

import numpy as np
import pytest
import torch
from PySide6 import QtCore, QtGui, QtWidgets

from lstm_viz.app import dialogs
from lstm_viz.app.lab_panels import connectivity_at_t, show_lab_dialog
from lstm_viz.app.views.connectivity_view import colours, log_range
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.gradients import connectivity
from lstm_viz.core.lab import LabConfig, long_range, run_to_end
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.vocab import Vocab

from .conftest import ALPHABET, make_checkpoint, open_text

TEXT = "abc 'de' (fa)\nhij. (ab (cd) e)"
TINY_LAB = dict(cells=("rnn", "lstm"), gaps="2,4", hidden=4, steps=5, seed=3)


def show_dock(qtbot, window):
    connectivity_at_t(window)
    qtbot.waitUntil(lambda: window.connectivity_view.shown and window.carousel_view.shown, timeout=5000)


def wait_connectivity(qtbot, view, t):
    qtbot.waitUntil(lambda: view.result is not None and view.result.at == t, timeout=20000)
    return view.result


def test_connectivity_is_the_cores_for_the_selected_step(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint, TEXT)
    view = window.connectivity_view
    assert view.result is None  # nothing is computed while the dock is hidden
    show_dock(qtbot, window)
    for t in (20, 6):
        window.state.select_time(t)
        got = wait_connectivity(qtbot, view, t)
        want = connectivity(window.state.model, TEXT, t)
        np.testing.assert_array_equal(got.grad_norm, want.grad_norm)
        assert got.tokens == tuple(TEXT[: t + 1]) and got.target == TEXT[t + 1]
        x, y = view.curve.xData, view.curve.yData  # the plot: every distance >= 1 (drawn on log-log axes)
        np.testing.assert_array_equal(x, np.arange(1, t + 1))
        np.testing.assert_array_equal(y, want.grad_norm[::-1][1:])
        lo, hi = log_range(want.grad_norm)
        assert [c.name() for c in view.colours] == [c.name() for c in colours(want.grad_norm, lo, hi)]
        top = int(np.argmax(want.grad_norm))
        assert view.colours[top].name() == colours(np.array([1.0]), -1.0, 0.0)[0].name()  # the top of the scale
        assert f"distance {t - top}" in view.title.text()
        assert f"href='#{top}'" in view.strip.toHtml().replace('"', "'")  # each token links to its step
    view.strip.highlighted.emit(QtCore.QUrl("#5"))  # hovering a token tells its value
    assert f"{view.result.grad_norm[5]:.3g}" in QtWidgets.QToolTip.text() and "t − s = 1" in QtWidgets.QToolTip.text()


def test_connectivity_at_the_last_token_and_without_a_decoder(qtbot, window, checkpoint, tmp_path):
    tr = open_text(qtbot, window, checkpoint, TEXT)
    show_dock(qtbot, window)
    window.state.select_time(len(tr) - 1)
    view = window.connectivity_view
    qtbot.waitUntil(lambda: "last token" in view.status.text(), timeout=5000)
    assert view.result is None and not len(view.curve.xData if view.curve.xData is not None else [])

    torch.manual_seed(0)
    vocab = Vocab.from_text(ALPHABET)
    cfg = ModelConfig(input_size=3, hidden_size=4, vocab_size=len(vocab), decoder=False)
    save_checkpoint(tmp_path / "no-decoder.pt", LSTMLanguageModel(cfg).eval(), vocab, {})
    open_text(qtbot, window, tmp_path / "no-decoder.pt", TEXT)
    window.state.select_time(5)
    qtbot.waitUntil(lambda: view.status.text().startswith("⚠"), timeout=20000)
    assert "no decoder" in view.status.text() and "\n" not in view.status.text()
    assert view.result is None


def test_cancel_stops_a_running_connectivity_and_leaves_the_view_empty(qtbot, window, checkpoint, monkeypatch):
    from lstm_viz.app.views import connectivity_view

    release, started = threading.Event(), threading.Event()

    def slow(*args):  # the job stays at its first yield until the test lets it go
        yield 0.0
        started.set()
        release.wait(30)
        yield 0.0
        return None

    open_text(qtbot, window, checkpoint, TEXT)
    monkeypatch.setattr(connectivity_view, "compute", slow)
    show_dock(qtbot, window)
    view = window.connectivity_view
    qtbot.waitUntil(started.is_set, timeout=10000)
    assert view.cancel_button.isVisible() and view.busy.isVisible()
    view.cancel_button.click()
    release.set()
    qtbot.waitUntil(lambda: not window.session.runner.busy("connectivity"), timeout=10000)
    assert view.result is None and "cancelled" in view.status.text()
    assert not view.cancel_button.isVisible() and not view.busy.isVisible()


def test_a_new_model_never_shows_the_old_models_norms(qtbot, window, checkpoint, tmp_path, monkeypatch):
    from lstm_viz.app.views import carousel_view, connectivity_view

    open_text(qtbot, window, checkpoint, TEXT)
    show_dock(qtbot, window)
    window.state.select_time(9)
    view, carousel = window.connectivity_view, window.carousel_view
    wait_connectivity(qtbot, view, 9)
    qtbot.waitUntil(lambda: carousel.drawn is not None and carousel.drawn[1] == 9, timeout=10000)
    release, started = threading.Event(), threading.Semaphore(0)

    def slow(real):
        def job(*args):  # the new model's numbers wait until the test has looked
            yield 0.0
            started.release()
            release.wait(30)
            out = real(*args)
            return (yield from out) if hasattr(out, "send") else out
        return job

    monkeypatch.setattr(connectivity_view, "compute", slow(connectivity_view.compute))
    monkeypatch.setattr(carousel_view, "compute", slow(carousel_view.compute))
    open_text(qtbot, window, make_checkpoint(tmp_path / "other.pt", seed=5), TEXT)
    try:
        for _ in range(2):
            assert started.acquire(timeout=10)
        assert view.result is None and view.colours == [] and view.strip.toPlainText() == ""
        assert view.busy.isVisible()
        assert carousel.products is None and carousel.curves == []
    finally:
        release.set()
    got = wait_connectivity(qtbot, view, 9)
    np.testing.assert_array_equal(got.grad_norm, connectivity(window.state.model, TEXT, 9).grad_norm)


@pytest.mark.parametrize("cell,gate", [("lstm", "forget_gate"), ("gru", "update_gate")])
def test_carousel_is_the_product_of_the_traces_gates(qtbot, window, tmp_path, cell, gate):
    tr = open_text(qtbot, window, make_checkpoint(tmp_path / f"{cell}.pt", cell=cell), TEXT)
    show_dock(qtbot, window)
    window.layer_box.setCurrentIndex(1)
    window.state.select_unit(1)
    window.state.select_unit(3, add=True)
    t = 17
    window.state.select_time(t)
    view = window.carousel_view
    qtbot.waitUntil(lambda: view.drawn is not None and view.drawn[1:] == (t, (1, 3), 1), timeout=20000)
    g = tr.get(gate, 1).astype(np.float64)
    want = np.stack([np.prod(g[s + 1: t + 1, [1, 3]], axis=0) for s in range(t + 1)])  # (t + 1, 2)
    np.testing.assert_allclose(view.products, want, rtol=1e-12)
    assert view.start == 0 and len(view.curves) == 2
    for k, curve in enumerate(view.curves):
        x, y = curve.xData, curve.yData  # before the log axis' transform
        np.testing.assert_array_equal(x, np.arange(t + 1))
        np.testing.assert_allclose(y, want[:, k], rtol=1e-12)
    assert {"lstm": "forget gate f", "gru": "update gate z"}[cell] in view.title.text()


def test_carousel_of_a_plain_rnn_says_why_in_one_line(qtbot, window, tmp_path):
    open_text(qtbot, window, make_checkpoint(tmp_path / "rnn.pt", cell="rnn"), TEXT)
    show_dock(qtbot, window)
    view = window.carousel_view
    qtbot.waitUntil(lambda: "no gate" in view.status.text(), timeout=5000)
    assert "nothing keeps the gradient alive" in view.status.text() and "\n" not in view.status.text()
    assert view.products is None and not view.curves


# -- the lab dialog ---------------------------------------------------------------------------------------------
def fill(dialog, cells, gaps, hidden, steps, seed):
    for name, box in dialog.cell_boxes.items():
        box.setChecked(name in cells)
    dialog.gaps.setText(gaps)
    dialog.hidden.setValue(hidden)
    dialog.steps.setValue(steps)
    dialog.seed.setValue(seed)


def run_dialog(qtbot, dialog):
    dialog.run_button.click()
    assert dialog.running() and not dialog.run_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running(), timeout=60000)
    assert dialog.result is not None, dialog.status.text()
    return dialog.result


def test_the_lab_runs_to_the_end_draws_exports_and_repeats(qtbot, window, tmp_path, monkeypatch):
    tools = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Tools")
    assert window.act_lab in tools.actions()
    window.act_lab.trigger()
    dialog = window.lab_dialog
    assert dialog.isVisible()
    fill(dialog, **TINY_LAB)
    a = run_dialog(qtbot, dialog)
    want = run_to_end(long_range(LabConfig(gaps=(2, 4), cells=("rnn", "lstm"), hidden_size=4, steps=5, seed=3)))
    assert a.cells == ("rnn", "lstm") and dialog.progress.value() == 1000
    for cell in a.cells:  # the core's numbers, for the same settings and seed
        np.testing.assert_array_equal(a.recall[cell], want.recall[cell])
        np.testing.assert_array_equal(a.grad_norm[cell], want.grad_norm[cell])
    ys = [tuple(c.yData) for c in dialog.curves()]
    assert len(ys) == 4  # recall and gradient, one curve per cell type
    for cell in a.cells:
        assert tuple(a.recall[cell]) in ys
        assert tuple(np.log10(a.grad_norm[cell][1:])) in ys

    written = []
    monkeypatch.setattr(dialogs, "save_file", lambda *args: written.append(args[1]) or str(out))
    out = tmp_path / "lab.csv"
    dialog.export_csv_button.click()
    rows = list(csv.DictReader((tmp_path / "lab-recall.csv").open(encoding="utf-8")))
    assert [(r["cell"], int(r["gap"])) for r in rows] == [("rnn", 2), ("rnn", 4), ("lstm", 2), ("lstm", 4)]
    assert float(rows[3]["recall"]) == a.recall["lstm"][1]
    grads = list(csv.DictReader((tmp_path / "lab-gradients.csv").open(encoding="utf-8")))
    assert float(grads[-1]["grad_norm"]) == a.grad_norm["lstm"][-1]
    out = tmp_path / "lab.png"
    dialog.export_figure_button.click()
    image = QtGui.QImage(str(out))
    assert image.width() > 500 and "wrote" in dialog.status.text()
    out = tmp_path / "lab.svg"
    dialog.export_figure_button.click()
    assert b"<svg" in out.read_bytes()[:2000]
    assert len(written) == 3

    b = run_dialog(qtbot, dialog)  # the same seed: the same numbers
    for cell in a.cells:
        np.testing.assert_array_equal(a.recall[cell], b.recall[cell])
        np.testing.assert_array_equal(a.grad_norm[cell], b.grad_norm[cell])
    assert a.final_loss == b.final_loss


def test_esc_cancels_the_lab_and_leaves_the_dialog_clean(qtbot, window):
    dialog = show_lab_dialog(window)
    fill(dialog, cells=("lstm",), gaps="2", hidden=4, steps=1_000_000, seed=0)
    dialog.run_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0 or "step" in dialog.status.text(), timeout=20000)
    QtTest = __import__("PySide6.QtTest", fromlist=["QTest"]).QTest
    QtTest.keyClick(dialog, QtCore.Qt.Key.Key_Escape)
    assert not dialog.isVisible() and not dialog.running()
    qtbot.waitUntil(lambda: not window.session.runner.busy("lab"), timeout=20000)  # the worker stopped
    assert dialog.result is None and dialog.curves() == []
    assert dialog.run_button.isEnabled() and not dialog.export_csv_button.isEnabled()
    assert "cancelled" in dialog.status.text()

    show_lab_dialog(window)  # closing the dialog cancels too
    dialog.run_button.click()
    qtbot.waitUntil(lambda: window.session.runner.busy("lab"), timeout=5000)
    dialog.close()
    assert not dialog.running() and dialog.run_button.isEnabled()
    qtbot.waitUntil(lambda: not window.session.runner.busy("lab"), timeout=20000)

    show_lab_dialog(window)  # a second run after the cancel goes to the end
    fill(dialog, cells=("lstm",), gaps="2", hidden=4, steps=3, seed=0)
    assert run_dialog(qtbot, dialog).cells == ("lstm",)


def test_bad_lab_settings_are_one_line(qtbot, window):
    dialog = show_lab_dialog(window)
    fill(dialog, cells=("lstm",), gaps="2,x", hidden=4, steps=3, seed=0)
    dialog.run_button.click()
    assert dialog.status.text().startswith("⚠") and "gaps" in dialog.status.text()
    fill(dialog, cells=(), gaps="2", hidden=4, steps=3, seed=0)
    dialog.run_button.click()
    assert dialog.status.text().startswith("⚠") and not dialog.running()
