"""At a medium zoom on a keyframe trace the traces draw the same fine tiles as the heatmaps: the curve is the
in-memory trace's bin means and the band the bins' min and max (<= 1e-6); the kept summary stands in while the
tiles are recomputed; a heatmap and the traces asking for the same chunks recompute each chunk once; in the app
the traces panel draws at the heatmaps' resolution."""
import threading

import numpy as np
import pytest

from lstm_viz.app.views import lazy
from lstm_viz.app.views.trace_tiles import tile_curves
from lstm_viz.core.trace import trace as full_trace
from lstm_viz.core.loading import load_model

from .test_lazy_app import T_TEXT, lazy_app, long_text, open_long  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("one_torch_thread")
from .test_lazy_tiles import small_exact, traces  # noqa: F401 - the fixture


def curves_when_ready(qtbot, fetcher, *args, **kw):
    cut = tile_curves(*args, **kw)
    while not cut[-1]:
        with qtbot.waitSignal(fetcher.ready, timeout=30000):
            pass
        cut = tile_curves(*args, **kw)
    return cut


def assert_bins(full, q, layer, reverse, units, a, x, mean, lo, hi):
    """Bin i covers [a + i B, a + (i + 1) B): its mean, min and max of the in-memory trace."""
    want = full.get(q, layer, reverse)[:, units].astype(np.float64)
    T = len(want)
    B = int(round(2 * (x[0] - a))) if len(x) > 1 else 1
    assert B >= 1 and np.allclose(np.diff(x)[:-1], B)
    for i in range(len(x)):
        s, e = a + i * B, min(a + (i + 1) * B, T)
        np.testing.assert_allclose(mean[i], want[s:e].mean(axis=0), atol=1e-6, rtol=0)
        if lo is not None:
            np.testing.assert_allclose(lo[i], want[s:e].min(axis=0), atol=1e-6, rtol=0)
            np.testing.assert_allclose(hi[i], want[s:e].max(axis=0), atol=1e-6, rtol=0)
    return B


@pytest.mark.parametrize("cell,layer,reverse", [("lstm", 0, False), ("lstm", 1, True), ("gru", 0, True)])
def test_the_curves_are_the_bins_means_and_extremes_once_ready(qtbot, cell, layer, reverse):
    full, kf = traces(cell)
    q, units = ("cell" if cell == "lstm" else "hidden"), [0, 2, 4]
    fetcher = lazy.Fetcher()
    try:
        args = (kf, q, layer, reverse, units, 1000.0, 1600.0, 120.0, fetcher, "traces")  # 5 steps a pixel
        a, b, x, mean, lo, hi, level, complete = tile_curves(*args)
        assert not complete and level == 2  # the kept level stands in meanwhile, at the fine bins' places
        kept = kf.summary(q, layer, reverse, kf.min_summary_level)
        rows = (a + np.arange(len(x)) * 8) // kept.block  # tiles of 4 steps, drawn in pairs: 8 (<= a pixel)
        np.testing.assert_array_equal(mean, kept.mean[rows][:, units])
        np.testing.assert_array_equal(lo, kept.min[rows][:, units])
        np.testing.assert_array_equal(hi, kept.max[rows][:, units])
        a, b, x, mean, lo, hi, level, complete = curves_when_ready(qtbot, fetcher, *args)
        assert a <= 1000 - 600 + 4 and b >= 1600 + 600 - 4  # the visible stretch and a span either side
        assert assert_bins(full, q, layer, reverse, units, a, x, mean, lo, hi) == 8 < 2 ** kf.min_summary_level
        assert (lo <= mean + 1e-6).all() and (mean <= hi + 1e-6).all()
    finally:
        fetcher.shutdown()


def test_short_and_long_spans_are_not_tiles(qtbot):
    _, kf = traces("lstm", False)
    fetcher = lazy.Fetcher()
    try:
        assert tile_curves(kf, "cell", 0, False, [0], 1000.0, 1100.0, 120.0, fetcher, "t") is None  # exact
        assert tile_curves(kf, "cell", 0, False, [0], 0.0, 3000.0, 20.0, fetcher, "t") is None  # kept level
        assert not fetcher.busy()
    finally:
        fetcher.shutdown()


