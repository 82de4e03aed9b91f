"""Zoomed-out heatmap windows: pyramid means equal plain means over the same bins, to float precision."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from lstm_viz.app.views.binned import BASE, TimeBins, bin_means


def _plain(values, a, b, step):
    return np.stack([values[s:min(s + step, b)].mean(axis=0) for s in range(a, b, step)])


@settings(max_examples=40, deadline=None)
@given(T=st.integers(9, 5000), units=st.integers(1, 5), data=st.data())
def test_pyramid_windows_are_the_means_of_their_bins(T, units, data):
    values = np.random.default_rng(T).normal(size=(T, units)).astype(np.float32)  # (T, U)
    bins = TimeBins(values).build()
    step = data.draw(st.integers(1, max(1, T // 2)))
    f = bins.factor_for(step)
    step = max(f, step // f * f)
    a = data.draw(st.integers(0, (T - 1) // step)) * step
    b = data.draw(st.integers(a + 1, T))
    got = bin_means(values, a, b, step, bins)
    np.testing.assert_allclose(got, _plain(values, a, b, step), rtol=1e-5, atol=1e-5)


def test_levels_halve():
    values = np.ones((BASE * 1024 + 3, 2), np.float32)
    bins = TimeBins(values).build()
    assert min(bins.levels) == BASE and all(len(v) == len(values) // f for f, v in bins.levels.items())
    assert bins.factor_for(BASE - 1) == 1 and bins.factor_for(3 * BASE) == 2 * BASE
