"""Hover tells the truth: over a cell it is that cell; anywhere else it is nothing, so the inspector shows the
selected (t, unit); over the traces it is the traced unit nearest the cursor, never a heatmap's row."""
from __future__ import annotations

from PySide6 import QtCore

from .conftest import open_text


def _move_to_view_point(qtbot, widget, vb, x, y):
    pos = widget.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x, y)))
    qtbot.mouseMove(widget.viewport(), pos)


def _hover_until(qtbot, window, widget, vb, x, y, expected):
    """Move onto (x, y) until the state reports ``expected``. Offscreen Qt on a busy machine can drop a mouse
    move, so the move is sent again on every poll, a little to either side (x ± 0.2 stays in the same timestep
    when x is a step's middle): the test checks which cell a position reports, not that every event arrives."""
    k = [0]

    def there():
        k[0] += 1
        _move_to_view_point(qtbot, widget, vb, x + (0.2 if k[0] % 2 else -0.2), y)
        return window.state.hover == expected

    qtbot.waitUntil(there, timeout=10000)


def test_leaving_a_heatmap_clears_the_hover(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint)
    window.state.select_unit(2)
    window.state.select_time(5)
    h = window.stack.heatmaps["input_gate"]
    _hover_until(qtbot, window, h, h.vb, 3.5, 1.5, (3, 1))
    # onto the heatmap's colour bar: not a cell any more (each move sent again until it arrives, as above)
    bar = h.mapFromScene(h.bar.sceneBoundingRect().center())
    qtbot.waitUntil(lambda: qtbot.mouseMove(h.viewport(), bar) or window.state.hover == (None, None))
    # out of the plots altogether: over the strip first, then onto the coloured text
    strip = window.stack.strip
    _hover_until(qtbot, window, strip.widget, strip.plot.getViewBox(), 6.5, 0.5, (6, None))
    qtbot.waitUntil(lambda: qtbot.mouseMove(window.coloured_scroll.viewport(), QtCore.QPoint(5, 5))
                    or window.state.hover == (None, None))
    text = window.inspector.text()
    assert "unit 2" in text and "timestep 5" in text, text
    assert len(tr) > 5


def test_hovering_the_traces_reports_the_traced_unit_nearest_the_cursor(qtbot, window, checkpoint):
    tr = open_text(qtbot, window, checkpoint)
    cell = tr.get("cell", 0)
    t = 4
    a, b = sorted(range(cell.shape[1]), key=lambda u: cell[t, u])[:: cell.shape[1] - 1]  # lowest, highest
    window.state.select_unit(a)
    window.state.select_unit(b, add=True)
    qtbot.waitUntil(lambda: len(window.stack.traces.curves) == 2)
    # first hover a heatmap row of a third unit: the traces must not keep reporting it
    h = window.stack.heatmaps["forget_gate"]
    other = next(u for u in range(cell.shape[1]) if u not in (a, b))
    row = list(h.axis.order).index(other)
    _hover_until(qtbot, window, h, h.vb, t + 0.5, row + 0.5, (t, other))
    traces = window.stack.traces
    vb = traces.plot.getViewBox()
    for unit in (a, b):
        _hover_until(qtbot, window, traces.widget, vb, t + 0.5, float(cell[t, unit]), (t, unit))


def test_a_new_trace_clears_the_hover(qtbot, window, checkpoint):
    open_text(qtbot, window, checkpoint)
    window.state.set_hover(3, 3)
    open_text(qtbot, window, checkpoint, text="abcd")
    assert window.state.hover == (None, None)
