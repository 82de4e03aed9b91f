"""lstm-viz train: train a character-level LSTM (or GRU, RNN, peephole or coupled-gate LSTM) on text files or a
built-in corpus, with a progress bar.

Ctrl-C stops at the next batch and saves the checkpoint; a second Ctrl-C aborts at once (the last checkpoint
written stays). The last line gives the validation loss in bits per character.
"""
from __future__ import annotations

import signal
import sys


def add_arguments(p) -> None:
    from lstm_viz.core.cells import CELLS
    from lstm_viz.core.corpora import CORPORA
    from lstm_viz.core.train import LR_FLOOR, LR_SCHEDULES, TrainConfig

    d = TrainConfig()
    p.add_argument("files", nargs="*", metavar="CORPUS_FILE", help="UTF-8 text files to train on")
    p.add_argument("--corpus", metavar="NAME", choices=sorted(CORPORA),
                   help="a built-in corpus instead of files: " + "; ".join(f"{k}: {v}" for k, v in CORPORA.items()))
    p.add_argument("--corpus-size", type=int, metavar="CHARS",
                   help="characters to generate (synthetic corpora) or at most to read")
    p.add_argument("-o", "--output", required=True, metavar="OUT.pt", help="the checkpoint to write")
    p.add_argument("--cell", default=d.cell, choices=sorted(CELLS), help=f"cell type ({d.cell}): "
                   + "; ".join(f"{k}: {c.title}" for k, c in CELLS.items()))
    p.add_argument("--nonlinearity", default=d.nonlinearity, choices=("tanh", "relu"),
                   help=f"the plain RNN's nonlinearity ({d.nonlinearity})")
    p.add_argument("--hidden", type=int, default=d.hidden_size, metavar="N", help=f"units per layer ({d.hidden_size})")
    p.add_argument("--layers", type=int, default=d.num_layers, metavar="N", help=f"layers ({d.num_layers})")
    p.add_argument("--embed", type=int, default=d.embed_size, metavar="N", help=f"embedding size ({d.embed_size})")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--steps", type=int, default=d.steps, metavar="N", help=f"batches to train ({d.steps})")
    g.add_argument("--epochs", type=int, metavar="N", help="passes over the training text, instead of --steps")
    p.add_argument("--seq-len", type=int, default=d.seq_len, metavar="N",
                   help=f"characters per backpropagation window ({d.seq_len})")
    p.add_argument("--batch-size", type=int, default=d.batch_size, metavar="N", help=f"parallel streams ({d.batch_size})")
    p.add_argument("--lr", type=float, default=d.lr, metavar="F",
                   help=f"Adam's peak learning rate, reached after --warmup ({d.lr:g}; formerly 0.01, and 0.002 "
                        "before that)")
    p.add_argument("--lr-schedule", default=d.lr_schedule, choices=LR_SCHEDULES,
                   help=f"learning rate over the run ({d.lr_schedule}): constant, or cosine from --lr down to "
                        f"{LR_FLOOR:g} x --lr at the last step")
    p.add_argument("--warmup", type=int, default=d.warmup, metavar="N",
                   help=f"steps over which the learning rate rises linearly to --lr ({d.warmup}; 0: none)")
    fb = "torch" if d.forget_bias is None else f"{d.forget_bias:g}"
    p.add_argument("--forget-bias", type=forget_bias, default=d.forget_bias, metavar="F|torch",
                   help=f"the forget gate's total bias (b_ih + b_hh) at the start, in LSTM, peephole and CIFG cells "
                        f"({fb}; 'torch' keeps PyTorch's random one; Jozefowicz et al. 2015 recommend 1). GRU "
                        f"(whose update gate z does the keeping) and RNN are left as PyTorch makes them")
    p.add_argument("--dropout", type=float, default=d.dropout, metavar="F", help=f"dropout ({d.dropout:g})")
    p.add_argument("--val-fraction", type=float, default=d.val_fraction, metavar="F",
                   help=f"share of the corpus (its end) held out for validation ({d.val_fraction:g})")
    p.add_argument("--eval-every", type=int, default=d.eval_every, metavar="N",
                   help=f"steps between validation losses ({d.eval_every})")
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, metavar="N",
                   help=f"steps between checkpoints ({d.checkpoint_every})")
    p.add_argument("--seed", type=int, default=d.seed, metavar="N", help=f"random seed ({d.seed})")
    p.add_argument("--threads", type=int, metavar="N", help="CPU threads for torch (default: torch's choice; "
                   "1 is often fastest for small models or on a busy machine)")


