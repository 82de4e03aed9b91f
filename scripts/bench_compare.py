"""What side by side costs: the demo LSTM alone, then with a GRU and a plain RNN of its size added (File > Add a
model to compare…), on the same long text.

    python scripts/bench_compare.py [--chars 20000] [--settle 1.5]

For each gesture, the longest GUI-thread pause (a 10 ms timer ticking on the GUI thread, as in
bench_responsive.py) and the time until every row shows the result, with 0 and with 2 compared rows, in one
run, and their ratio. The compared models have random weights (timing only) and the demo model's vocab.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_responsive import GapMeter, demo_text  # noqa: E402


def compared_models(folder: Path) -> list[Path]:
    """A GRU and a plain RNN the size of the demo LSTM, with its vocab."""
    import torch

    from lstm_viz.core.checkpoint import save_checkpoint
    from lstm_viz.core.loading import load_model
    from lstm_viz.core.model import LSTMLanguageModel, ModelConfig
    from lstm_viz.resources import DEMO_MODEL

    demo = load_model(DEMO_MODEL)
    c = demo.config
    paths = []
    for cell in ("gru", "rnn"):
        torch.manual_seed(0)
        cfg = ModelConfig(input_size=c.input_size, hidden_size=c.hidden_size, vocab_size=c.vocab_size, cell=cell)
        path = folder / f"{cell}.pt"
        save_checkpoint(path, LSTMLanguageModel(cfg).eval(), demo.vocab, {"corpus": "bench"})
        paths.append(path)
    return paths


def run(n_chars: int, settle: float, rows: int) -> list[tuple[str, float, float]]:
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from lstm_viz.app.main_window import MainWindow
    from lstm_viz.resources import DEMO_MODEL

    tmp = QtCore.QTemporaryDir()
    settings = QtCore.QSettings(tmp.path() + "/bench.ini", QtCore.QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.resize(1500, 950)
    win.show()
    loop = QtCore.QEventLoop()

    def wait(cond, least: float = 0.0) -> float:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < least or not cond():
            QtCore.QTimer.singleShot(25, loop.quit)
            loop.exec()
            if time.perf_counter() - t0 > 1800:
                raise TimeoutError("the gesture did not finish in 30 minutes")
        return time.perf_counter() - t0

    text = demo_text(n_chars)
    win.session.open_startup(DEMO_MODEL, text=demo_text(2000))
    wait(lambda: win.state.trace is not None)
    for path in compared_models(Path(tmp.path()))[:rows]:
        win.compare.add_model(path)
    wait(lambda: len(win.compare.rows) == rows and not any(r.session.runner.busy() for r in win.compare.rows))
    states = [win.state, *(r.state for r in win.compare.rows)]

    def all_read(t):
        return lambda: all(s.trace is not None and len(s.trace) == len(t) for s in states)

    meter = GapMeter(QtCore)
    gestures = [
        ("new text, every row", lambda: win.state.set_text(text), all_read(text)),
        ("show whole text", lambda: win.stack.show_whole_text(), None),
        ("pan to the middle", lambda: win.stack.strip.plot.setXRange(n_chars // 2, n_chars // 2 + 150, padding=0),
         None),
        ("select a timestep", lambda: win.state.select_time(n_chars // 2 + 20), None),
    ]
    results = []
    for name, action, cond in gestures:
        wait(lambda: True, 0.3)
        meter.reset()
        started = time.perf_counter()
        QtCore.QTimer.singleShot(0, action)
        took = wait(cond or (lambda: True))
        wait(lambda: True, settle)  # the drawing that follows
        results.append((name, meter.longest, took if cond else time.perf_counter() - started - settle))
    meter.timer.stop()
    win.close()
    app.processEvents()
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chars", type=int, default=20_000)
    p.add_argument("--settle", type=float, default=1.5, help="seconds each gesture is watched after it ends")
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    alone = run(args.chars, args.settle, 0)
    three = run(args.chars, args.settle, 2)
    print(f"{args.chars:,} characters: the demo LSTM alone, then with a GRU and an RNN of its size beside it")
    print(f"  {'gesture':<22} {'pause alone':>12} {'pause, 3':>10} {'ratio':>6}   {'done alone':>10} {'done, 3':>9}")
    for (name, g1, t1), (_, g3, t3) in zip(alone, three):
        print(f"  {name:<22} {1000 * g1:9.0f} ms {1000 * g3:7.0f} ms {g3 / max(g1, 1e-3):6.1f}   "
              f"{t1:8.2f} s {t3:7.2f} s")


if __name__ == "__main__":
    main()
