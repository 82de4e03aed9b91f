"""What the app needs from a lazy trace beyond windows: rows spread over the text (colour ranges), the slow-structure
scores of the state (the unit shown first), a way to ask whether a window is cached, and ``trace(lazy=True)``."""
import threading

import numpy as np
import pytest

import lstm_viz
from lstm_viz.core.cells import CELLS
from lstm_viz.core.keyframes import KeyframeTrace, keyframe_trace
from lstm_viz.core.structure import RunningStructure, cell_unit_to_show, slow_structure
from lstm_viz.core.trace import trace
from lstm_viz.resources import DEMO_MODEL, DEMO_TEXT

from test_keyframes import TEXT, both, loaded

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("bidirectional,reads_backward", [(False, False), (True, False), (False, True)])
def test_sample_rows_and_structure_equal_the_full_trace(cell, bidirectional, reads_backward):
    full, kf = both(cell, bidirectional, reads_backward, 16)
    state = "cell" if CELLS[cell].has_cell_state else "hidden"
    for layer in range(full.num_layers):
        for rev in full.directions:
            for q in full.quantities:
                rows = kf.sample_rows(q, layer, rev)
                every = 1  # a short text: every row is kept
                np.testing.assert_allclose(rows, full.get(q, layer, rev)[::every], atol=1e-6)
            want = slow_structure(np.tanh(full.get(state, layer, rev).astype(np.float64)))
            np.testing.assert_allclose(kf.structure_scores(layer, rev), want, atol=1e-7)
            np.testing.assert_allclose(full.structure_scores(layer, rev), want, atol=1e-12)


def test_sample_rows_spread_over_a_long_text(monkeypatch):
    monkeypatch.setattr("lstm_viz.core.keyframes.SAMPLE_ROWS", 40)
    m = loaded("lstm", False)
    text = TEXT * 3  # 945 steps: every 24th row is kept
    full, kf = trace(m, text), keyframe_trace(m, text, keyframe_every=64)
    every = -(-len(full) // 40)
    np.testing.assert_allclose(kf.sample_rows("cell", 1), full.get("cell", 1)[::every], atol=1e-6)
    assert len(kf.sample_rows("cell", 1)) == len(range(0, len(full), every))


def test_running_structure_in_either_order():
    rng = np.random.default_rng(3)
    a = np.cumsum(rng.normal(size=(1000, 4)), axis=0) * 0.1
    for order in (range(0, 1000, 128), reversed(range(0, 1000, 128))):
        r = RunningStructure(4)
        for s in order:
            r.add(s, a[s:s + 128])
        np.testing.assert_allclose(r.scores(), slow_structure(np.tanh(a)), atol=1e-12)
    with pytest.raises(ValueError):
        r = RunningStructure(4)
        r.add(0, a[:10])
        r.add(20, a[20:30])


def test_unit_to_show_on_the_demo_is_the_same_lazily():
    m = lstm_viz.load_model(DEMO_MODEL)
    text = DEMO_TEXT.read_text(encoding="utf-8")
    full, kf = trace(m, text), trace(m, text, lazy=True)
    assert isinstance(kf, KeyframeTrace)
    assert int(np.argmax(kf.structure_scores(0, False))) == cell_unit_to_show(full.get("cell"))


def test_cached_and_no_lock_held_while_computing():
    full, kf = both("lstm", False, False, 16)
    kf2 = keyframe_trace(loaded("lstm", False), TEXT, keyframe_every=16)
    assert not kf2.cached(1, False, 20, 40)
    started, release = threading.Event(), threading.Event()
    run = kf2._engine.run

    def slow_run(*a, **k):
        started.set()
        release.wait(5)
        return run(*a, **k)

    kf2._engine.run = slow_run
    th = threading.Thread(target=lambda: kf2.window("cell", 0, False, 20, 40))
    th.start()
    assert started.wait(5)
    assert not kf2.cached(0, False, 20, 40)  # answers while another thread recomputes
    release.set()
    th.join()
    kf2._engine.run = run
    assert kf2.cached(0, False, 20, 40) and not kf2.cached(0, False, 20, 60)
    np.testing.assert_allclose(kf2.window("cell", 0, False, 20, 40), full.get("cell", 0)[20:40], atol=1e-6)
