"""How long the GUI thread stops answering when the All layers dock is shown and its rows reordered, on a
2-layer in-memory trace of 200,000 steps x 512 units.

    python scripts/bench_depth.py [--steps 200000] [--units 512] [--settle 1.5] [--profile GESTURE]

The trace is synthetic (random numbers with per-unit scales, so variance and mean orders differ from the index
order): the dock draws whatever a trace holds, and a model run of this size would take minutes and gigabytes.
A 10 ms QTimer ticks on the GUI thread (scripts/bench_responsive.GapMeter); the longest time between two ticks
during each gesture is the longest pause a user would feel (on a busy machine it includes waiting for a core);
the second column is the longest single call into the view's own slots, its own share. Gestures: a new trace while the dock is hidden, show
the dock, order by mean, by variance, focus on the hidden state, and a second new trace while the dock is shown.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's lstm_viz, not an installed one
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_responsive import GapMeter  # noqa: E402


class OwnTime:
    """The longest single call into the All layers view's own slots on the GUI thread (outermost calls only):
    its share of a pause, apart from the rest of the window's work and a busy machine's scheduling."""

    SLOTS = ("set_shown", "_trace_changed", "refresh", "_build_next", "_background_ready", "_follow_master",
             "_time_selected", "_hover", "_marks")

    def __init__(self, cls):
        self.longest, self._depth, self.where = 0.0, 0, ""
        for name in self.SLOTS:
            if hasattr(cls, name):
                setattr(cls, name, self._wrap(getattr(cls, name)))

    def _wrap(self, fn):
        def timed(*args, **kwargs):
            self._depth += 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0 and time.perf_counter() - t0 > self.longest:
                    self.longest, self.where = time.perf_counter() - t0, fn.__name__
        return timed


def synthetic_trace(steps: int, units: int, layers: int, seed: int):
    """An in-memory LSTM trace of random numbers: one array per layer for the cell and for the hidden state,
    one shared by the gates (the dock shows the focus quantity only)."""
    import numpy as np

    from lstm_viz.core.cells import CELLS
    from lstm_viz.core.trace import Trace, key

    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.1, 2.0, units).astype(np.float32)
    gates = rng.random((steps, units), dtype=np.float32)
    arrays = {}
    for layer in range(layers):
        for q in CELLS["lstm"].quantities:
            if q in ("cell", "hidden"):
                a = rng.standard_normal((steps, units), dtype=np.float32)
                a *= scale[rng.permutation(units)]
                a += rng.uniform(-1, 1, units).astype(np.float32)
                arrays[key(q, layer)] = a
            else:
                arrays[key(q, layer)] = gates
    text = "the quick brown fox jumps over the lazy dog\n"
    tokens = tuple((text * (steps // len(text) + 1))[:steps])
    return Trace(tokens=tokens, token_ids=None, arrays=arrays, num_layers=layers, model_name="synthetic")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200_000)
    p.add_argument("--units", type=int, default=512)
    p.add_argument("--settle", type=float, default=1.5, help="seconds each gesture is watched, at least")
    p.add_argument("--profile", default=None, help="profile the gesture whose name contains this")
    p.add_argument("--sort", default="tottime", help="profile order (tottime, cumulative)")
    p.add_argument("--lines", type=int, default=20, help="profile lines printed")
    args = p.parse_args()
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from lstm_viz.app.main_window import MainWindow
    from lstm_viz.app.views.depth_view import DepthView

    own = OwnTime(DepthView)

    tmp = QtCore.QTemporaryDir()
    settings = QtCore.QSettings(tmp.path() + "/bench.ini", QtCore.QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.resize(1500, 950)
    win.show()
    meter = GapMeter(QtCore)
    loop = QtCore.QEventLoop()

    def wait(least: float) -> None:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < least or win.depth_view.background._pending:
            QtCore.QTimer.singleShot(25, loop.quit)
            loop.exec()

    first = synthetic_trace(args.steps, args.units, 2, 0)
    second = synthetic_trace(args.steps, args.units, 2, 1)
    s = win.state
    gestures = [
        ("new trace, dock hidden", lambda: s.set_trace(first)),
        ("show All layers", lambda: win.act_depth.trigger()),
        ("order by mean", lambda: win.order_box.setCurrentIndex(2)),
        ("order by variance", lambda: win.order_box.setCurrentIndex(1)),
        ("focus: hidden state", lambda: win.quantity_box.setCurrentIndex(win.quantity_box.findData("hidden"))),
        ("new trace, dock shown", lambda: s.set_trace(second)),
    ]
    print(f"All layers dock, in-memory trace of 2 layers x {args.steps:,} steps x {args.units} units: "
          f"longest GUI-thread pause per gesture, and the longest call into the view itself (order at start: "
          f"{s.order})")
    for name, action in gestures:
        wait(0.3)
        prof = cProfile.Profile() if args.profile and args.profile in name else None
        meter.reset()
        own.longest = 0.0
        started = time.perf_counter()

        def go(action=action, prof=prof):
            if prof:
                prof.enable()  # until the gesture has settled: its deferred passes too
            action()

        QtCore.QTimer.singleShot(0, go)
        wait(args.settle)
        if prof:
            prof.disable()
            pstats.Stats(prof).sort_stats(args.sort).print_stats(args.lines)
        print(f"  {name:<24} {1000 * meter.longest:8.0f} ms {1000 * own.longest:8.0f} ms {own.where:<16}"
              f"   (settled after {time.perf_counter() - started:.1f} s)")
    meter.timer.stop()
    win.close()
    app.processEvents()


if __name__ == "__main__":
    main()
