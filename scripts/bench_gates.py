"""How much does exact gate extraction cost next to a plain forward of the same input (nn.LSTM, nn.GRU)?

    python scripts/bench_gates.py [--tokens 20000] [--hidden 512] [--layers 2] [--input 64] [--repeats 3]
                                  [--threads N] [--naive-tokens N] [--cells lstm,gru]

Everything is measured in one run, so the ratios hold on a busy machine even when the absolute times do not.
The forward and the extraction are interleaved and each is reported as the best of --repeats runs.
Goal (issue 2): extraction <= 1.5x the plain forward on a 2-layer, 512-unit LSTM over 20,000 tokens.
A naive per-step Python loop of matmuls is timed once for reference (LSTM only).
"""
from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from lstm_viz.core.cells import cell_type
from lstm_viz.core.gates import CHUNK, iter_states


def extract(rnn, x, overlap=False):
    gen = iter_states(rnn, x, overlap=overlap)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def chunked_forward(lstm, x):
    """The module over the same input in CHUNK-step pieces, carrying the state (what the extraction runs)."""
    state = None
    for s in range(0, len(x), CHUNK):
        _, state = lstm(x[s:s + CHUNK], state)


def naive(lstm: nn.LSTM, x: torch.Tensor) -> None:
    """One Python step per token and layer: gates, cell and hidden state by hand (the slow reference)."""
    H = lstm.hidden_size
    inp = x
    for layer in range(lstm.num_layers):
        w_ih, w_hh = getattr(lstm, f"weight_ih_l{layer}"), getattr(lstm, f"weight_hh_l{layer}")
        b = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
        h, c = torch.zeros(H), torch.zeros(H)
        out = torch.empty(len(inp), H)
        for t in range(len(inp)):
            pre = torch.addmv(torch.addmv(b, w_ih, inp[t]), w_hh, h)  # (4H,)
            i, f, g, o = pre[:H].sigmoid(), pre[H:2 * H].sigmoid(), pre[2 * H:3 * H].tanh(), pre[3 * H:].sigmoid()
            c = f * c + i * g
            h = o * c.tanh()
            out[t] = h
        inp = out


def timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def bench(a, name: str) -> None:
    torch.manual_seed(0)
    rnn = cell_type(name).build(a.input, a.hidden, num_layers=a.layers).eval()
    kind = type(rnn).__name__
    x = torch.randn(a.tokens, a.input)
    print(f"{a.layers}-layer {kind}, {a.hidden} units, input {a.input}, {a.tokens} tokens, "
          f"{torch.get_num_threads()} torch threads{', overlap' if a.overlap else ''}", flush=True)
    fwd, ext, chk = [], [], []
    with torch.no_grad():
        rnn(x[:256])  # warm up
        extract(rnn, x[:256])
        for r in range(a.repeats):
            fwd.append(timed(rnn, x))
            ext.append(timed(extract, rnn, x, a.overlap))
            chk.append(timed(chunked_forward, rnn, x))
            print(f"  run {r + 1}: {kind} forward {fwd[-1]:.3f} s, extraction {ext[-1]:.3f} s, "
                  f"ratio {ext[-1] / fwd[-1]:.2f}x; forward in {CHUNK}-step chunks {chk[-1]:.3f} s", flush=True)
        if name == "lstm" and a.naive_tokens != 0:
            n = a.naive_tokens or a.tokens
            slow = timed(naive, rnn, x[:n]) * a.tokens / n
    best_f, best_e = min(fwd), min(ext)
    print(f"{kind} forward:   {best_f:.3f} s (best of {a.repeats})")
    print(f"gate extraction:   {best_e:.3f} s (best of {a.repeats})")
    print(f"ratio:             {best_e / best_f:.2f}x (goal <= 1.5x); median of per-run ratios "
          f"{sorted(e / f for e, f in zip(ext, fwd))[len(ext) // 2]:.2f}x")
    print(f"chunked forward:   {min(chk):.3f} s (best of {a.repeats}); extraction / chunked forward "
          f"{best_e / min(chk):.2f}x")
    if name == "lstm" and a.naive_tokens != 0:
        print(f"naive step loop:   {slow:.3f} s{'' if n == a.tokens else f' (scaled from {n} tokens)'}, "
              f"{slow / best_f:.1f}x the forward")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokens", type=int, default=20000)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--input", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own choice). On a "
                   "busy machine the multi-threaded forward can slow down several-fold: compare with --threads 1")
    p.add_argument("--overlap", action="store_true", help="compute each chunk's gates on a helper thread "
                   "while the next chunk's forward runs (slower on 2 cores)")
    p.add_argument("--naive-tokens", type=int, default=None, help="tokens for the naive LSTM loop (default: "
                   "all; 0 skips it)")
    p.add_argument("--cells", default="lstm,gru", help="cell types with a fused torch module to measure "
                   "(lstm, gru, rnn; default lstm,gru)")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    for name in a.cells.split(","):
        bench(a, name.strip())


if __name__ == "__main__":
    main()