@pytest.mark.parametrize("traces_first", [True, False])
def test_a_heatmap_and_the_traces_recompute_each_chunk_once(qtbot, monkeypatch, traces_first):
    """The traces stand for their tiles on every job of the layer: a heatmap's job keeps them, and the traces
    cutting later (after the pan settles) or first find them in the same pass over each chunk."""
    full, kf = traces("lstm", False)
    seen = []
    real = kf.recompute
    monkeypatch.setattr(kf, "recompute", lambda layer, rev, m: (seen.append((layer, rev, m)), real(layer, rev, m))[1])
    fetcher = lazy.Fetcher()
    try:
        cache = kf.tile_cache()
        fetcher.stand("traces", cache, 0, False, ("cell", "hidden"), ("cell",))
        args = (kf, "cell", 0, False, [1, 3], 1000.0, 1600.0, 120.0, fetcher, "traces")
        src = lazy.HeatmapSource(kf, "forget_gate", 0, False, fetcher)
        if traces_first:
            assert not tile_curves(*args)[-1]
        assert not src.cut(1000.0, 1600.0, 5)[3]
        if not traces_first:  # the heatmap's job is under way when the traces ask
            with qtbot.waitSignal(fetcher.ready, timeout=30000):
                pass
        a, b, x, mean, lo, hi, level, complete = curves_when_ready(qtbot, fetcher, *args)
        qtbot.waitUntil(lambda: not fetcher.busy() and src.cut(1000.0, 1600.0, 5)[3], timeout=30000)
        assert seen and len(seen) == len(set(seen))  # every chunk once for both views
        assert assert_bins(full, "cell", 0, False, [1, 3], a, x, mean, lo, hi) == 8
        hidden = tile_curves(kf, "hidden", 0, False, [1, 3], 1000.0, 1600.0, 120.0, fetcher, "traces-h",
                             band=False, level=level)
        assert hidden[-1] and hidden[4] is None  # held too, without a band
        assert_bins(full, "hidden", 0, False, [1, 3], hidden[0], hidden[2], hidden[3], None, None)
        assert len(seen) == len(set(seen))
    finally:
        fetcher.shutdown()


def test_the_traces_panel_draws_the_heatmaps_bins(qtbot, window, lazy_app, long_text, monkeypatch):
    open_long(qtbot, window, lazy_app, long_text)
    s, stack = window.state, window.stack
    tr = s.trace
    seen = []
    real = tr.recompute
    monkeypatch.setattr(tr, "recompute", lambda layer, rev, m: (seen.append((layer, rev, m)), real(layer, rev, m))[1])
    s.select_unit(3)
    x0 = T_TEXT // 2
    width = stack.traces.plot.getViewBox().width()
    span = int(width * 3)  # about 3 steps a pixel: bins of 2 steps, finer than the kept level
    stack.strip.plot.setXRange(x0, x0 + span, padding=0)
    qtbot.waitUntil(lambda: not stack.curves.waiting and not stack.fetcher.busy() and stack.traces.lines
                    and stack.traces.lines[0][1][0] > x0 - 2 * span, timeout=30000)
    u, x, values = stack.traces.lines[0]
    assert u == 3
    full = full_trace(load_model(lazy_app), long_text)
    B = int(round(x[1] - x[0]))
    assert 1 < B < 2 ** tr.min_summary_level
    heat = [h for h in stack.heatmaps.values() if h.isVisible() and h._window is not None][0]
    heat_bin = (heat._window[1] - heat._window[0]) // heat.image.image.shape[1]
    assert B == 2 * heat_bin  # the heatmaps' bins (<= a pixel), in pairs (a pixel or two)
    a = int(x[0] - B / 2)
    assert_bins(full, "cell", s.layer, s.reverse, [3], a, x, values[:, None], stack.traces.bands[0][1][:, None],
                stack.traces.bands[1][1][:, None])
    assert seen and len(seen) == len(set(seen))  # heatmaps and traces: each chunk recomputed once


def test_the_all_layers_view_shares_the_plots_fetcher(qtbot, window, lazy_app, long_text, monkeypatch):
    """The All layers rows and the main heatmaps and traces ask one Fetcher: a chunk both show is recomputed
    once, by one worker, and every row still draws the bins' means."""
    open_long(qtbot, window, lazy_app, long_text)
    window.act_depth.trigger()
    view, stack, tr = window.depth_view, window.stack, window.state.trace
    qtbot.waitUntil(lambda: view.shown and len(view.rows) == 2 and all(h.source is not None for h in view.rows.values()),
                    timeout=20000)
    seen = []
    real = tr.recompute
    threads = set()

    def counted(layer, rev, m):
        seen.append((layer, rev, m))
        threads.add(threading.get_ident())
        return real(layer, rev, m)

    monkeypatch.setattr(tr, "recompute", counted)
    x0, span = T_TEXT // 3, int(stack.traces.plot.getViewBox().width() * 3)
    stack.strip.plot.setXRange(x0, x0 + span, padding=0)
    rows = list(view.rows.items())
    shown = [h for h in stack.heatmaps.values() if h.isVisible()]

    def done():
        return (all(h._window is not None and h._window[3] and h._window[0] <= x0 for _, h in rows + [(0, h) for h in shown])
                and not stack.fetcher.busy() and not stack.curves.waiting)

    qtbot.waitUntil(done, timeout=30000)
    assert seen and len(seen) == len(set(seen))  # every chunk once for the rows, the heatmaps and the traces
    assert len(threads) == 1 and {layer for layer, _, _ in seen} == {0, 1}  # one worker for both views
    full = full_trace(load_model(lazy_app), long_text)
    for (layer, reverse), h in rows:
        a, b, step, _ = h._window
        width = (b - a) // h.image.image.shape[1]
        assert 1 < width < 2 ** tr.min_summary_level
        want = full.get(h.quantity, layer, reverse).astype(np.float64)
        img = h.image.image.T  # (bins, rows in the axis order)
        for i in range(0, len(img), 7):
            s = a + i * width
            np.testing.assert_allclose(img[i], want[s:s + width].mean(axis=0)[h.axis.order], atol=1e-5)
