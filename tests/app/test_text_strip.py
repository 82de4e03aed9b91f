"""The token strip reads at the zoom the app calls readable: text in a smaller font, then cut tokens, never two
tokens over each other; ticks and the hint only where no legible glyph fits."""
from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui

from lstm_viz.app.views.text_strip import HINT, MIN_PIXEL_SIZE, TextStripView
from lstm_viz.core.vocab import display_token

PLOT_WIDTH = 860  # pixels of time axis in a 1500 x 950 window with the default docks
CODE = "import os\nimport re\nfrom collections import Counter\n\n# Count the words of a text file.\n" * 40
WORDS = ("the", " ", "internationalization", "\n", "of", "a", "Counter", "(", "\t", "x", "…", "words!") * 200


class Recorder(QtGui.QPainter):
    """A painter on an image that records the text and lines drawn."""

    def __init__(self, image):
        super().__init__(image)
        self.texts: list[tuple[float, str, float]] = []  # (x, text, width in the font used)
        self.lines = 0

    def drawText(self, pos, text):  # noqa: N802 (Qt's name)
        self.texts.append((pos.x(), text, QtGui.QFontMetricsF(self.font()).horizontalAdvance(text)))
        super().drawText(pos, text)

    def drawLines(self, lines):  # noqa: N802
        self.lines += len(lines)
        super().drawLines(lines)


@pytest.fixture
def strip(qtbot):
    view = TextStripView()
    qtbot.addWidget(view.widget)
    view.widget.resize(PLOT_WIDTH + 200, 34)
    view.widget.show()
    qtbot.waitExposed(view.widget)
    view.widget.resize(PLOT_WIDTH + 200 - round(view.plot.getViewBox().width() - PLOT_WIDTH), 34)
    qtbot.waitUntil(lambda: abs(view.plot.getViewBox().width() - PLOT_WIDTH) < 1)
    return view


def paint(qtbot, view, tokens, start: int, per_token: float) -> Recorder:
    """Paint the strip's item showing tokens from ``start`` at ``per_token`` pixels each; what it drew."""
    if view.item.tokens.raw is not tokens:
        view.set_tokens(tokens)
    n = PLOT_WIDTH / per_token
    view.plot.setXRange(start, start + n, padding=0)
    item, gv = view.item, view.widget
    qtbot.waitUntil(lambda: abs(item.deviceTransform(gv.viewportTransform()).m11() - per_token) < 1e-3)
    image = QtGui.QImage(gv.viewport().size(), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    p = Recorder(image)
    p.setTransform(item.deviceTransform(gv.viewportTransform()))
    item.paint(p)
    p.end()
    return p


def columns(view):
    """Pixel x of each timestep's left edge, as the item maps it."""
    tr = view.item.deviceTransform(view.widget.viewportTransform())
    return lambda t: tr.map(QtCore.QPointF(t, 0)).x()


def test_at_the_readable_zoom_every_token_is_text(qtbot, strip):
    tokens = tuple(CODE)
    p = paint(qtbot, strip, tokens, 40, 5.5)  # ~156 steps: what the app and its benchmarks call readable
    shown = [t for _, t, _ in sorted(p.texts)]  # in the order of x
    assert HINT not in shown
    assert strip.item.mode == "text"
    visible = [display_token(t) for t in tokens[40:40 + int(PLOT_WIDTH / 5.5) + 1] if t != "\n"]
    assert len(shown) >= len(visible) > 130
    assert all(len(t) == 1 for t in shown)  # each character whole, not an ellipsis
    assert shown[:20] == visible[:20]
    assert p.lines > 0  # the newlines whose mark is too wide for 5.5 px: a tall mark each


@pytest.mark.parametrize("per_token", [4.25, 5.5, 6.1, 7.3, 9.0, 12.0, 31.0])
@pytest.mark.parametrize("which", ["chars", "words"])
def test_tokens_never_overlap_and_stay_in_their_column(qtbot, strip, per_token, which):
    tokens = tuple(CODE) if which == "chars" else WORDS
    start = 17
    p = paint(qtbot, strip, tokens, start, per_token)
    assert strip.item.mode == "text" and p.texts
    left = columns(strip)
    spans = sorted((x, x + w, text) for x, text, w in p.texts)
    for (a0, a1, ta), (b0, b1, tb) in zip(spans, spans[1:]):
        assert a1 <= b0 + 1e-6, f"{ta!r} ends at {a1:.2f}, {tb!r} starts at {b0:.2f} ({per_token} px/token)"
    for x0, x1, text in spans:  # each text inside one column
        t = int((x0 - left(0)) // per_token + 1e-9)
        assert left(t) - 1e-6 <= x0 and x1 <= left(t + 1) + 1e-6, text
    if which == "words" and per_token < 20:
        cut = [text for _, _, text in spans if text not in {display_token(w) for w in WORDS}]
        assert cut  # long words are cut to their column


def test_the_hint_and_ticks_only_when_no_legible_glyph_fits(qtbot, strip):
    tokens = tuple(CODE) * 10
    glyph = QtGui.QFontMetricsF(strip.item.fonts.fonts[-1]).horizontalAdvance("M")
    assert strip.item.fonts.pixels[-1] == MIN_PIXEL_SIZE
    for per_token in (glyph, glyph + 0.3, 5.5, 9.0):
        p = paint(qtbot, strip, tokens, 0, per_token)
        assert HINT not in [t for _, t, _ in p.texts], per_token
    for per_token in (glyph - 0.05, 3.0, 2.0, 0.43):  # 0.43: 2,000 tokens on the plot
        p = paint(qtbot, strip, tokens, 100, per_token)
        assert [t for _, t, _ in p.texts] == [HINT]
        assert p.lines > 0  # a tick per token
        assert strip.item.mode == "ticks"
    p = paint(qtbot, strip, tokens, 0, PLOT_WIDTH / len(tokens))  # the whole text: a hint, no walk through it
    assert strip.item.mode == "hint" and [t for _, t, _ in p.texts] == [HINT] and p.lines == 0


def test_the_app_s_default_zoom_reads(qtbot, strip):
    """Ctrl+0 gives about 9 px per token: the full-size font."""
    p = paint(qtbot, strip, tuple(CODE), 0, 9.0)
    assert strip.item.mode == "text"
    assert {round(QtGui.QFontMetricsF(strip.item.fonts.fonts[0]).horizontalAdvance(t), 3) for _, t, _ in p.texts
            if t.isalnum()} == {round(strip.item.fonts.glyph[0], 3)}
