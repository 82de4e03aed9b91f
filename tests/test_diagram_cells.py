"""The cell diagram's numbers for every cell type equal the trace: h_t (and c_t) recomputed from the diagram's own
gates, 1 and 2 layers, both directions, a right-to-left model and a lazy (keyframe) trace; one-line refusals."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lstm_viz.core.diagram import LSTM_GATES, CellStep, cell_step
from lstm_viz.core.diagram_cells import GRUStep, RNNStep
from lstm_viz.core.errors import InputError
from lstm_viz.core.keyframes import keyframe_trace
from lstm_viz.core.loading import LoadedModel
from lstm_viz.core.model import ModelConfig, RNNLanguageModel
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab

TEXT = 'a "b c" d\n(e f) "g"'
CELLS = ("lstm", "gru", "rnn", "peephole", "cifg")


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny models: threads only add waiting


def loaded(cell, layers=2, bidirectional=True, reads_backward=False, nonlinearity="tanh", seed=3):
    torch.manual_seed(seed)
    vocab = Vocab.from_text(TEXT)
    model = RNNLanguageModel(ModelConfig(input_size=5, hidden_size=6, num_layers=layers, bidirectional=bidirectional,
                                         vocab_size=len(vocab), cell=cell, reads_backward=reads_backward,
                                         nonlinearity=nonlinearity)).eval()
    with torch.no_grad():  # larger weights than torch's init, so gates leave the middle and mistakes show
        for p in model.rnn.parameters():
            p.mul_(3.0)
    return LoadedModel(model=model, vocab=vocab, name=f"tiny-{cell}")


def at(tr, q, layer, reverse, t, unit):
    return float(tr.window(q, layer, reverse, t, t + 1)[0, unit])


def check_step(m, tr, s, layer, reverse, t, unit, backward=False):
    """Every number of step ``s`` against the trace and the model's weights."""
    ascending = reverse == backward
    prev = t - 1 if ascending else t + 1
    first = not 0 <= prev < len(tr)
    assert (s.prev_t is None) == first and (s.t, s.unit, s.layer, s.reverse) == (t, unit, layer, reverse)
    for g in s.gates:
        assert g.pre == pytest.approx(g.recomputed, abs=1e-12)
        for terms in (g.top_input, g.top_hidden):
            sizes = [abs(term.product) for term in terms]
            assert sizes == sorted(sizes, reverse=True)
            assert all(term.product == pytest.approx(term.weight * term.value) for term in terms)
        act = {"sigmoid": lambda z: 1 / (1 + math.exp(-z)), "tanh": math.tanh, "relu": lambda z: max(z, 0.0)}
        assert act[g.activation](g.pre) == pytest.approx(g.value, rel=1e-6, abs=1e-5)
    h_prev = 0.0 if first else at(tr, "hidden", layer, reverse, prev, unit)
    h = at(tr, "hidden", layer, reverse, t, unit)
    assert s.h_prev == pytest.approx(h_prev, abs=1e-6) and s.error < 1e-5
    if isinstance(s, CellStep):
        i, f, g, o = (s.gate(q).value for q in LSTM_GATES)
        for q in LSTM_GATES:
            assert s.gate(q).value == at(tr, q, layer, reverse, t, unit)
        c_prev = 0.0 if first else at(tr, "cell", layer, reverse, prev, unit)
        assert s.c_prev == c_prev and s.c == at(tr, "cell", layer, reverse, t, unit)
        assert abs(f * s.c_prev + i * g - s.c) <= 1e-5  # c_t = f c_{t-1} + i g, from the diagram's numbers
        assert abs(o * math.tanh(s.c) - h) <= 1e-5 and abs(s.h - h) <= 1e-5  # h_t = o tanh(c_t)
        assert s.kept == pytest.approx(f * c_prev) and s.written == pytest.approx(i * g)
        return "c"
    if isinstance(s, GRUStep):
        r, z, n = (s.gate(q) for q in ("reset_gate", "update_gate", "new_gate"))
        for q in ("reset_gate", "update_gate", "new_gate"):
            assert s.gate(q).value == at(tr, q, layer, reverse, t, unit)
        assert abs((1 - z.value) * n.value + z.value * s.h_prev - h) <= 1e-5  # h_t = (1 - z) n + z h_{t-1}
        assert s.h == h and s.kept == pytest.approx(z.value * h_prev) and s.written == pytest.approx(
            (1 - z.value) * n.value)
        assert n.scale == r.value and r.scale == z.scale == 1.0  # r multiplies only the new gate's hidden part
        return "h"
    assert isinstance(s, RNNStep) and s.gates[0].quantity == "hidden"
    assert abs(s.gates[0].value - h) <= 1e-12 and s.h == h
    return "h"


