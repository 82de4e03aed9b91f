"""Time from launching `python -m lstm_viz` (demo model and text) to the window being visible, and to the
first heatmaps drawn. Goals on a 2-core machine: 1.5 s and 4 s.

    python scripts/bench_startup.py [--runs 3] [CHECKPOINT [TEXT_FILE]]

Runs offscreen; the app reports its own timestamps when LSTM_VIZ_STARTUP_TIMES=1 and exits after the first
analysis is drawn.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def one_run(extra: list[str]) -> tuple[float, float]:
    env = dict(os.environ, LSTM_VIZ_STARTUP_TIMES="1", QT_QPA_PLATFORM="offscreen")
    t0 = time.time()
    r = subprocess.run([sys.executable, "-m", "lstm_viz", *extra], env=env, capture_output=True, text=True,
                       timeout=300)
    stamps = {}
    for line in r.stderr.splitlines():
        if line.startswith("lstm-viz-startup "):
            _, what, when = line.split()
            stamps[what] = float(when) - t0
    if r.returncode != 0 or len(stamps) != 2:
        sys.exit(f"bench_startup: the app did not report its start-up (exit {r.returncode}):\n{r.stderr[-2000:]}")
    return stamps["window"], stamps["heatmaps"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("files", nargs="*", help="CHECKPOINT [TEXT_FILE] (default: the demo)")
    args = p.parse_args()
    runs = [one_run(args.files) for _ in range(args.runs)]
    window = statistics.median(r[0] for r in runs)
    heat = statistics.median(r[1] for r in runs)
    print(f"window visible: {window:.2f} s (goal 1.5 s, ratio {window / 1.5:.2f}); "
          f"first heatmaps: {heat:.2f} s (goal 4 s, ratio {heat / 4:.2f}); median of {args.runs} runs")


if __name__ == "__main__":
    main()
