"""The feature search as generators (lstm_viz.core.search.iter_search_feature and the iter_ forms in
lstm_viz.core.correlation): they yield after every window they read, so closing one stops the reading there,
and what they return is exactly what the plain functions return, on an in-memory trace and a keyframe trace."""
from __future__ import annotations

from functools import lru_cache
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from lstm_viz.core.correlation import (auc, correlation, iter_auc, iter_correlation, iter_sparse_correlation,
                                       sparse_correlation)
from lstm_viz.core.features import regex_feature
from lstm_viz.core.keyframes import keyframe_trace
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.search import iter_feature_table, iter_search_feature, search_feature
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab

ALPHABET = "ab (c)'d'\n"
LONG = "the quick brown fox jumps over the lazy dog; (see: 'here')\n" * 150  # 8,850 tokens
SMALL_CHUNK = 16  # windows of the in-memory trace in these tests (lstm_viz.core.stream.CHUNK)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny models: threads only add waiting


def model(text: str, cell: str = "lstm", layers: int = 2, bidirectional: bool = False, seed: int = 0):
    torch.manual_seed(seed)
    vocab = Vocab.from_text(text)
    net = RNNLanguageModel(ModelConfig(input_size=4, hidden_size=5, num_layers=layers, bidirectional=bidirectional,
                                       vocab_size=len(vocab), cell=cell)).eval()
    with torch.no_grad():
        for p in net.rnn.parameters():
            p.mul_(2.0)
    return LoadedModel(model=net, vocab=vocab, name=cell)


@lru_cache(maxsize=None)
def long_traces():
    m = model(LONG)
    return trace(m, LONG), keyframe_trace(m, LONG, keyframe_every=64)


class Reads:
    """Counts the windows the statistics read of ``tr`` (lstm_viz.core.correlation's ``window``, wrapped)."""

    def __init__(self, tr):
        self.n, self._tr = 0, tr

    def __enter__(self):
        from lstm_viz.core import correlation as module

        real = module.window

        def window(tr, *args, **kwargs):
            self.n += tr is self._tr
            return real(tr, *args, **kwargs)
        self._patch = mock.patch.object(module, "window", window)
        self._patch.start()
        return self

    def __exit__(self, *exc):
        self._patch.stop()


def drive(gen):
    """(progress values, result) of a progress generator."""
    progress = []
    while True:
        try:
            progress.append(next(gen))
        except StopIteration as stop:
            return progress, stop.value


def check_progress(progress):
    assert progress and progress == sorted(progress) and 0 < progress[0] and progress[-1] == pytest.approx(1.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), cell=st.sampled_from(["lstm", "gru"]), layers=st.integers(1, 2),
       bidirectional=st.booleans(), text=st.text(ALPHABET, min_size=24, max_size=90),
       every=st.sampled_from([4, 8, 16]), binary=st.booleans(), with_auc=st.booleans())
