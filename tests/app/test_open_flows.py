"""Opening: an open either completes or changes nothing; the app reaches every checkpoint the CLI reaches;
Model info and Open recent read well and remember the answers given for each file."""
from __future__ import annotations

import numpy as np
import torch

from lstm_viz.app import dialogs
from lstm_viz.core.loading import load_model
from lstm_viz.core.vocab import Vocab

from .conftest import ALPHABET, bare_one_hot_lstm, embedded_without_vocab, make_checkpoint, open_text, vocab_file


def _snapshot(win):
    return (win.windowTitle(), win.state.model, win.state.trace,
            win.stack.heatmaps["forget_gate"].image.image.copy())


def _assert_unchanged(win, before):
    title, model, trace, image = before
    assert win.windowTitle() == title
    assert win.state.model is model and win.state.trace is trace
    np.testing.assert_array_equal(win.stack.heatmaps["forget_gate"].image.image, image)


def _wait_idle(qtbot, win):
    qtbot.waitUntil(lambda: not win.session.runner.busy(), timeout=20000)


def test_declining_the_vocab_question_changes_nothing(qtbot, window, checkpoint, tmp_path, monkeypatch):
    open_text(qtbot, window, checkpoint)
    before = _snapshot(window)
    path, _ = embedded_without_vocab(tmp_path / "novocab.pt")
    asked = []
    monkeypatch.setattr(dialogs, "ask_vocab", lambda parent, p, n, d: asked.append(n) or "")
    window.open_checkpoint(path)
    qtbot.waitUntil(lambda: asked != [], timeout=20000)
    _wait_idle(qtbot, window)
    _assert_unchanged(window, before)
    assert "tiny" in window.windowTitle()
    assert "--" not in window.status_label.text()  # the app's words, not the command line's


def test_a_whole_pickled_model_asks_no_trust_and_declining_a_question_changes_nothing(
        qtbot, window, checkpoint, tmp_path, monkeypatch):
    open_text(qtbot, window, checkpoint)
    before = _snapshot(window)
    whole = tmp_path / "whole.pt"
    torch.save(load_model(checkpoint).model, whole)  # a whole pickled model: read without running its code
    asked = []
    monkeypatch.setattr(dialogs, "ask_vocab", lambda parent, p, n, d: asked.append(n) or "")
    window.open_checkpoint(whole)
    qtbot.waitUntil(lambda: asked != [], timeout=20000)  # its vocab lives outside the module: the app asks
    _wait_idle(qtbot, window)
    _assert_unchanged(window, before)

    two = tmp_path / "two.pt"
    sd = {f"enc.{k}": v for k, v in torch.nn.LSTM(3, 2).state_dict().items()}
    sd.update({f"dec.{k}": v for k, v in torch.nn.LSTM(3, 4).state_dict().items()})
    torch.save(sd, two)
    asked = []
    monkeypatch.setattr(dialogs, "ask_module", lambda parent, p, names: asked.append(names) or None)
    with qtbot.waitSignal(window.session.load_failed, timeout=20000):
        window.open_checkpoint(two)
    _wait_idle(qtbot, window)
    assert asked == [["enc", "dec"]]
    _assert_unchanged(window, before)


def test_cancelling_an_open_changes_nothing(qtbot, window, checkpoint, tmp_path):
    open_text(qtbot, window, checkpoint)
    before = _snapshot(window)
    other = make_checkpoint(tmp_path / "other.pt", hidden=6, layers=1)
    window.open_checkpoint(other)
    window.act_cancel.trigger()
    _wait_idle(qtbot, window)
    qtbot.wait(50)  # let any queued result arrive: it must not be shown
    _assert_unchanged(window, before)


def test_a_bare_one_hot_lstm_asks_for_the_vocab_like_the_cli(qtbot, window, checkpoint, tmp_path, monkeypatch):
    open_text(qtbot, window, checkpoint, "abc (de)")
    path, tokens = bare_one_hot_lstm(tmp_path / "bare.pt")
    vocab = vocab_file(tmp_path / "vocab.json", tokens)
    asked = []
    monkeypatch.setattr(dialogs, "ask_vocab", lambda parent, p, n, d: asked.append(n) or str(vocab))
    with qtbot.waitSignal(window.session.analysed, timeout=20000):
        window.open_checkpoint(path)
    assert asked == [len(tokens)]
    assert window.state.model.source == str(path) and window.state.model.config.input_mode == "one_hot"
    assert "".join(window.state.trace.tokens) == "abc (de)"
    assert window.state.trace.get("cell", 0).shape[1] == 3
    assert "bare" in window.windowTitle()


def test_model_info_is_a_readable_table(qtbot, window, tmp_path):
    from lstm_viz.core.checkpoint import save_checkpoint
    from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
    from lstm_viz.core.vocab import Vocab

    vocab = Vocab.from_text("abc ")
    model = LSTMLanguageModel(ModelConfig(input_size=3, hidden_size=4, vocab_size=len(vocab)))
    path = tmp_path / "meta.pt"
    save_checkpoint(path, model, vocab, {"train_config": {"lr": 0.01, "steps": 5}, "corpus_chars": 3000000,
                                         "history": [1.5, 1.2, 1.1], "corpus": "quotes"})
    open_text(qtbot, window, path, "abc")
    rows = window.model_info_rows()
    keys = [k for k, _ in rows]
    assert "train_config" not in keys and "lr" in " ".join(keys)
    assert ("corpus chars", "3,000,000") in rows
    for k, v in rows:
        assert "{" not in v and "[" not in v and "'" not in v, (k, v)


