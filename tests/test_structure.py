"""core/structure.py: the unit with slow structure beats noise and constants, on synthetic traces."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_viz.core.structure import cell_unit_to_show, most_structured_unit, slow_structure


def test_a_slow_square_wave_beats_loud_noise_and_a_constant():
    rng = np.random.default_rng(0)
    T = 2000
    slow = np.where((np.arange(T) // 50) % 2 == 0, 1.0, -1.0)  # a quote opens and closes every 50 steps
    noise = rng.normal(0.0, 1.5, T)  # louder, but no step looks like the previous one
    const = np.full(T, 7.0)
    small_slow = 0.1 * slow
    values = np.stack([noise, const, small_slow, slow], axis=1)  # (T, 4)
    scores = slow_structure(values)
    assert most_structured_unit(values) == 3
    assert scores[1] == 0.0  # a constant has no structure
    assert scores[3] > 10 * scores[0]  # slow beats loud noise
    assert scores[3] == pytest.approx(100 * scores[2])  # the score grows with the variance


def test_degenerate_inputs():
    assert most_structured_unit(None) is None
    assert most_structured_unit(np.zeros((5, 0))) is None
    assert slow_structure(np.ones((2, 3))).tolist() == [0.0, 0.0, 0.0]
    values = np.zeros((10, 2))
    values[:, 1] = np.nan
    assert np.isfinite(slow_structure(values)).all()
    with pytest.raises(ValueError):
        slow_structure(np.zeros(5))


def test_a_drifting_saturated_cell_loses_to_one_that_switches():
    T = 1000
    drift = -np.linspace(0.0, 30.0, T)  # huge variance, but tanh(c) is -1 almost all the time
    switch = np.where((np.arange(T) // 40) % 2 == 0, 1.5, -1.5)  # inside / outside a quote
    cell = np.stack([drift, switch], axis=1)  # (T, 2)
    assert most_structured_unit(cell) == 0  # raw variance would show the drift
    assert cell_unit_to_show(cell) == 1
    assert cell_unit_to_show(None) is None
