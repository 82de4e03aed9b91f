"""The units panel's feature table, a regex search and gate saturation on a long keyframe trace: from the unit sums
its pass kept (lstm_viz.core.unit_sums) against reading the whole trace again (the same trace, sums hidden).

    python scripts/bench_unit_sums.py [--chars 1000000] [--models demo,big] [--threads 1] [--no-before]

Prints, per model: the keyframe pass and the part of it the sums take (the text's features, the sums), then for
the feature table, gate saturation and each regex: seconds before (whole trace) and after (sums; a regex reads
the chunks holding a match), their ratio, the share of chunks a regex read, and the largest difference in r.
Both paths run in this one process on the same trace, so the ratios hold on a busy machine better than the times.
``--no-before``: the sums only (reading a 2 x 512 model's whole trace again takes minutes per feature).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_scale import bench_models, load, stdlib_text  # noqa: E402
from lstm_viz.core.generators import run_to_end as run  # noqa: E402

PATTERNS = (r"\braise\b", r"lambda", r"TODO|XXX", r"\(.*?\)")


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return time.perf_counter() - t0, out


def bench(label: str, checkpoint: str, text: str, read_again: bool = True) -> None:
    import numpy as np

    from lstm_viz.core import unit_sums
    from lstm_viz.core.features import regex_feature
    from lstm_viz.core.keyframes import keyframe_trace
    from lstm_viz.core.saturation import gate_saturation
    from lstm_viz.core.search import iter_feature_table, search_feature
    from lstm_viz.look import state_quantity

    m = load(checkpoint)
    spent = {"features": 0.0, "sums": 0.0}
    for_text, add = unit_sums.UnitSumsBuilder.for_text.__func__, unit_sums.UnitSumsBuilder.add

    def counted_for_text(cls, *a):
        s, out = timed(lambda: for_text(cls, *a))
        spent["features"] += s
        return out

    def counted_add(self, *a):
        s, _ = timed(lambda: add(self, *a))
        spent["sums"] += s

    unit_sums.UnitSumsBuilder.for_text = classmethod(counted_for_text)
    unit_sums.UnitSumsBuilder.add = counted_add
    s_pass, tr = timed(lambda: keyframe_trace(m, text))
    unit_sums.UnitSumsBuilder.for_text, unit_sums.UnitSumsBuilder.add = classmethod(for_text), add
    print(f"\n{label}, {len(text):,} characters: keyframe pass {s_pass:.1f} s, of which the text's features "
          f"{spent['features']:.1f} s and the sums {spent['sums']:.1f} s")
    q = state_quantity(tr.cell)
    sums, chunks = tr.unit_sums, -(-len(tr) // tr.keyframe_every)

    def both(f):
        after_s, after = timed(f)
        if not read_again:
            return float("nan"), after_s, after, after
        tr.unit_sums = None
        try:
            before_s, before = timed(f)
        finally:
            tr.unit_sums = sums
        return before_s, after_s, before, after

    def line(what, before_s, after_s, extra=""):
        print(f"  {what:<26} before {before_s:7.2f} s   after {after_s:7.3f} s   x{before_s / max(after_s, 1e-9):,.0f}{extra}")

    b, a, want, got = both(lambda: run(iter_feature_table(tr, text, q, k=3)))
    err = max(abs(x.r - y.r) for n in want for x, y in zip(want[n], got[n]))
    same = all([(s.layer, s.reverse, s.unit) for s in want[n]] == [(s.layer, s.reverse, s.unit) for s in got[n]]
               for n in want)
    line("feature table", b, a, f"   same units: {same}, max |dr| {err:.1e}")
    if tr.cell.gates:
        b, a, want, got = both(lambda: gate_saturation(tr))
        same = all((x.left == y.left).all() and (x.right == y.right).all() for x, y in zip(want, got))
        line("gate saturation", b, a, f"   equal: {same}")
    for pattern in PATTERNS:
        y = regex_feature(text, pattern, tr.tokens)
        if not y.any():
            print(f"  regex /{pattern}/: no match in this text")
            continue
        read = len(np.unique(np.flatnonzero(y) // tr.keyframe_every)) / chunks
        b, a, want, got = both(lambda: search_feature(tr, y, q, k=10, with_auc=False))
        err = max(abs(x.r - y.r) for x, y in zip(want, got))
        same = [(s.layer, s.reverse, s.unit) for s in want] == [(s.layer, s.reverse, s.unit) for s in got]
        line(f"regex /{pattern}/", b, a, f"   chunks read {read:.0%}, same units: {same}, max |dr| {err:.1e}")


def main() -> None:
    import torch

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chars", type=int, default=1_000_000)
    p.add_argument("--models", default="demo", help="demo (1 x 256), big (2 x 512, random weights), or demo,big")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: steadier on a shared machine)")
    p.add_argument("--no-before", action="store_true", help="time the sums only, not reading the trace again")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    text = stdlib_text(args.chars)
    with tempfile.TemporaryDirectory() as d:
        for label, ckpt in bench_models(args.models, Path(d)):
            bench(label, ckpt, text, not args.no_before)


if __name__ == "__main__":
    main()
