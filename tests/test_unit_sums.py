"""Unit sums kept by the keyframe pass (lstm_viz.core.unit_sums): the feature table and gate saturation they give
equal the full computation over the in-memory trace, without reading a window; a feature search reads only the
chunks where the feature is not zero and equals the full search; a trace of token ids (no text) and other
quantities take the old path."""
from functools import lru_cache

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from lstm_viz.core.cells import CELLS
from lstm_viz.core.correlation import label_runs, unit_stats
from lstm_viz.core.errors import InputError
from lstm_viz.core.features import regex_feature
from lstm_viz.core.keyframes import keyframe_trace
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.saturation import gate_saturation
from lstm_viz.core.search import iter_feature_table, search_feature, search_span
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab
from lstm_viz.look import state_quantity
from lstm_viz.core.generators import run_to_end as run

TEXT = ("def f(x):\n    return [x * 2 for x in range(10)]  # (a) 'b' \"c\"\n" * 4
        + "class A:\n    \"\"\"Doc 'q'.\"\"\"\n    def g(self, y=3):\n        return {'k': (y, [1, 2])}\n" * 3)
EVERY = 16
LAYOUTS = [("lstm", True, False), ("gru", False, True), ("rnn", True, False), ("peephole", False, False),
           ("lstm", False, True)]


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny models: threads only add waiting


@lru_cache(maxsize=None)
def loaded(cell, bidirectional, reads_backward):
    torch.manual_seed(3)
    vocab = Vocab.from_text(TEXT)
    model = RNNLanguageModel(ModelConfig(input_size=6, hidden_size=7, num_layers=2, bidirectional=bidirectional,
                                         vocab_size=len(vocab), cell=cell, reads_backward=reads_backward)).eval()
    with torch.no_grad():
        for p in model.rnn.parameters():
            p.mul_(2.5)  # saturate some gates
    return LoadedModel(model=model, vocab=vocab, name=cell)


@lru_cache(maxsize=None)
def both(cell, bidirectional, reads_backward):
    m = loaded(cell, bidirectional, reads_backward)
    return trace(m, TEXT), keyframe_trace(m, TEXT, keyframe_every=EVERY)


class Counting:
    """Records the (layer, direction, chunk) a keyframe trace is asked for."""

    def __init__(self, kf):
        self.asked, self._kf, self._chunk = [], kf, kf._chunk

    def __enter__(self):
        def chunk(layer, d, m):
            self.asked.append((layer, d, m))
            return self._chunk(layer, d, m)
        self._kf._chunk = chunk
        return self

    def __exit__(self, *exc):
        del self._kf._chunk


