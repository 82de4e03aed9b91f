"""The Train dialog: a preset that is known to work, the output path asked for, settings locked while a run
goes, and closing asks before stopping it."""
from __future__ import annotations

from lstm_viz.app import dialogs
from lstm_viz.app.train_dialog import PRESETS


def _small(d, steps):
    d.corpus_box.setCurrentIndex(d.corpus_box.findData("brackets"))
    d.hidden.setValue(4)
    d.embed.setValue(4)
    d.steps.setValue(steps)
    d.seq_len.setValue(16)
    d.batch.setValue(4)
    d.size.setValue(3000)


def test_the_dialog_starts_from_the_trainer_s_own_defaults(qtbot, window):
    from lstm_viz.core.train import TrainConfig

    window.show_train_dialog()
    c = window.train_dialog.config()
    assert (c.lr, c.lr_schedule) == (TrainConfig.lr, TrainConfig.lr_schedule)  # 0.01, cosine


def test_the_quotes_preset_has_the_settings_that_find_a_quote_cell(qtbot, window):
    window.show_train_dialog()
    d = window.train_dialog
    d.preset_box.setCurrentIndex(d.preset_box.findData("quotes: find a quote cell"))
    c = d.config()
    assert d.corpus_box.currentData() == "quotes"
    assert (c.hidden_size, c.embed_size, c.seq_len, c.lr, c.steps) == (32, 16, 64, 0.01, 700)
    assert set(PRESETS) >= {"quotes: find a quote cell"}


def test_the_output_path_is_asked_not_invented(qtbot, window, tmp_path, monkeypatch):
    window.show_train_dialog()
    d = window.train_dialog
    _small(d, 2)
    monkeypatch.setattr(dialogs, "save_file", lambda *a: "")
    d.start()
    assert not d.running and "where to save" in d.info.text()
    monkeypatch.setattr(dialogs, "save_file", lambda *a: str(tmp_path / "mine"))
    with qtbot.waitSignal(window.session.analysed, timeout=60000):
        d.start()
    assert (tmp_path / "mine.pt").exists() and window.state.model.source == str(tmp_path / "mine.pt")


def test_closing_asks_before_stopping_a_run(qtbot, window, tmp_path, monkeypatch):
    window.show_train_dialog()
    d = window.train_dialog
    _small(d, 1_000_000)
    d.start(str(tmp_path / "long.pt"))
    qtbot.waitUntil(lambda: len(d._steps) > 2, timeout=30000)
    answers = []
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda parent, title, q: answers.append(title) or False)
    assert not d.close()
    d.reject()  # Esc
    assert d.isVisible() and d.running and not d.job.cancelled and len(answers) == 2
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda parent, title, q: True)
    assert d.close()
    qtbot.waitUntil(lambda: not d.running, timeout=30000)
    assert "stopped" in d.info.text() and d.hidden.isEnabled()


def test_quitting_the_app_asks_before_stopping_a_run(qtbot, window, tmp_path, monkeypatch):
    window.show_train_dialog()
    d = window.train_dialog
    _small(d, 1_000_000)
    d.start(str(tmp_path / "long.pt"))
    qtbot.waitUntil(lambda: len(d._steps) > 1, timeout=30000)
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda parent, title, q: False)
    assert not window.close()
    assert window.isVisible() and d.running
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda parent, title, q: True)
    assert window.close()
    assert not d.running or d.job.cancelled
    qtbot.waitUntil(lambda: not d.runner.busy(), timeout=30000)


def test_the_cell_choice_reaches_the_trainer_and_the_window(qtbot, window, tmp_path):
    window.show_train_dialog()
    d = window.train_dialog
    assert d.config().cell == "lstm"  # the default
    d.set_cell("rnn", "relu")
    assert (d.config().cell, d.config().nonlinearity) == ("rnn", "relu")
    d.set_cell("gru")
    _small(d, 2)
    with qtbot.waitSignal(window.session.analysed, timeout=60000):
        d.start(str(tmp_path / "gru.pt"))
    assert window.state.model.config.cell == "gru" and window.state.trace.cell.name == "gru"
    assert tuple(window.stack.heatmaps) == ("reset_gate", "update_gate", "new_gate", "hidden")
    assert d.cell_box in d.fields  # locked while a run goes, like every setting
