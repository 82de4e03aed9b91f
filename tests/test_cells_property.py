"""Property: every cell type's extracted quantities reproduce the model itself.

GRU and RNN against torch's own nn.GRU / nn.RNN (outputs and final states, and the gates' own equations);
peephole and CIFG, which torch lacks, against an independent float64 loop written here from the equations.
1-3 layers, bidirectional, with/without biases, float32 and float64, chunks smaller than the text; within 1e-5.
"""
import numpy as np
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

from lstm_viz.core.cells import CELLS
from lstm_viz.core.gates import iter_states
from lstm_viz.core.variants import CIFGLSTM, PeepholeLSTM
from lstm_viz.core.generators import run_to_end as run

ATOL = 1e-5


@st.composite
def configs(draw):
    return dict(input_size=draw(st.integers(1, 6)), hidden=draw(st.integers(1, 7)), layers=draw(st.integers(1, 3)),
                bidirectional=draw(st.booleans()), bias=draw(st.booleans()),
                dtype=draw(st.sampled_from([torch.float32, torch.float64])), T=draw(st.integers(1, 30)),
                chunk=draw(st.integers(1, 36)), seed=draw(st.integers(0, 2 ** 16)))


def scaled(module, factor=2.5):
    with torch.no_grad():  # larger weights than the default init, so that gates saturate
        for p in module.parameters():
            p.mul_(factor)
    return module.eval()


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@settings(max_examples=30, deadline=None)
@given(configs(), st.sampled_from(["gru", "rnn_tanh", "rnn_relu"]))
def test_gru_and_rnn_match_torch(cfg, kind):
    torch.manual_seed(cfg["seed"])
    common = dict(num_layers=cfg["layers"], bias=cfg["bias"], bidirectional=cfg["bidirectional"], dtype=cfg["dtype"])
    if kind == "gru":
        rnn = scaled(nn.GRU(cfg["input_size"], cfg["hidden"], **common))
    else:
        rnn = scaled(nn.RNN(cfg["input_size"], cfg["hidden"], nonlinearity=kind[4:], **common), 1.2)
    x = torch.randn(cfg["T"], cfg["input_size"], dtype=cfg["dtype"])
    with torch.no_grad():
        y, h_n = rnn(x)  # (T, D*H), (L*D, H)
    states = run(iter_states(rnn, x, chunk=cfg["chunk"]))
    D = 2 if cfg["bidirectional"] else 1
    cell = CELLS["gru" if kind == "gru" else "rnn"]
    assert all(set(s.arrays) == set(cell.quantities) for per in states for s in per)
    last = np.concatenate([s.hidden for s in states[-1]], axis=1)
    np.testing.assert_allclose(last, y.float().numpy(), atol=ATOL)
    for layer, per_dir in enumerate(states):
        for d, s in enumerate(per_dir):
            np.testing.assert_allclose(s.hidden[0 if d else -1], h_n[layer * D + d].float().numpy(), atol=ATOL)
            if kind != "gru":
                continue
            for g in cell.gates:
                a = s.arrays[g]
                assert a.dtype == np.float32 and a.shape == (cfg["T"], cfg["hidden"])
                assert (a >= 0).all() and (a <= 1).all()
            # h_t = (1 - z) n + z h_{t-1}, h_{t-1} in the direction's reading order
            h = s.hidden.astype(np.float64)
            zero = np.zeros((1, h.shape[1]))
            h_prev = np.vstack([h[1:], zero]) if d else np.vstack([zero, h[:-1]])
            z, n = s.update_gate.astype(np.float64), s.new_gate.astype(np.float64)
            np.testing.assert_allclose(h, (1 - z) * n + z * h_prev, atol=ATOL)


def reference(module, x: np.ndarray):
    """Peephole / CIFG LSTM by its equations, one unit-vector step at a time in float64, per layer and direction.
    Returns quantities[layer][direction] (in text order) and the last layer's output."""
    H = module.hidden_size
    D = 2 if module.bidirectional else 1
    P = {k: v.detach().double().numpy() for k, v in module.named_parameters()}
    out, inp = [], x
    for layer in range(module.num_layers):
        per_dir, ys = [], []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            W, U = P["weight_ih" + sfx], P["weight_hh" + sfx]
            b = P["bias_ih" + sfx] + P["bias_hh" + sfx] if module.bias else np.zeros(W.shape[0])
            h, c = np.zeros(H), np.zeros(H)
            q = {k: np.zeros((len(inp), H)) for k in ("input_gate", "forget_gate", "candidate", "output_gate",
                                                      "cell", "hidden")}
            order = range(len(inp) - 1, -1, -1) if d else range(len(inp))
            for t in order:
                a = W @ inp[t] + U @ h + b
                if module.coupled:
                    f = sigmoid(a[:H])
                    i = 1 - f
                    g, ao = np.tanh(a[H:2 * H]), a[2 * H:]
                    c = f * c + i * g
                    o = sigmoid(ao)
                else:
                    i = sigmoid(a[:H] + P["weight_ci" + sfx] * c)
                    f = sigmoid(a[H:2 * H] + P["weight_cf" + sfx] * c)
                    g = np.tanh(a[2 * H:3 * H])
                    c = f * c + i * g
                    o = sigmoid(a[3 * H:] + P["weight_co" + sfx] * c)
                h = o * np.tanh(c)
                for k, v in zip(q, (i, f, g, o, c, h)):
                    q[k][t] = v
            per_dir.append(q)
            ys.append(q["hidden"])
        out.append(per_dir)
        inp = np.concatenate(ys, axis=1)
    return out, inp


@settings(max_examples=30, deadline=None)
@given(configs(), st.sampled_from(["peephole", "cifg"]))
def test_peephole_and_cifg_match_an_independent_loop(cfg, kind):
    torch.manual_seed(cfg["seed"])
    cls = PeepholeLSTM if kind == "peephole" else CIFGLSTM
    module = scaled(cls(cfg["input_size"], cfg["hidden"], num_layers=cfg["layers"], bias=cfg["bias"],
                        bidirectional=cfg["bidirectional"], dtype=cfg["dtype"]))
    x = torch.randn(cfg["T"], cfg["input_size"], dtype=cfg["dtype"])
    ref, ref_y = reference(module, x.double().numpy())
    with torch.no_grad():
        y, (h_n, c_n) = module(x)
    np.testing.assert_allclose(y.double().numpy(), ref_y, atol=ATOL)  # the module's own forward
    states = run(iter_states(module, x, chunk=cfg["chunk"]))
    D = 2 if cfg["bidirectional"] else 1
    for layer, per_dir in enumerate(states):
        for d, s in enumerate(per_dir):
            for q in CELLS[kind].quantities:
                np.testing.assert_allclose(s.arrays[q], ref[layer][d][q], atol=ATOL, err_msg=f"{q} l{layer} d{d}")
            t_end = 0 if d else -1
            np.testing.assert_allclose(h_n[layer * D + d].double().numpy(), ref[layer][d]["hidden"][t_end], atol=ATOL)
            np.testing.assert_allclose(c_n[layer * D + d].double().numpy(), ref[layer][d]["cell"][t_end], atol=ATOL)