def test_recent_files_are_told_apart_and_remember_the_vocab(qtbot, window, checkpoint, tmp_path, monkeypatch):
    open_text(qtbot, window, checkpoint)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, tokens = embedded_without_vocab(tmp_path / "a" / "lm.pt")
    second = make_checkpoint(tmp_path / "b" / "lm.pt")
    vocab = vocab_file(tmp_path / "v.json", tokens)
    asked = []
    monkeypatch.setattr(dialogs, "ask_vocab", lambda parent, p, n, d: asked.append(p) or str(vocab))
    with qtbot.waitSignal(window.session.analysed, timeout=20000):
        window.open_checkpoint(first)
    with qtbot.waitSignal(window.session.analysed, timeout=20000):
        window.open_checkpoint(second)
    assert asked == [str(first)]
    names = [a.text() for a in window.recent_menu.actions()][:2]
    assert len(set(names)) == 2 and all("lm.pt" in n for n in names), names
    assert any("a" in n.replace("lm.pt", "") for n in names)
    action = next(a for a in window.recent_menu.actions() if a.toolTip() == str(first.resolve()))
    with qtbot.waitSignal(window.session.analysed, timeout=20000):
        action.trigger()
    assert asked == [str(first)]  # not asked again
    assert window.state.model.source == str(first.resolve()) or window.state.model.source == str(first)


def test_loader_messages_are_put_in_the_apps_words():
    from lstm_viz.app.opening import app_words

    for msg in ("x.pt: holds a pickled Python object (m.Net); safe loading refuses it because unpickling can run "
                "code. If you trust the file, pass --trust; or re-save it as weights with torch.save(...)",
                "x.pt: holds 2 LSTMs: 'a' (1 layer); 'b' (1 layer); pick one with --module NAME (module= in Python)",
                "no vocab in the file: pass a vocab file (--vocab) with 17 tokens to read text",
                "loss became NaN at step 3: try a lower learning rate (--lr, now 5)"):
        assert "--" not in app_words(msg), app_words(msg)


def test_text_changed_during_a_declined_open_is_analysed_with_the_old_model(qtbot, window, checkpoint, tmp_path,
                                                                            monkeypatch):
    open_text(qtbot, window, checkpoint)
    old_model = window.state.model
    path, _ = embedded_without_vocab(tmp_path / "novocab.pt")
    monkeypatch.setattr(dialogs, "ask_vocab", lambda parent, p, n, d: "")
    with qtbot.waitSignal(window.session.analysed, timeout=20000):
        window.open_checkpoint(path)
        window.state.set_text("hij abc")  # while the model loads
    assert window.state.model is old_model and "".join(window.state.trace.tokens) == "hij abc"


def test_a_model_that_reads_right_to_left_says_so(qtbot, window, tmp_path):
    from lstm_viz.core.checkpoint import save_checkpoint
    from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
    from lstm_viz.core.vocab import Vocab

    from .conftest import ALPHABET

    vocab = Vocab.from_text(ALPHABET)
    cfg = ModelConfig(input_size=3, hidden_size=4, vocab_size=len(vocab), reads_backward=True)
    path = tmp_path / "backward.pt"
    save_checkpoint(path, LSTMLanguageModel(cfg).eval(), vocab, {"corpus": "test"})
    tr = open_text(qtbot, window, path, "abc (de)")
    assert tr.tokens == tuple("abc (de)")  # the views keep the text's own order ...
    assert "reads right to left" in window.windowTitle()  # ... and say how the model read it
    assert "reads right to left" in window.text_tabs.tabText(0)


def test_a_bare_gru_and_a_bare_rnn_file_open_and_draw(qtbot, window, checkpoint, tmp_path, monkeypatch):
    """Once refused in one line; now each opens (asking for the vocab, like a bare LSTM) and draws its own
    quantities: the GRU r, z, n, h; the RNN h alone."""
    open_text(qtbot, window, checkpoint, "abc (de)")
    tokens = Vocab.from_text(ALPHABET).tokens
    vocab = vocab_file(tmp_path / "vocab.json", tokens)
    monkeypatch.setattr(dialogs, "ask_vocab", lambda parent, p, n, d: str(vocab))
    for name, module, quantities in (("gru", torch.nn.GRU, ("reset_gate", "update_gate", "new_gate", "hidden")),
                                     ("rnn", torch.nn.RNN, ("hidden",))):
        torch.manual_seed(3)
        path = tmp_path / f"bare_{name}.pt"
        torch.save(module(len(tokens), 3).state_dict(), path)
        with qtbot.waitSignal(window.session.analysed, timeout=20000):
            window.open_checkpoint(path)
        tr = window.state.trace
        assert window.state.model.source == str(path) and tr.cell.name == name
        assert tuple(window.stack.heatmaps) == quantities
        shown = [q for q, h in window.stack.heatmaps.items() if h.isVisible()]
        assert shown
        for q in shown:
            np.testing.assert_array_equal(window.stack.heatmaps[q].image.image, tr.get(q, 0).T)
        assert window.errors == []