def forget_bias(text: str) -> float | None:
    """--forget-bias: a number, or "torch" (None: PyTorch's own initialisation)."""
    import argparse
    import math

    if text.strip().lower() in ("torch", "none"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number or 'torch', not {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"a finite number or 'torch', not {text!r}")
    return value


def run(args) -> int:
    from tqdm import tqdm

    from lstm_viz.core.corpora import load_corpus
    from lstm_viz.core.errors import InputError
    from lstm_viz.core.train import TrainConfig, bpc, check_writable, train

    if bool(args.files) == bool(args.corpus):
        raise InputError("give either CORPUS_FILE... or --corpus NAME (not both, not neither)")
    config = TrainConfig(hidden_size=args.hidden, num_layers=args.layers, embed_size=args.embed,
                         seq_len=args.seq_len, batch_size=args.batch_size, lr=args.lr, dropout=args.dropout,
                         steps=args.steps, epochs=args.epochs, seed=args.seed, val_fraction=args.val_fraction,
                         eval_every=args.eval_every, checkpoint_every=args.checkpoint_every, cell=args.cell,
                         nonlinearity=args.nonlinearity, lr_schedule=args.lr_schedule,
                         forget_bias=args.forget_bias, warmup=args.warmup)
    if args.threads is not None:
        if args.threads <= 0:
            raise InputError(f"--threads must be a positive integer, not {args.threads}")
        import torch

        torch.set_num_threads(args.threads)
    check_writable(args.output)  # before reading a large corpus
    corpus = load_corpus(args.corpus or args.files, seed=args.seed, size=args.corpus_size)
    command = "lstm-viz train " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["train"] else None
    gen = train(corpus, config, args.output, metadata={"command": command} if command else None)

    stop = {"requested": False}

    def on_sigint(signum, frame):
        if stop["requested"]:
            raise KeyboardInterrupt  # second Ctrl-C: abort now; the last checkpoint written stays
        stop["requested"] = True

    previous = signal.signal(signal.SIGINT, on_sigint)
    result = None
    bar = None
    try:
        while True:
            if stop["requested"]:
                gen.close()  # saves the current weights
                break
            try:
                pr = next(gen)
            except StopIteration as end:
                result = end.value
                break
            if bar is None:
                print(f"lstm-viz train: {corpus.description}", file=sys.stderr)
                bar = tqdm(total=pr.total_steps, unit="step", file=sys.stderr, dynamic_ncols=True,
                           desc="training")
            post = {"loss": f"{bpc(pr.train_loss):.3f} bpc", "chars/s": f"{pr.tokens_per_sec:,.0f}"}
            if pr.last_val_loss is not None:
                post["val"] = f"{bpc(pr.last_val_loss):.3f} bpc"
            bar.set_postfix(post, refresh=False)
            bar.update(1)
    finally:
        signal.signal(signal.SIGINT, previous)
        if bar is not None:
            bar.close()
    if result is None:  # stopped by Ctrl-C
        from lstm_viz.core.loading import load_model

        meta = load_model(args.output).metadata
        val = meta.get("val_bpc")
        print(f"lstm-viz train: stopped after {meta.get('steps')} steps; saved {args.output}"
              + (f"; validation loss {val:.3f} bits per character (at step {meta['val_steps'][-1]})"
                 if val is not None else "; no validation loss computed yet"), file=sys.stderr)
        return 130
    val = f"validation loss {result.val_bpc:.3f} bits per character" if result.val_bpc is not None \
        else "no validation split"
    print(f"wrote {result.path}: {result.steps} steps in {result.elapsed:.0f} s; {val}", file=sys.stderr)
    return 0
