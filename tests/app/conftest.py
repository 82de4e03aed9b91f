"""Fixtures for the app tests: tiny real models saved to tmp_path, a main window with throwaway settings."""
from __future__ import annotations

import pytest
import torch
from PySide6 import QtCore

from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.vocab import Vocab

QtCore.QStandardPaths.setTestModeEnabled(True)  # never the user's settings or data folders

ALPHABET = "abcdefghij \n'\"()."


def make_checkpoint(path, hidden=4, layers=2, bidirectional=False, seed=0, unk=True):
    torch.manual_seed(seed)
    vocab = Vocab.from_text(ALPHABET) if unk else Vocab(tuple(sorted(set(ALPHABET))), unk=None)
    cfg = ModelConfig(input_size=3, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional,
                      vocab_size=len(vocab))
    model = LSTMLanguageModel(cfg).eval()
    save_checkpoint(path, model, vocab, {"corpus": "test"})
    return path


@pytest.fixture
def checkpoint(tmp_path):
    return make_checkpoint(tmp_path / "tiny.pt")


@pytest.fixture
def settings(tmp_path):
    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


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


def open_text(qtbot, win, checkpoint, text="abc 'de' (fa)\nhij."):
    with qtbot.waitSignal(win.session.analysed, timeout=20000):
        win.session.open_startup(checkpoint, text=text)
    # the coloured text and the traces follow in the next passes of the event loop
    qtbot.waitUntil(lambda: win.coloured.trace is win.state.trace and len(win.stack.traces.curves) > 0)
    return win.state.trace
