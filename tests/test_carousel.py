"""The constant error carousel's gate product, ∏_{k=s+1..t} g_k, against a direct numpy product of the trace's own
gates: any first step, any layer, selected units, and a lazy (keyframe) trace read only through ``window`` over
the stretch asked for."""
import numpy as np
import pytest
import torch

from lstm_viz.core.errors import InputError
from lstm_viz.core.gradients import gate_product
from lstm_viz.core.keyframes import keyframe_trace
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab

TEXT = "the (cat) sat; 'on' the [mat] and (the dog) (sat) too." * 3


def tiny(cell: str, layers: int = 2, seed: int = 0) -> LoadedModel:
    vocab = Vocab.from_text(TEXT)
    torch.manual_seed(seed)
    config = ModelConfig(input_size=3, hidden_size=5, num_layers=layers, vocab_size=len(vocab), cell=cell)
    return LoadedModel(RNNLanguageModel(config).eval(), vocab, f"tiny-{cell}")


def direct(gates: np.ndarray, t: int, s: int) -> np.ndarray:
    """∏_{k=s+1..t} gates[k], one unit per column, by numpy's own prod."""
    return np.prod(gates[s + 1: t + 1].astype(np.float64), axis=0)


@pytest.mark.parametrize("cell,gate", [("lstm", "forget_gate"), ("peephole", "forget_gate"),
                                       ("gru", "update_gate")])
@pytest.mark.parametrize("layer", [0, 1])
def test_product_equals_numpy_prod(cell, gate, layer):
    tr = trace(tiny(cell), TEXT)
    g = tr.get(gate, layer)
    units = [4, 1]
    for t, start in ((0, 0), (17, 0), (40, 25), (len(TEXT) - 1, 90), (33, 33)):
        got = gate_product(tr, t, units, layer=layer, start=start)
        assert got.shape == (t + 1 - start, 2)
        want = np.stack([direct(g[:, units], t, s) for s in range(start, t + 1)])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
        assert np.all(got[-1] == 1.0)


class WindowOnly:
    """A trace that answers only ``window`` (as a lazy trace would) and records the stretches asked for."""

    def __init__(self, inner):
        self.inner, self.cell, self.asked = inner, inner.cell, []

    def __len__(self):
        return len(self.inner)

    def window(self, quantity, layer, reverse, t0, t1, units=None):
        self.asked.append((quantity, layer, reverse, t0, t1))
        return self.inner.window(quantity, layer, reverse, t0, t1, units)


def test_lazy_trace_reads_only_the_stretch_between_s_and_t():
    loaded = tiny("lstm", layers=1, seed=4)
    full = trace(loaded, TEXT)
    lazy = WindowOnly(keyframe_trace(loaded, TEXT, keyframe_every=16))
    t, start = 120, 70
    got = gate_product(lazy, t, [0, 2, 3], start=start)
    assert lazy.asked == [("forget_gate", 0, False, start + 1, t + 1)]
    f = full.get("forget_gate")[:, [0, 2, 3]]
    want = np.stack([direct(f, t, s) for s in range(start, t + 1)])
    np.testing.assert_allclose(got, want, rtol=1e-6)  # the keyframe trace recomputes in float32


def test_bad_first_step_and_plain_rnn():
    tr = trace(tiny("lstm", layers=1), TEXT)
    for bad in (-1, 11, True):
        with pytest.raises(InputError, match="first step"):
            gate_product(tr, 10, start=bad)
    with pytest.raises(InputError, match="no gate that carries"):
        gate_product(trace(tiny("rnn", layers=1), TEXT), 10)


def test_a_model_reading_right_to_left_is_refused():
    vocab = Vocab.from_text(TEXT)
    torch.manual_seed(0)
    config = ModelConfig(input_size=3, hidden_size=5, vocab_size=len(vocab), reads_backward=True)
    tr = trace(LoadedModel(RNNLanguageModel(config).eval(), vocab, "backward"), TEXT)
    assert tr.reads_backward
    with pytest.raises(InputError, match="right to left"):
        gate_product(tr, 10)
