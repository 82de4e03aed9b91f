"""The training core: a quote cell appears, runs are deterministic, cancel and failures keep a valid file; the
forget-gate bias starts where the defaults say."""
import math

import numpy as np
import pytest
import torch

from lstm_viz.core import train as train_mod
from lstm_viz.core.analysis import unit_correlations
from lstm_viz.core.corpora import load_corpus
from lstm_viz.core.errors import InputError, LstmVizError
from lstm_viz.core.loading import load_model
from lstm_viz.core.trace import trace
from lstm_viz.core.train import TrainConfig, run_to_end, thin, train

TINY = dict(hidden_size=16, embed_size=8, seq_len=20, batch_size=4, steps=12, eval_every=5, checkpoint_every=0)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny models: threads only add waiting


@pytest.fixture(scope="module")
def quotes():
    return load_corpus("quotes", seed=0, size=60_000)


def test_quote_cell_appears(quotes, tmp_path):
    """Karpathy et al.'s quote cell: a 32-unit LSTM trained briefly has a cell tracking 'inside a quote'."""
    config = TrainConfig(hidden_size=32, embed_size=16, seq_len=64, batch_size=32, lr=1e-2, steps=700,
                         eval_every=0, checkpoint_every=0, seed=0)
    result = run_to_end(train(quotes, config, tmp_path / "q.pt"))
    assert result.val_bpc < 1.5
    held_out = load_corpus("quotes", seed=99, size=3000)  # text the model never saw
    tr = trace(load_model(tmp_path / "q.pt"), held_out.text)
    r = unit_correlations(tr.get("cell"), held_out.labels)
    assert np.nanmax(np.abs(r)) >= 0.8, np.sort(np.abs(r))[-5:]


def test_the_defaults_find_the_quote_cell_quickly(quotes, tmp_path):
    """What a new user gets: only the size and a short run chosen, everything else the defaults."""
    config = TrainConfig(hidden_size=32, steps=150, eval_every=0, checkpoint_every=0)
    result = run_to_end(train(quotes, config, tmp_path / "d.pt"))
    assert result.val_bpc < 3.2  # the first defaults reach 3.8 here, 0.01 without warm-up 2.7, these 2.1
    held_out = load_corpus("quotes", seed=99, size=3000)
    tr = trace(load_model(tmp_path / "d.pt"), held_out.text)
    r = unit_correlations(tr.get("cell"), held_out.labels)
    assert np.nanmax(np.abs(r)) >= 0.8, np.sort(np.abs(r))[-5:]


def _weights(path):
    return load_model(path).model.state_dict()


def test_same_seed_same_weights_even_if_others_use_the_rng(quotes, tmp_path):
    config = TrainConfig(**TINY, dropout=0.3, seed=3)  # dropout draws random masks every batch
    run_to_end(train(quotes, config, tmp_path / "a.pt"))
    gen = train(quotes, config, tmp_path / "b.pt")
    for _ in gen:
        torch.rand(7)  # someone else drawing from torch's RNG between batches changes nothing
    other = run_to_end(train(quotes, TrainConfig(**TINY, dropout=0.3, seed=4), tmp_path / "c.pt"))
    a, b, c = _weights(tmp_path / "a.pt"), _weights(tmp_path / "b.pt"), _weights(other.path)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_progress_and_checkpoint_contents(quotes, tmp_path):
    config = TrainConfig(**{**TINY, "checkpoint_every": 5})
    progress = []
    gen = train(quotes, config, tmp_path / "m.pt", metadata={"command": "test"})
    while True:
        try:
            progress.append(next(gen))
        except StopIteration as stop:
            result = stop.value
            break
    assert [p.step for p in progress] == list(range(1, 13))
    assert all(p.total_steps == 12 and math.isfinite(p.train_loss) and p.tokens_per_sec > 0 for p in progress)
    assert [p.step for p in progress if p.val_loss is not None] == [5, 10, 12]
    assert [p.step for p in progress if p.saved] == [5, 10, 12]
    assert progress[-1].seconds_left == 0
    assert not result.cancelled and result.steps == 12
    assert result.val_bpc == pytest.approx(result.val_loss / math.log(2))
    meta = load_model(result.path).metadata
    assert meta["corpus"] == "quotes" and meta["corpus_chars"] == 60_000 and meta["seed"] == 0
    assert meta["steps"] == 12 and meta["settings"]["hidden_size"] == 16 and meta["command"] == "test"
    assert meta["loss_steps"] == list(range(1, 13)) and len(meta["losses"]) == 12
    assert meta["val_steps"] == [5, 10, 12] and meta["val_bpc"] == pytest.approx(result.val_bpc)
    assert meta["elapsed_s"] >= 0 and meta["cancelled"] is False


