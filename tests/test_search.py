"""Search, match, saturation and the cell diagram on a real trained model: a 32-unit LSTM trained for a few
seconds on the quotes corpus grows a quote cell (Karpathy et al. 2015), and the searches must find it."""
import re

import numpy as np
import pytest
import torch

from lstm_viz.core import stream
from lstm_viz.core.analysis import unit_correlations
from lstm_viz.core.corpora import load_corpus
from lstm_viz.core.diagram import LSTM_GATES, cell_step
from lstm_viz.core.errors import InputError
from lstm_viz.core.features import regex_feature, token_features
from lstm_viz.core.loading import load_model
from lstm_viz.core.match import match
from lstm_viz.core.saturation import gate_saturation
from lstm_viz.core.search import iter_feature_table, search_feature, search_span
from lstm_viz.core.correlation import rank_auc
from lstm_viz.core.trace import trace
from lstm_viz.core.train import TrainConfig, run_to_end, train


@pytest.fixture(scope="session")
def quotes_model(tmp_path_factory):
    """(LoadedModel, held-out Corpus, its Trace, the quote cell): the cell is the unit whose cell state
    correlates most with the corpus' own inside-a-quote labels (the array reference, not the search)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        config = TrainConfig(hidden_size=32, embed_size=16, seq_len=64, batch_size=32, lr=1e-2, steps=700,
                             eval_every=0, checkpoint_every=0, seed=0,
                             lr_schedule="constant", forget_bias=None,
                             warmup=0)  # the model these tests were written on
        path = tmp_path_factory.mktemp("quotes") / "q.pt"
        run_to_end(train(load_corpus("quotes", seed=0, size=60_000), config, path))
    finally:
        torch.set_num_threads(before)
    loaded = load_model(path)
    held_out = load_corpus("quotes", seed=99, size=3000)  # text the model never saw
    tr = trace(loaded, held_out.text)
    r = unit_correlations(tr.get("cell"), held_out.labels)
    return loaded, held_out, tr, int(np.nanargmax(np.abs(r)))


@pytest.fixture
def small_windows(monkeypatch):
    """Windows of 97 timesteps, so every statistic merges many windows (and an uneven last one)."""
    monkeypatch.setattr(stream, "CHUNK", 97)


def quoted_passages(text):
    """[start, end) of each quote's opening mark and words (the closing mark is outside, as in the labels)."""
    return [(m.start(), m.end() - 1) for m in re.finditer(r'"[^"]*"', text)]


def test_quote_cell_ranks_first_for_the_quotes_feature(quotes_model, small_windows):
    _, corpus, tr, cell = quotes_model
    feature = token_features(corpus.text, tr.tokens)["in_string"]
    assert np.array_equal(feature, corpus.labels)  # the text's own feature is the corpus' ground truth
    top = search_feature(tr, feature, "cell")
    assert top[0].unit == cell and abs(top[0].r) >= 0.8
    assert top[0].auc is not None and abs(top[0].auc - 0.5) > 0.45  # it separates the two almost perfectly
    reference = unit_correlations(tr.get("cell"), feature)
    assert {s.unit: s.r for s in top} == pytest.approx({u: reference[u] for u in range(32)}, abs=1e-9)
    by_auc = search_feature(tr, feature, "cell", by="auc")
    exact = rank_auc(tr.get("cell"), feature)  # sorts whole columns: the reference for the histogram AUC
    assert {s.unit: s.auc for s in by_auc} == pytest.approx({u: exact[u] for u in range(32)}, abs=1e-3)
    assert [abs(s.auc - 0.5) for s in by_auc] == sorted((abs(s.auc - 0.5) for s in by_auc), reverse=True)


def test_quote_cell_ranks_first_for_a_quote_regex(quotes_model):
    _, corpus, tr, cell = quotes_model
    regex = regex_feature(corpus.text, r'"[A-Z][^"]*', tr.tokens)  # an opening mark and the words after it
    assert search_feature(tr, regex, "cell", k=1)[0].unit == cell


def test_quote_cell_is_in_the_top_3_of_a_span_search_over_a_quote(quotes_model):
    _, corpus, tr, cell = quotes_model
    passages = quoted_passages(corpus.text)
    s, e = passages[0]
    for threshold in (None, 0.5):
        assert cell in [h.unit for h in search_span(tr, s, e, threshold=threshold, k=3)], threshold
    # Over every quote, not just the first: the threshold version always, the threshold-free one nearly.
    hits = {th: sum(cell in [h.unit for h in search_span(tr, a, b, threshold=th, k=3)] for a, b in passages)
            for th in (None, 0.5)}
    assert hits[0.5] == len(passages) and hits[None] >= 0.8 * len(passages), (hits, len(passages))


