"""The app on a long text draws from a keyframe trace: the first tokens first, then the whole text without a
reset of the zoom; every heatmap image, the coloured text, the inspector and the unit order equal the
in-memory trace; and nothing on the way reads a whole (T, units) array of the lazy trace."""
import numpy as np
import pytest

from lstm_viz.app.views import lazy
from lstm_viz.core import keyframes
from lstm_viz.core.keyframes import KeyframeTrace
from lstm_viz.core.loading import load_model
from lstm_viz.core.stats import block_summary
from lstm_viz.core.structure import cell_unit_to_show
from lstm_viz.core.trace import trace as full_trace

from .conftest import ALPHABET, make_checkpoint

T_TEXT = 8000


class StrictTrace(KeyframeTrace):
    """A keyframe trace that refuses whole-text reads: drawing must cut windows."""

    def get(self, *a, **k):
        raise AssertionError("the app read a whole array of a lazy trace (get)")

    def window(self, quantity, layer=0, reverse=False, t0=0, t1=None, units=None):
        t1 = len(self) if t1 is None else t1
        if t1 - t0 > 4096:  # more than the views' windows (patched below) or the panels' statistics read
            raise AssertionError(f"the app read {t1 - t0} of {len(self)} steps of a lazy trace at once")
        return super().window(quantity, layer, reverse, t0, t1, units)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny models: threads only add waiting


@pytest.fixture
def long_text():
    rng = np.random.default_rng(5)
    return "".join(rng.choice(list(ALPHABET), T_TEXT))


@pytest.fixture
def lazy_app(monkeypatch, tmp_path):
    """The app's long-text path at a small scale: a 'long' text is anything above 2 kB of trace, the prefix is
    the first 256 characters, keyframes every 64 steps."""
    from lstm_viz.app import tasks

    monkeypatch.setattr(tasks, "MEMORY_BUDGET", 2000)
    monkeypatch.setattr(tasks, "PREFIX_TOKENS", 256)
    monkeypatch.setattr(tasks, "APP_KEYFRAME_EVERY", 64)
    monkeypatch.setattr(tasks, "APP_CACHE_CHUNKS", 64)
    monkeypatch.setattr(keyframes, "KeyframeTrace", StrictTrace)
    monkeypatch.setattr(lazy, "EXACT_SPAN", 2048)
    monkeypatch.setattr(lazy, "TRACE_EXACT", 512)
    return make_checkpoint(tmp_path / "tiny.pt", hidden=6, layers=2)


def open_long(qtbot, window, checkpoint, text, on_trace=None):
    lengths = []

    def seen(tr):
        if tr is not None:
            lengths.append(len(tr))
            if on_trace:
                on_trace(tr)

    window.state.trace_changed.connect(seen)
    window.session.open_startup(checkpoint, text=text)
    qtbot.waitUntil(lambda: isinstance(window.state.trace, KeyframeTrace), timeout=60000)
    qtbot.waitUntil(lambda: window.coloured.trace is window.state.trace)
    return lengths


def settle(qtbot, window):
    """Every visible heatmap drew its exact image (no stand-in waits for a recompute)."""
    hs = [h for h in window.stack.heatmaps.values() if h.isVisible()]
    for h in hs:
        h.refresh()
    try:
        qtbot.waitUntil(lambda: all(h._window is not None and h._window[3] for h in hs) and not
                        window.stack.fetcher.busy(), timeout=20000)
    except Exception:
        print([h._window for h in hs], window.stack.fetcher._pending)
        raise


def test_first_tokens_first_then_the_whole_text_keeping_the_zoom(qtbot, window, lazy_app, long_text):
    lines = []
    window.session.busy.connect(lines.append)
    window.session.message.connect(lines.append)

    def on_trace(tr):
        if not isinstance(tr, KeyframeTrace):  # the first tokens: the user zooms while the rest runs
            window.stack.strip.plot.setXRange(30, 70, padding=0)

    lengths = open_long(qtbot, window, lazy_app, long_text, on_trace)
    assert lengths[0] < 300 and lengths[-1] == T_TEXT
    x0, x1 = window.stack.strip.plot.getViewBox().viewRange()[0]
    assert (round(x0), round(x1)) == (30, 70)
    assert "tokens analysed" in window.status_label.text()
    full = full_trace(load_model(lazy_app), long_text)
    assert window.state.units == (cell_unit_to_show(full.get("cell", 0)),)  # picked from the whole text
    assert any(line.startswith(f"showing the first {lengths[0]:,} of about {T_TEXT:,} tokens") for line in lines)