@pytest.mark.parametrize("cell", CELLS)
def test_every_layer_and_direction_equals_the_trace(cell):
    m = loaded(cell)
    tr = trace(m, TEXT)
    for layer in (0, 1):
        for reverse in (False, True):
            for t in (0, 1, 7, len(TEXT) - 1):
                for unit in (0, 5):
                    check_step(m, tr, cell_step(m, tr, t, unit, layer, reverse), layer, reverse, t, unit)


@pytest.mark.parametrize("cell", CELLS)
def test_a_model_reading_right_to_left_steps_back_from_t_plus_1(cell):
    """Before: the diagram took t - 1 as the previous step of every forward direction and refused such models."""
    m = loaded(cell, layers=1, bidirectional=True, reads_backward=True)
    tr = trace(m, TEXT)
    for reverse in (False, True):
        for t in (0, 4, len(TEXT) - 1):
            check_step(m, tr, cell_step(m, tr, t, 2, 0, reverse), 0, reverse, t, 2, backward=True)


@pytest.mark.parametrize("cell", ("gru", "peephole"))
def test_a_lazy_trace_gives_the_same_numbers(cell):
    m = loaded(cell)
    full, lazy = trace(m, TEXT), keyframe_trace(m, TEXT, keyframe_every=4)
    for t in (0, 5, 9, len(TEXT) - 1):
        a, b = cell_step(m, full, t, 3, 1, True), cell_step(m, lazy, t, 3, 1, True)
        assert a == b


def test_peephole_terms_are_the_diagonal_weights_times_the_cell():
    m = loaded("peephole", layers=1, bidirectional=False)
    tr = trace(m, TEXT)
    rnn = m.model.rnn
    s = cell_step(m, tr, 6, 4)
    names = (("input_gate", "weight_ci"), ("forget_gate", "weight_cf"), ("output_gate", "weight_co"))
    w = {q: float(getattr(rnn, n + "_l0").detach()[4]) for q, n in names}
    for q, c in (("input_gate", s.c_prev), ("forget_gate", s.c_prev), ("output_gate", s.c)):
        assert s.gate(q).peephole_weight == pytest.approx(w[q]) and s.gate(q).peephole == pytest.approx(w[q] * c)
        assert s.gate(q).peephole != 0
    assert s.gate("candidate").peephole == 0.0 and s.cell == "peephole"


def test_cifg_input_gate_is_one_minus_forget():
    m = loaded("cifg", layers=1, bidirectional=False)
    tr = trace(m, TEXT)
    for t in (0, 3, 11):
        s = cell_step(m, tr, t, 1)
        i, f = s.gate("input_gate"), s.gate("forget_gate")
        assert i.coupled and not f.coupled and s.cell == "cifg"
        assert abs(i.value - (1 - f.value)) <= 1e-6 and i.pre == -f.pre and i.top_input == ()


def test_gru_new_gate_biases_and_rnn_relu():
    m = loaded("gru", layers=1, bidirectional=False)
    tr = trace(m, TEXT)
    s = cell_step(m, tr, 5, 2)
    b_ih, b_hh = m.model.rnn.bias_ih_l0.detach(), m.model.rnn.bias_hh_l0.detach()
    n = s.gate("new_gate")
    assert n.bias == pytest.approx(float(b_ih[12 + 2])) and n.bias_hidden == pytest.approx(float(b_hh[12 + 2]))
    assert s.gate("reset_gate").bias == pytest.approx(float(b_ih[2] + b_hh[2]))
    m = loaded("rnn", nonlinearity="relu")
    tr = trace(m, TEXT)
    steps = [cell_step(m, tr, t, u, 1, True) for t in range(len(TEXT)) for u in range(6)]
    assert all(s.nonlinearity == "relu" and s.gates[0].activation == "relu" for s in steps)
    assert any(s.gates[0].pre < 0 and s.h == 0 for s in steps)  # relu's cut is drawn from real numbers
    for s in steps[:20]:
        check_step(m, tr, s, 1, True, s.t, s.unit)


def test_refusals_are_one_line():
    m = loaded("gru", layers=1, bidirectional=False)
    tr = trace(m, TEXT)
    other = loaded("gru", layers=1, bidirectional=False, seed=4)
    with pytest.raises(InputError, match="does not match this model"):
        cell_step(other, tr, 4, 1)
    with pytest.raises(InputError, match="the trace is of a GRU but the model is an LSTM"):
        cell_step(loaded("lstm", layers=1, bidirectional=False), tr, 4, 1)
    with pytest.raises(InputError, match="unit 6 does not exist"):
        cell_step(m, tr, 4, 6)
    with pytest.raises(InputError, match="no backward direction"):
        cell_step(m, tr, 4, 1, reverse=True)
    given = trace(m, TEXT, state={"h0_l0": np.full(6, 0.5, np.float32)})
    with pytest.raises(InputError, match="given initial state"):
        cell_step(m, given, 0, 1)
    check_step(m, given, cell_step(m, given, 1, 1), 0, False, 1, 1)
