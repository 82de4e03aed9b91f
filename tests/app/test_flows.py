"""Editing, errors, foreign checkpoints, settings: the window keeps its last good state."""
from __future__ import annotations

import json

import numpy as np
import torch

from lstm_viz.app import dialogs
from lstm_viz.app.main_window import MainWindow
from lstm_viz.core.gates import QUANTITIES as CORE_QUANTITIES

from .conftest import make_checkpoint, open_text


def test_style_names_match_the_core():
    from lstm_viz.app import style

    assert style.QUANTITIES == CORE_QUANTITIES


def test_typing_reanalyses_after_a_pause_keeping_the_old_result_meanwhile(qtbot, window, checkpoint):
    old = open_text(qtbot, window, checkpoint, "abc")
    window.text_tabs.setCurrentIndex(1)
    with qtbot.waitSignal(window.session.analysed, timeout=10000):
        window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
        qtbot.keyClicks(window.editor, "de")
        assert window.state.trace is old  # still the last good analysis while typing
    assert "".join(window.state.trace.tokens) == "abcde"
    qtbot.waitUntil(lambda: len(window.coloured.boxes) == 5)
    np.testing.assert_array_equal(window.stack.heatmaps["forget_gate"].image.image,
                                  window.state.trace.get("forget_gate", 0).T)


def test_superseded_analysis_never_shows(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint, "abc")
    shown = []
    window.session.analysed.connect(lambda: shown.append("".join(window.state.trace.tokens)))
    window.state.set_text("aaaa")
    window.state.set_text("bbbb")  # supersedes the first request at once
    qtbot.waitUntil(lambda: shown == ["bbbb"] and not window.session.runner.busy(), timeout=10000)
    assert shown == ["bbbb"]


def test_analysis_error_is_one_line_and_keeps_the_last_good_trace(qtbot, window, tmp_path):
    strict = make_checkpoint(tmp_path / "strict.pt", unk=False)  # no unknown token: foreign characters fail
    old = open_text(qtbot, window, strict, "abc")
    drawn = window.stack.heatmaps["forget_gate"].image.image.copy()
    with qtbot.waitSignal(window.session.failed, timeout=10000) as blocker:
        window.state.set_text("abc xyz")
    assert blocker.args[0] == "analyse" and "not in the vocab" in blocker.args[1]
    assert "not in the vocab" in window.status_label.text()
    assert window.state.trace is old
    np.testing.assert_array_equal(window.stack.heatmaps["forget_gate"].image.image, drawn)
    assert window.errors == []  # typing errors go to the status bar, not a dialog


def test_corrupt_checkpoint_is_one_line_and_nothing_is_lost(qtbot, window, checkpoint, tmp_path):
    old = open_text(qtbot, window, checkpoint)
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with qtbot.waitSignal(window.session.load_failed, timeout=10000):
        window.open_checkpoint(bad)
    assert len(window.errors) == 1 and str(bad) in window.errors[0] and "\n" not in window.errors[0]
    assert str(bad) in window.status_label.text()
    assert window.state.trace is old and window.state.model is not None


def test_open_file_dialogs_and_recent_files(qtbot, window, checkpoint, tmp_path, monkeypatch):
    text = tmp_path / "t.txt"
    text.write_text("hij (abc)", encoding="utf-8")
    open_text(qtbot, window, checkpoint)
    other = make_checkpoint(tmp_path / "other.pt", hidden=6, layers=1)
    monkeypatch.setattr(dialogs, "open_file", lambda *a: str(other))
    with qtbot.waitSignal(window.session.analysed, timeout=10000):
        window.act_open.trigger()
    assert window.state.trace.get("cell", 0).shape[1] == 6
    assert window.recent_files()[0] == str(other.resolve())
    assert window.recent_menu.actions()[0].text() == "other.pt"
    monkeypatch.setattr(dialogs, "open_file", lambda *a: str(text))
    with qtbot.waitSignal(window.session.analysed, timeout=10000):
        window.act_open_text.trigger()
    assert "".join(window.state.trace.tokens) == "hij (abc)"
    assert window.editor.toPlainText() == "hij (abc)"


