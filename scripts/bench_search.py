"""Benchmark the unit searches on a long trace: 20,000 tokens x 512 units x 2 layers (the issue's scale).

    python scripts/bench_search.py [--tokens 20000] [--units 512] [--layers 2] [--repeat 3]

Prints the best of ``--repeat`` runs (wall and process CPU time; on a busy machine CPU time is the fairer
number, as these loops use one core) of: the text's features, feature search (r; r and AUC), span search
(threshold-free, with the units' statistics computed and cached; with a threshold), match, and gate saturation;
and the windowed Pearson r against one whole-array numpy correlation (lstm_viz.core.analysis.unit_correlations)
as a ratio measured in the same run. Goal: a span search under 200 ms at 20,000 tokens.
The trace is synthetic (random walks through tanh, and sigmoid gates): the searches' cost does not depend on
what the values mean.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lstm_viz.core.analysis import unit_correlations  # noqa: E402
from lstm_viz.core.features import token_features  # noqa: E402
from lstm_viz.core.gates import QUANTITIES  # noqa: E402
from lstm_viz.core.match import match  # noqa: E402
from lstm_viz.core.saturation import gate_saturation  # noqa: E402
from lstm_viz.core.search import search_feature, search_span  # noqa: E402
from lstm_viz.core.correlation import unit_stats  # noqa: E402
from lstm_viz.core.trace import Trace, key  # noqa: E402
from lstm_viz.resources import DEMO_TEXT  # noqa: E402


def synthetic(tokens: int, units: int, layers: int, seed: int = 0):
    """A trace of ``tokens`` characters of the demo text (repeated) with random-walk cells and sigmoid gates.
    Quantities share arrays (cell = hidden = candidate, the gates one array) to keep memory low."""
    rng = np.random.default_rng(seed)
    base = DEMO_TEXT.read_text(encoding="utf-8")
    text = (base * (tokens // len(base) + 1))[:tokens]
    arrays = {}
    for layer in range(layers):
        walk = np.cumsum(rng.normal(0, 0.3, (tokens, units)).astype(np.float32), axis=0)  # (T, U)
        cell = np.tanh(walk / 4).astype(np.float32)
        gate = (1 / (1 + np.exp(-rng.normal(0, 2.5, (tokens, units))))).astype(np.float32)
        for q in QUANTITIES:
            arrays[key(q, layer)] = gate if q.endswith("_gate") else cell
    return text, Trace(tokens=tuple(text), token_ids=None, arrays=arrays, num_layers=layers)


CPU: dict[str, float] = {}  # the last measurement's process CPU time, best of the repeats


def best(fn, repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs (and their best CPU time, in CPU["last"]), and the result."""
    times, cpu, out = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU["last"] = min(cpu)
    return min(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=20_000)
    ap.add_argument("--units", type=int, default=512)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    T, U, L, n = args.tokens, args.units, args.layers, args.repeat
    text, tr = synthetic(T, U, L)
    print(f"trace: {T:,} tokens x {U} units x {L} layers (best of {n})")
    rows = []

    def row(name, seconds, note=""):
        rows.append((name, seconds))
        print(f"  {name:54} {seconds * 1000:8.1f} ms wall {CPU['last'] * 1000:8.1f} ms CPU  {note}")

    s, feats = best(lambda: token_features(text, tr.tokens), n)
    row("features of the text (9 built-in)", s)
    depth, quotes = feats["bracket_depth"], feats["in_string"]
    s, top = best(lambda: search_feature(tr, depth, "cell", k=10), n)
    row(f"feature search, r ({L} layers)", s, f"top: layer {top[0].layer} unit {top[0].unit}")
    s_ref, _ = best(lambda: [unit_correlations(tr.get("cell", layer), depth) for layer in range(L)], n)
    row("  whole-array numpy r, for comparison", s_ref, f"windowed / whole-array: {s / s_ref:.2f}x")
    s, _ = best(lambda: search_feature(tr, quotes, "cell", k=10), n)
    row(f"feature search, r and AUC, yes/no feature ({L} layers)", s)
    start = T // 2
    span = (start, start + 20)
    s_free, hits = best(lambda: search_span(tr, *span, k=10), n)
    row(f"span search, 20 tokens, threshold-free ({L} layers)", s_free, "goal < 200 ms")
    s, stats = best(lambda: {(layer, False): unit_stats(tr, "cell", layer) for layer in range(L)}, n)
    row("  of which the units' statistics (cacheable)", s, "one pass over the text")
    s_cached, _ = best(lambda: search_span(tr, *span, k=10, stats=stats), n)
    row("span search, threshold-free, statistics cached", s_cached, "goal < 200 ms")
    s_th, th_hits = best(lambda: search_span(tr, *span, threshold=0.5, k=10), n)
    row("span search, threshold 0.5", s_th, "goal < 200 ms")
    s, found = best(lambda: match(tr, hits[:3], query=span), n)
    row("match of the top 3 units over the whole text", s, f"{len(found)} matches")
    s, _ = best(lambda: gate_saturation(tr), n)
    row(f"gate saturation (3 gates x {L} layers)", s)
    worst = max(s_free, s_th)
    print(f"span search: {worst * 1000:.0f} ms wall at worst ({worst / 0.2:.2f}x the 200 ms goal); "
          f"{s_cached * 1000:.1f} ms with the units' statistics cached")
    return 0


if __name__ == "__main__":
    sys.exit(main())