def test_the_generators_return_exactly_the_plain_results_and_yield_once_per_window(
        seed, cell, layers, bidirectional, text, every, binary, with_auc):
    m = model(ALPHABET + text, cell, layers, bidirectional, seed)
    text = ALPHABET + text
    rng = np.random.default_rng(seed)
    y = (rng.random(len(text)) < 0.3).astype(np.float64) if binary else rng.normal(size=len(text))
    y[:2] = (0.0, 1.0)  # both classes of a yes/no label, never a constant one
    q = "cell" if cell == "lstm" else "hidden"
    with mock.patch("lstm_viz.core.stream.CHUNK", SMALL_CHUNK):
        full, kf = trace(m, text), keyframe_trace(m, text, keyframe_every=every)
        results = []
        for tr in (full, kf):
            want = search_feature(tr, y, q, with_auc=binary and with_auc)
            with Reads(tr) as reads:
                progress, got = drive(iter_search_feature(tr, y, q, with_auc=binary and with_auc))
            assert got == want  # UnitScore by UnitScore, float by float
            check_progress(progress)
            assert len(progress) == reads.n  # one yield after every window read
            results.append(got)
            for layer, reverse in [(lay, r) for lay in range(layers) for r in tr.directions]:
                r, stats = correlation(tr, y, q, layer, reverse)
                g_r, g_stats = drive(iter_correlation(tr, y, q, layer, reverse))[1]
                assert np.array_equal(r, g_r, equal_nan=True) and np.array_equal(stats.std, g_stats.std)
                if binary:
                    progress, a = drive(iter_auc(tr, y, q, layer, reverse))
                    assert np.array_equal(a, auc(tr, y, q, layer, reverse), equal_nan=True)
                    check_progress(progress)
                if tr is kf:
                    sums = kf.unit_sums.state[(layer, reverse)] if kf.unit_sums.quantity == q else None
                    if sums is not None:
                        progress, s = drive(iter_sparse_correlation(kf, y, q, layer, reverse, sums))
                        assert np.array_equal(s, sparse_correlation(kf, y, q, layer, reverse, sums),
                                              equal_nan=True)
                        check_progress(progress)
        a, b = ({(s.layer, s.reverse, s.unit): s.r for s in got} for got in results)  # ties may swap places
        assert set(a) == set(b)
        np.testing.assert_allclose([b[u] for u in a], list(a.values()), rtol=1e-5, atol=1e-6)


def closed_after_one_step(tr, gen) -> tuple[int, int]:
    """(windows read when the first progress came, windows read after closing the generator there)."""
    with Reads(tr) as reads:
        next(gen)
        first = reads.n
        gen.close()
    with Reads(tr) as after:
        with pytest.raises(StopIteration):
            next(gen)
    return first, after.n


def test_a_dense_regex_on_a_keyframe_trace_stops_reading_when_closed():
    """A regex matching in nearly every chunk reads nearly the whole trace: closed after its first window,
    it reads no other."""
    full, kf = long_traces()
    y = regex_feature(LONG, "e", kf.tokens)  # (T,)
    with Reads(kf) as whole:
        search_feature(kf, y, "cell", with_auc=False)
    assert whole.n > 2  # the search reads several windows: stopping after one means something
    assert closed_after_one_step(kf, iter_search_feature(kf, y, "cell", with_auc=False)) == (1, 0)
    sums = kf.unit_sums.state[(0, False)]
    assert closed_after_one_step(kf, iter_sparse_correlation(kf, y, "cell", 0, False, sums)) == (1, 0)


@pytest.mark.parametrize("with_auc", [False, True])
def test_every_window_loop_yields_after_its_first_window(with_auc):
    full, _ = long_traces()
    y = regex_feature(LONG, r"\(.*?\)", full.tokens).astype(np.float64)
    assert len(full) > 2 * 4096  # several windows of lstm_viz.core.stream.CHUNK
    assert closed_after_one_step(full, iter_search_feature(full, y, "cell", with_auc=with_auc)) == (1, 0)
    assert closed_after_one_step(full, iter_correlation(full, y, "cell", 1)) == (1, 0)
    assert closed_after_one_step(full, iter_auc(full, y, "cell", 0)) == (1, 0)


def test_the_slow_feature_table_yields_within_a_feature():
    """Without the sums of a keyframe pass (an in-memory trace, or with AUC) each feature reads the whole trace:
    progress comes after each window, as features done + the share of the current one."""
    full, kf = long_traces()
    for tr, with_auc in ((full, False), (kf, True)):
        with Reads(tr) as reads:
            progress, table = drive(iter_feature_table(tr, LONG, "cell", k=2, with_auc=with_auc))
        check_progress(progress)
        within = [p for p in progress if abs(p * len(table) - round(p * len(table))) > 1e-9]
        assert reads.n <= len(progress) and within  # progress inside a feature, not only at its end
        assert closed_after_one_step(tr, iter_feature_table(tr, LONG, "cell", k=2, with_auc=with_auc)) == (1, 0)
    assert list(table) == list(drive(iter_feature_table(full, LONG, "cell", k=2))[1])
