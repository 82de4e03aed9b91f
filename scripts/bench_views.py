"""Render time per frame of the main window at scale: 20,000 tokens x 512 units x 2 layers.

    python scripts/bench_views.py [--steps 20000] [--units 512] [--frames 20]

The trace is synthetic (random values of the right ranges, built without a model: views never compute gates).
For several zoom levels it times renders of the time-aligned views (token strip, three heatmaps with colour
bars, traces: what moves when the user pans) into a QImage; each frame first moves the time axis by a tenth
of the visible range, so the heatmaps re-cut their visible window as a drag would. The coloured text panel
does not repaint while panning; its own render time is printed once.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def synthetic_trace(steps: int, units: int, layers: int = 2):
    import numpy as np

    from lstm_viz.core.trace import Trace, key

    rng = np.random.default_rng(0)
    arrays = {}
    for layer in range(layers):
        for q in ("input_gate", "forget_gate", "output_gate"):
            arrays[key(q, layer)] = rng.random((steps, units), dtype=np.float32)
        arrays[key("candidate", layer)] = rng.uniform(-1, 1, (steps, units)).astype(np.float32)
        arrays[key("cell", layer)] = np.cumsum(rng.normal(0, 0.1, (steps, units)), axis=0).astype(np.float32)
        arrays[key("hidden", layer)] = np.tanh(arrays[key("cell", layer)])
    text = ("The quick brown fox (jumps) over \"the lazy dog\".\n" * (steps // 49 + 1))[:steps]
    return Trace(tokens=tuple(text), token_ids=None, arrays=arrays, num_layers=layers, model_name="synthetic")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--units", type=int, default=512)
    p.add_argument("--frames", type=int, default=20)
    args = p.parse_args()

    from PySide6 import QtCore, QtGui, QtWidgets

    app = QtWidgets.QApplication([])
    from lstm_viz.app.main_window import MainWindow

    settings = QtCore.QSettings(QtCore.QTemporaryDir().path() + "/bench.ini", QtCore.QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.resize(1500, 950)
    win.show()
    tr = synthetic_trace(args.steps, args.units)
    t = time.perf_counter()
    win.state.set_trace(tr)
    app.processEvents()
    print(f"set a {args.steps:,} x {args.units} x 2-layer trace and draw it: {time.perf_counter() - t:.3f} s")
    stack = win.stack
    image = QtGui.QImage(stack.size(), QtGui.QImage.Format.Format_ARGB32)
    print(f"views: {stack.width()} x {stack.height()} pixels, {len(win.state.panels)} heatmaps of "
          f"{args.units} units shown")
    strip = stack.strip.plot
    for visible in (100, 1000, 5000, args.steps):
        start = 0.0
        strip.setXRange(start, start + visible, padding=0)
        app.processEvents()
        stack.render(image)
        times = []
        for _ in range(args.frames):
            start = (start + visible / 10) % max(args.steps - visible, 1)
            t = time.perf_counter()
            strip.setXRange(start, start + visible, padding=0)
            for h in stack.heatmaps.values():  # they re-cut their windows in the next pass of the event loop
                if h.isVisible():
                    h.refresh()
            stack.render(image)
            times.append(time.perf_counter() - t)
        times.sort()
        print(f"{visible:>6,} steps visible: {1000 * times[len(times) // 2]:6.1f} ms per frame (median), "
              f"{1000 * times[-1]:6.1f} ms worst, panning {args.frames} frames")
    text = win.coloured_scroll.viewport()
    text_image = QtGui.QImage(text.size(), QtGui.QImage.Format.Format_ARGB32)
    t = time.perf_counter()
    text.render(text_image)
    print(f"coloured text panel ({text.width()} x {text.height()} pixels): {1000 * (time.perf_counter() - t):.1f} ms")
    win.close()
    app.processEvents()


if __name__ == "__main__":
    main()
