"""A medium zoom on a keyframe trace draws fine tiles: once the fetcher is ready, HeatmapSource.cut returns bins of
2**floor(log2(step)) steps (finer than the kept summaries) that equal the means of the in-memory trace, both
directions, LSTM and GRU; the kept level stands in meanwhile; a pan recomputes only new chunks; the cost rule
keeps the kept level when the visible chunks cost too much; the tile cache stays within its bound."""
import numpy as np
import pytest

from lstm_viz.app.views import lazy
from lstm_viz.app.views.heatmap import HeatmapView
from lstm_viz.core import tiles
from lstm_viz.core.keyframes import keyframe_trace
from lstm_viz.core.trace import trace as full_trace

from test_keyframes import TEXT, loaded

pytestmark = pytest.mark.usefixtures("one_torch_thread")

K = 64  # keyframes every 64 steps; kept summaries from 2**6 = 64 steps up


@pytest.fixture(autouse=True)
def small_exact(monkeypatch):
    monkeypatch.setattr(lazy, "EXACT_SPAN", 256)  # beyond 256 steps a window is not read exactly


def traces(cell, bidirectional=True):
    m = loaded(cell, bidirectional)
    text = TEXT * 10  # 3,150 steps
    kf = keyframe_trace(m, text, keyframe_every=K, finest_summary=6)
    assert kf.min_summary_level == 6
    return full_trace(m, text), kf


def cut_when_ready(qtbot, src, x0, x1, step):
    a, width, block, complete = src.cut(x0, x1, step)
    while not complete:
        with qtbot.waitSignal(src.fetcher.ready, timeout=30000):
            pass
        a, width, block, complete = src.cut(x0, x1, step)
    return a, width, block


