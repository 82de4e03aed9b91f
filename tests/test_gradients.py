"""Connectivity (‖∂ log p(token_{t+1}) / ∂ x_s‖) and the gate product, checked against independent computations:
autograd with one leaf per step, a plain RNN's gradient worked out by hand, and the trace's own gates multiplied
one by one. The CLI writes what the core computes and answers bad input in one line."""
import numpy as np
import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.errors import InputError
from lstm_viz.core.gradients import connectivity, gate_product
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab

TEXT = "abcab cba bca"


def tiny(cell: str, seed: int = 0, embedding: bool = True) -> LoadedModel:
    vocab = Vocab.from_text(TEXT)
    torch.manual_seed(seed)
    V = len(vocab)
    config = ModelConfig(input_size=3 if embedding else V, hidden_size=4, vocab_size=V, embedding=embedding,
                         cell=cell)
    model = RNNLanguageModel(config).double().eval()
    return LoadedModel(model, vocab, f"tiny-{cell}")


def per_step_leaves(loaded: LoadedModel, text: str, at: int) -> np.ndarray:
    """The same norms another way: one leaf tensor per step, the whole text read, each gradient on its own."""
    model, vocab = loaded.model, loaded.vocab
    ids = torch.from_numpy(vocab.encode(text).ids)
    xs = [model.inputs(ids[s: s + 1]).detach().clone().requires_grad_(True) for s in range(len(ids))]
    y, _ = model.rnn(torch.cat(xs)[:, None])  # (T, 1, H)
    logp = torch.log_softmax(model.decoder(y[at, 0]), -1)[ids[at + 1]]
    grads = torch.autograd.grad(logp, xs[: at + 1] + xs[at + 1:], allow_unused=True)
    after = [g for g in grads[at + 1:] if g is not None]
    assert all(float(g.abs().max()) == 0 for g in after)  # the future does not reach back
    return np.array([float(g.norm()) for g in grads[: at + 1]])


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "peephole", "cifg"])
@pytest.mark.parametrize("embedding", [True, False])
def test_norms_equal_autograd_per_step(cell, embedding):
    loaded = tiny(cell, seed=3, embedding=embedding)
    for at in (0, 5, len(TEXT) - 2):
        got = connectivity(loaded, TEXT, at)
        assert got.grad_norm.shape == (at + 1,)
        np.testing.assert_allclose(got.grad_norm, per_step_leaves(loaded, TEXT, at), rtol=1e-10, atol=1e-14)
        np.testing.assert_array_equal(got.distance, at - np.arange(at + 1))
        assert got.tokens == tuple(TEXT[: at + 1]) and got.target == TEXT[at + 1]
        assert got.grad_norm.min() > 0  # every earlier input reaches a recurrent prediction


def test_plain_rnn_gradient_by_hand():
    """h_t = tanh(W_ih x_t + b + W_hh h_{t-1}): backpropagate through time in numpy and compare."""
    loaded = tiny("rnn", seed=1)
    m, vocab = loaded.model, loaded.vocab
    ids = vocab.encode(TEXT).ids
    at = 9
    W_ih, W_hh = m.rnn.weight_ih_l0.detach().numpy(), m.rnn.weight_hh_l0.detach().numpy()
    b = (m.rnn.bias_ih_l0 + m.rnn.bias_hh_l0).detach().numpy()
    E, W_d, b_d = m.encoder.weight.detach().numpy(), m.decoder.weight.detach().numpy(), m.decoder.bias.detach().numpy()
    h, hs = np.zeros(4), []
    for s in range(at + 1):
        h = np.tanh(W_ih @ E[ids[s]] + b + W_hh @ h)
        hs.append(h)
    logits = W_d @ h + b_d
    p = np.exp(logits - logits.max())
    p /= p.sum()
    g_h = W_d.T @ (np.eye(len(p))[ids[at + 1]] - p)  # ∂ log p / ∂ h_t
    want = np.zeros(at + 1)
    for s in range(at, -1, -1):
        g_pre = g_h * (1 - hs[s] ** 2)
        want[s] = np.linalg.norm(W_ih.T @ g_pre)
        g_h = W_hh.T @ g_pre
    got = connectivity(loaded, TEXT, at)
    np.testing.assert_allclose(got.grad_norm, want, rtol=1e-10)
    assert got.log_prob == pytest.approx(np.log(p[ids[at + 1]]), rel=1e-12)


