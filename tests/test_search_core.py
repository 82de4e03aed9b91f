"""The search core on small exact data: features on character offsets (characters and words), window-by-window
statistics equal to whole-array numpy, span scores and matches by hand, and the cell diagram on every layout
(2 layers, bidirectional, projection, one-hot inputs)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_viz.core import stream
from lstm_viz.core.analysis import unit_correlations
from lstm_viz.core.diagram import cell_step
from lstm_viz.core.errors import InputError
from lstm_viz.core.features import regex_feature, text_labels, token_features, token_spans
from lstm_viz.core.gates import QUANTITIES
from lstm_viz.core.loading import LoadedModel
from lstm_viz.core.match import match
from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
from lstm_viz.core.saturation import gate_saturation
from lstm_viz.core.search import SpanScore, search_feature, search_span
from lstm_viz.core.correlation import auc, correlation, rank_auc, unit_stats
from lstm_viz.core.trace import Trace, key, trace
from lstm_viz.core.vocab import Vocab


def hand_trace(values: np.ndarray, tokens=None) -> Trace:
    """A one-layer trace whose every quantity is ``values`` (T, U)."""
    values = np.asarray(values, np.float32)
    tokens = tuple(tokens or (chr(97 + t % 26) for t in range(len(values))))
    return Trace(tokens=tokens, token_ids=None, arrays={key(q): values for q in QUANTITIES}, num_layers=1)


# -- features --------------------------------------------------------------------------------------------
def test_docstrings_are_comments_and_apostrophes_do_not_open_strings():
    text = "def f():\n    \"\"\"It's a doc.\"\"\"\n    x = f'{a}' # don't\n    return \"s\"  # it's\n"
    lab = text_labels(text)
    doc = text.index("It's")
    assert lab["in_comment"][doc] and lab["in_string"][doc]
    assert not lab["in_string"][text.index("don't") + 3]  # an apostrophe in a comment, and after it
    assert lab["in_string"][text.index("{a}")]  # f'...' is a string
    assert "".join(c for c, s in zip(text, lab["in_string"]) if s).count("s") == 2  # "s" and "It's" only
    assert not lab["in_comment"][text.index("return")]
    assert lab["word_start"][text.index("return")] and not lab["word_start"][text.index("eturn")]
    assert lab["after_newline"][text.index("    x")] and not lab["after_newline"][text.index("x =")]


def test_word_tokens_take_their_characters_features():
    text = "Hello (World\n  42) end"
    tokens = ["Hello", "(World", "<eos>", "42)", "end"]
    assert token_spans(text, tokens).tolist() == [[0, 5], [6, 12], [12, 13], [15, 18], [19, 22]]
    f = token_features(text, tokens)
    assert f["upper"].tolist() == [1, 1, 0, 0, 0]
    assert f["digit"].tolist() == [0, 0, 0, 1, 0]
    assert f["bracket_depth"].tolist() == [0, 1, 1, 0, 0]  # after reading the token
    assert f["after_newline"].tolist() == [0, 0, 0, 0, 0] and f["indent"].tolist() == [0, 0, 0, 2, 2]
    assert regex_feature(text, r"World\s+4", tokens).tolist() == [0, 1, 1, 1, 0]
    with pytest.raises(InputError, match="not read from this text"):
        token_spans(text, ["Hello", "there"])
    with pytest.raises(InputError, match="does not compile"):
        regex_feature(text, "(")


def test_character_tokens_and_regex():
    text = 'a "bc" d'
    assert regex_feature(text, r'"[^"]*"').tolist() == [0, 0, 1, 1, 1, 1, 0, 0]
    assert token_features(text)["in_string"].tolist() == [0, 0, 1, 1, 1, 0, 0, 0]


# -- statistics window by window -------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(arrays(np.float32, (53, 4), elements=st.floats(-50, 50, width=32)),
       arrays(np.int64, 53, elements=st.integers(0, 1)), st.integers(1, 20))
def test_windowed_statistics_equal_whole_arrays(values, labels, chunk):
    tr = hand_trace(values)
    old = stream.CHUNK
    stream.CHUNK = chunk
    try:
        st_ = unit_stats(tr, "cell")
        np.testing.assert_allclose(st_.mean, values.astype(float).mean(axis=0), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(st_.std, values.astype(float).std(axis=0), rtol=1e-7, atol=1e-7)
        assert np.array_equal(st_.min, values.min(axis=0)) and np.array_equal(st_.max, values.max(axis=0))
        if 0 < labels.sum() < len(labels):
            r, _ = correlation(tr, labels, "cell")
            ref = unit_correlations(values, labels)
            np.testing.assert_allclose(r, ref, atol=1e-7, equal_nan=True)
            # 53 timesteps: every value is its own bin, so the histogram AUC is the exact one
            np.testing.assert_allclose(auc(tr, labels, "cell"), rank_auc(values, labels), atol=1e-12)
    finally:
        stream.CHUNK = old


def test_feature_search_ranks_by_r_and_auc_and_refuses_constant_features():
    y = np.array([0, 0, 1, 1, 0, 1, 0, 0, 1, 0], float)
    v = np.stack([y * 2 - 0.3 * np.arange(10), -y, 0.1 * np.arange(10), np.ones(10)], axis=1)
    top = search_feature(hand_trace(v), y, "cell")
    assert [s.unit for s in top] == [1, 0, 2]  # the constant unit 3 is left out
    assert top[0].r == pytest.approx(-1) and top[0].auc == pytest.approx(0.0)
    assert search_feature(hand_trace(v), y, "cell", by="auc")[0].unit in (0, 1)
    with pytest.raises(InputError, match="every token"):
        search_feature(hand_trace(v), np.zeros(10), "cell")
    with pytest.raises(InputError, match="yes/no"):
        search_feature(hand_trace(v), np.arange(10.0), "cell", by="auc")
    with pytest.raises(InputError, match="quantity"):
        search_feature(hand_trace(v), y, "speed")


# -- search by example and match ---------------------------------------------------------------------------
def test_span_search_by_hand():
    T = 30
    v = np.zeros((T, 4))
    v[10:15, 0] = 1.0  # on exactly inside the span
    v[10:15, 1] = -1.0  # its negative is on inside
    v[5:20, 2] = 1.0  # on inside and in the flanks too
    v[:, 3] = np.linspace(-1, 1, T)  # a ramp
    tr = hand_trace(v)
    hits = search_span(tr, 10, 15, threshold=0.5)
    by_unit = {h.unit: h for h in hits}
    assert by_unit[0].score == 1.0 and by_unit[1].score == -1.0 and by_unit[2].score == 0.0
    assert by_unit[1].on(np.array([-0.6, 0.0])).tolist() == [True, False]
    assert [h.unit for h in hits[:2]] == [0, 1] or [h.unit for h in hits[:2]] == [1, 0]
    free = search_span(tr, 10, 15)
    assert {h.unit for h in free[:2]} == {0, 1} and free[0].effect != 0
    with pytest.raises(InputError, match="does not lie"):
        search_span(tr, 20, 40)
    with pytest.raises(InputError, match="whole text"):
        search_span(tr, 0, T)


def test_match_finds_runs_where_all_units_are_on():
    T = 40
    v = np.zeros((T, 2))
    v[5:9] = 1.0  # both on: the query
    v[20:24] = 1.0  # both on: a match of the same length
    v[30:32, 0] = 1.0  # only unit 0
    v[34:36] = 1.0  # both on, shorter
    tokens = [chr(97 + t % 26) for t in range(T)]
    tr = hand_trace(v, tokens)
    units = [SpanScore(0, 0, 1.0, cut=0.5), SpanScore(0, 1, 1.0, cut=0.5)]
    found = match(tr, units, query=(5, 9), context_tokens=3)
    assert [(m.start, m.end) for m in found] == [(20, 24), (34, 36)]
    assert found[0].score == 1.0 and found[1].score == 0.5
    assert (found[0].before, found[0].inside, found[0].after) == ("rst", "uvwx", "yza")
    loose = match(tr, units, query=(5, 9), min_on=1)
    assert {(m.start, m.end): m.on for m in loose}[(30, 32)] == 0.5
    assert [(m.start, m.end) for m in match(tr, units, include_query=True)][:2] == [(5, 9), (20, 24)]
    with pytest.raises(InputError, match="at least one unit"):
        match(tr, [])


# -- saturation --------------------------------------------------------------------------------------------
def test_saturation_counts_strictly_below_and_above():
    f = np.array([[0.05, 0.1, 0.95], [0.9, 0.5, 0.91], [0.0, 1.0, 0.2], [0.09, 0.99, 0.5]])
    sat = gate_saturation(hand_trace(f), ["forget_gate"])[0]
    assert sat.left.tolist() == [0.75, 0.0, 0.0] and sat.right.tolist() == [0.0, 0.5, 0.5]
    assert [s.quantity for s in gate_saturation(hand_trace(f))] == ["input_gate", "forget_gate", "output_gate"]
    with pytest.raises(InputError, match="low < high"):
        gate_saturation(hand_trace(f), low=0.9, high=0.1)


# -- the cell diagram on every layout ----------------------------------------------------------------------
@pytest.mark.parametrize("cfg", [
    dict(input_size=5, hidden_size=7, num_layers=2, bidirectional=True),
    dict(input_size=5, hidden_size=7, proj_size=3),
    dict(input_size=10, hidden_size=4, embedding=False),  # one-hot inputs: the vocab has 10 tokens
])
@pytest.mark.filterwarnings("ignore:LSTM with projections")
def test_cell_diagram_on_every_layout(cfg):
    torch.manual_seed(0)
    text = "abcdefgh a"
    vocab = Vocab.from_text(text)
    model = LSTMLanguageModel(ModelConfig(vocab_size=len(vocab), **cfg)).eval()
    loaded = LoadedModel(model, vocab, "m")
    tr = trace(loaded, text)
    H = cfg["hidden_size"]
    for layer in range(tr.num_layers):
        for reverse in tr.directions:
            for t in (0, 4, len(text) - 1):
                d = cell_step(loaded, tr, t, H - 1, layer, reverse)
                first = (t == len(text) - 1) if reverse else (t == 0)
                assert (d.prev_t is None) == first and d.c == tr.get("cell", layer, reverse)[t, H - 1]
                assert d.error < 1e-5
                f, i, g = (d.gate(q).value for q in ("forget_gate", "input_gate", "candidate"))
                assert d.c == pytest.approx(f * d.c_prev + i * g, abs=1e-5)
    if not cfg.get("embedding", True):
        d = cell_step(loaded, tr, 2, 0)
        assert all(term.label == "token 'c'" for gs in d.gates for term in gs.top_input)  # one input is 1


def test_a_unit_spanning_1e_38_does_not_overflow_the_auc_bins():
    """Found by hypothesis: GRID / (hi - lo) overflowed float32 for a unit whose values span 1e-38."""
    import warnings

    from lstm_viz.core.correlation import auc
    from lstm_viz.core.trace import Trace

    values = np.zeros((20, 4), dtype=np.float32)
    values[0, 0] = 1.1754944e-38
    values[:, 1] = np.arange(20)
    tr = Trace(tokens=tuple("abcdefghijklmnopqrst"), token_ids=None, arrays={"hidden_l0": values}, num_layers=1,
               cell="rnn")
    labels = (np.arange(20) % 2 == 0).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = auc(tr, labels, "hidden")
    assert np.all(np.isfinite(a)) and a[0] == pytest.approx(0.5, abs=0.06)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ab'\"#()\\\n _", min_size=1, max_size=60), st.data())
def test_the_features_of_a_texts_first_tokens_are_those_of_the_whole_text(text, data):
    """The first picture of a long text traces its first tokens: their features are read from the start of the
    text alone (not the whole text, which took seconds at 1,000,000 characters), and equal the whole text's."""
    T = data.draw(st.integers(1, len(text)))
    whole = token_features(text)
    first = token_features(text, list(text[:T]))
    for name in whole:
        np.testing.assert_array_equal(first[name], whole[name][:T], err_msg=name)


def test_the_features_of_the_first_tokens_read_only_the_start(monkeypatch):
    import lstm_viz.core.features as features

    seen = []
    real = features.text_labels
    monkeypatch.setattr(features, "text_labels", lambda text: seen.append(len(text)) or real(text))
    text = "x = ('''a''', 1)  # c\n" * 5000  # 110,000 characters
    token_features(text, list(text[:100]))
    assert seen and max(seen) <= 100 + features.LOOKAHEAD
