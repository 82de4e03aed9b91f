"""Train the bundled demo model (resources/demo_model.pt) on the python-stdlib corpus, reproducibly.

    python scripts/train_demo_model.py [--steps N] [-o resources/demo_model.pt]
    python scripts/train_demo_model.py --report        # interpretable units of the shipped model

The settings below are the ones the shipped file was trained with; the command, seed and corpus (files and
character count) are recorded in the checkpoint's metadata. Progress goes to stderr, one line per 100 steps.
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import torch

from lstm_viz.core.corpora import load_corpus
from lstm_viz.core.train import TrainConfig, bpc, train

ROOT = Path(__file__).resolve().parent.parent
CORPUS_CHARS = 3_000_000
SETTINGS = dict(hidden_size=256, num_layers=1, embed_size=32, seq_len=100, batch_size=32, lr=2e-3, dropout=0.0,
                steps=6000, seed=1234, val_fraction=0.05, clip=1.0, eval_every=500, checkpoint_every=500,
                val_max_chars=100_000, lr_schedule="constant", forget_bias=None)
# lr_schedule and forget_bias: the trainer's defaults before they changed (constant rate, PyTorch's own
# forget-gate bias), spelled out so that this script still reproduces the shipped file.


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", default=str(ROOT / "resources" / "demo_model.pt"))
    p.add_argument("--steps", type=int, default=SETTINGS["steps"])
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: steady on a shared machine)")
    p.add_argument("--report", action="store_true", help="do not train: show the units of the model at -o that "
                   "track strings, comments, brackets and indentation in resources/demo_text.txt")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.report:
        return report(args.output, ROOT / "resources" / "demo_text.txt")
    config = TrainConfig(**{**SETTINGS, "steps": args.steps})
    corpus = load_corpus("python-stdlib", size=CORPUS_CHARS)
    command = "python scripts/train_demo_model.py" + "".join(
        " " + shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    print(f"{corpus.description}; training {config}", file=sys.stderr)
    gen = train(corpus, config, args.output, metadata={"command": command, "python": sys.version.split()[0],
                                                    "threads": args.threads})
    t0 = time.time()
    while True:
        try:
            pr = next(gen)
        except StopIteration as stop:
            result = stop.value
            break
        if pr.step % 100 == 0 or pr.val_loss is not None:
            val = f" val {bpc(pr.val_loss):.3f} bpc" if pr.val_loss is not None else ""
            print(f"step {pr.step}/{pr.total_steps} train {bpc(pr.train_loss):.3f} bpc{val} "
                  f"{pr.tokens_per_sec:,.0f} chars/s {time.time() - t0:.0f}s, {pr.seconds_left:.0f}s left",
                  file=sys.stderr, flush=True)
    print(f"wrote {result.path}: {result.steps} steps, validation {result.val_bpc:.3f} bits per character, "
          f"{result.elapsed:.0f} s", file=sys.stderr)
    return 0


def report(model_path, text_path) -> int:
    """Print the model's validation bpc and, for each label of the demo text, the best-correlated units."""
    from lstm_viz.core.analysis import best_units, text_labels
    from lstm_viz.core.loading import load_model
    from lstm_viz.core.trace import trace

    loaded = load_model(model_path)
    text = Path(text_path).read_text(encoding="utf-8")
    tr = trace(loaded, text)
    m = loaded.metadata
    print(f"{model_path}: {m.get('steps')} steps, validation {m.get('val_bpc'):.3f} bits per character; "
          f"demo text: {len(text)} characters, mean loss {bpc(float(tr.loss[1:].mean())):.3f} bits per character")
    for name, labels in text_labels(text).items():
        for quantity in ("cell", "hidden"):
            top = best_units(tr, labels, quantity=quantity, layer=None, k=3)
            print(f"{name:14} {quantity:6} " + ", ".join(f"layer {u.layer} unit {u.unit}: r={u.r:+.2f}" for u in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
