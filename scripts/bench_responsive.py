"""How long the GUI thread stops answering, per gesture, with the demo model on long texts.

    python scripts/bench_responsive.py [--chars 20000 200000] [--settle 1.5] [--profile GESTURE]

A 10 ms QTimer ticks on the GUI thread while each gesture runs (the gesture itself is started from the
event loop, as a click would be); the longest time between two ticks is the longest pause a user would feel.
The first line is the start-up, while torch is imported on a background thread (before the user can act).
Gestures: open the model and text (analysis runs on the worker; the drawing that follows does not), show the
whole text, pan, reorder the units, toggle a heatmap, change the focus quantity, step the selected timestep
with Alt+Right under "by activation" order, and select a unit far down. The text is the demo text repeated.
``--profile NAME`` prints a cProfile of that gesture's GUI-thread work (at the first size only).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's lstm_viz, not an installed one


class GapMeter:
    """Ticks every 10 ms on the GUI thread; ``longest`` is the longest time between two ticks since reset."""

    def __init__(self, QtCore):
        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.reset()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def reset(self) -> None:
        self.last = time.perf_counter()
        self.longest = 0.0


def demo_text(n: int) -> str:
    from lstm_viz.resources import DEMO_TEXT

    text = DEMO_TEXT.read_text(encoding="utf-8")
    return (text * (n // len(text) + 1))[:n]


def run(n_chars: int, settle: float, profile: str | None) -> list[tuple[str, float, float]]:
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from lstm_viz.app.main_window import MainWindow
    from lstm_viz.resources import DEMO_MODEL

    tmp = QtCore.QTemporaryDir()
    settings = QtCore.QSettings(tmp.path() + "/bench.ini", QtCore.QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.resize(1500, 950)
    win.show()
    meter = GapMeter(QtCore)
    text = demo_text(n_chars)
    s = win.state

    loop = QtCore.QEventLoop()
    while not win.warm_up.done.is_set():  # start-up: torch is imported in the background (app/warmup.py)
        QtCore.QTimer.singleShot(25, loop.quit)
        loop.exec()
    startup = meter.longest

    def wait(cond, least: float) -> float:
        """Run the event loop (idle in Qt, not spinning in Python: the worker needs the GIL too)."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < least or not cond():
            QtCore.QTimer.singleShot(25, loop.quit)
            loop.exec()
            if time.perf_counter() - t0 > 1800:
                raise TimeoutError("the gesture did not finish in 30 minutes")
        return time.perf_counter() - t0

    def opened():
        return (s.trace is not None and len(s.trace) == len(text) and win.coloured.trace is s.trace
                and len(win.stack.traces.curves) > 0)

    far = lambda: s.select_unit(s.num_units() - 1)  # noqa: E731
    gestures = [
        ("open model + text", lambda: win.session.open_startup(DEMO_MODEL, text=text), opened),
        ("show whole text", lambda: win.stack.show_whole_text(), None),
        ("pan to the middle", lambda: win.stack.strip.plot.setXRange(len(text) // 2, len(text) // 2 + 150,
                                                                     padding=0), None),
        ("order by variance", lambda: win.order_box.setCurrentIndex(1), None),
        ("toggle cell heatmap", lambda: win.panel_actions["cell"].trigger(), None),
        ("focus: hidden state", lambda: win.quantity_box.setCurrentIndex(5), None),
        ("order by activation", lambda: win.order_box.setCurrentIndex(3), None),
        *[(f"Alt+Right #{k + 1}", lambda: win.act_next_step.trigger(), None) for k in range(3)],
        ("select the last unit", far, None),
    ]
    results = [("start-up (torch imported)", startup, 0.0)]
    for name, action, cond in gestures:
        wait(lambda: True, 0.3)  # quiet first
        prof = cProfile.Profile() if profile and profile in name else None
        meter.reset()
        started = time.perf_counter()

        def go(action=action, prof=prof):
            if prof:
                prof.enable()  # until the gesture has settled: its deferred passes too
            action()

        QtCore.QTimer.singleShot(0, go)
        wait(cond or (lambda: True), settle)
        if prof:
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        results.append((name, meter.longest, time.perf_counter() - started))
    meter.timer.stop()
    win.close()
    app.processEvents()
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chars", type=int, nargs="+", default=[20_000, 200_000])
    p.add_argument("--settle", type=float, default=1.5, help="seconds each gesture is watched, at least")
    p.add_argument("--profile", default=None, help="profile the gesture whose name contains this")
    args = p.parse_args()
    for k, n in enumerate(args.chars):
        results = run(n, args.settle, args.profile if k == 0 else None)
        print(f"{n:,} characters, demo model: longest GUI-thread pause per gesture")
        for name, gap, _ in results:
            print(f"  {name:<24} {1000 * gap:8.0f} ms")
        worst = max(results, key=lambda r: r[1])
        print(f"  worst: {1000 * worst[1]:.0f} ms ({worst[0]})")


if __name__ == "__main__":
    main()
