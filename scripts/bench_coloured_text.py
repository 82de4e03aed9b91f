"""The coloured text alone on a long text: time to open it, to jump to its middle, and per frame while it follows
a pan of the plots at three zooms (steps visible: 150, 5,000 and the whole text).

    python scripts/bench_coloured_text.py [--chars 1000000] [--frames 30] [--width 1500] [--height 260]

The text is the first ``--chars`` characters of Python's standard library source (as scripts/bench_scale.py),
coloured by a smooth made-up column of values. A frame is ``show_time_range`` moved by a fifth of the span, then
the event-loop passes that follow it (layout, paint); the whole-text zoom alternates between 80 % and all of it.
``paint`` is the time inside ``paintEvent`` alone. Offscreen Qt. Before the windowed layout, the text lived in a
QScrollArea; this script builds one when there is no ``ColouredTextPane``, so it measures either version.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
GOAL_MS = 16  # a frame of the whole app while panning (the text is one part of it)


class _Trace:
    def __init__(self, tokens):
        self.tokens = tokens
        self.loss = self.probs = self.vocab_tokens = None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chars", type=int, default=1_000_000)
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--width", type=int, default=1500)
    p.add_argument("--height", type=int, default=260)
    args = p.parse_args()

    import numpy as np
    from PySide6 import QtWidgets

    import pyqtgraph  # noqa: F401  (imported by the app long before: not part of opening the text)

    from bench_scale import stdlib_text
    from lstm_viz.app.views import coloured_text

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    tokens = tuple(stdlib_text(args.chars))
    T = len(tokens)
    values = np.sin(np.arange(T) / 37.0).astype(np.float32) * 0.9  # (T,)
    paint = [0.0]
    original = coloured_text.ColouredText.paintEvent

    def timed_paint(self, event):
        a = time.perf_counter()
        original(self, event)
        paint[0] += time.perf_counter() - a

    coloured_text.ColouredText.paintEvent = timed_paint
    try:  # the pane moved to its own module; older versions kept it beside the view
        from lstm_viz.app.views.coloured_pane import ColouredTextPane
    except ImportError:
        ColouredTextPane = getattr(coloured_text, "ColouredTextPane", None)
    if ColouredTextPane is not None:
        pane = ColouredTextPane()
        view = pane.text
        version = "windowed layout"
    else:
        view = coloured_text.ColouredText()
        pane = QtWidgets.QScrollArea()
        pane.setWidgetResizable(True)
        pane.setWidget(view)
        version = "whole layout in a scroll area"
    pane.resize(args.width, args.height)
    pane.show()
    app.processEvents()

    def passes(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()

    a = time.perf_counter()
    view.set_trace(_Trace(tokens))
    view.set_values(values, "cell", "cell, unit 0", levels=(-1.0, 1.0))
    app.processEvents()
    print(f"{version}, {T:,} tokens, {args.width} x {args.height} pixels")
    print(f"open (set_trace, values, first paint): {1000 * (time.perf_counter() - a):.1f} ms")

    def shown(t: int) -> bool:
        y = view.boxes[t][1]
        if ColouredTextPane is not None:
            return 0 <= y and y + view.line_h <= view.height()
        bar = pane.verticalScrollBar()
        return view.boxes[t][3] > 0 and bar.value() <= y <= bar.value() + pane.viewport().height() - view.line_h

    mid = T // 2
    a = time.perf_counter()
    view.show_time_range(mid, mid + 150)
    n = 0
    while not shown(mid) and time.perf_counter() - a < 120:
        app.processEvents()
        n += 1
    print(f"jump to the middle shown after {1000 * (time.perf_counter() - a):.1f} ms ({n} event-loop passes)")
    passes(1.0)

    for zoom, span in (("150 steps", 150), ("5,000 steps", 5000), ("whole text", T)):
        start = T // 3 if span < T else 0
        view.show_time_range(start, start + span)
        passes(0.3)
        frames, paints = [], []
        x = start
        for k in range(args.frames):
            x = x + span // 5 if span < T else 0
            end = x + span if span < T else int(T * (0.8 if k % 2 else 1.0))
            paint[0] = 0.0
            b = time.perf_counter()
            view.show_time_range(x, end)
            app.processEvents()
            app.processEvents()
            frames.append(time.perf_counter() - b)
            paints.append(paint[0])
        frames, paints = np.array(frames) * 1000, np.array(paints) * 1000
        print(f"pan at {zoom:>11}: frame {np.median(frames):6.2f} ms median ({np.median(frames) / GOAL_MS:.2f} of "
              f"the {GOAL_MS} ms goal), {frames.max():6.2f} worst; paint {np.median(paints):6.2f} ms median, "
              f"{paints.max():6.2f} worst")
    pane.close()
    app.processEvents()


if __name__ == "__main__":
    main()