def test_history_is_thinned():
    steps, values = thin(list(range(1, 2501)), [float(i) for i in range(1, 2501)], points=1000)
    assert len(values) <= 1000 and steps[-1] == 2500
    assert values[0] == pytest.approx(np.mean([1, 2, 3]))


def test_close_cancels_and_saves_current_weights(quotes, tmp_path):
    out = tmp_path / "m.pt"
    out.write_bytes(b"an older checkpoint")
    flat = {**TINY, "lr_schedule": "constant", "warmup": 0}  # a cosine or warm-up depends on the run's length
    gen = train(quotes, TrainConfig(**{**flat, "steps": 1000}), out)
    for p in gen:
        if p.step == 3:
            break
    gen.close()  # what the GUI's cancel button does
    loaded = load_model(out)
    assert loaded.metadata["cancelled"] is True and loaded.metadata["steps"] == 3
    # the saved weights are those after step 3: continuing them is what a 3-step run gives
    ref = run_to_end(train(quotes, TrainConfig(**{**flat, "steps": 3}), tmp_path / "ref.pt"))
    a, b = loaded.model.state_dict(), _weights(ref.path)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_nan_loss_keeps_the_existing_checkpoint(quotes, tmp_path, monkeypatch):
    out = tmp_path / "m.pt"
    out.write_bytes(b"precious")
    real = train_mod.build_model

    def poisoned(vocab, config):
        model = real(vocab, config)
        with torch.no_grad():
            model.decoder.bias.fill_(float("nan"))
        return model

    monkeypatch.setattr(train_mod, "build_model", poisoned)
    with pytest.raises(InputError, match="diverged.*step 1;.*--lr") as err:
        run_to_end(train(quotes, TrainConfig(**TINY), out))
    assert "\n" not in str(err.value)
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize("settings, words", [
    ({"hidden_size": 0}, "hidden_size"), ({"num_layers": -1}, "num_layers"), ({"seq_len": 0}, "seq_len"),
    ({"batch_size": -2}, "batch_size"), ({"lr": float("nan")}, "learning rate"), ({"lr": 0}, "learning rate"),
    ({"dropout": 1.0}, "dropout"), ({"steps": 0}, "steps"), ({"epochs": 0}, "epochs"),
    ({"hidden_size": 10 ** 6}, "beyond"),
])
def test_absurd_settings(settings, words):
    with pytest.raises(InputError, match=words) as err:
        TrainConfig(**settings)
    assert "\n" not in str(err.value)


