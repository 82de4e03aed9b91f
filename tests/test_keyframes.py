"""The keyframe trace: windows recomputed from keyframes equal the full in-memory trace at random places, for
every cell type, direction and layer; its summaries equal their definition; its statistics, loss and
probabilities equal the in-memory trace's; a window recomputes only the chunks it covers."""
from functools import lru_cache

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from lstm_viz.core.cells import CELLS
from lstm_viz.core.errors import InputError
from lstm_viz.core.keyframes import keyframe_trace
from lstm_viz.core.model import LoadedModel, ModelConfig, RNNLanguageModel
from lstm_viz.core.pyramid import PyramidBuilder
from lstm_viz.core.stats import block_summary
from lstm_viz.core.trace import trace
from lstm_viz.core.vocab import Vocab

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny models: threads only add waiting


TEXT = "def f(x):\n    return [x * 2 for x in range(10)]  # (a) 'b' \"c\"\n" * 5  # 315 characters


@lru_cache(maxsize=None)
def loaded(cell, bidirectional, reads_backward=False, layers=2):
    torch.manual_seed(1)
    vocab = Vocab.from_text(TEXT)
    model = RNNLanguageModel(ModelConfig(input_size=6, hidden_size=5, num_layers=layers, bidirectional=bidirectional,
                                         vocab_size=len(vocab), cell=cell, reads_backward=reads_backward)).eval()
    with torch.no_grad():
        for p in model.rnn.parameters():
            p.mul_(2.0)  # saturate some gates, grow the cell state
    return LoadedModel(model=model, vocab=vocab, name=cell)


@lru_cache(maxsize=None)
def both(cell, bidirectional, reads_backward=False, every=16):
    m = loaded(cell, bidirectional, reads_backward)
    return trace(m, TEXT), keyframe_trace(m, TEXT, keyframe_every=every, summary_budget=300_000, finest_summary=1)


@settings(max_examples=40, deadline=None)
@given(cell=st.sampled_from(list(CELLS)), bidirectional=st.booleans(), reads_backward=st.booleans(),
       every=st.sampled_from([8, 32]), data=st.data())
def test_windows_from_keyframes_equal_the_full_trace(cell, bidirectional, reads_backward, every, data):
    full, kf = both(cell, bidirectional, reads_backward, every)
    T = len(full)
    t0 = data.draw(st.integers(0, T), label="t0")
    t1 = data.draw(st.integers(t0, T), label="t1")
    layer = data.draw(st.integers(0, 1), label="layer")
    reverse = data.draw(st.booleans(), label="reverse") and bidirectional
    q = data.draw(st.sampled_from(CELLS[cell].quantities), label="quantity")
    units = data.draw(st.none() | st.lists(st.integers(0, 4), max_size=5), label="units")
    got = kf.window(q, layer, reverse, t0, t1, units)
    want = full.window(q, layer, reverse, t0, t1, units)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("cell,bidirectional,reads_backward", [("lstm", True, False), ("gru", False, True),
                                                               ("peephole", True, True), ("rnn", False, False)])
