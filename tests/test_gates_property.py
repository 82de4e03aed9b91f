"""Property: over random LSTM configurations, the extracted gates reproduce torch.nn.LSTM itself.

Last layer's h == nn.LSTM's output, final (h, c) == (h_n, c_n), and h == o * tanh(c) (times W_hr with a
projection), within 1e-5, for 1-3 layers, bidirectional, proj_size, with/without biases, float32 and float64,
and chunk sizes smaller than the text.
"""
import numpy as np
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

from lstm_viz.core.gates import iter_lstm_states
from lstm_viz.core.generators import run_to_end as run

ATOL = 1e-5


@st.composite
def configs(draw):
    hidden = draw(st.integers(2, 9))
    return dict(
        input_size=draw(st.integers(1, 7)), hidden=hidden, layers=draw(st.integers(1, 3)),
        bidirectional=draw(st.booleans()), proj=draw(st.sampled_from([0, 0, *range(1, hidden)])),
        bias=draw(st.booleans()), dtype=draw(st.sampled_from([torch.float32, torch.float64])),
        T=draw(st.integers(1, 40)), chunk=draw(st.integers(1, 48)), seed=draw(st.integers(0, 2 ** 16)),
    )


@settings(max_examples=40, deadline=None)
@given(configs())
def test_extraction_matches_nn_lstm(cfg):
    torch.manual_seed(cfg["seed"])
    lstm = nn.LSTM(cfg["input_size"], cfg["hidden"], num_layers=cfg["layers"], bias=cfg["bias"],
                   bidirectional=cfg["bidirectional"], proj_size=cfg["proj"], dtype=cfg["dtype"]).eval()
    with torch.no_grad():  # larger weights than PyTorch's init, so that gates saturate and cells grow
        for p in lstm.parameters():
            p.mul_(3.0)
    x = torch.randn(cfg["T"], cfg["input_size"], dtype=cfg["dtype"])
    with torch.no_grad():
        y, (h_n, c_n) = lstm(x)  # (T, D*Hout), (L*D, Hout), (L*D, H)
    states = run(iter_lstm_states(lstm, x, chunk=cfg["chunk"]))
    D = 2 if cfg["bidirectional"] else 1
    assert len(states) == cfg["layers"] and all(len(s) == D for s in states)
    last = np.concatenate([s.hidden for s in states[-1]], axis=1)
    np.testing.assert_allclose(last, y.float().numpy(), atol=ATOL)
    for layer, per_dir in enumerate(states):
        for d, s in enumerate(per_dir):
            t_end = 0 if d else -1
            np.testing.assert_allclose(s.hidden[t_end], h_n[layer * D + d].float().numpy(), atol=ATOL)
            np.testing.assert_allclose(s.cell[t_end], c_n[layer * D + d].float().numpy(), atol=ATOL)
            for a in (s.input_gate, s.forget_gate, s.output_gate):
                assert a.dtype == np.float32 and a.shape == (cfg["T"], cfg["hidden"])
                assert (a >= 0).all() and (a <= 1).all()
            assert (np.abs(s.candidate) <= 1).all()
            h = s.output_gate.astype(np.float64) * np.tanh(s.cell.astype(np.float64))  # (T, H)
            if cfg["proj"]:
                w_hr = getattr(lstm, f"weight_hr_l{layer}{'_reverse' if d else ''}").detach().double().numpy()
                h = h @ w_hr.T  # (T, P)
            np.testing.assert_allclose(s.hidden, h, atol=ATOL)