def test_short_or_empty_corpus_and_bad_output(quotes, tmp_path):
    from lstm_viz.core.corpora import Corpus

    with pytest.raises(InputError, match="empty"):
        run_to_end(train(Corpus("e.txt", "", None), TrainConfig(**TINY), tmp_path / "m.pt"))
    with pytest.raises(InputError, match="too short"):
        run_to_end(train(Corpus("s.txt", "abc" * 20, None), TrainConfig(**TINY), tmp_path / "m.pt"))
    with pytest.raises(LstmVizError, match="does not exist"):
        run_to_end(train(quotes, TrainConfig(**TINY), tmp_path / "nope" / "m.pt"))
    with pytest.raises(LstmVizError, match="is a folder"):
        run_to_end(train(quotes, TrainConfig(**TINY), tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_epochs_set_the_step_count(tmp_path):
    corpus = load_corpus("brackets", seed=1, size=2000)
    config = TrainConfig(**{**TINY, "epochs": 2, "val_fraction": 0.1})
    result = run_to_end(train(corpus, config, tmp_path / "m.pt"))
    assert result.steps == 2 * ((1800 // 4 - 1) // 20)


def test_the_bundled_demo_model_says_how_it_was_made():
    from lstm_viz.resources import DEMO_MODEL

    if not DEMO_MODEL.exists():
        pytest.skip("the demo model is not built yet (scripts/train_demo_model.py)")
    assert DEMO_MODEL.stat().st_size < 5_000_000
    meta = load_model(DEMO_MODEL).metadata
    assert meta["corpus"] == "python-stdlib" and meta["corpus_files"] and meta["corpus_chars"] > 1_000_000
    assert meta["command"].startswith("python scripts/train_demo_model.py") and "seed" in meta
    assert meta["val_bpc"] < 2.5


@pytest.mark.parametrize("cell", ["lstm", "peephole", "cifg", "gru", "rnn"])
def test_forget_gate_bias_starts_at_one_and_nothing_else_moves(cell):
    """forget_bias=1: bias_ih + bias_hh of the forget gate is 1 in every layer and direction; every other
    parameter is what the same seed gives with PyTorch's own initialisation (the default, None). GRU and RNN
    are untouched."""
    from lstm_viz.core.model import FORGET_GATE_BLOCK
    from lstm_viz.core.vocab import Vocab

    vocab = Vocab.from_text("abc def")
    assert TrainConfig().forget_bias is None
    models = {}
    for fb in (1.0, None):
        torch.manual_seed(5)
        models[fb] = train_mod.build_model(vocab, TrainConfig(hidden_size=6, embed_size=4, num_layers=2,
                                                              cell=cell, forget_bias=fb)).state_dict()
    new, old = models[1.0], models[None]
    assert new.keys() == old.keys()
    block = FORGET_GATE_BLOCK.get(cell)
    for name in new:
        if block is not None and name.startswith("rnn.bias_"):
            f = slice(6 * block, 6 * block + 6)
            others = torch.ones(len(new[name]), dtype=torch.bool)
            others[f] = False
            assert torch.equal(new[name][others], old[name][others]), name
            if name.startswith("rnn.bias_ih"):
                total = new[name][f] + new[name.replace("bias_ih", "bias_hh")][f]
                assert torch.equal(total, torch.ones(6)), name
        else:
            assert torch.equal(new[name], old[name]), name
    if block is not None:
        assert any(not torch.equal(new[k], old[k]) for k in new)  # the setting did something


@pytest.mark.parametrize("cell", ["lstm", "peephole", "cifg"])
def test_the_bias_set_is_the_forget_gate_the_tracer_shows(cell):
    """With every weight but the biases zeroed, the traced forget gate is exactly σ(1) = 0.731 at every step:
    the rows set are the ones lstm_viz draws as the forget gate."""
    from lstm_viz.core.model import LoadedModel
    from lstm_viz.core.vocab import Vocab

    vocab = Vocab.from_text("abc def")
    torch.manual_seed(0)
    model = train_mod.build_model(vocab, TrainConfig(hidden_size=5, embed_size=3, cell=cell, forget_bias=1.0))
    with torch.no_grad():
        for name, p in model.rnn.named_parameters():
            if not name.startswith("bias_"):
                p.zero_()
    tr = trace(LoadedModel(model=model.eval(), vocab=vocab, name=cell), "abc de fa")
    f = tr.get("forget_gate")  # (T, 5)
    np.testing.assert_allclose(f, 1 / (1 + math.exp(-1.0)), rtol=1e-6)


def test_learning_rate_schedule():
    d = TrainConfig()
    assert (d.lr, d.lr_schedule, d.warmup) == (2e-2, "cosine", 200)  # the measured defaults (README)
    cos = TrainConfig(warmup=0)
    assert train_mod.lr_factor(cos, 0, 101) == pytest.approx(1.0)
    assert train_mod.lr_factor(cos, 50, 101) == pytest.approx((1 + train_mod.LR_FLOOR) / 2)
    assert train_mod.lr_factor(cos, 100, 101) == pytest.approx(train_mod.LR_FLOOR)
    steps = [train_mod.lr_factor(cos, s, 101) for s in range(101)]
    assert all(a > b for a, b in zip(steps, steps[1:]))
    flat = TrainConfig(lr_schedule="constant", warmup=0)
    assert {train_mod.lr_factor(flat, s, 101) for s in range(101)} == {1.0}
    with pytest.raises(InputError, match="lr_schedule"):
        TrainConfig(lr_schedule="linear")
    with pytest.raises(InputError, match="forget_bias"):
        TrainConfig(forget_bias=float("inf"))


def test_the_schedule_reaches_the_optimiser(quotes, tmp_path, monkeypatch):
    """The learning rate Adam uses at each step is lr * lr_factor (the schedule is not just computed)."""
    seen = []
    real_step = torch.optim.Adam.step

    def spy(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", spy)
    config = TrainConfig(**{**TINY, "steps": 5})
    run_to_end(train(quotes, config, tmp_path / "m.pt"))
    assert seen == pytest.approx([config.lr * train_mod.lr_factor(config, s, 5) for s in range(5)])
    assert seen[0] == pytest.approx(2e-2) and seen[-1] == pytest.approx(2e-3)  # 5 steps: no room to warm up
    seen.clear()
    config = TrainConfig(**{**TINY, "steps": 40, "warmup": 4})
    run_to_end(train(quotes, config, tmp_path / "w.pt"))
    assert seen[:5] == pytest.approx([c * config.lr * train_mod.lr_factor(TrainConfig(warmup=0), s, 40)
                                      for s, c in enumerate((.25, .5, .75, 1, 1))])


# -- one forget-gate bias, one meaning: the total b_ih + b_hh of the keep gate set to the value -----------------
def _forget_totals(rnn, cell):
    """For every layer and direction of ``rnn`` (a torch module, ours, or a LayerStack): the forget gate's
    total bias b_ih[f] + b_hh[f], and the other rows' biases (to check nothing else moved)."""
    from lstm_viz.core.cells import cell_type
    from lstm_viz.core.stack import LayerStack

    block = {"lstm": 1, "peephole": 1, "cifg": 0}[cell]  # i, f, g, o; CIFG: f, g, o
    modules = list(rnn.layers) if isinstance(rnn, LayerStack) else [rnn]
    totals, others = [], []
    for m in modules:
        H = m.hidden_size
        suffixes = [f"_l{k}{r}" for k in range(m.num_layers) for r in ("", "_reverse")[: 1 + m.bidirectional]]
        for sfx in suffixes:
            b_ih, b_hh = getattr(m, "bias_ih" + sfx), getattr(m, "bias_hh" + sfx)
            rows = torch.zeros(len(b_ih), dtype=torch.bool)
            rows[block * H: (block + 1) * H] = True
            totals.append((b_ih + b_hh)[rows].detach().clone())
            others.append(torch.cat([b_ih[~rows], b_hh[~rows]]).detach().clone())
    assert cell_type(cell).has_cell_state
    return totals, others


@pytest.mark.parametrize("stacked", [False, True], ids=["torch-stack", "LayerStack"])
@pytest.mark.parametrize("cell", ["lstm", "peephole", "cifg"])
def test_set_forget_bias_sets_the_total_in_every_layer_and_direction(cell, stacked):
    """set_forget_bias(rnn, cell, v): b_ih_f + b_hh_f == v in every layer and direction, every other bias as it
    was; on a LayerStack (layers of different sizes) too, which once failed (it has no single hidden_size)."""
    from lstm_viz.core.cells import cell_type
    from lstm_viz.core.model import set_forget_bias
    from lstm_viz.core.stack import LayerStack

    torch.manual_seed(0)
    rnn = LayerStack(cell, 3, (4, 7, 5), bidirectional=True) if stacked else \
        cell_type(cell).build(3, 6, num_layers=2, bidirectional=True)
    _, others_before = _forget_totals(rnn, cell)
    assert set_forget_bias(rnn, cell, 1.0) is True
    totals, others_after = _forget_totals(rnn, cell)
    assert len(totals) == (6 if stacked else 4)
    for t in totals:
        assert torch.equal(t, torch.ones_like(t))
    for a, b in zip(others_before, others_after):
        assert torch.equal(a, b)
    set_forget_bias(rnn, cell, -0.5)  # set, not added: a second call gives the value again
    assert all(torch.equal(t, torch.full_like(t, -0.5)) for t in _forget_totals(rnn, cell)[0])


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_set_forget_bias_leaves_gru_and_rnn_alone(cell):
    """The option is the LSTM's forget gate (Jozefowicz et al. 2015); a GRU's update gate z is not touched (by
    choice: see set_forget_bias), a plain RNN has no gate. False says nothing changed."""
    from lstm_viz.core.cells import cell_type
    from lstm_viz.core.model import set_forget_bias
    from lstm_viz.core.stack import LayerStack

    for rnn in (cell_type(cell).build(3, 4, num_layers=2), LayerStack(cell, 3, (4, 6))):
        before = {k: v.clone() for k, v in rnn.state_dict().items()}
        assert set_forget_bias(rnn, cell, 1.0) is False
        assert all(torch.equal(before[k], v) for k, v in rnn.state_dict().items())


@pytest.mark.parametrize("cell", ["lstm", "peephole", "cifg"])
def test_forget_bias_on_a_layer_stack_is_the_gate_the_tracer_shows(cell):
    """A model whose layers differ in size, built with forget_bias=1 and every weight but the biases zeroed:
    the traced forget gate of every layer is σ(1)."""
    from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
    from lstm_viz.core.vocab import Vocab

    vocab = Vocab.from_text("abc def")
    torch.manual_seed(0)
    model = RNNLanguageModel(ModelConfig(input_size=3, hidden_size=4, num_layers=2, layer_sizes=(4, 6),
                                         vocab_size=len(vocab), cell=cell))
    model.init_weights(forget_bias=1.0)
    with torch.no_grad():
        for name, p in model.rnn.named_parameters():
            if "bias_" not in name:
                p.zero_()
    tr = trace(LoadedModel(model=model.eval(), vocab=vocab, name=cell), "abc de fa")
    for layer, units in ((0, 4), (1, 6)):
        f = tr.get("forget_gate", layer=layer)  # (T, units)
        assert f.shape[1] == units
        np.testing.assert_allclose(f, 1 / (1 + math.exp(-1.0)), rtol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "peephole", "cifg", "gru"])
def test_the_lab_uses_the_same_forget_bias(cell):
    """The long-range lab's forget_bias means what the trainer's does: the total bias is the value (it once
    added the value to PyTorch's random bias_ih); a GRU is left as PyTorch made it."""
    from lstm_viz.core.lab import LabConfig, _build, lab_vocab

    config = LabConfig(cells=(cell,), hidden_size=6, embed_size=4, forget_bias=1.0)
    torch.manual_seed(0)
    model = _build(lab_vocab(), cell, config)
    if cell == "gru":
        torch.manual_seed(0)
        plain = _build(lab_vocab(), cell, LabConfig(cells=(cell,), hidden_size=6, embed_size=4, forget_bias=None))
        assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), plain.state_dict().values()))
        return
    totals, _ = _forget_totals(model.rnn, cell)
    assert all(torch.equal(t, torch.ones_like(t)) for t in totals)