def test_eval_mode_and_mode_restored():
    """Two layers with dropout between them, left in training mode: the norms are those of eval mode."""
    vocab = Vocab.from_text(TEXT)
    torch.manual_seed(0)
    model = RNNLanguageModel(ModelConfig(input_size=3, hidden_size=4, num_layers=2, dropout=0.9,
                                         vocab_size=len(vocab))).double()
    loaded = LoadedModel(model.train(), vocab, "two-layer")
    a = connectivity(loaded, TEXT, 6).grad_norm
    assert loaded.model.training
    want = connectivity(LoadedModel(model.eval(), vocab, "two-layer"), TEXT, 6).grad_norm
    np.testing.assert_array_equal(a, want)
    np.testing.assert_allclose(a, per_step_leaves(loaded, TEXT, 6), rtol=1e-10)


@pytest.mark.parametrize("cell,gate", [("lstm", "forget_gate"), ("cifg", "forget_gate"), ("gru", "update_gate")])
def test_gate_product_multiplies_the_trace(cell, gate):
    loaded = tiny(cell, seed=2)
    tr = trace(loaded, TEXT)
    t, units = 9, [3, 0]
    got = gate_product(tr, t, units)
    g = tr.get(gate)
    assert got.shape == (t + 1, 2)
    for s in range(t + 1):
        for j, u in enumerate(units):
            want = 1.0
            for k in range(s + 1, t + 1):
                want *= float(g[k, u])
            assert got[s, j] == pytest.approx(want, rel=1e-12)
    assert np.all(got[:-1] < 1) and np.all(np.diff(got, axis=0) >= 0)  # decays going back in time


def test_gate_product_not_defined_for_rnn_and_bad_steps():
    tr = trace(tiny("rnn"), TEXT)
    with pytest.raises(InputError, match="not defined"):
        gate_product(tr, 3)
    tr = trace(tiny("lstm"), TEXT)
    with pytest.raises(InputError, match="outside"):
        gate_product(tr, len(TEXT))


def test_bad_steps_are_input_errors():
    loaded = tiny("gru")
    for at in (-1, len(TEXT) - 1, 100):
        with pytest.raises(InputError, match="0..11"):
            connectivity(loaded, TEXT, at)


# -- the CLI -----------------------------------------------------------------------------------------------------
@pytest.fixture
def checkpoint(tmp_path):
    loaded = tiny("gru", seed=4)
    path = tmp_path / "gru.pt"
    save_checkpoint(path, loaded.model.float(), loaded.vocab, {})
    return path


def test_cli_writes_npz_and_csv(tmp_path, checkpoint, capsys):
    npz, csv = tmp_path / "g.npz", tmp_path / "g.csv"
    assert main(["gradients", str(checkpoint), "--text", TEXT, "--at", "7", "-o", str(npz)]) == 0
    assert main(["gradients", str(checkpoint), "--text", TEXT, "--at", "7", "-o", str(csv)]) == 0
    with np.load(npz) as z:
        g = z["grad_norm"]
        assert g.shape == (8,) and list(z["distance"]) == list(range(7, -1, -1))
    from lstm_viz.core.loading import load_model

    want = connectivity(load_model(checkpoint), TEXT, 7).grad_norm
    np.testing.assert_allclose(g, want, rtol=1e-6)
    lines = csv.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "s,distance,token,grad_norm" and len(lines) == 9
    s, d, tok, val = lines[1].split(",")
    assert (s, d, tok) == ("0", "7", "a") and float(val) == pytest.approx(want[0], rel=1e-6)


@pytest.mark.parametrize("case", ["at-too-far", "bad-ext", "missing", "empty-text"])
def test_cli_bad_input_one_line(tmp_path, checkpoint, capsys, case):
    argv = {"at-too-far": [str(checkpoint), "--text", TEXT, "--at", "50", "-o", str(tmp_path / "g.npz")],
            "bad-ext": [str(checkpoint), "--text", TEXT, "--at", "2", "-o", str(tmp_path / "g.txt")],
            "missing": [str(tmp_path / "nope.pt"), "--text", TEXT, "--at", "2", "-o", str(tmp_path / "g.npz")],
            "empty-text": [str(checkpoint), "--text", "", "--at", "0", "-o", str(tmp_path / "g.npz")]}[case]
    assert main(["gradients", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lstm-viz gradients: error: "), err
    assert not (tmp_path / "g.npz").exists()
