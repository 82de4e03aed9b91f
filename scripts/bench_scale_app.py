"""The app on long texts: time to a window, to the first picture and to the whole trace, the longest GUI-thread
pause, frame times while panning at three zooms, and peak memory.

    python scripts/bench_scale_app.py [--chars 100000,1000000] [--models demo,big] [--frames 30]

Text and models as in scripts/bench_scale.py (Python's standard library source; the demo model 1 x 256, and
``big``: a 2 x 512 LSTM with random weights). Each (model, size) runs in its own process (offscreen Qt), so the
peak memory printed (ru_maxrss) is that run's alone. A 10 ms QTimer ticks on the GUI thread throughout; a pause
is the longest time between two ticks. ``window`` is from the process start to the main window shown;
``first picture`` from the process start to heatmaps drawn (a long text shows its first tokens first); ``whole``
until the trace of the whole text is in the app. A frame is one pan (the view moved by a fifth of its span)
and the event-loop pass that redraws it. Zooms: out from 150 steps in view to the whole text and back in,
a step (x 10) every 150 ms; the whole text (Ctrl+9) and the reset zoom (Ctrl+0).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def run_app(checkpoint: str, text_file: str, frames: int) -> dict:
    import resource

    import numpy as np
    from PySide6 import QtCore, QtWidgets

    from bench_responsive import GapMeter

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from lstm_viz.app.main_window import MainWindow

    tmp = QtCore.QTemporaryDir()
    settings = QtCore.QSettings(tmp.path() + "/bench.ini", QtCore.QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.resize(1500, 950)
    win.show()
    app.processEvents()
    out = {"window_s": time.perf_counter() - START}
    meter = GapMeter(QtCore)
    loop = QtCore.QEventLoop()

    def wait(cond, least: float = 0.0, limit: float = 3600) -> float:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < least or not cond():
            QtCore.QTimer.singleShot(10, loop.quit)
            loop.exec()
            if time.perf_counter() - t0 > limit:
                raise TimeoutError("waited an hour")
        return time.perf_counter() - t0

    text = Path(text_file).read_text(encoding="utf-8")
    s = win.state
    prof = None
    if os.environ.get("BENCH_PROFILE"):  # the GUI thread's work while opening, to stderr
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    meter.reset()
    t_open = time.perf_counter()
    QtCore.QTimer.singleShot(0, lambda: win.session.open_startup(checkpoint, text=text))
    # Opened at once, as `lstm-viz MODEL TEXT` does: torch is being imported meanwhile (app/warmup.py), and its C
    # initialisation holds the interpreter lock for a while. That pause is reported apart: until torch is in.
    torch_in = lambda: win.warm_up.done.is_set() and "torch" in sys.modules  # noqa: E731
    wait(lambda: torch_in() or s.trace is not None)
    out["pause_startup_ms"] = 1000 * meter.longest
    meter.reset()
    drawn = lambda: s.trace is not None and any(  # noqa: E731
        h.isVisible() and h.image.image is not None for h in win.stack.heatmaps.values())
    wait(drawn)
    out["first_picture_s"] = time.perf_counter() - START
    out["first_picture_from_open_s"] = time.perf_counter() - t_open
    out["first_tokens"] = len(s.trace)
    wait(lambda: s.trace is not None and len(s.trace) >= len(text) * 0.5 and not win.session.runner.busy("analysis"))
    out["whole_s"] = time.perf_counter() - t_open
    out["tokens"] = len(s.trace)
    out["lazy"] = type(s.trace).__name__
    out["pause_open_ms"] = 1000 * meter.longest
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumtime").print_stats(40)
    wait(lambda: True, 1.0)

    def gesture(name, action, least=1.0):
        wait(lambda: True, 0.2)
        meter.reset()
        QtCore.QTimer.singleShot(0, action)
        wait(lambda: not win.stack.fetcher.busy(), least)
        out[f"pause_{name}_ms"] = 1000 * meter.longest

    T = len(s.trace)
    strip = win.stack.strip.plot
    for zoom, span in (("readable", 150), ("medium", 5000), ("whole", T)):
        span = min(span, T)
        start = T // 3 if span < T else 0
        strip.setXRange(start, start + span, padding=0)
        wait(lambda: not win.stack.fetcher.busy(), 0.5)
        meter.reset()
        times = []
        x = start
        for k in range(frames):
            x = x + span / 5 if span < T else 0
            a = time.perf_counter()
            strip.setXRange(x, x + span, padding=0)
            app.processEvents()
            times.append(time.perf_counter() - a)
            if span >= T:  # whole text: zoom in and out a little instead
                strip.setXRange(0, T * (0.8 if k % 2 else 1.0), padding=0)
        wait(lambda: not win.stack.fetcher.busy())
        out[f"frame_{zoom}_median_ms"] = 1000 * float(np.median(times))
        out[f"frame_{zoom}_worst_ms"] = 1000 * float(np.max(times))
        out[f"pause_pan_{zoom}_ms"] = 1000 * meter.longest
    def zooms(spans):
        """Zoom about the middle of the text through ``spans`` (steps in view), one every 150 ms, as a
        user's wheel turns would (each zoom's drawing and fetching overlaps the next)."""
        for k, w in enumerate(spans):
            w = min(w, T)
            QtCore.QTimer.singleShot(150 * k, lambda w=w: strip.setXRange(T // 2 - w / 2, T // 2 + w / 2, padding=0))

    strip.setXRange(T // 2 - 75, T // 2 + 75, padding=0)
    steps = [1500, 15_000, 150_000, 1_500_000]
    gesture("zoom_out", lambda: zooms(steps), least=0.15 * len(steps) + 1.0)
    gesture("zoom_in", lambda: zooms(steps[::-1][1:] + [150]), least=0.15 * len(steps) + 1.0)
    gesture("whole_text", lambda: win.act_all.trigger())
    gesture("reset_zoom", lambda: win.act_reset.trigger())
    strip.setXRange(T // 2, T // 2 + 150, padding=0)
    gesture("order_variance", lambda: win.order_box.setCurrentIndex(1))
    gesture("toggle_cell", lambda: win.panel_actions["cell"].trigger())
    gesture("focus_hidden", lambda: win.quantity_box.setCurrentIndex(5))
    gesture("order_activation", lambda: win.order_box.setCurrentIndex(3))
    gesture("alt_right", lambda: win.act_next_step.trigger())
    gesture("far_unit", lambda: s.select_unit(s.num_units() - 1))
    gesture("search_regex", lambda: (win.units_panel.regex.setText(r"\(.*?\)"), win.units_panel.search_regex()),
            least=3.0)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    meter.timer.stop()
    win.close()
    app.processEvents()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chars", default="100000,1000000")
    p.add_argument("--models", default="demo,big")
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--run", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.run:
        print(json.dumps(run_app(args.run[0], args.run[1], args.frames)))
        return
    from bench_scale import bench_models, bench_texts

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        models = bench_models(args.models, d)
        for label, ckpt in models:
            for n, text_file in bench_texts(args.chars, d):
                report(label, n, ckpt, text_file, args.frames)


def report(label: str, n: int, ckpt: str, text_file, frames: int) -> None:
    """Run the app on one (model, text) in its own process and print what it measured."""
    r = subprocess.run([sys.executable, __file__, "--frames", str(frames), "--run", ckpt, str(text_file)],
                       capture_output=True, text=True, cwd=ROOT, env=ENV)
    if r.returncode:
        raise SystemExit(f"{label}, {n:,}: the app run failed:\n{r.stderr[-3000:]}")
    o = json.loads(r.stdout.strip().splitlines()[-1])
    print(f"\n== app, {label}, {n:,} characters ({o['tokens']:,} tokens, {o['lazy']}) ==", flush=True)
    print(f"  window shown           {o['window_s']:7.2f} s after start")
    print(f"  first picture          {o['first_picture_s']:7.2f} s after start "
          f"({o['first_picture_from_open_s']:.2f} s after the open; {o['first_tokens']:,} tokens)")
    print(f"  whole trace            {o['whole_s']:7.2f} s after the open")
    print(f"  longest GUI pause while torch is imported (start-up): {o['pause_startup_ms']:.0f} ms")
    print(f"  longest GUI pause while opening, after that: {o['pause_open_ms']:.0f} ms")
    for zoom in ("readable", "medium", "whole"):
        print(f"  pan, {zoom:<9} frame median {o[f'frame_{zoom}_median_ms']:6.1f} ms, worst "
              f"{o[f'frame_{zoom}_worst_ms']:6.1f} ms; longest pause {o[f'pause_pan_{zoom}_ms']:.0f} ms")
    for g in ("zoom_out", "zoom_in", "whole_text", "reset_zoom", "order_variance", "toggle_cell", "focus_hidden", "order_activation", "alt_right",
              "far_unit", "search_regex"):
        print(f"  {g.replace('_', ' '):<22} longest pause {o[f'pause_{g}_ms']:6.0f} ms")
    print(f"  peak memory            {o['peak_mb']:7.0f} MB", flush=True)

if __name__ == "__main__":
    main()
