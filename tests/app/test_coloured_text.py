"""The coloured text wraps between words, lays out only a window around what it shows (a million tokens open and
jump at once), maps the mouse to the right timestep after a far jump, repaints tokens whose lazy values arrive,
and scrolls to the stretch of text the plots show."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from lstm_viz.app.views import coloured_text
from lstm_viz.app.views.coloured_pane import ColouredTextPane
from lstm_viz.app.views.text_layout import TextWindow

from .conftest import open_text

WORDS = "the quick brown fox (jumps) over \"the lazy dog\" with extraordinarily unhurried steps, "
MILLION = 1_000_000


class _Trace:
    def __init__(self, text):
        self.tokens = tuple(text)
        self.loss = self.probs = self.vocab_tokens = None


def _breaks(view):
    """Pairs (previous, next) of tokens on either side of every wrap that is not a newline, in the window."""
    a, b = view.laid_window
    lines = view.boxes[a:b, 3]
    cuts = np.nonzero(np.diff(lines))[0] + 1 + a
    return [(view.tokens[i - 1], view.tokens[i]) for i in cuts if view.tokens[i - 1] != "\n"]


def _pane(qtbot, text, width=260, height=200):
    pane = ColouredTextPane()
    qtbot.addWidget(pane)
    pane.resize(width, height)
    pane.show()
    pane.text.set_trace(_Trace(text))
    return pane, pane.text


def _shown(view):
    """Tokens [a, b) on the lines wholly shown."""
    return view.win.tokens_of(view.top, view.top + view._lines_whole() - 1)


def _centre(view, t):
    x, y, w, _ = view.boxes[t]
    return QtCore.QPoint(int(x + max(w, 4) / 2), int(y + view.line_h / 2))


def test_lines_wrap_between_words(qtbot):
    pane, view = _pane(qtbot, WORDS * 8, height=600)
    qtbot.waitUntil(lambda: view.laid_window == (0, len(view.tokens)))
    breaks = _breaks(view)
    assert len(breaks) > 5
    bad = [pair for pair in breaks if not pair[0].isspace()]
    assert not bad, f"wrapped inside a word: {bad[:5]}"
    # and every line fits (whitespace may hang past the edge)
    boxes = view.boxes[:]
    right = boxes[:, 0] + boxes[:, 2]
    ink = np.array([not t.isspace() for t in view.tokens])
    assert (right[ink] <= max(view.width() - 12, 200) + 1e-6).all()


def test_layout_in_pieces_equals_one_pass():
    text = tuple(WORDS * 60 + "\n" + WORDS * 40)
    width = lambda tok: 7.0 * len(tok)  # noqa: E731
    pieces, whole = TextWindow(text, width, 300, False, 0.0), TextWindow(text, width, 300, False, 0.0)
    while not pieces.at_end:
        pieces.extend(97)
    whole.extend(len(text))
    np.testing.assert_array_equal(pieces.x, whole.x)
    np.testing.assert_array_equal(pieces.line, whole.line)
    # a window begun after the newline lays its lines out as the whole layout does
    nl = text.index("\n") + 1
    part = TextWindow(text, width, 300, False, 0.0)
    part.reset(part.start_before(nl + 500))
    assert part.start == nl
    part.extend(len(text))
    np.testing.assert_array_equal(part.x, whole.x[nl:])
    np.testing.assert_array_equal(part.line - part.line[0], whole.line[nl:] - whole.line[nl])


def _short_lines(win, text, width):
    """Lines of ``win`` inside a paragraph (not its first or last line, nor the window's) that end before the
    edge by more than the widest word: a forward layout of what was prepended ends one where a window began."""
    ink = {}
    for t in range(win.start, win.end):
        k = t - win.start
        if not text[t].isspace():
            ink[win.line[k]] = win.x[k] + win.width[k]
    ends_nl = {win.line[t - win.start] + d for t in range(win.start, win.end) if text[t] == "\n" for d in (0, 1)}
    widest = max(width(w) for w in WORDS.split())
    lines = sorted(ink)[1:-1]
    return [k for k in lines if k not in ends_nl and ink[k] < win.wrap_at - widest - width(" ") - 1]


def test_growing_back_into_a_paragraph_leaves_no_short_line():
    """A window begun inside a long paragraph (no newline near) grows backwards with every line inside the
    paragraph full: the part before it is wrapped from its end (so a paragraph's first line may be short, never
    one in its middle). The lines from ``keep_line`` down never move."""
    rng = np.random.default_rng(5)
    width = lambda tok: 7.0 * len(tok)  # noqa: E731
    for paragraph in (" ".join(rng.choice(np.array(WORDS.split()), 6000)),  # no newline at all
                      (WORDS * 80 + "\n") * 8):  # long paragraphs
        text = tuple(paragraph)
        for wrap in (300, 700, 1400):
            win = TextWindow(text, width, wrap, False, 0.0)
            win.reset(win.start_before(20_000))
            win.extend(3000)
            assert text[win.start - 1] != "\n"
            keep = win.first_line + 3
            kept = win.tokens_of(keep, win.last_line)[0]
            before = win.x[kept - win.start:].copy(), win.line[kept - win.start:].copy()
            for _ in range(6):
                win.prepend(1500, keep_line=keep)
                keep = win.first_line + 2  # the view scrolled up: lines above it may still be laid again
            np.testing.assert_array_equal(win.x[kept - win.start:], before[0])
            np.testing.assert_array_equal(win.line[kept - win.start:], before[1])
            assert np.all(np.diff(win.line) >= 0) and np.all(np.diff(win.line) <= 1)
            assert not _short_lines(win, text, width), (wrap, _short_lines(win, text, width))


def test_a_million_tokens_open_and_jump_without_laying_out_the_text(qtbot):
    rng = np.random.default_rng(3)
    words = np.array(WORDS.split())
    text = " ".join(rng.choice(words, MILLION // 6))  # no newline: windows begin at word starts
    text = (text * 2)[:MILLION]
    pane, view = _pane(qtbot, text, width=500, height=240)
    assert len(view.tokens) == MILLION
    a, b = view.laid_window
    assert a == 0 and b - a < 20_000  # opened on a few screens, not the text
    mid = MILLION // 2
    view.show_time_range(mid, mid + 40)
    qtbot.waitUntil(lambda: _shown(view)[0] <= mid and mid + 40 <= _shown(view)[1])
    a, b = view.laid_window
    assert a <= mid < b and b - a < 30_000, (a, b)
    qtbot.waitUntil(lambda: not view._grow_timer.isActive())  # the margins grown...
    a, b = view.laid_window
    assert b - a < 30_000  # ...and still a few screens
    assert not _short_lines(view.win, view.tokens, view._width_of)  # no break where the window began
    assert not [p for p in _breaks(view) if not p[0].isspace()]
    # the scroll bar says where the view is, in timesteps
    assert pane.bar.maximum() == MILLION - 1 and pane.bar.value() <= mid < pane.bar.value() + pane.bar.pageStep()
    # the mouse maps to the right timestep there
    hovered, clicked = [], []
    view.hovered.connect(hovered.append)
    view.clicked.connect(clicked.append)
    t = mid + 17
    qtbot.mouseMove(view, _centre(view, t))
    qtbot.waitUntil(lambda: hovered and hovered[-1] == t)
    qtbot.mouseClick(view, QtCore.Qt.MouseButton.LeftButton, pos=_centre(view, t))
    assert clicked == [t]
    # and the end and the start of the text are a jump away too
    view.show_time_range(MILLION - 10, MILLION)
    qtbot.waitUntil(lambda: _shown(view)[1] == MILLION)
    view.show_time_range(0, 10)
    qtbot.waitUntil(lambda: _shown(view)[0] == 0)
    assert view.laid_window[1] - view.laid_window[0] < 30_000


def test_scrolling_up_and_down_keeps_shown_lines_and_words_whole(qtbot):
    text = (WORDS * 3000)[:200_000]
    pane, view = _pane(qtbot, text, width=420, height=200)
    view.show_time_range(100_000, 100_010)
    qtbot.waitUntil(lambda: _shown(view)[0] <= 100_000 < _shown(view)[1])
    before = view.boxes[100_000]
    for _ in range(40):  # up past the window's start, so it grows backwards
        view.wheelEvent(_wheel(+120))
    for _ in range(40):
        view.wheelEvent(_wheel(-120))
    np.testing.assert_array_equal(view.boxes[100_000], before)  # the same place, the same line break
    pane.bar.setValue(pane.bar.value() + pane.bar.singleStep())  # the bar's arrow moves a line down
    np.testing.assert_array_equal(view.boxes[100_000, 1], before[1] - view.line_h)
    assert not [p for p in _breaks(view) if not p[0].isspace()]


def _wheel(dy):
    from PySide6 import QtGui

    return QtGui.QWheelEvent(QtCore.QPointF(5, 5), QtCore.QPointF(5, 5), QtCore.QPoint(0, 0), QtCore.QPoint(0, dy),
                             QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier,
                             QtCore.Qt.ScrollPhase.NoScrollPhase, False)


class _LateValues:
    """A column whose values are NaN (being recomputed) until ``arrive``: as a lazy.LazyColumn reads."""

    def __init__(self, values):
        self.values, self.known = values, False

    def __len__(self):
        return len(self.values)

    def __getitem__(self, index):
        v = self.values[index]
        return v if self.known else np.full_like(v, np.nan)


def test_values_that_arrive_later_are_painted(qtbot):
    pane, view = _pane(qtbot, WORDS * 20, width=400, height=200)
    column = _LateValues(np.linspace(-1, 1, len(view.tokens)).astype(np.float32))
    view.set_values(column, "cell", "cell, unit 0", levels=(-1.0, 1.0))
    t = 3

    def pixel():
        x, y, w, _ = view.boxes[t]
        return view.grab().toImage().pixelColor(int(x + w / 2), int(y + 1)).getRgb()[:3]

    assert pixel() == coloured_text.UNKNOWN  # plain paper while it is recomputed
    column.known = True
    view.update()  # what the fetcher's ``ready`` does
    assert pixel() == tuple(int(c) for c in view.colours_of(t, t + 1)[0, :3])
    assert pixel() != coloured_text.UNKNOWN


def test_repaints_blit_kept_images(qtbot, monkeypatch):
    """A hover, a selection or a wait for values repaints no line; a line down paints at most one block."""
    rendered = []
    real = coloured_text.render_lines
    monkeypatch.setattr(coloured_text, "render_lines", lambda *a, **k: rendered.append(1) or real(*a, **k))
    pane, view = _pane(qtbot, (WORDS + "\n") * 200, width=400, height=200)
    column = _LateValues(np.linspace(-1, 1, len(view.tokens)).astype(np.float32))
    view.set_values(column, "cell", "cell, unit 0", levels=(-1.0, 1.0))
    view.grab()
    first = len(rendered)
    assert first >= 1
    view.set_hover(4)
    view.set_selected(9)
    view.grab()
    view.grab()
    assert len(rendered) == first  # values still unknown and marks drawn over: nothing painted again
    column.known = True
    view.grab()
    assert len(rendered) == 2 * first  # the values came: the blocks shown are painted once more
    view.keyPressEvent(_key(QtCore.Qt.Key.Key_Down))
    view.grab()
    assert len(rendered) <= 2 * first + 1
    assert view.top == 1


def _key(key):
    from PySide6 import QtGui

    return QtGui.QKeyEvent(QtCore.QEvent.Type.KeyPress, key, QtCore.Qt.KeyboardModifier.NoModifier)


def test_marks_and_values_repaint_over_kept_images(qtbot):
    pane, view = _pane(qtbot, WORDS * 20, width=400, height=200)
    view.set_values(np.linspace(-1, 1, len(view.tokens)), "cell", "cell, unit 0", levels=(-1.0, 1.0))
    x, y, w, _ = view.boxes[5]
    before = view.grab().toImage().pixelColor(int(x), int(y + view.line_h / 2)).getRgb()[:3]
    view.set_selected(5)
    marked = view.grab().toImage().pixelColor(int(x), int(y + view.line_h / 2)).getRgb()[:3]
    assert marked != before  # the selection's outline is drawn over the kept image
    view.set_values(-np.linspace(-1, 1, len(view.tokens)), "cell", "cell, unit 0", levels=(-1.0, 1.0))
    view.set_selected(None)
    after = view.grab().toImage().pixelColor(int(x + w / 2), int(y + 1)).getRgb()[:3]
    assert after == tuple(int(c) for c in view.colours_of(5, 6)[0, :3]) and after != before


def test_a_longer_trace_of_the_same_text_keeps_the_place(qtbot):
    """A long text is shown first from a trace of its beginning, then from the whole one: the text stays where
    the plots are."""
    text = "".join(f"line {k:04d} of a text that is read in two goes\n" for k in range(2000))
    pane, view = _pane(qtbot, text[:8000], width=500, height=200)
    view.show_time_range(6000, 6050)
    qtbot.waitUntil(lambda: _shown(view)[0] <= 6000 and 6050 <= _shown(view)[1])
    first = view.first_shown()
    view.set_trace(_Trace(text))
    assert view.first_shown() == first


@pytest.fixture
def one_torch_thread():
    """Analyse on one torch thread: a 4-unit LSTM gains nothing from two, and on a loaded machine every step's
    tiny ops wait for the second thread to be scheduled (its 1,700 tokens took 2-12 s instead of 0.1 s)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)  # the app's worker thread follows it
    yield
    torch.set_num_threads(before)


def test_coloured_text_follows_the_plots(qtbot, window, checkpoint, one_torch_thread):
    text = "".join(f"line {k:03d} (scrolls)\n" for k in range(90))  # short to analyse, long to show
    tr = open_text(qtbot, window, checkpoint, text=text)
    window.text_tabs.setCurrentIndex(0)
    view = window.coloured
    assert isinstance(window.coloured_scroll, QtWidgets.QWidget) and window.coloured_scroll.viewport() is view

    def shown(t):
        y = view.boxes[t, 1]
        return 0 <= y and y + view.line_h <= view.height()

    T = len(tr)
    window.stack.strip.plot.setXRange(T - 60, T, padding=0)
    qtbot.waitUntil(lambda: shown(T - 30))
    window.stack.strip.plot.setXRange(0, 60, padding=0)
    qtbot.waitUntil(lambda: shown(10))
    assert window.coloured_scroll.verticalScrollBar().value() == 0
