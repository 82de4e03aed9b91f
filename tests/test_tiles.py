"""Fine tiles of a keyframe trace: every bin equals the mean of the full trace over its steps, at random places,
both directions, every layer, LSTM and GRU; the LRU stays within its bound; ``work`` computes only what is
missing, in the order given, and stops when cancelled; the cost rule follows the measured rate."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lstm_viz.core import tiles
from lstm_viz.core.tiles import TileCache, bin_means

from test_keyframes import both

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@settings(max_examples=40, deadline=None)
@given(cell=st.sampled_from(["lstm", "gru"]), data=st.data())
def test_tile_bins_are_the_means_of_the_full_trace(cell, data):
    full, kf = both(cell, True)
    cache = TileCache(kf)
    T, K = len(full), kf.keyframe_every
    layer = data.draw(st.integers(0, 1), label="layer")
    reverse = data.draw(st.booleans(), label="reverse")
    level = data.draw(st.integers(0, cache.chunk_level), label="level")
    q = data.draw(st.sampled_from(full.quantities), label="quantity")
    m = data.draw(st.integers(0, cache.chunks - 1), label="chunk")
    cache.compute(layer, reverse, level, m, [q])
    tile = cache.get(q, layer, reverse, level, m)
    B = 2 ** level
    want = full.get(q, layer, reverse).astype(np.float64)
    for i, row in enumerate(tile):
        s = m * K + i * B
        np.testing.assert_allclose(row, want[s:min(s + B, T, (m + 1) * K)].mean(axis=0), atol=1e-6, rtol=0)
    assert len(tile) == -(-(min((m + 1) * K, T) - m * K) // B)


def draw_window(data, cache: TileCache, T: int):
    """A level, bins [i0, i1) of it, a direction, and the chunks they cover, some of them held:
    (level, B = 2**level, i0, i1, reverse, bins per chunk, chunks, held)."""
    level = data.draw(st.integers(0, cache.chunk_level), label="level")
    B = 2 ** level
    n_bins = -(-T // B)
    i0 = data.draw(st.integers(0, n_bins - 1), label="i0")
    i1 = data.draw(st.integers(i0 + 1, n_bins), label="i1")
    reverse = data.draw(st.booleans(), label="reverse")
    per = cache.chunk // B
    chunks = list(range(i0 // per, -(-i1 // per)))
    held = data.draw(st.lists(st.sampled_from(chunks), unique=True), label="held")
    return level, B, i0, i1, reverse, per, chunks, held


@settings(max_examples=25, deadline=None)
@given(cell=st.sampled_from(["lstm", "gru"]), data=st.data())
def test_fill_draws_the_bins_of_any_window(cell, data):
    """What a heatmap draws: bins i0 .. i1 of a level across chunk borders; the chunks not held are named and
    their bins left as the stand-in was."""
    full, kf = both(cell, True)
    cache = TileCache(kf)
    T = len(full)
    level, B, i0, i1, reverse, per, chunks, held = draw_window(data, cache, T)
    for m in held:
        cache.compute(1, reverse, level, m, ["hidden"])
    out = np.full((i1 - i0, full.units(1, "hidden")), -7.0, np.float32)
    assert sorted(cache.fill(out, "hidden", 1, reverse, level, i0)) == sorted(set(chunks) - set(held))
    want = full.get("hidden", 1, reverse).astype(np.float64)
    for i in range(i0, i1):
        if (i // per) in held:
            np.testing.assert_allclose(out[i - i0], want[i * B:min((i + 1) * B, T)].mean(axis=0), atol=1e-6)
        else:
            assert (out[i - i0] == -7.0).all()


def test_bin_means_match_plain_means():
    a = np.random.default_rng(0).normal(size=(37, 3)).astype(np.float32)  # (n, units)
    for level in range(6):
        B = 2 ** level
        want = np.stack([a[s:s + B].astype(np.float64).mean(axis=0) for s in range(0, len(a), B)])
        np.testing.assert_allclose(bin_means(a, level), want, atol=1e-7)


def test_the_lru_stays_within_its_bound():
    full, kf = both("lstm", True)
    one = bin_means(full.get("cell", 0)[:kf.keyframe_every], 1).nbytes
    cache = TileCache(kf, budget_bytes=5 * one)
    for m in range(cache.chunks - 1):  # every chunk is a full one but the last
        cache.compute(0, False, 1, m, ["cell"])
        assert cache.nbytes <= cache.budget
    assert cache.nbytes == 5 * one
    last = cache.chunks - 2
    assert cache.missing(["cell"], 0, False, 1, range(last - 4, last + 1)) == []  # the newest stay
    assert cache.missing(["cell"], 0, False, 1, [0]) == [0]  # the oldest went
    cache.get("cell", 0, False, 1, last - 4)  # reading one keeps it: the next least recently used goes
    cache.compute(0, False, 1, 0, ["cell"])
    assert cache.missing(["cell"], 0, False, 1, [last - 4, last - 3]) == [last - 3]


def test_work_computes_what_is_missing_in_order_and_stops_when_cancelled(monkeypatch):
    full, kf = both("lstm", False)
    cache = TileCache(kf)
    seen = []
    real = kf.recompute
    monkeypatch.setattr(kf, "recompute", lambda layer, rev, m: (seen.append(m), real(layer, rev, m))[1])
    cache.compute(0, False, 2, 5, ["cell", "hidden"])
    seen.clear()
    assert cache.work(0, False, 2, [5, 4, 6, 3], lambda: ["cell", "hidden"]) == 3
    assert seen == [4, 6, 3]  # chunk 5 was held
    # a quantity joins: the chunks that lack it are recomputed once more
    assert cache.work(0, False, 2, [5, 4], lambda: ["cell", "forget_gate"]) == 2
    # cancelled after the first chunk
    seen.clear()
    assert cache.work(0, False, 2, [7, 8, 9], lambda: ["cell"], cancelled=lambda: len(seen) >= 1) == 1
    assert seen == [7]
    assert cache.work(0, False, 2, [10, 11], lambda: ["cell"], seconds=0.0) == 0


def test_the_cost_rule_follows_the_measured_rate(monkeypatch):
    full, kf = both("lstm", True)
    cache = TileCache(kf)
    prior0, prior1 = cache.seconds_per_step(0), cache.seconds_per_step(1)
    assert 0 < prior0 < prior1  # the second layer recomputes the first: dearer
    monkeypatch.setattr(tiles, "WORK_BUDGET", 1.0)
    cache._times[0] = [1e-3]  # as if measured: 1,000 steps a second
    assert cache.affordable(0, 1000) and not cache.affordable(0, 1001)
    cache.compute(0, False, 1, 0, ["cell"])
    assert cache.seconds_per_step(0) != 1e-3  # the newest measurements count
