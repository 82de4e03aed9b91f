"""The coloured text wraps between words, lays long texts out without holding the GUI thread, and scrolls to
the stretch of text the plots show."""
from __future__ import annotations

import numpy as np
from PySide6 import QtWidgets

from lstm_viz.app.views import coloured_text
from lstm_viz.app.views.coloured_text import ColouredText

from .conftest import open_text

WORDS = "the quick brown fox (jumps) over \"the lazy dog\" with extraordinarily unhurried steps, "


class _Trace:
    def __init__(self, text):
        self.tokens = tuple(text)


def _breaks(view):
    """Pairs (previous, next) of tokens on either side of every wrap that is not a newline."""
    lines = view.boxes[: view.laid, 3]
    cuts = np.nonzero(np.diff(lines))[0] + 1
    return [(view.tokens[i - 1], view.tokens[i]) for i in cuts if view.tokens[i - 1] != "\n"]


def test_lines_wrap_between_words(qtbot):
    view = ColouredText()
    qtbot.addWidget(view)
    view.resize(260, 100)
    view.set_trace(_Trace(WORDS * 8))
    assert view.laid == len(view.tokens)
    breaks = _breaks(view)
    assert len(breaks) > 5
    bad = [pair for pair in breaks if not pair[0].isspace()]
    assert not bad, f"wrapped inside a word: {bad[:5]}"
    # and every line fits (whitespace may hang past the edge)
    right = view.boxes[:, 0] + view.boxes[:, 2]
    ink = np.array([not t.isspace() for t in view.tokens])
    assert (right[ink] <= max(view.width() - 12, 200) + 1e-6).all()


def test_a_long_text_is_laid_out_in_passes(qtbot, monkeypatch):
    monkeypatch.setattr(coloured_text, "LAYOUT_CHUNK", 1000)
    view = ColouredText()
    qtbot.addWidget(view)
    view.resize(500, 100)
    text = WORDS * 60  # about 5,000 characters
    view.set_trace(_Trace(text))
    assert view.laid == 1000  # the first pass only
    qtbot.waitUntil(lambda: view.laid == len(text))
    assert not [p for p in _breaks(view) if not p[0].isspace()]
    whole = ColouredText()
    qtbot.addWidget(whole)
    whole.resize(500, 100)
    monkeypatch.setattr(coloured_text, "LAYOUT_CHUNK", 10**6)
    whole.set_trace(_Trace(text))
    np.testing.assert_array_equal(view.boxes, whole.boxes)  # passes lay out exactly what one pass would


def test_coloured_text_follows_the_plots(qtbot, window, checkpoint):
    text = "".join(f"line {k:03d} (scrolls)\n" for k in range(90))  # short to analyse, long to show
    tr = open_text(qtbot, window, checkpoint, text=text)
    window.text_tabs.setCurrentIndex(0)
    scroll = window.coloured_scroll
    bar = scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and window.coloured.laid == len(tr))

    def shown(t):
        y = window.coloured.boxes[t, 1]
        return bar.value() <= y and y + window.coloured.line_h <= bar.value() + scroll.viewport().height()

    T = len(tr)
    window.stack.strip.plot.setXRange(T - 60, T, padding=0)
    qtbot.waitUntil(lambda: shown(T - 30))
    window.stack.strip.plot.setXRange(0, 60, padding=0)
    qtbot.waitUntil(lambda: shown(10))
    assert isinstance(scroll, QtWidgets.QScrollArea)