def assert_means(full, q, layer, reverse, a, width, block):
    want = full.get(q, layer, reverse).astype(np.float64)
    T = len(want)
    assert a % width == 0
    for i, row in enumerate(block):
        s = a + i * width
        if s < T:
            np.testing.assert_allclose(row, want[s:min(s + width, T)].mean(axis=0), atol=1e-6, rtol=0)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_mid_zoom_draws_fine_bins_once_ready(qtbot, cell):
    full, kf = traces(cell)
    fetcher = lazy.Fetcher()
    try:
        for layer, reverse in [(0, False), (1, True)]:
            q = full.quantities[0] if reverse else "hidden"
            src = lazy.HeatmapSource(kf, q, layer, reverse, fetcher)
            a, width, block, complete = src.cut(1000.0, 1600.0, 5)
            assert not complete and width == 4  # the kept level stands in, drawn at the fine width
            kept = kf.summary(q, layer, reverse, kf.min_summary_level)
            np.testing.assert_array_equal(block, kept.mean[(a + np.arange(len(block)) * width) // kept.block])
            a, width, block = cut_when_ready(qtbot, src, 1000.0, 1600.0, 5)
            assert width == 4 < 2 ** kf.min_summary_level
            assert a <= 1000 - 600 + 4 and a + len(block) * width >= 1600 + 600 - 4  # the window either side
            assert_means(full, q, layer, reverse, a, width, block)
    finally:
        fetcher.shutdown()


def test_views_share_a_job_and_a_pan_recomputes_only_new_chunks(qtbot, monkeypatch):
    full, kf = traces("lstm", False)
    seen = []
    real = kf.recompute
    monkeypatch.setattr(kf, "recompute", lambda layer, rev, m: (seen.append(m), real(layer, rev, m))[1])
    fetcher = lazy.Fetcher()
    try:
        srcs = [lazy.HeatmapSource(kf, q, 0, False, fetcher) for q in ("forget_gate", "cell")]
        for s in srcs:
            s.cut(1000.0, 1600.0, 5)
        assert len(fetcher._tile_jobs) == 1  # one job for both quantities
        for s in srcs:
            cut_when_ready(qtbot, s, 1000.0, 1600.0, 5)
        first = set(seen)
        assert len(seen) == len(first)  # every chunk once, for both quantities
        seen.clear()
        a, width, block = cut_when_ready(qtbot, srcs[1], 1300.0, 1900.0, 5)  # a pan by half a screen
        assert seen and not set(seen) & first
        assert_means(full, "cell", 0, False, a, width, block)
    finally:
        fetcher.shutdown()


def test_the_cost_rule_keeps_the_kept_level(qtbot, monkeypatch):
    full, kf = traces("lstm", False)
    monkeypatch.setattr(tiles, "WORK_BUDGET", 1e-9)  # nothing is affordable
    fetcher = lazy.Fetcher()
    try:
        src = lazy.HeatmapSource(kf, "cell", 0, False, fetcher)
        a, width, block, complete = src.cut(1000.0, 1600.0, 5)
        assert complete and width == 2 ** kf.min_summary_level and not fetcher.busy()
    finally:
        fetcher.shutdown()


def test_the_tile_cache_stays_within_its_bound_while_panning(qtbot, monkeypatch):
    full, kf = traces("lstm", False)
    cache = kf.tile_cache()
    one = -(-K // 4) * kf.units(0, "cell") * 4  # a chunk's tile at level 2
    monkeypatch.setattr(cache, "budget", 60 * one)
    monkeypatch.setattr(lazy, "TILE_SHARE", 2)  # a window of ~28 chunks fits in half of it
    fetcher = lazy.Fetcher()
    try:
        src = lazy.HeatmapSource(kf, "cell", 0, False, fetcher)
        for x0 in range(0, 2600, 300):
            a, width, block = cut_when_ready(qtbot, src, float(x0), x0 + 600.0, 5)
            assert width == 4 and cache.nbytes <= cache.budget
        assert cache.nbytes > cache.budget // 2  # it did fill up
        assert_means(full, "cell", 0, False, a, width, block)
    finally:
        fetcher.shutdown()


def test_the_heatmap_draws_the_fine_bins(qtbot):
    full, kf = traces("lstm", True)
    view = HeatmapView("cell")
    qtbot.addWidget(view)
    view.resize(700, 200)
    view.show()
    fetcher = lazy.Fetcher()
    try:
        view.set_source(lazy.HeatmapSource(kf, "cell", 0, True, fetcher), None, (-1.0, 1.0))
        fetcher.ready.connect(view.refresh_if_sampled)
        view.vb.setXRange(1200, 2400, padding=0)
        view.refresh()
        qtbot.waitUntil(lambda: view._window is not None and view._window[3] and not fetcher.busy(), timeout=30000)
        a, b, step, _ = view._window
        width = (b - a) // view.image.image.shape[1]
        assert 2 <= width < 2 ** kf.min_summary_level and width <= step
        assert_means(full, "cell", 0, True, a, width, view.image.image.T)
    finally:
        fetcher.shutdown()


def test_a_pan_inside_a_window_being_recomputed_does_not_cut_again(qtbot, monkeypatch):
    """While its fine tiles are recomputed, a pan that stays in the window drawn is free; ``ready`` redraws."""
    import threading

    full, kf = traces("lstm", False)
    go = threading.Event()
    real = kf.recompute
    monkeypatch.setattr(kf, "recompute", lambda layer, rev, m: (go.wait(30), real(layer, rev, m))[1])
    view = HeatmapView("cell")
    qtbot.addWidget(view)
    view.resize(700, 200)
    view.show()
    fetcher = lazy.Fetcher()
    try:
        src = lazy.HeatmapSource(kf, "cell", 0, False, fetcher)
        view.set_source(src, None, (-1.0, 1.0))
        fetcher.ready.connect(view.refresh_if_sampled)
        view.vb.setXRange(1200, 2400, padding=0)
        view.refresh()
        assert view._window is not None and not view._window[3] and src.asked is not None
        cuts = []
        real_cut = src.cut
        monkeypatch.setattr(src, "cut", lambda *a: (cuts.append(a), real_cut(*a))[1])
        view.vb.setXRange(1250, 2450, padding=0)
        view.refresh()
        assert cuts == []
        go.set()
        qtbot.waitUntil(lambda: view._window[3] and not fetcher.busy(), timeout=30000)
        assert cuts  # redrawn when ready
        a, b, step, _ = view._window
        assert_means(full, "cell", 0, False, a, (b - a) // view.image.image.shape[1], view.image.image.T)
    finally:
        go.set()
        fetcher.shutdown()
