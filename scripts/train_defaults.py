"""Do the training defaults find structure? Old against new defaults on a quoted / unquoted phrase corpus.

    python scripts/train_defaults.py [--steps 1500] [--seeds 0,1,2] [--sizes 32,64] [--variants old,new]

The corpus is built here, not the built-in ``quotes``: narration made of words from the Zen of Python (the
standard library's ``this`` module) with quoted phrases, 1 to 16 words long, made of Python's keywords and
builtin names; some words belong to both lexicons, so the quote state must be remembered, not read off the
current word. Every run trains a one-layer LSTM (embedding 32, batch 32 x 100 characters, the trainer's
defaults otherwise) and reports the validation bits per character and the best |r| of any cell unit with the
inside-a-quote label on held-out text (another seed). ``--stdlib`` trains on Python source instead and
correlates with "inside a string" on the demo text. Runs go one after another on one thread; the table goes
to stdout, one line per run as it finishes, then the means per variant and size.
"""
from __future__ import annotations

import argparse
import builtins
import codecs
import contextlib
import io
import keyword
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from lstm_viz.core.analysis import unit_correlations
from lstm_viz.core.corpora import Corpus
from lstm_viz.core.loading import load_model
from lstm_viz.core.trace import trace
from lstm_viz.core.train import TrainConfig, run_to_end, train

# The variants compared: the former defaults, the new ones, and each change alone or together.
VARIANTS = {
    "old": dict(lr=2e-3, lr_schedule="constant", forget_bias=None),
    "new": dict(),  # TrainConfig's defaults: lr 1e-2, cosine, PyTorch's forget-gate bias
    "old+fb1": dict(lr=2e-3, lr_schedule="constant", forget_bias=1.0),
    "lr1e-2": dict(lr=1e-2, lr_schedule="constant", forget_bias=None),
    "lr1e-2+cos": dict(lr=1e-2, lr_schedule="cosine", forget_bias=None),
    "lr1e-2+fb1": dict(lr=1e-2, lr_schedule="constant", forget_bias=1.0),
    "lr1e-2+cos+fb1": dict(lr=1e-2, lr_schedule="cosine", forget_bias=1.0),
}


def lexicons() -> tuple[list[str], list[str]]:
    """Narration words (the Zen of Python) and quoted words (keywords and builtin names), lower case."""
    with contextlib.redirect_stdout(io.StringIO()):
        import this  # prints the Zen on first import; its text is kept rot13-encoded in this.s

    zen = codecs.decode(this.s, "rot13").lower()
    narration = sorted(set(re.findall(r"[a-z]+", zen)))
    quoted = sorted({w.lower() for w in keyword.kwlist + dir(builtins) if re.fullmatch(r"[a-zA-Z]+", w)})
    return narration, quoted


def phrases(seed: int, size: int, quoted_words: str = "python") -> Corpus:
    """Lines of narration with 0-2 quoted phrases each; label 1 from an opening quote to before its closing one.

    ``quoted_words``: "python" (keywords and builtins: the words themselves hint at the quote state) or "zen"
    (the narration's own words: only the quote marks tell, so closing a quote needs the state remembered)."""
    narration, quoted = lexicons()
    if quoted_words == "zen":
        quoted = narration
    rng = np.random.default_rng(seed)
    parts: list[str] = []
    labels: list[int] = []

    def put(s: str, label: int) -> None:
        parts.append(s)
        labels.extend([label] * len(s))

    n = 0
    while n < size:
        start = len(labels)
        put(" ".join(rng.choice(narration, rng.integers(1, 8))), 0)
        for _ in range(rng.integers(0, 3)):
            length = int(min(16, 1 + rng.geometric(0.2)))  # quotes of 2-16 words, mostly short
            put(" " if rng.random() < 0.5 else ", ", 0)
            put('"', 1)  # the opening mark is inside, the closing one outside (as the built-in corpus)
            put(" ".join(rng.choice(quoted, length)), 1)
            put('"', 0)
            put(" " + " ".join(rng.choice(narration, rng.integers(1, 6))), 0)
        put(".\n", 0)
        n += len(labels) - start
    text = "".join(parts)[:size]
    what = "Python keywords and builtins" if quoted_words == "python" else "phrases of the same words"
    return Corpus("quoted-phrases", text, np.array(labels[:size], dtype=np.int64), (),
                  f"narration from the Zen of Python with quoted {what}")


