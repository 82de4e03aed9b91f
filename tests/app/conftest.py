"""Fixtures for the app tests: tiny real models saved to tmp_path, a main window with throwaway settings."""
from __future__ import annotations

import os
import tempfile

import pytest
import torch
from PySide6 import QtCore

from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.vocab import Vocab

QtCore.QStandardPaths.setTestModeEnabled(True)  # never the user's data folders
# QSettings() ignores the test mode above: point it (and every subprocess started here) at a throwaway folder,
# so no test can write the user's recent files or window geometry.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="lstm_viz-test-config-")

ALPHABET = "abcdefghij \n'\"()."


def make_checkpoint(path, hidden=4, layers=2, bidirectional=False, seed=0, unk=True, cell="lstm"):
    """A tiny model of ``cell`` (lstm, gru, rnn, peephole, cifg) with its vocab, saved as our checkpoint."""
    torch.manual_seed(seed)
    vocab = Vocab.from_text(ALPHABET) if unk else Vocab(tuple(sorted(set(ALPHABET))), unk=None)
    cfg = ModelConfig(input_size=3, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional,
                      vocab_size=len(vocab), cell=cell)
    model = LSTMLanguageModel(cfg).eval()
    save_checkpoint(path, model, vocab, {"corpus": "test"})
    return path


def stack_checkpoint(path, sizes=(6, 10, 6)):
    """A LayerStack LSTM whose layers differ in size (``sizes``), with its vocab, saved as our checkpoint."""
    torch.manual_seed(4)
    vocab = Vocab.from_text(ALPHABET)
    cfg = ModelConfig(input_size=3, hidden_size=sizes[0], num_layers=len(sizes), layer_sizes=sizes,
                      vocab_size=len(vocab))
    save_checkpoint(path, LSTMLanguageModel(cfg).eval(), vocab, {})
    return path


@pytest.fixture(autouse=True)
def no_real_dialogs(monkeypatch):
    """No test may block on a real modal dialog (a hang here would hang CI): every question and file dialog the
    app can show answers "no"/"cancel" and is recorded, and the test fails if one was shown that it did not
    patch itself. Tests that expect a question patch lstm_viz.app.dialogs (or the Qt call) after this fixture."""
    from PySide6 import QtWidgets

    from lstm_viz.app import dialogs

    shown = []

    def refuse(name, answer):
        def dialog(*args, **kwargs):
            shown.append(name)
            return answer() if callable(answer) else answer
        return dialog

    no = QtWidgets.QMessageBox.StandardButton.No
    for name, answer in (("ask_trust", False), ("ask_module", None), ("ask_vocab", ""), ("open_file", ""),
                         ("save_file", ""), ("ask_yes_no", False), ("error", None)):
        monkeypatch.setattr(dialogs, name, refuse(f"dialogs.{name}", answer))
    for cls, name, answer in ((QtWidgets.QMessageBox, "question", no), (QtWidgets.QMessageBox, "warning", no),
                              (QtWidgets.QMessageBox, "information", no), (QtWidgets.QMessageBox, "critical", no),
                              (QtWidgets.QMessageBox, "about", None), (QtWidgets.QMessageBox, "exec", 0),
                              (QtWidgets.QDialog, "exec", 0),
                              (QtWidgets.QFileDialog, "getOpenFileName", ("", "")),
                              (QtWidgets.QFileDialog, "getSaveFileName", ("", "")),
                              (QtWidgets.QInputDialog, "getItem", ("", False)),
                              (QtWidgets.QInputDialog, "getText", ("", False)),
                              (QtWidgets.QInputDialog, "getInt", (0, False))):
        monkeypatch.setattr(cls, name, refuse(f"{cls.__name__}.{name}", answer))
    yield shown
    assert not shown, f"the app showed a dialog this test did not expect: {shown}"


@pytest.fixture
def checkpoint(tmp_path):
    return make_checkpoint(tmp_path / "tiny.pt")


@pytest.fixture
def settings(tmp_path):
    """Throwaway settings that start in unit-index order, so a heatmap's rows are the units 0, 1, 2, ...
    (a first run without settings orders them by variance)."""
    s = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    s.setValue("version", 1)
    s.setValue("view/order", "index")
    return s


@pytest.fixture
def fresh_settings(tmp_path):
    """Throwaway settings as on a first run: nothing saved."""
    return QtCore.QSettings(str(tmp_path / "fresh.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings, monkeypatch):
    from lstm_viz.app import dialogs
    from lstm_viz.app.main_window import MainWindow

    errors = []
    monkeypatch.setattr(dialogs, "error", lambda parent, title, msg: errors.append(msg))
    win = MainWindow(settings=settings)
    win.errors = errors
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    yield win
    win.close()


def open_text(qtbot, win, checkpoint, text="abc 'de' (fa)\nhij.", pick=False):
    """Open ``checkpoint`` on ``text``. The app opens a new model on its most structured unit; tests start
    from unit 0 (a known row) unless ``pick`` keeps the app's choice."""
    with qtbot.waitSignal(win.session.analysed, timeout=20000):
        win.session.open_startup(checkpoint, text=text)
    if not pick:
        win.state.select_unit(0)
    # the coloured text and the traces follow in the next passes of the event loop
    qtbot.waitUntil(lambda: win.coloured.trace is win.state.trace and len(win.stack.traces.curves) > 0)
    return win.state.trace


def vocab_file(path, tokens):
    """A JSON vocab file listing ``tokens`` in order."""
    import json

    path.write_text(json.dumps(list(tokens)), encoding="utf-8")
    return path


def bare_one_hot_lstm(path, hidden=3, seed=1):
    """A bare nn.LSTM state_dict whose input size is the size of ALPHABET's vocab (one-hot input, no
    embedding, no decoder, no vocab in the file); returns (path, vocab tokens)."""
    torch.manual_seed(seed)
    tokens = Vocab.from_text(ALPHABET).tokens
    torch.save(torch.nn.LSTM(len(tokens), hidden).state_dict(), path)
    return path, tokens


def embedded_without_vocab(path, hidden=5, seed=2):
    """An embedding + LSTM + decoder state_dict with no vocab in the file; returns (path, vocab tokens)."""
    torch.manual_seed(seed)
    tokens = Vocab.from_text(ALPHABET).tokens
    V = len(tokens)
    sd = {"encoder.weight": torch.randn(V, 3)}
    sd.update({f"rnn.{k}": v for k, v in torch.nn.LSTM(3, hidden).state_dict().items()})
    sd.update({"decoder.weight": torch.randn(V, hidden), "decoder.bias": torch.zeros(V)})
    torch.save(sd, path)
    return path, tokens
