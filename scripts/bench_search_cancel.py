"""How soon a running unit search stops when cancelled, and what yielding costs: a dense regex (``e``, matching in
nearly every chunk) on a long text's keyframe trace, searched as the units panel does.

    python scripts/bench_search_cancel.py [--chars 1000000] [--models demo,big] [--threads 1]

Prints, per model: the plain search (lstm_viz.core.search.search_feature) and the same search driven step by
step (iter_search_feature, as the app's Runner does), their ratio, the number of steps and the longest step (the
longest a cancel can wait), and the time from a cancel half-way through to the search having stopped, measured
on a worker thread as the app runs it. Both searches run in this one process on the same trace, so the ratio
holds on a busy machine better than the times.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_scale import bench_models, load, stdlib_text  # noqa: E402

PATTERN = "e"


def bench(label: str, checkpoint: str, text: str) -> None:
    from lstm_viz.core.features import regex_feature
    from lstm_viz.core.keyframes import keyframe_trace
    from lstm_viz.core.search import iter_search_feature, search_feature
    from lstm_viz.look import state_quantity

    m = load(checkpoint)
    t0 = time.perf_counter()
    tr = keyframe_trace(m, text)
    print(f"\n{label}, {len(text):,} characters: keyframe pass {time.perf_counter() - t0:.1f} s")
    q = state_quantity(tr.cell)
    y = regex_feature(text, PATTERN, tr.tokens)

    def search():  # the trace's cache holds 16 chunks of a thousand: every run recomputes nearly all windows
        return iter_search_feature(tr, y, q, k=10, with_auc=False)

    t0 = time.perf_counter()
    want = search_feature(tr, y, q, k=10, with_auc=False)
    plain = time.perf_counter() - t0
    steps, gaps, gen = 0, [], search()
    t0 = last = time.perf_counter()
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            got = stop.value
            break
        now = time.perf_counter()
        steps, gaps, last = steps + 1, gaps + [now - last], now
    stepped = time.perf_counter() - t0
    print(f"  regex /{PATTERN}/ ({y.mean():.0%} of tokens): plain {plain:.2f} s, step by step {stepped:.2f} s "
          f"(x{stepped / plain:.2f}), {steps} steps, longest step {max(gaps) * 1000:.0f} ms, "
          f"same result: {got == want}")

    cancel, stopped, gen = threading.Event(), {}, search()

    def worker():  # as lstm_viz.app.worker.Job: look for a cancel before each step, close the search there
        for _ in gen:
            if cancel.is_set():
                gen.close()
                break
        stopped["at"] = time.perf_counter()

    th = threading.Thread(target=worker)
    th.start()
    time.sleep(plain / 2)  # half-way, the user types another regex (or closes the window)
    asked = time.perf_counter()
    cancel.set()
    th.join()
    print(f"  cancelled half-way: stopped {(stopped['at'] - asked) * 1000:.0f} ms after the cancel "
          f"(before, the search ran to its end: about {plain / 2:.1f} s more)")


def main() -> None:
    import torch

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chars", type=int, default=1_000_000)
    p.add_argument("--models", default="demo", help="demo (1 x 256), big (2 x 512, random weights), or demo,big")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: steadier on a shared machine)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    text = stdlib_text(args.chars)
    with tempfile.TemporaryDirectory() as d:
        for label, ckpt in bench_models(args.models, Path(d)):
            bench(label, ckpt, text)


if __name__ == "__main__":
    main()
