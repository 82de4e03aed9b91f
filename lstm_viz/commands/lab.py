"""lstm-viz lab long-range: train rnn, gru and lstm of the same size on long-copy lines and measure how far
each carries the key (recall per gap, gradient norm per distance); writes CSV, a figure and the checkpoints.

Files in OUT_DIR: recall.csv, gradients.csv, long-range.png / .svg / .pdf, and one checkpoint per cell type
(``{cell}.pt``, to open in the app or give to ``lstm-viz gradients``)."""
from __future__ import annotations

import sys
from pathlib import Path

from lstm_viz.core.errors import InputError

EXPERIMENTS = ("long-range",)


def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise InputError(f"--{what} {text!r}: give whole numbers separated by commas, e.g. 5,10,20") from None
    if not values:
        raise InputError(f"--{what} is empty")
    return values


def add_arguments(p) -> None:
    from lstm_viz.core.lab import LabConfig

    d = LabConfig()
    p.add_argument("experiment", choices=EXPERIMENTS, help="long-range: rnn, gru and lstm on long-copy lines")
    p.add_argument("-o", "--output", required=True, metavar="OUT_DIR", help="folder for the CSV, figure and models")
    p.add_argument("--gaps", default=",".join(map(str, d.gaps)), metavar="5,10,...",
                   help=f"filler lengths to train and test on ({','.join(map(str, d.gaps))})")
    p.add_argument("--cells", default=",".join(d.cells), metavar="rnn,gru,lstm",
                   help=f"cell types, the same size each ({','.join(d.cells)})")
    p.add_argument("--hidden", type=int, default=d.hidden_size, metavar="N", help=f"units ({d.hidden_size})")
    p.add_argument("--steps", type=int, default=d.steps, metavar="N", help=f"batches per cell type ({d.steps})")
    p.add_argument("--lr", type=float, default=d.lr, metavar="F", help=f"Adam learning rate ({d.lr:g})")
    p.add_argument("--seed", type=int, default=d.seed, metavar="N", help=f"random seed ({d.seed})")
    p.add_argument("--threads", type=int, metavar="N", help="CPU threads for torch (default: torch's choice)")


def run(args) -> int:
    from lstm_viz.core.lab import LabConfig, long_range, write_csv

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: is a file; give a folder")
    if not out.parent.is_dir():
        raise InputError(f"{out}: folder {out.parent} does not exist")
    config = LabConfig(gaps=_ints(args.gaps, "gaps"), cells=tuple(c for c in args.cells.split(",") if c.strip()),
                       hidden_size=args.hidden, steps=args.steps, lr=args.lr, seed=args.seed)
    if args.threads is not None:
        if args.threads <= 0:
            raise InputError(f"--threads must be a positive integer, not {args.threads}")
        import torch

        torch.set_num_threads(args.threads)
    out.mkdir(exist_ok=True)
    gen = long_range(config)
    last = -1
    while True:
        try:
            p = next(gen)
        except StopIteration as stop:
            result = stop.value
            break
        percent = int(100 * p.fraction)
        if percent != last and (percent % 10 == 0):
            print(f"lstm-viz lab: {percent}% ({p.cell}, {p.phase}, {p.elapsed:.0f} s)", file=sys.stderr)
            last = percent
    write_csv(result, out)
    _save_models(result, out)
    from lstm_viz.figures import headless_app
    from lstm_viz.figures.lab import export_lab_figure

    with headless_app():
        for ext in (".png", ".svg", ".pdf"):
            export_lab_figure(result, out / f"long-range{ext}")
    for cell in result.cells:
        recall = ", ".join(f"{g}: {r:.2f}" for g, r in zip(result.gaps, result.recall[cell]))
        g = result.grad_norm[cell]
        at50 = f", gradient at distance 50: {g[50]:.3g}" if len(g) > 50 else ""
        print(f"{cell}: recall per gap {recall}{at50}", file=sys.stderr)
    print(f"wrote {out}: recall.csv, gradients.csv, long-range.png/.svg/.pdf and "
          f"{', '.join(c + '.pt' for c in result.cells)} in {result.elapsed:.0f} s", file=sys.stderr)
    return 0


def _save_models(result, out: Path) -> None:
    from lstm_viz.core.checkpoint import save_checkpoint

    for cell, model in result.models.items():
        meta = {"trainer": "lstm_viz.core.lab", "corpus": "long-copy", "lab": "long-range",
                "settings": result.config.to_dict(), "seed": result.config.seed,
                "final_loss": result.final_loss[cell],
                "recall": {str(g): float(r) for g, r in zip(result.gaps, result.recall[cell])}}
        save_checkpoint(out / f"{cell}.pt", model, result.vocab, meta)