def test_images_text_inspector_and_order_equal_the_in_memory_trace(qtbot, window, lazy_app, long_text):
    open_long(qtbot, window, lazy_app, long_text)
    s = window.state
    full = full_trace(load_model(lazy_app), long_text)
    s.set_layer(1)
    s.select_unit(4)
    rng = np.random.default_rng(0)
    for a in [*rng.integers(0, T_TEXT - 120, 3), T_TEXT - 100]:  # zoomed in, at random places and the end
        window.stack.strip.plot.setXRange(int(a), int(a) + 100, padding=0)
        settle(qtbot, window)
        for q, h in window.stack.heatmaps.items():
            if not h.isVisible():
                continue
            start, stop, step, _ = h._window
            assert step == 1
            want = full.get(q, 1)[start:stop][:, h.axis.order].T
            np.testing.assert_allclose(h.image.image, want, atol=1e-6)
            assert stop >= min(int(a) + 100, T_TEXT)
    # the coloured text's values and colours of the visible tokens, and the inspector at the selected step
    qtbot.waitUntil(lambda: not np.isnan(window.coloured.values[T_TEXT - 100:T_TEXT]).any(), timeout=20000)
    np.testing.assert_allclose(window.coloured.values[T_TEXT - 100:T_TEXT], full.get(s.quantity, 1)[-100:, 4],
                               atol=1e-6)
    assert not (window.coloured.colours_of(T_TEXT - 100, T_TEXT)[:, :3] == (235, 235, 230)).all(axis=1).any()
    s.select_time(T_TEXT - 7)
    qtbot.waitUntil(lambda: "…" not in window.inspector.text(), timeout=20000)
    for q in full.quantities:
        assert f"{full.get(q, 1)[T_TEXT - 7, 4]:+.4f}" in window.inspector.text()
    # zoomed out: blocks of 2**level steps that fit a column, drawn at their true width (a kept level, or fine
    # tiles recomputed where a column holds fewer steps than the finest kept level)
    window.stack.show_whole_text()
    settle(qtbot, window)
    for q, h in window.stack.heatmaps.items():
        if h.isVisible():
            start, stop, step, _ = h._window
            B = (stop - start) // h.image.image.shape[1]
            level = int(np.log2(B))
            assert 2 ** level == B and B > 1 and (B <= step or B == 2 ** s.trace.min_summary_level)
            want = block_summary(full.get(q, 1), level).mean[start // B: -(-stop // B)][:, h.axis.order].T
            np.testing.assert_allclose(h.image.image, want, atol=1e-5)
    # order by variance: the in-memory order
    s.set_order("variance")
    want = np.argsort(-full.get(s.quantity, 1).astype(np.float64).var(axis=0), kind="stable")
    assert [list(h.axis.order) for h in window.stack.heatmaps.values() if h.isVisible()][0] == list(want)


def test_gestures_never_read_the_whole_lazy_trace(qtbot, window, lazy_app, long_text):
    open_long(qtbot, window, lazy_app, long_text)
    s = window.state
    for order in ("mean", "activation", "variance", "index"):
        s.set_order(order)
    window.act_next_step.trigger()
    window.stack.show_whole_text()
    window.panel_actions["cell"].trigger()
    s.set_quantity("hidden")
    s.set_show_hidden(True)
    s.select_unit(5)
    window.stack.strip.plot.setXRange(T_TEXT // 2, T_TEXT // 2 + 1500, padding=0)  # traces: summaries + band
    qtbot.waitUntil(lambda: len(window.stack.traces.curves) > 0 and not window.stack.fetcher.busy(), timeout=20000)
    window.stack.strip.plot.setXRange(10, 60, padding=0)  # traces: exact
    qtbot.waitUntil(lambda: window.stack.traces.lines and window.stack.traces.lines[0][1][-1] < 200, timeout=20000)
    full = full_trace(load_model(lazy_app), long_text)
    u = window.stack.traces.lines[0]
    np.testing.assert_allclose(u[2], full.get("cell", s.layer)[int(u[1][0]):int(u[1][-1]) + 1, 5], atol=1e-6)


def test_a_bidirectional_model_waits_for_the_whole_text(qtbot, window, lazy_app, long_text, tmp_path):
    """Its first tokens' trace would not be the start of the whole one (the backward direction reads from the
    end): nothing of the new model is drawn until the whole text is read, then every number is exact."""
    ckpt = make_checkpoint(tmp_path / "bi.pt", hidden=5, layers=1, bidirectional=True)
    text = long_text[:3000]
    lengths = open_long(qtbot, window, ckpt, text)
    assert lengths == [3000]
    s = window.state
    full = full_trace(load_model(ckpt), text)
    assert s.units == (cell_unit_to_show(full.get("cell", 0, False)),)  # picked from the whole text
    s.set_reverse(True)
    window.stack.strip.plot.setXRange(3000 - 80, 3000, padding=0)
    settle(qtbot, window)
    for q, h in window.stack.heatmaps.items():
        if h.isVisible():
            start, stop, _, _ = h._window
            np.testing.assert_allclose(h.image.image, full.get(q, 0, True)[start:stop][:, h.axis.order].T, atol=1e-6)


def test_the_all_layers_view_draws_a_lazy_trace_from_windows(qtbot, window, lazy_app, long_text):
    """Every layer's row of the All layers view draws the keyframe trace's recomputed windows (never a whole
    array: StrictTrace refuses it) and equals the in-memory trace."""
    open_long(qtbot, window, lazy_app, long_text)
    window.act_depth.trigger()
    view = window.depth_view
    qtbot.waitUntil(lambda: view.shown and len(view.rows) == 2 and all(h.source is not None for h in view.rows.values()),
                    timeout=20000)
    full = full_trace(load_model(lazy_app), long_text)
    a = T_TEXT - 150
    window.stack.strip.plot.setXRange(a, a + 100, padding=0)
    rows = list(view.rows.items())
    for _, h in rows:
        h.refresh()
    qtbot.waitUntil(lambda: all(h._window is not None and h._window[3] and h._window[2] == 1 for _, h in rows)
                    and not view.fetcher.busy(), timeout=20000)
    for (layer, reverse), h in rows:
        start, stop, step, _ = h._window
        want = full.get(h.quantity, layer, reverse)[start:stop][:, h.axis.order].T
        np.testing.assert_allclose(h.image.image, want, atol=1e-6)


def test_a_big_model_traces_fewer_first_tokens(tmp_path):
    """The first picture of a long text: 4,096 tokens for the demo's size, fewer for a 2 x 512 model (its first
    picture took 3.7 s), never under 1,024."""
    from lstm_viz.app import tasks
    from lstm_viz.core.loading import load_model
    from lstm_viz.resources import DEMO_MODEL

    demo = load_model(DEMO_MODEL)
    assert tasks.prefix_tokens(demo) == tasks.PREFIX_TOKENS == 4096
    big = load_model(make_checkpoint(tmp_path / "big.pt", hidden=512, layers=2))
    assert tasks.prefix_tokens(big) == 1024
    tiny = load_model(make_checkpoint(tmp_path / "tiny.pt", hidden=4, layers=1))
    assert tasks.prefix_tokens(tiny) == 4096


def test_traces_from_the_worker_bring_their_statistics(tmp_path):
    """The rows are ordered by the trace's per-unit statistics; the worker computes them for an in-memory trace
    (a short text, or a long text's first tokens), so the GUI thread only reads them (it computed the variance
    of the first picture's 4,096 x 256 values itself: ~50 ms while the analysis ran beside it)."""
    from lstm_viz.app import tasks
    from lstm_viz.core.generators import run_to_end

    model = load_model(make_checkpoint(tmp_path / "m.pt", hidden=8, layers=2))
    short = run_to_end(tasks.analyse(model, ALPHABET * 3))
    first = run_to_end(tasks.prefix_trace(model, ALPHABET * 3))
    for tr in (short, first):
        assert tr.holds_arrays
        assert all(tr.stats_at_hand(q, layer) for q in tr.quantities for layer in range(tr.num_layers))
    fresh = full_trace(model, ALPHABET * 3)
    assert not fresh.stats_at_hand("cell")  # made outside the worker: nothing computed yet
    np.testing.assert_array_equal(short.stats("cell", 1).var, fresh.stats("cell", 1).var)
