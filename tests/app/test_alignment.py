"""Every time axis shows the same [start, end) of the text, to the token, after a real layout."""
from __future__ import annotations

import numpy as np
import pytest

from .conftest import open_text


def _x_ranges(stack):
    views = [h.vb for q, h in stack.heatmaps.items() if h.isVisible()]
    views.append(stack.traces.plot.getViewBox())
    return [np.array(v.viewRange()[0]) for v in views]


@pytest.mark.parametrize("size", [(1200, 800), (700, 600)])
def test_whole_text_shows_every_timestep_in_every_view(qtbot, window, checkpoint, size):
    tr = open_text(qtbot, window, checkpoint)
    window.resize(*size)
    window.state.set_panels(("forget_gate", "input_gate", "cell"))
    qtbot.waitUntil(lambda: window.stack.heatmaps["cell"].isVisible())
    window.stack.show_whole_text()
    strip = np.array(window.stack.strip.plot.getViewBox().viewRange()[0])
    np.testing.assert_allclose(strip, [0, len(tr)], atol=1e-6)

    def aligned():
        for x in _x_ranges(window.stack):
            np.testing.assert_allclose(x, strip, atol=0.02)

    qtbot.waitUntil(aligned, timeout=2000)  # posted layout requests settle first
    # every plot area has the same width on screen: the same pixels for the same timesteps
    widths = {round(h.vb.width()) for h in window.stack.heatmaps.values() if h.isVisible()}
    widths.add(round(window.stack.strip.plot.getViewBox().width()))
    widths.add(round(window.stack.traces.plot.getViewBox().width()))
    assert len(widths) == 1, widths


def test_panned_to_the_end_the_last_column_is_whole(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint, text="abc 'de' (fa)\nhij." * 20)
    T = len(tr)
    window.stack.strip.plot.setXRange(T - 30, T, padding=0)

    def at_the_end():
        for x in _x_ranges(window.stack):
            assert x[1] == pytest.approx(T, abs=0.02)
            assert x[0] == pytest.approx(T - 30, abs=0.02)

    qtbot.waitUntil(at_the_end, timeout=2000)