def same_scores(got, want):
    assert [(s.layer, s.reverse, s.unit, s.quantity) for s in got] == \
        [(s.layer, s.reverse, s.unit, s.quantity) for s in want]
    np.testing.assert_allclose([s.r for s in got], [s.r for s in want], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("cell,bidirectional,reads_backward", LAYOUTS)
def test_the_streamed_feature_table_equals_the_full_one_and_reads_no_window(cell, bidirectional, reads_backward):
    full, kf = both(cell, bidirectional, reads_backward)
    q = state_quantity(kf.cell)
    assert kf.unit_sums is not None and kf.unit_sums.covers(TEXT, q)
    want = run(iter_feature_table(full, TEXT, q, k=None))
    with Counting(kf) as c:
        got = run(iter_feature_table(kf, TEXT, q, k=None))
        top = run(iter_feature_table(kf, TEXT, q, k=3, layers=1, directions=False))
    assert c.asked == []
    assert list(got) == list(want) and all(want.values())
    for name in want:
        same_scores(got[name], want[name])
        same_scores(top[name], [s for s in want[name] if (s.layer, s.reverse) == (1, False)][:3])


@pytest.mark.parametrize("cell,bidirectional,reads_backward", [lay for lay in LAYOUTS if CELLS[lay[0]].gates])
def test_streamed_saturation_equals_the_full_count_and_reads_no_window(cell, bidirectional, reads_backward):
    full, kf = both(cell, bidirectional, reads_backward)
    want = gate_saturation(full)
    with Counting(kf) as c:
        got = gate_saturation(kf)
        part = gate_saturation(kf, quantities=kf.cell.gates[:1], layers=1, directions=False)
    assert c.asked == []
    assert [(s.quantity, s.layer, s.reverse, s.steps) for s in got] == \
        [(s.quantity, s.layer, s.reverse, s.steps) for s in want]
    assert any(s.left.any() and s.right.any() for s in want)  # the model saturates: the counts are tested
    for g, w in zip(got, want):
        assert (g.left == w.left).all() and (g.right == w.right).all()
    assert (part[0].left == want[[(s.quantity, s.layer, s.reverse) for s in want].index(
        (kf.cell.gates[0], 1, False))].left).all()


def test_other_thresholds_ranges_and_quantities_still_read_the_trace():
    full, kf = both("lstm", True, False)
    with Counting(kf) as c:
        got = gate_saturation(kf, low=0.2)
    assert c.asked and all(np.array_equal(g.left, w.left) for g, w in zip(got, gate_saturation(full, low=0.2)))
    with Counting(kf) as c:
        got = gate_saturation(kf, t0=5, t1=77)
    assert c.asked and all(np.array_equal(g.right, w.right) for g, w in zip(got, gate_saturation(full, t0=5, t1=77)))
    with Counting(kf) as c:  # the hidden state of an LSTM was not summed against the features
        got = run(iter_feature_table(kf, TEXT, "hidden", k=4))
    assert c.asked
    want = run(iter_feature_table(full, TEXT, "hidden", k=4))
    for name in want:
        same_scores(got[name], want[name])


@settings(max_examples=25, deadline=None)
@given(layout=st.sampled_from(LAYOUTS), pattern=st.sampled_from(
    [r"\(", r"class", r"'k'", r"\d+", r"Doc.*", r"return \{", r"y=3", r"x \* 2", r"[A-Z]", r"\s+"]))
def test_a_regex_search_reads_only_the_chunks_with_matches_and_equals_the_full_search(layout, pattern):
    full, kf = both(*layout)
    q = state_quantity(kf.cell)
    y = regex_feature(TEXT, pattern, kf.tokens)
    want = search_feature(full, y, q, with_auc=False)
    with Counting(kf) as c:
        got = search_feature(kf, y, q, with_auc=False)
    same_scores(got, want)
    matched = set((np.flatnonzero(y) // EVERY).tolist())
    for layer in range(2):
        for reverse in kf.directions:
            assert {m for (lay, d, m) in c.asked if (lay, d) == (layer, int(reverse))} == matched
    assert len(c.asked) == len(matched) * 2 * len(kf.directions)  # each chunk read once


def test_label_runs_group_consecutive_chunks_up_to_a_length():
    y = np.zeros(100)
    y[[3, 17, 20, 35, 36, 70, 99]] = 1
    assert label_runs(y, 16, longest=32) == [(0, 32), (32, 48), (64, 80), (96, 100)]
    assert label_runs(y, 16, longest=64) == [(0, 48), (64, 80), (96, 100)]
    assert label_runs(np.zeros(10), 4) == []


def test_a_trace_of_token_ids_has_no_sums_and_searches_as_before():
    m = loaded("lstm", True, False)
    full, kf_text = both("lstm", True, False)
    kf = keyframe_trace(m, kf_text.token_ids, keyframe_every=EVERY)
    assert kf.unit_sums is None
    want = run(iter_feature_table(full, TEXT, "cell", k=3))
    got = run(iter_feature_table(kf, TEXT, "cell", k=3))
    for name in want:
        same_scores(got[name], want[name])
    assert all(np.array_equal(g.left, w.left) for g, w in zip(gate_saturation(kf), gate_saturation(full)))


def test_another_text_than_the_one_read_is_refused_as_before():
    _, kf = both("gru", False, True)
    other = TEXT.replace("(", "[")
    assert not kf.unit_sums.covers(other, "hidden") and kf.unit_sums.covers(TEXT[:-1] + "\n", "hidden")
    with pytest.raises(InputError, match="not read from this text"):
        run(iter_feature_table(kf, other, "hidden", k=2))


def test_a_constant_feature_gets_an_empty_list_from_the_sums():
    text = "abc def\n" * 40  # no digit, no upper case, no bracket, no quote
    m = loaded("lstm", False, False)
    kf = keyframe_trace(m, text, keyframe_every=EVERY)
    want = run(iter_feature_table(trace(m, text), text, "cell", k=2))
    with Counting(kf) as c:
        got = run(iter_feature_table(kf, text, "cell", k=2))
    assert c.asked == [] and got["digit"] == [] and got["in_string"] == [] and got["line_pos"]
    for name in want:
        same_scores(got[name], want[name])


def test_a_real_valued_feature_with_zeros_is_searched_from_its_non_zero_chunks():
    full, kf = both("lstm", True, False)
    y = np.zeros(len(kf))
    y[40:75] = np.linspace(-2.0, 3.0, 35)  # negative, positive and zero values in three chunks
    want = search_feature(full, y, "cell", with_auc=False)
    with Counting(kf) as c:
        got = search_feature(kf, y, "cell", with_auc=False)
    same_scores(got, want)
    assert {m for (_, _, m) in c.asked} == {2, 3, 4}
    y[7] = np.nan  # a label left out: the full computation over the kept timesteps
    same_scores(search_feature(kf, y, "cell", with_auc=False), search_feature(full, y, "cell", with_auc=False))


@pytest.mark.parametrize("cell,bidirectional,reads_backward", LAYOUTS[:3])
def test_a_span_search_reads_only_around_the_span_and_equals_the_full_search(cell, bidirectional, reads_backward):
    full, kf = both(cell, bidirectional, reads_backward)
    for q in kf.quantities:
        for layer in range(2):
            for reverse in kf.directions:
                got, want = unit_stats(kf, q, layer, reverse), unit_stats(full, q, layer, reverse)
                for k in ("mean", "std", "min", "max"):
                    np.testing.assert_allclose(getattr(got, k), getattr(want, k), rtol=1e-6, atol=1e-7)
    with Counting(kf) as c:
        got = search_span(kf, 100, 120, state_quantity(kf.cell))
    assert {m for (_, _, m) in c.asked} == {80 // EVERY, 139 // EVERY} | set(range(80 // EVERY, 139 // EVERY))
    want = search_span(full, 100, 120, state_quantity(kf.cell))
    assert [(s.layer, s.reverse, s.unit) for s in got] == [(s.layer, s.reverse, s.unit) for s in want]
    np.testing.assert_allclose([s.score for s in got], [s.score for s in want], atol=1e-9)
    np.testing.assert_allclose([s.effect for s in got], [s.effect for s in want], rtol=1e-5, atol=1e-6)


def test_a_pass_that_writes_to_a_sink_keeps_no_sums_unless_asked():
    from lstm_viz.core.keyframes import iter_keyframe_trace

    m = loaded("gru", False, True)
    seen = []
    assert run(iter_keyframe_trace(m, TEXT, keyframe_every=EVERY, sink=lambda *a: seen.append(a[0]))).unit_sums is None
    assert seen  # the sink was fed
    assert run(iter_keyframe_trace(m, TEXT, keyframe_every=EVERY, unit_sums=False)).unit_sums is None
    kept = run(iter_keyframe_trace(m, TEXT, keyframe_every=EVERY, sink=lambda *a: None, unit_sums=True)).unit_sums
    np.testing.assert_allclose(kept.r("indent", 1, False), both("gru", False, True)[1].unit_sums.r("indent", 1, False))