def test_summaries_stats_loss_and_probs_equal_the_in_memory_trace(cell, bidirectional, reads_backward):
    full, kf = both(cell, bidirectional, reads_backward, 16)  # chunk 16 = level 4: levels below and above it
    assert kf.min_summary_level <= 3 and len(kf) == len(full) and kf.keys() == full.keys()
    assert kf.tokens == full.tokens and (kf.token_ids == full.token_ids).all()
    for layer in range(2):
        for reverse in full.directions:
            for q in full.quantities:
                a = kf.get(q, layer, reverse)  # the definition, on the keyframe trace's own windows
                for level in range(kf.min_summary_level, 11):
                    s, want = kf.summary(q, layer, reverse, level), block_summary(a, level)
                    assert s.level == level
                    np.testing.assert_allclose(s.mean, want.mean, rtol=1e-6, atol=1e-7)
                    np.testing.assert_array_equal(s.min, want.min)
                    np.testing.assert_array_equal(s.max, want.max)
                    in_memory = full.summary(q, layer, reverse, level)
                    np.testing.assert_allclose(s.max, in_memory.max, atol=1e-6)
                s, want = kf.stats(q, layer, reverse), full.stats(q, layer, reverse)
                np.testing.assert_allclose(s.mean, want.mean, atol=1e-9)
                np.testing.assert_allclose(s.var, want.var, atol=1e-9)
                np.testing.assert_allclose(s.min, want.min, atol=1e-6)
                np.testing.assert_allclose(s.max, want.max, atol=1e-6)
                np.testing.assert_array_equal(s.count, want.count)
    np.testing.assert_array_equal(np.isnan(kf.loss), np.isnan(full.loss))
    np.testing.assert_allclose(kf.loss, full.loss, atol=1e-5)
    assert kf.probs.shape == full.probs.shape
    np.testing.assert_allclose(kf.probs[37], full.probs[37], atol=1e-6)
    np.testing.assert_allclose(kf.probs[10:50:3], full.probs[10:50:3], atol=1e-6)
    np.testing.assert_allclose(kf.probs[[300, 2, 17]], full.probs[[300, 2, 17]], atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_given_initial_state_is_kept_as_the_first_keyframe(cell):
    m = loaded(cell, True)
    g = torch.Generator().manual_seed(5)
    state = {f"{p}0_l{k}" + r: torch.randn(5, generator=g).numpy() for p in CELLS[cell].state for k in range(2)
             for r in ("", "_reverse")}
    full, kf = trace(m, TEXT, state=state), keyframe_trace(m, TEXT, state=state, keyframe_every=8)
    for q in full.quantities:
        np.testing.assert_allclose(kf.window(q, 1, True, 290, 315), full.window(q, 1, True, 290, 315), atol=1e-6)
        np.testing.assert_allclose(kf.window(q, 0, False, 0, 9), full.window(q, 0, False, 0, 9), atol=1e-6)
    assert kf.metadata["initial_state"] == "given"
    np.testing.assert_array_equal(kf.state_at(0, False, 0)[0], state["h0_l0"])


def test_a_window_recomputes_only_the_chunks_it_covers():
    m = loaded("lstm", False)
    kf = keyframe_trace(m, TEXT, keyframe_every=16)
    calls = []
    run = kf._engine.run
    kf._engine.run = lambda layer, d, k, *a, **kw: (calls.append((layer, k)), run(layer, d, k, *a, **kw))[1]
    kf.window("cell", 1, False, 250, 270)  # chunks 15 and 16 of layer 1, which read layer 0's chunks 15, 16
    assert sorted(calls) == [(0, 15), (0, 16), (1, 15), (1, 16)]
    calls.clear()
    kf.window("forget_gate", 1, False, 255, 260)  # the other quantities of a chunk come from the cache
    assert calls == []


def test_bad_windows_say_what_is_wrong():
    _, kf = both("lstm", True)
    with pytest.raises(InputError, match="outside the trace"):
        kf.window("cell", 0, False, 10, 400)
    with pytest.raises(InputError, match="units"):
        kf.window("cell", 0, False, 0, 10, [0, 5])
    with pytest.raises(InputError, match="GRU|reset_gate|no"):
        kf.window("reset_gate", 0, False, 0, 10)
    with pytest.raises(InputError, match="power of two"):
        keyframe_trace(loaded("lstm", False), TEXT, keyframe_every=12)
    with pytest.raises(InputError, match="empty"):
        keyframe_trace(loaded("lstm", False), "")
    assert kf.window("cell", 0, True, 7, 7).shape == (0, 5)


@settings(max_examples=40, deadline=None)
@given(T=st.integers(1, 300), chunk_log=st.integers(0, 5), k0=st.integers(0, 8), descending=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_pyramid_levels_equal_block_summary(T, chunk_log, k0, descending, seed):
    a = np.random.default_rng(seed).normal(size=(T, 3)).astype(np.float32) * 5
    K = 2 ** chunk_log
    p = PyramidBuilder(T, 3, k0, K)
    starts = list(range(0, T, K))
    for s in reversed(starts) if descending else starts:
        p.add(s, a[s:s + K])
    levels = p.finish()
    assert min(levels) == k0 and len(levels[max(levels)].mean) == 1
    for k, s in levels.items():
        want = block_summary(a, k)
        np.testing.assert_allclose(s.mean, want.mean, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(s.min, want.min)
        np.testing.assert_array_equal(s.max, want.max)


def test_the_pass_never_holds_the_whole_trace():
    import tracemalloc

    m = loaded("lstm", False, layers=1)
    T = 30_000
    ids = np.random.default_rng(0).integers(0, len(m.vocab), T)
    whole = T * 5 * len(CELLS["lstm"].quantities) * 4 + T * len(m.vocab) * 4  # every quantity and probs, bytes
    tracemalloc.start()
    try:
        kf = keyframe_trace(m, ids, keyframe_every=256, summary_budget=whole / 10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < whole / 4, (peak, whole)
    assert kf._engine.keyframes[0][0][0].shape == (T // 256 + 2, 5)  # grid points 0, 256, ..., T
    full = trace(m, ids)  # (holds 0.65 x ``whole`` under tracemalloc: this test tells the two apart)
    np.testing.assert_allclose(kf.window("cell", 0, False, T - 300, T), full.window("cell", 0, False, T - 300, T),
                               atol=1e-6)


@pytest.mark.parametrize("cell, bidirectional", [("lstm", False), ("gru", True)])
def test_a_stack_of_different_sizes_is_served_layer_by_layer(cell, bidirectional):
    """awd-lstm-like stacks (6 -> 10 -> 6 units): every layer's windows, units and stats are its own size."""
    torch.manual_seed(2)
    vocab = Vocab.from_text(TEXT)
    cfg = ModelConfig(input_size=4, hidden_size=6, num_layers=3, layer_sizes=(6, 10, 6), vocab_size=len(vocab),
                      cell=cell, bidirectional=bidirectional)
    m = LoadedModel(model=RNNLanguageModel(cfg).eval(), vocab=vocab, name="stack")
    full, kf = trace(m, TEXT), keyframe_trace(m, TEXT, keyframe_every=16)
    for layer, units in enumerate((6, 10, 6)):
        assert kf.units(layer, "hidden") == units
        for reverse in full.directions:
            np.testing.assert_allclose(kf.window("hidden", layer, reverse, 5, 40),
                                       full.get("hidden", layer, reverse)[5:40], atol=1e-6)
            assert kf.stats("hidden", layer, reverse).mean.shape == (units,)
