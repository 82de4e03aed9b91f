"""Unit correlations and the labels computed from a text."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_viz.core.analysis import best_units, text_labels, unit_correlations
from lstm_viz.core.errors import InputError
from lstm_viz.core.trace import Trace


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (12, 3), elements=st.floats(-5, 5)), arrays(np.int64, 12, elements=st.integers(0, 3)))
def test_matches_numpy_corrcoef(values, labels):
    r = unit_correlations(values, labels)
    for u in range(3):
        if np.std(values[:, u]) > 1e-6 and np.std(labels) > 0:
            assert r[u] == pytest.approx(np.corrcoef(values[:, u], labels)[0, 1], abs=1e-9)
    assert np.all(np.isnan(r) | (np.abs(r) <= 1))


def test_constant_units_and_labels_give_nan_not_warnings():
    v = np.c_[np.arange(5.0), np.ones(5), -np.arange(5.0)]
    r = unit_correlations(v, np.arange(5))
    assert r[0] == pytest.approx(1) and np.isnan(r[1]) and r[2] == pytest.approx(-1)
    assert np.isnan(unit_correlations(v, np.zeros(5))).all()
    with pytest.raises(InputError, match="labels"):
        unit_correlations(v, np.arange(4))


def test_best_units_ranks_by_absolute_r():
    labels = np.array([0, 0, 1, 1, 0, 1, 0, 0], dtype=float)
    cell = np.stack([np.random.default_rng(0).normal(size=8), -labels, labels * 0.5 + 0.01 * np.arange(8),
                     np.zeros(8)], axis=1).astype(np.float32)
    arrays_ = {f"{q}_l0": cell for q in ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")}
    tr = Trace(tokens=tuple("abcdefgh"), token_ids=None, arrays=arrays_, num_layers=1)
    top = best_units(tr, labels, k=2)
    assert [u.unit for u in top] == [1, 2] and top[0].r == pytest.approx(-1) and top[1].r > 0.99


def test_text_labels():
    text = 'x = f("a(b", [1,\n    2])  # c\n'
    lab = text_labels(text)
    inside = "".join(ch for ch, s in zip(text, lab["in_string"]) if s)
    assert inside == '"a(b'  # the opening mark is inside, the closing one is not
    assert lab["bracket_depth"][text.index("[")] == 2 and lab["bracket_depth"][text.index("2")] == 2
    assert lab["bracket_depth"][text.index("#")] == 0  # the ( inside the string does not count
    assert lab["indent"][text.index("2")] == 4
    assert "".join(ch for ch, s in zip(text, lab["in_comment"]) if s) == "# c"
    assert lab["line_pos"][text.index("\n") + 1] == 1
    tq = text_labels("'''a\nb''' c")["in_string"]
    assert list(tq) == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