def one_run(corpus: Corpus, held_out: Corpus, variant: str, hidden: int, seed: int, steps: int,
            folder: Path) -> dict:
    config = TrainConfig(hidden_size=hidden, steps=steps, seed=seed, eval_every=0, checkpoint_every=0,
                         **VARIANTS[variant])
    t0 = time.perf_counter()
    result = run_to_end(train(corpus, config, folder / f"{variant}_{hidden}_{seed}.pt"))
    seconds = time.perf_counter() - t0
    tr = trace(load_model(result.path), held_out.text)
    r = unit_correlations(tr.get("cell"), held_out.labels)  # (units,)
    return dict(variant=variant, hidden=hidden, seed=seed, steps=steps, bpc=result.val_bpc,
                r=float(np.nanmax(np.abs(r))), seconds=seconds)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--sizes", default="32,64")
    p.add_argument("--variants", default="old,new", help=", ".join(VARIANTS))
    p.add_argument("--corpus-size", type=int, default=300_000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quoted-words", choices=("python", "zen"), default="python",
                   help="what quotes hold: Python's keywords and builtins, or the narration's own words")
    p.add_argument("--stdlib", action="store_true", help="train on the start of the python-stdlib corpus "
                   "instead (the demo model's kind of text); |r| with 'inside a string' on the demo text")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    variants = args.variants.split(",")
    for v in variants:
        if v not in VARIANTS:
            p.error(f"unknown variant {v!r}; one of {', '.join(VARIANTS)}")
    if args.stdlib:
        from lstm_viz.core.corpora import load_corpus
        from lstm_viz.core.features import text_labels
        from lstm_viz.resources import DEMO_TEXT

        corpus = load_corpus("python-stdlib", size=args.corpus_size)
        text = DEMO_TEXT.read_text(encoding="utf-8")
        held_out = Corpus("demo text", text, text_labels(text)["in_string"])
    else:
        corpus = phrases(seed=0, size=args.corpus_size, quoted_words=args.quoted_words)
        held_out = phrases(seed=99, size=5000, quoted_words=args.quoted_words)  # text no run trained on
    inside = f", {corpus.labels.mean():.0%} inside a quote" if corpus.labels is not None else ""
    print(f"corpus: {corpus.description}; {len(corpus):,} characters{inside}; held-out text {held_out.name}, "
          f"{len(held_out):,} characters, {held_out.labels.mean():.0%} labelled 1; {args.steps} steps per run, "
          f"{args.threads} thread(s)")
    for v in variants:
        c = TrainConfig(**VARIANTS[v])
        print(f"  {v}: lr {c.lr:g}, {c.lr_schedule}, forget bias {c.forget_bias}")
    print(f"{'variant':16} {'units':>5} {'seed':>4} {'val bpc':>8} {'best |r|':>8} {'s':>5}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for hidden in sizes:
            for seed in seeds:
                for v in variants:
                    row = one_run(corpus, held_out, v, hidden, seed, args.steps, Path(folder))
                    rows.append(row)
                    print(f"{v:16} {hidden:5} {seed:4} {row['bpc']:8.3f} {row['r']:8.2f} {row['seconds']:5.0f}",
                          flush=True)
    print("\nmeans over seeds " + ",".join(map(str, seeds)))
    print(f"{'variant':16} {'units':>5} {'val bpc':>8} {'best |r|':>8} {'min |r|':>8} {'runs |r|>=0.8':>13}")
    for hidden in sizes:
        for v in variants:
            sel = [r for r in rows if r["variant"] == v and r["hidden"] == hidden]
            if sel:
                rs = [r["r"] for r in sel]
                print(f"{v:16} {hidden:5} {np.mean([r['bpc'] for r in sel]):8.3f} {np.mean(rs):8.2f} "
                      f"{min(rs):8.2f} {sum(x >= 0.8 for x in rs):>9}/{len(rs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
