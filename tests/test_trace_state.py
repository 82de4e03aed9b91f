"""A given initial state equals torch's forward from that state; a model that reads right to left is traced in
the text's own order and equals the forward model on the reversed text, flipped back."""
import numpy as np
import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.core.cells import CELLS
from lstm_viz.core.checkpoint import save_checkpoint
from lstm_viz.core.errors import InputError
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.trace import Trace, trace
from lstm_viz.core.vocab import Vocab

TEXT = "the cat sat on the mat"


def loaded(cell, reads_backward=False, seed=3, bidirectional=True):
    torch.manual_seed(seed)
    vocab = Vocab.from_text(TEXT)
    cfg = ModelConfig(input_size=5, hidden_size=4, num_layers=2, bidirectional=bidirectional,
                      vocab_size=len(vocab), cell=cell, reads_backward=reads_backward)
    model = RNNLanguageModel(cfg).eval()
    with torch.no_grad():
        for p in model.rnn.parameters():
            p.mul_(2.0)
    return LoadedModel(model=model, vocab=vocab, name=cell)


def random_state(m, seed=0):
    g = torch.Generator().manual_seed(seed)
    rnn = m.model.rnn
    n = rnn.num_layers * (2 if rnn.bidirectional else 1)
    h0 = torch.randn(n, rnn.hidden_size, generator=g)
    return (h0, torch.randn(n, rnn.hidden_size, generator=g) * 2) if CELLS[m.config.cell].has_cell_state else (h0,)


def as_npz_dict(m, state):
    D = 2 if m.model.rnn.bidirectional else 1
    return {f"{p}0_l{k // D}" + ("_reverse" if k % D else ""): t[k].numpy()
            for p, t in zip("hc", state) for k in range(len(t))}


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_given_state_equals_torch_forward_from_it(cell):
    m = loaded(cell)
    state = random_state(m)
    tr = trace(m, TEXT, chunk=5, state=as_npz_dict(m, state))
    ids = torch.from_numpy(tr.token_ids.copy())
    with torch.no_grad():
        y, final = m.model.rnn(m.model.encoder(ids), state if len(state) == 2 else state[0])
    np.testing.assert_allclose(np.hstack([tr["hidden_l1"], tr["hidden_l1_reverse"]]), y.numpy(), atol=1e-5)
    h_n = final[0] if len(state) == 2 else final
    np.testing.assert_allclose(tr["hidden_l0"][-1], h_n[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(tr["hidden_l0_reverse"][0], h_n[1].numpy(), atol=1e-5)
    if len(state) == 2:
        np.testing.assert_allclose(tr["cell_l1"][-1], final[1][2].numpy(), atol=1e-5)
    zero = trace(m, TEXT)
    assert not np.allclose(zero["hidden_l0"][0], tr["hidden_l0"][0])  # the state did change something
    same = trace(m, TEXT, state=state if len(state) == 2 else state[0])  # torch's own layout
    np.testing.assert_array_equal(same["hidden_l1"], tr["hidden_l1"])
    assert tr.metadata["initial_state"] == "given"


def test_wrong_states_are_one_line_errors():
    m = loaded("lstm")
    good = as_npz_dict(m, random_state(m))
    cases = [
        ({**good, "h0_l1": np.zeros(3, np.float32)}, r"h0_l1 has shape \(3,\); the model needs \(4,\)"),
        ({k: v for k, v in good.items() if k != "c0_l0"}, "c0_l0 is missing"),
        ({**good, "h0_l2": np.zeros(4, np.float32)}, "unexpected h0_l2"),
        ({**good, "c0_l0": np.full(4, np.nan, np.float32)}, "c0_l0 must hold finite"),
        ((torch.zeros(3, 4), torch.zeros(4, 4)), r"h0 has shape \(3, 4\); the model needs \(4, 4\)"),
    ]
    for state, message in cases:
        with pytest.raises(InputError, match=message) as info:
            trace(m, TEXT, state=state)
        assert "\n" not in str(info.value) and str(info.value).startswith("initial state: ")
    g = loaded("gru")
    with pytest.raises(InputError, match=r"unexpected c0_l0 \(this cell has no cell state\)"):
        trace(g, TEXT, state={**as_npz_dict(g, random_state(g)), "c0_l0": np.zeros(4, np.float32)})


def test_cli_initial_state(tmp_path, capsys):
    m = loaded("lstm", bidirectional=False)
    save_checkpoint(tmp_path / "m.pt", m.model, m.vocab)
    state = as_npz_dict(m, random_state(m))
    np.savez(tmp_path / "s.npz", **state)
    assert main(["trace", str(tmp_path / "m.pt"), "--text", TEXT, "--initial-state", str(tmp_path / "s.npz"),
                 "-o", str(tmp_path / "t.npz")]) == 0
    want = trace(m, TEXT, state=state)
    np.testing.assert_array_equal(Trace.load_npz(tmp_path / "t.npz")["cell_l1"], want["cell_l1"])
    capsys.readouterr()
    np.savez(tmp_path / "bad.npz", **{**state, "c0_l1": np.zeros((1, 4), np.float32)})
    assert main(["trace", str(tmp_path / "m.pt"), "--text", TEXT, "--initial-state", str(tmp_path / "bad.npz"),
                 "-o", str(tmp_path / "t2.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "bad.npz: initial state: c0_l1 has shape (1, 4)" in err
    assert not (tmp_path / "t2.npz").exists()
    assert main(["trace", str(tmp_path / "m.pt"), "--text", TEXT, "--initial-state", str(tmp_path / "none.npz"),
                 "-o", str(tmp_path / "t2.npz")]) == 2
    assert "none.npz: no such file" in capsys.readouterr().err


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_backward_reader_is_traced_in_text_order(cell, tmp_path):
    back = loaded(cell, reads_backward=True)
    fwd = LoadedModel(model=RNNLanguageModel(ModelConfig(**{**back.config.to_dict(), "reads_backward": False})),
                      vocab=back.vocab, name="forward")
    fwd.model.load_state_dict(back.model.state_dict())
    fwd.model.eval()
    tr = trace(back, TEXT, chunk=4)
    rev = trace(fwd, TEXT[::-1], chunk=4)
    assert tr.reads_backward and not rev.reads_backward
    assert "".join(tr.tokens) == TEXT
    for name in tr.keys():
        if name not in ("tokens", "token_ids"):
            np.testing.assert_array_equal(tr[name], rev[name][::-1], err_msg=name)
    # the loss at t is the surprise at token t, predicted from the tokens after it
    t = 5
    assert tr.loss[t] == pytest.approx(-np.log(tr.probs[t + 1][tr.token_ids[t]]), rel=1e-5)
    assert np.isnan(tr.loss[-1])
    tr.save_npz(tmp_path / "b.npz")
    assert Trace.load_npz(tmp_path / "b.npz").reads_backward
