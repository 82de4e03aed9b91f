"""Band tiles of a keyframe trace (what the traces draw around the bins' means): every bin's min and max equal
the full trace's over its steps, for any window across chunk borders, both directions, LSTM and GRU; chunks not
held are named; a band is kept only where asked for, and the LRU holding both kinds stays within its bound."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lstm_viz.core.tiles import TileCache, bin_extremes, bin_means

from test_keyframes import both
from test_tiles import draw_window

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_bin_extremes_match_plain_min_and_max():
    a = np.random.default_rng(1).normal(size=(37, 3)).astype(np.float32)  # (n, units)
    for level in range(6):
        B = 2 ** level
        ext = bin_extremes(a, level)
        assert ext.shape == (2, -(-37 // B), 3)
        np.testing.assert_array_equal(ext[0], np.stack([a[s:s + B].min(axis=0) for s in range(0, 37, B)]))
        np.testing.assert_array_equal(ext[1], np.stack([a[s:s + B].max(axis=0) for s in range(0, 37, B)]))


@settings(max_examples=25, deadline=None)
@given(cell=st.sampled_from(["lstm", "gru"]), data=st.data())
def test_fill_band_draws_the_bins_min_and_max_of_any_window(cell, data):
    full, kf = both(cell, True)
    cache = TileCache(kf)
    T = len(full)
    level, B, i0, i1, reverse, per, chunks, held = draw_window(data, cache, T)
    q = data.draw(st.sampled_from(full.quantities), label="quantity")
    units = data.draw(st.lists(st.integers(0, full.units(1, q) - 1), min_size=1, unique=True), label="units")
    for m in held:
        cache.compute(1, reverse, level, m, [q], bands=[q])
    out = np.full((2, i1 - i0, len(units)), -7.0, np.float32)
    assert sorted(cache.fill_band(out, q, 1, reverse, level, i0, units)) == sorted(set(chunks) - set(held))
    mean = np.full((i1 - i0, len(units)), -7.0, np.float32)
    assert sorted(cache.fill(mean, q, 1, reverse, level, i0, units)) == sorted(set(chunks) - set(held))
    want = full.get(q, 1, reverse)[:, units].astype(np.float64)
    for i in range(i0, i1):
        if (i // per) in held:
            span = want[i * B:min((i + 1) * B, T)]
            np.testing.assert_allclose(out[0, i - i0], span.min(axis=0), atol=1e-6, rtol=0)
            np.testing.assert_allclose(out[1, i - i0], span.max(axis=0), atol=1e-6, rtol=0)
            np.testing.assert_allclose(mean[i - i0], span.mean(axis=0), atol=1e-6, rtol=0)
        else:
            assert (out[:, i - i0] == -7.0).all() and (mean[i - i0] == -7.0).all()


def test_bands_only_where_asked_and_the_lru_stays_within_its_bound():
    full, kf = both("lstm", False)
    one = bin_means(full.get("cell", 0)[:kf.keyframe_every], 1).nbytes  # a mean tile; a band tile is twice that
    cache = TileCache(kf, budget_bytes=9 * one)
    cache.compute(0, False, 1, 0, ["cell", "hidden"])
    assert cache.get("cell", 0, False, 1, 0, band=True) is None  # not asked for
    assert cache.missing(["cell"], 0, False, 1, [0], bands=["cell"]) == [0]
    for m in range(cache.chunks - 1):
        cache.compute(0, False, 1, m, ["cell", "hidden"], bands=["cell"])
        assert cache.nbytes <= cache.budget
        assert cache.get("cell", 0, False, 1, m, band=True).nbytes == 2 * one
    assert cache.nbytes == 8 * one  # two chunks of 2 means + 1 band
    last = cache.chunks - 2
    assert cache.missing(["cell", "hidden"], 0, False, 1, [last - 1, last], bands=["cell"]) == []
    assert cache.missing(["cell"], 0, False, 1, [0], bands=["cell"]) == [0]