def test_match_finds_the_other_quotes(quotes_model):
    _, corpus, tr, cell = quotes_model
    passages = quoted_passages(corpus.text)
    query = passages[0]
    found = match(tr, search_span(tr, *query, k=1), query=query, limit=None)
    inside = corpus.labels.astype(bool)
    best = found[:len(passages) - 1]  # as many as there are other quotes
    assert all(inside[m.start:m.end].mean() > 0.8 for m in best)
    assert all(m.start >= query[1] or m.end <= query[0] for m in found)  # the query itself is not a match
    assert all(a.score >= b.score for a, b in zip(found, found[1:]))
    m = best[0]
    assert m.inside == corpus.text[m.start:m.end] and corpus.text[:m.start].endswith(m.before)
    assert corpus.text[m.end:].startswith(m.after)


def test_saturation_equals_the_traces_own_counts(quotes_model, small_windows):
    _, _, tr, _ = quotes_model
    result = gate_saturation(tr)
    assert [s.quantity for s in result] == ["input_gate", "forget_gate", "output_gate"]
    for s in result:
        values = tr.get(s.quantity, s.layer, s.reverse)
        assert np.array_equal(s.left, (values < 0.1).sum(axis=0) / len(tr))
        assert np.array_equal(s.right, (values > 0.9).sum(axis=0) / len(tr))
        assert np.all(s.left + s.right <= 1)
    part = gate_saturation(tr, ["forget_gate"], t0=100, t1=300)[0]
    assert np.array_equal(part.right, (tr.get("forget_gate")[100:300] > 0.9).sum(axis=0) / 200)


def test_cell_diagram_numbers_are_the_traces(quotes_model):
    loaded, corpus, tr, cell = quotes_model
    for t in (0, 1, 57, len(tr) - 1):
        d = cell_step(loaded, tr, t, cell)
        for q in LSTM_GATES:
            assert d.gate(q).value == tr.get(q)[t, cell]
        c_prev = 0.0 if t == 0 else float(tr.get("cell")[t - 1, cell])
        assert d.c_prev == c_prev and d.c == tr.get("cell")[t, cell]
        i, f, g, o = (d.gate(q).value for q in LSTM_GATES)
        assert d.c == pytest.approx(f * c_prev + i * g, abs=1e-5)
        assert d.kept == pytest.approx(f * c_prev) and d.written == pytest.approx(i * g)
        assert d.h == pytest.approx(tr.get("hidden")[t, cell], abs=1e-6)
        for gs in d.gates:
            assert gs.pre == pytest.approx(gs.from_input + gs.from_hidden + gs.bias)
            sizes = [abs(term.product) for term in gs.top_hidden]
            assert sizes == sorted(sizes, reverse=True)
            assert all(term.product == pytest.approx(term.weight * term.value) for term in gs.top_input)
        assert d.error < 1e-4


def test_cell_diagram_refuses_a_trace_of_another_model(quotes_model):
    loaded, corpus, tr, cell = quotes_model
    other = load_model(loaded.source)
    with torch.no_grad():
        other.model.rnn.weight_hh_l0.mul_(0.5)
    with pytest.raises(InputError, match="does not match this model"):
        cell_step(other, tr, 40, cell)
    with pytest.raises(InputError, match="timestep"):
        cell_step(loaded, tr, len(tr), cell)
    with pytest.raises(InputError, match="unit 32"):
        cell_step(loaded, tr, 3, 32)


def test_feature_table_for_the_units_panel(quotes_model):
    _, corpus, tr, cell = quotes_model
    gen = iter_feature_table(tr, corpus.text, k=2)
    progress = []
    while True:
        try:
            progress.append(next(gen))
        except StopIteration as stop:
            table = stop.value
            break
    assert progress[-1] == 1.0 and progress == sorted(progress) and 0 < progress[0]
    assert {(n + 1) / len(table) for n in range(len(table))} <= set(progress)  # each feature's end, and more
    assert table["in_string"][0].unit == cell and len(table["in_string"]) == 2
    assert table["digit"] == []  # no digits in the quotes corpus: nothing to rank
