"""The training defaults: one copy of them (TrainConfig) that the CLI and the Train dialog read, the warm-up
schedule, and the hard quoted-phrase corpus scripts/train_defaults.py measures them on."""
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_viz.core import train as train_mod
from lstm_viz.core.errors import InputError
from lstm_viz.core.features import text_labels
from lstm_viz.core.train import TrainConfig

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("train_defaults", ROOT / "scripts" / "train_defaults.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_warmup_rises_linearly_then_follows_the_cosine():
    c = TrainConfig(warmup=10, lr_schedule="cosine")
    plain = TrainConfig(warmup=0, lr_schedule="cosine")
    total = 101
    f = [train_mod.lr_factor(c, s, total) for s in range(total)]
    assert f[0] == pytest.approx(0.1 * train_mod.lr_factor(plain, 0, total))
    assert f[4] == pytest.approx(0.5 * train_mod.lr_factor(plain, 4, total))
    assert all(a < b for a, b in zip(f[:10], f[1:10]))  # rising during the warm-up
    assert f[9:] == pytest.approx([train_mod.lr_factor(plain, s, total) for s in range(9, total)])
    flat = TrainConfig(warmup=4, lr_schedule="constant")
    assert [train_mod.lr_factor(flat, s, 40) for s in range(6)] == pytest.approx([.25, .5, .75, 1, 1, 1])
    assert [train_mod.lr_factor(flat, s, 20) for s in range(3)] == pytest.approx([.5, 1, 1])  # a tenth of 20
    assert train_mod.lr_factor(flat, 0, 9) == 1.0  # too short to warm up
    with pytest.raises(InputError, match="warmup"):
        TrainConfig(warmup=-1)


def test_cli_defaults_are_the_trainers(tmp_path):
    """`lstm-viz train`'s flags default to TrainConfig's fields: one copy of the defaults."""
    import argparse

    from lstm_viz.commands.train import add_arguments

    p = argparse.ArgumentParser()
    add_arguments(p)
    a = p.parse_args(["-o", str(tmp_path / "m.pt")])
    d = TrainConfig()
    assert (a.hidden, a.layers, a.embed, a.steps, a.seq_len, a.batch_size, a.lr, a.lr_schedule, a.warmup,
            a.forget_bias, a.dropout, a.seed) == (d.hidden_size, d.num_layers, d.embed_size, d.steps, d.seq_len,
                                                  d.batch_size, d.lr, d.lr_schedule, d.warmup, d.forget_bias,
                                                  d.dropout, d.seed)
    assert p.parse_args(["-o", "m.pt", "--forget-bias", "torch"]).forget_bias is None
    assert p.parse_args(["-o", "m.pt", "--warmup", "0"]).warmup == 0


def test_the_train_dialog_starts_from_the_trainers_defaults(qtbot, tmp_path):
    from PySide6 import QtCore

    from lstm_viz.app.train_dialog import TrainDialog

    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    dialog = TrainDialog(settings)
    qtbot.addWidget(dialog)
    c, d = dialog.config(), TrainConfig()
    for name in ("hidden_size", "embed_size", "num_layers", "steps", "seq_len", "batch_size", "lr", "lr_schedule",
                 "warmup", "forget_bias", "clip", "cell"):
        assert getattr(c, name) == pytest.approx(getattr(d, name)), name


def test_the_defaults_run_and_the_forget_bias_is_set_at_the_start(tmp_path):
    """A tiny run with the defaults trains and its model starts with the default forget-gate bias in place."""
    from lstm_viz.core.corpora import load_corpus
    from lstm_viz.core.vocab import Vocab

    d = TrainConfig()
    torch.manual_seed(0)
    model = train_mod.build_model(Vocab.from_text("ab c"), TrainConfig(hidden_size=4, embed_size=3))
    H = 4
    total = (model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0)[H: 2 * H].detach()  # (H,) the forget rows
    if d.forget_bias is None:
        assert not torch.equal(total, torch.full_like(total, total[0].item()))  # PyTorch's random bias
    else:
        assert torch.equal(total, torch.full_like(total, d.forget_bias))
    corpus = load_corpus("quotes", seed=0, size=20_000)
    config = TrainConfig(hidden_size=8, embed_size=4, steps=30, eval_every=0, checkpoint_every=0)
    result = train_mod.run_to_end(train_mod.train(corpus, config, tmp_path / "m.pt"))
    assert result.steps == 30 and math.isfinite(result.val_bpc)


def test_the_hard_corpus_is_what_the_script_says(script):
    """Quotes of 4-200 characters (marks included) in Title Case with the modules' public names among their
    words, labels the app's own 'inside quotes' feature, apostrophes and 'single' quotes inside quotes, the same
    text from the same seed."""
    corpus = script.quoted_phrases(seed=3, size=30_000)
    text = corpus.text
    assert len(text) == 30_000 and text == script.quoted_phrases(seed=3, size=30_000).text
    np.testing.assert_array_equal(corpus.labels, text_labels(text)["in_string"])
    parity = np.cumsum(np.frombuffer(text.encode("utf-32-le"), np.uint32) == ord('"')) % 2  # (T,)
    np.testing.assert_array_equal(corpus.labels, parity)  # only double quotes open and close
    quotes = [q for line in text.split("\n")[:-1] for q in line.split('"')[1::2]]
    lengths = np.array([len(q) + 2 for q in quotes])  # with the marks
    assert lengths.min() >= 4 and lengths.max() <= 200 and np.median(lengths) < 60 < lengths.max() - 60
    assert any("'" in q.replace("n't", "").replace("'s", "") for q in quotes)  # 'single' quotes inside
    assert any("n't" in q or "'s" in q for q in quotes) and "(" in text and "#" not in text
    assert 0.3 < corpus.labels.mean() < 0.7
    outside = "\n".join(part for line in text.split("\n") for part in line.split('"')[0::2])
    assert "_" not in outside and sum("_" in q for q in quotes) > len(quotes) / 5  # public names: only quoted
    for q in quotes:  # Title Case inside, whatever punctuation opens the word
        assert all(not w.lstrip("('")[:1].islower() for w in q.split(" ")), q
    words, cdf = script.word_list()
    assert len(words) > 500 and cdf[-1] == pytest.approx(1.0) and np.all(np.diff(cdf) > 0)
