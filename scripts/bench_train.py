"""Training speed: our trainer against a bare PyTorch loop, same model, batch, steps and data, in one run.

    python scripts/bench_train.py [--hidden 128] [--steps 150] [--repeats 3] [--threads 1]

Runs alternate (ours, bare, ours, bare, ...) so that a busy machine slows both alike; the best run of each is
compared. Throughput is timed over the batches between the first and the last (the first pays one-time
warm-up, the last our final validation pass and checkpoint write); the end-to-end time of each, with data
preparation, is printed too. Goal: ours >= 0.9x the bare loop.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from lstm_viz.core.corpora import load_corpus
from lstm_viz.core.train import TrainConfig, batchify, build_model, split_corpus, train


def bare_loop(corpus, config: TrainConfig) -> tuple[float, float]:
    """The textbook loop: (seconds for the middle batches, seconds end to end)."""
    t_start = time.perf_counter()
    split = split_corpus(corpus, config)
    data = batchify(split.train, config.batch_size)  # (n, B)
    torch.manual_seed(config.seed)
    model = build_model(split.vocab, config)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    L, state = config.seq_len, None
    per_epoch = (len(data) - 1) // L
    marks = []
    for step in range(config.steps):
        i = (step % per_epoch) * L
        x, y = data[i: i + L], data[i + 1: i + 1 + L]  # (L, B)
        logits, state = model(x, state)  # (L, B, V)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        loss.item()
        nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        opt.step()
        state = (state[0].detach(), state[1].detach())
        marks.append(time.perf_counter())
    return marks[-2] - marks[0], time.perf_counter() - t_start


def ours(corpus, config: TrainConfig, out: Path) -> tuple[float, float]:
    """Our generator driven as the CLI and the GUI drive it: same two timings."""
    t_start = time.perf_counter()
    marks = [time.perf_counter() for _ in train(corpus, config, out)]
    return marks[-2] - marks[0], time.perf_counter() - t_start


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    corpus = load_corpus("python-stdlib", size=600_000)
    config = TrainConfig(hidden_size=args.hidden, embed_size=32, seq_len=100, batch_size=32, steps=args.steps,
                         eval_every=0, checkpoint_every=0, val_fraction=0.01, val_max_chars=6_000)
    times = {"ours": [], "bare": []}
    ends = {"ours": [], "bare": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for name, run in (("ours", lambda: ours(corpus, config, Path(tmp) / "bench.pt")),
                              ("bare", lambda: bare_loop(corpus, config))):
                middle, end = run()
                times[name].append(middle)
                ends[name].append(end)
    speed = {k: (config.steps - 2) * config.seq_len * config.batch_size / min(v) for k, v in times.items()}
    print(f"model: 1 x {config.hidden_size} LSTM, embed {config.embed_size}, vocab ~{len(set(corpus.text)) + 1}; "
          f"batch {config.batch_size} x {config.seq_len}; {config.steps} steps; {args.threads} thread(s); "
          f"best of {args.repeats}")
    print(f"bare PyTorch loop: {speed['bare']:,.0f} chars/s; end to end {min(ends['bare']):.2f} s")
    print(f"lstm_viz trainer:  {speed['ours']:,.0f} chars/s; end to end {min(ends['ours']):.2f} s "
          "(with its final validation and checkpoint)")
    print(f"ratio ours/bare:   {speed['ours'] / speed['bare']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
