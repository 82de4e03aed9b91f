"""The All layers dock costs nothing while hidden (no row built, nothing read), builds its rows when shown (again
when the trace's layout changed meanwhile), and never computes a long row's order on the GUI thread."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from lstm_viz.app.views import binned, depth_view
from lstm_viz.core.trace import Trace, key

from .conftest import make_checkpoint, open_text

TEXT = "abc 'de' (fa)\nhij."


@pytest.fixture
def built(monkeypatch):
    """The (layer, reverse) labels of every HeatmapView the All layers view builds."""
    made = []

    class Counted(depth_view.HeatmapView):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)
    monkeypatch.setattr(depth_view, "HeatmapView", Counted)
    return made


def show(qtbot, window):
    window.act_depth.trigger()
    view = window.depth_view
    qtbot.waitUntil(lambda: view.shown and not getattr(view, "building", False) and all(h.shape[1] for h in view.rows.values()),
                    timeout=10000)
    return view


def test_a_hidden_dock_builds_nothing_then_builds_its_rows_on_show(qtbot, window, tmp_path, built):
    bi2 = make_checkpoint(tmp_path / "bi.pt", hidden=5, layers=2, bidirectional=True)
    tr = open_text(qtbot, window, bi2, TEXT)
    open_text(qtbot, window, bi2, TEXT + " more")  # a second trace while hidden
    view = window.depth_view
    assert built == [] and view.rows == {}
    view = show(qtbot, window)
    assert len(built) == 4 and list(view.rows) == [(0, False), (0, True), (1, False), (1, True)]
    tr = window.state.trace
    for (layer, reverse), h in view.rows.items():
        np.testing.assert_array_equal(h.values, tr.get("cell", layer, reverse))
    # hidden again: a trace of another layout builds nothing and the rows let go of the old arrays
    window.act_depth.trigger()
    qtbot.waitUntil(lambda: not view.shown)
    strip = window.stack.strip.plot.getViewBox()
    before = strip.viewRange()[0]
    view.rows[(1, True)].vb.setXRange(2, 4, padding=0)  # a hidden row leaves the time axis alone
    assert strip.viewRange()[0] == before
    tr = open_text(qtbot, window, make_checkpoint(tmp_path / "one.pt", layers=1), TEXT)
    assert len(built) == 4 and all(h.shape == (0, 0) for h in view.rows.values())
    view = show(qtbot, window)  # shown: rebuilt for the new layout
    assert len(built) == 5 and list(view.rows) == [(0, False)]
    np.testing.assert_array_equal(view.rows[(0, False)].image.image, tr.get("cell", 0).T)


class WatchedTrace(Trace):
    """An in-memory trace that records on which thread its statistics are computed."""

    def stats(self, quantity, layer=0, reverse=False):
        if not self.stats_at_hand(quantity, layer, reverse):  # computed here, not read from the cache
            self.metadata.setdefault("stats threads", []).append(threading.current_thread())
        return super().stats(quantity, layer, reverse)


def big_trace(steps: int, units: int) -> Trace:
    rng = np.random.default_rng(3)
    arrays = {}
    for layer in range(2):
        scale = rng.uniform(0.1, 3.0, units).astype(np.float32)
        for q in ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"):
            arrays[key(q, layer)] = rng.standard_normal((steps, units), dtype=np.float32) * scale
    tokens = tuple(("the cat sat on the mat\n" * (steps // 20 + 1))[:steps])
    return WatchedTrace(tokens=tokens, token_ids=None, arrays=arrays, num_layers=2, metadata={})


def test_orders_of_long_rows_are_computed_off_the_gui_thread(qtbot, window, monkeypatch):
    tr = big_trace(3000, 700)  # 2,100,000 values a row: beyond what is ordered at once
    assert tr.get("cell", 0).size > binned.SYNC_VALUES
    threads = []
    real = binned.order_key

    def watched(values, mode):
        threads.append(threading.current_thread())
        return real(values, mode)
    monkeypatch.setattr(depth_view, "order_key", watched, raising=False)
    window.state.set_trace(tr)
    window.order_box.setCurrentIndex(0)  # by index
    view = show(qtbot, window)
    window.order_box.setCurrentIndex(1)  # by variance
    expected = {k: np.argsort(-tr.get("cell", *k).var(axis=0, dtype=np.float64), kind="stable") for k in view.rows}
    qtbot.waitUntil(lambda: all(np.array_equal(h.axis.order, expected[k]) for k, h in view.rows.items()),
                    timeout=20000)
    main = threading.main_thread()
    assert len(threads) == 2 and main not in threads  # one per row, on the worker
    assert main not in tr.metadata.get("stats threads", [])
    for k, h in view.rows.items():  # drawn in that order, the colour range of the row itself
        np.testing.assert_array_equal(h.axis.order, expected[k])
        assert h.values is tr.get("cell", *k)


def test_kept_statistics_order_at_once(qtbot, window, monkeypatch):
    """A trace that keeps its unit statistics is ordered from them, with no work queued."""
    from lstm_viz.core.stats import stats_of

    tr = big_trace(3000, 700)
    kept = {key("cell", layer): stats_of(tr.get("cell", layer)) for layer in range(2)}
    tr = WatchedTrace(tokens=tr.tokens, token_ids=None, arrays=tr.arrays, num_layers=2, metadata={},
                      unit_stats=kept)
    monkeypatch.setattr(depth_view, "order_key", lambda *a: pytest.fail("order_key for a trace keeping stats"),
                        raising=False)
    window.order_box.setCurrentIndex(1)
    window.state.set_trace(tr)
    view = show(qtbot, window)
    for (layer, reverse), h in view.rows.items():
        np.testing.assert_array_equal(h.axis.order, np.argsort(-kept[key("cell", layer)].var, kind="stable"))
