"""Colour ranges: gates fixed on [0, 1]; signed quantities symmetric, not washed out by a few huge units."""
import numpy as np

from lstm_viz.app import style


def test_gates_and_candidate_have_fixed_ranges():
    data = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    assert style.levels("forget_gate", data) == (0.0, 1.0)
    assert style.levels("candidate", data) == (-1.0, 1.0)


def test_cell_range_is_symmetric_and_ignores_rare_outliers():
    rng = np.random.default_rng(0)
    data = rng.uniform(-2, 2, size=(1000, 200)).astype(np.float32)
    data[:, 7] = 60.0  # one unit in 200 far beyond the others (as the demo model's cell 243)
    lo, hi = style.levels("cell", data)
    assert lo == -hi
    assert 1.9 <= hi <= 2.0  # the 99th percentile of |value|, not 60


def test_cell_range_of_a_constant_or_empty_array_is_usable():
    assert style.levels("cell", np.zeros((3, 2), np.float32)) == (-1e-6, 1e-6)
    assert style.levels("hidden", np.zeros((0, 2), np.float32)) == (-1.0, 1.0)
    lo, hi = style.levels("cell", np.array([[np.nan, 3.0]], np.float32))
    assert hi == 3.0


def test_cell_range_sees_every_unit_whatever_the_unit_count():
    """A flat stride over (T, units) lines up with the unit count and skips whole units."""
    rng = np.random.default_rng(1)
    for T, U in ((200_000, 2), (100_000, 4), (2_000, 256)):
        data = rng.uniform(-1, 1, size=(T, U)).astype(np.float32)
        data[:, 1::2] *= 20.0  # the odd units are large: half of all values lie in [-20, 20]
        exact = float(np.percentile(np.abs(data), 99.0))
        lo, hi = style.levels("cell", data)
        assert hi == -lo
        assert abs(hi - exact) / exact < 0.02, (T, U, hi, exact)


def test_cell_range_of_rows_large_late_in_the_text():
    data = np.ones((300_000, 8), np.float32)
    data[150_000:] = 5.0  # the second half of the text: samples must spread over time
    assert style.levels("hidden", data)[1] == 5.0
