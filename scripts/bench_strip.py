"""What the token strip costs per frame of a pan: 95 (the default zoom), 150 and 2,000 tokens of 1,000,000 in view.

    python scripts/bench_strip.py [--tokens 1000000] [--frames 200]

The strip is painted on every frame of a pan. This paints only the strip's item (not the rest of the plot)
into an image at the plots' default width, panning one token per frame, and prints the median, 95th percentile
and worst paint time per frame and the mode chosen (text at a font size, ticks, or the hint).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's lstm_viz, not an installed one

PLOT_WIDTH = 860  # pixels of time axis in a 1500 x 950 window with the default docks


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokens", type=int, default=1_000_000)
    p.add_argument("--frames", type=int, default=200)
    p.add_argument("--visible", type=int, nargs="+", default=[95, 150, 2000])
    args = p.parse_args()
    from PySide6 import QtGui, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from lstm_viz.app.views.text_strip import TextStripView
    from lstm_viz.resources import DEMO_TEXT

    text = DEMO_TEXT.read_text(encoding="utf-8")
    tokens = tuple((text * (args.tokens // len(text) + 1))[:args.tokens])
    view = TextStripView()
    view.set_tokens(tokens)
    view.widget.resize(PLOT_WIDTH + 200, 34)
    view.widget.show()
    app.processEvents()
    view.widget.resize(PLOT_WIDTH + 200 - int(view.plot.getViewBox().width() - PLOT_WIDTH), 34)  # axis + margins
    app.processEvents()
    item, gv = view.item, view.widget
    image = QtGui.QImage(gv.viewport().size(), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    print(f"token strip, {len(tokens):,} tokens, {view.plot.getViewBox().width():.0f} px of time axis: "
          f"paint time per frame, panning one token per frame")
    for n in args.visible:
        start = len(tokens) // 2
        times = []
        for k in range(args.frames):
            view.plot.setXRange(start + k, start + k + n, padding=0)
            app.processEvents()  # the view applies its new range
            painter = QtGui.QPainter(image)
            painter.setTransform(item.deviceTransform(gv.viewportTransform()))
            t0 = time.perf_counter()
            item.paint(painter)
            times.append(time.perf_counter() - t0)
            painter.end()
        mode = getattr(item, "mode", "?")
        per = view.plot.getViewBox().width() / n
        p95 = sorted(times)[int(0.95 * (len(times) - 1))]
        print(f"  {n:>6,} visible ({per:4.2f} px/token): median {1000 * statistics.median(times):6.2f} ms, "
              f"95th percentile {1000 * p95:6.2f} ms, worst {1000 * max(times):6.2f} ms, mode {mode}")


if __name__ == "__main__":
    main()