def test_pickled_module_asks_before_trusting(qtbot, window, checkpoint, tmp_path, monkeypatch):
    from lstm_viz.core.loading import load_model

    whole = tmp_path / "whole.pt"
    torch.save(load_model(checkpoint).model, whole)
    vocab = tmp_path / "vocab.json"
    vocab.write_text(json.dumps(list(load_model(checkpoint).vocab.tokens)), encoding="utf-8")
    asked = []
    monkeypatch.setattr(dialogs, "ask_trust", lambda parent, path: asked.append(("trust", path)) or True)
    monkeypatch.setattr(dialogs, "ask_vocab", lambda parent, path, n, d: asked.append(("vocab", n)) or str(vocab))
    window.state.set_text("abc")
    with qtbot.waitSignal(window.session.analysed, timeout=20000):
        window.open_checkpoint(whole)
    n = len(load_model(checkpoint).vocab)
    # read without its code, so no trust question; a pickled module carries no vocab: asked for one
    assert asked == [("vocab", n)]
    assert window.state.model.source == str(whole) and window.state.model.vocab is not None
    assert "".join(window.state.trace.tokens) == "abc"


def test_module_choice_is_read_from_the_loader_message():
    msg = ("x.pt: holds 2 LSTMs: 'enc' (1 layer, 4 units); 'dec' (2 layers, 8 units); pick one with "
           "--module NAME (module= in Python)")
    assert dialogs.module_choices(msg) == ["enc", "dec"]
    assert dialogs.module_choices("x.pt: file is empty") == []


def test_settings_round_trip(qtbot, settings):
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.panel_actions["cell"].setChecked(True)
    win.order_box.setCurrentIndex(2)
    win.close()
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    assert "cell" in again.state.panels and again.panel_actions["cell"].isChecked()
    assert again.state.order == "mean"
    assert settings.value("version", 0, type=int) == 1


def test_window_shows_before_torch_is_imported(tmp_path):
    import subprocess
    import sys

    code = ("import sys\nfrom PySide6 import QtCore, QtWidgets\nQtCore.QStandardPaths.setTestModeEnabled(True)\n"
            "app = QtWidgets.QApplication([])\nfrom lstm_viz.app.main_window import MainWindow\n"
            "w = MainWindow(); w.show(); app.processEvents()\nprint('torch' in sys.modules)\nw.close()\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen",
                            "XDG_CONFIG_HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_a_long_text_goes_into_the_editor_a_slice_per_pass(qtbot):
    """setPlainText of 1,000,000 characters kept the window busy 70-130 ms in one call; the editor now takes a
    slice per pass, read-only until the text is whole, and never reports the load as an edit."""
    from lstm_viz.app.views.text_editor import CHUNK, TextEditor

    ed = TextEditor()
    qtbot.addWidget(ed)
    edits = []
    ed.edited.connect(edits.append)
    text = "".join(f"line {k}: ({k % 7})\n" for k in range(20_000))  # ~330,000 characters
    ed.show_text(text)
    assert ed.loading and ed.isReadOnly()
    assert len(ed.toPlainText()) == CHUNK  # only the first slice in this pass
    qtbot.waitUntil(lambda: not ed.loading)
    assert ed.toPlainText() == text and not ed.isReadOnly() and edits == []
    ed.show_text("short")  # a new text replaces the old one at once
    assert ed.toPlainText() == "short" and not ed.loading
    ed.show_text(text)
    ed.show_text("other")  # ... also while a load is under way
    assert ed.toPlainText() == "other" and not ed.loading and not ed.isReadOnly()
    ed.setPlainText("typed")
    assert edits == ["typed"]
