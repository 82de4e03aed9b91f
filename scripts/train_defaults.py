"""Do the training defaults find structure? Settings compared on a hard corpus of quoted and unquoted phrases.

    python scripts/train_defaults.py [--steps 2000] [--seeds 0,1,2] [--sizes 32,64] [--variants old,new,...]
    python scripts/train_defaults.py --stdlib --sizes 128 --steps 1000     # the demo model's kind of text

The README's table: ``--steps 4000 --sizes 32`` and ``--sizes 64`` with ``--variants
new,cos,old,5e-3,cos+fb1,cos+L200,cos+fb1+L200`` (seeds and variants split over several invocations), and
``--stdlib --sizes 128 --steps 1000 --seeds 0``. ("new" was measured as ``2e-2+wu``, the same settings.)

The corpus is built here, not the built-in ``quotes``: sentences made of words from the Python standard
library's own docstrings (the 100 commonest, ``--vocab``, drawn as often as they occur there), with
"double-quoted" stretches of up to 200 characters (marks included; lengths log-uniform from 5 to 200, cut at a
space, so a few are 4) in Title Case, in which half the words (``--names``) are 50 of the modules' public names
(``Makedirs``, ``Get_terminal_size``), the rest the same docstring words. The case of every next word depends on
whether a quote is open, up to 200 characters after the mark, across punctuation; what is said tells only in
part. Quotes hold commas, colons, parentheses, question marks, apostrophes (Don't, Module's) and 'Single-quoted'
words; narration has apostrophes and parentheses too. (Harder still, with lower-case quotes (``--plain-case``),
400 words, or the same words inside and out, the runs tried at 1,500-4,000 steps found no quote cell: best
|r| <= 0.43.) The label is ``text_labels(text)["in_string"]`` (lstm_viz.core.features, "inside quotes"), the
feature a user searches for in the app. Every run trains a one-layer LSTM with the trainer's defaults except
what the variant changes, and reports the validation bits per character and the best |r| of any cell unit with
the label on held-out text (made from another seed). Runs go one after another on one thread; one line per run
as it finishes, then the means per variant and size.
"""
from __future__ import annotations

import argparse
import importlib
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from lstm_viz.core.analysis import unit_correlations
from lstm_viz.core.corpora import Corpus
from lstm_viz.core.features import text_labels
from lstm_viz.core.loading import load_model
from lstm_viz.core.trace import trace
from lstm_viz.core.train import TrainConfig, run_to_end, train

# The variants compared: what each changes from TrainConfig's defaults ("new").
OLD = dict(lr=2e-3, lr_schedule="constant", forget_bias=None, warmup=0, seq_len=100, batch_size=32)
VARIANTS = {
    "old": OLD,  # the defaults before last session: Adam 2e-3, constant
    "cos": dict(lr=1e-2, lr_schedule="cosine", forget_bias=None, warmup=0, seq_len=100, batch_size=32),  # 2nd
    "new": dict(),  # TrainConfig's defaults now: 2e-2+wu
    "cos+fb1": dict(lr=1e-2, lr_schedule="cosine", forget_bias=1.0, warmup=0, seq_len=100, batch_size=32),
    "cos+wu": dict(lr=1e-2, lr_schedule="cosine", forget_bias=None, warmup=200, seq_len=100, batch_size=32),
    "cos+fb1+wu": dict(lr=1e-2, lr_schedule="cosine", forget_bias=1.0, warmup=200, seq_len=100, batch_size=32),
    "cos+L200": dict(lr=1e-2, lr_schedule="cosine", forget_bias=None, warmup=0, seq_len=200, batch_size=16),
    "cos+fb1+L200": dict(lr=1e-2, lr_schedule="cosine", forget_bias=1.0, warmup=0, seq_len=200, batch_size=16),
    "cos+fb1+wu+L200": dict(lr=1e-2, lr_schedule="cosine", forget_bias=1.0, warmup=200, seq_len=200,
                            batch_size=16),
    "2e-2+wu": dict(lr=2e-2, lr_schedule="cosine", forget_bias=None, warmup=200, seq_len=100, batch_size=32),
    "2e-2+fb1+wu": dict(lr=2e-2, lr_schedule="cosine", forget_bias=1.0, warmup=200, seq_len=100, batch_size=32),
    "5e-3": dict(lr=5e-3, lr_schedule="cosine", forget_bias=None, warmup=0, seq_len=100, batch_size=32),
    "5e-3+fb1": dict(lr=5e-3, lr_schedule="cosine", forget_bias=1.0, warmup=0, seq_len=100, batch_size=32),
}
MODULES = ("builtins", "os", "re", "json", "collections", "itertools", "functools", "string", "math", "pathlib",
           "textwrap", "argparse", "logging", "random", "statistics", "datetime", "inspect", "shutil", "tempfile")
_PREFIXES = {"r", "u", "b", "f", "br", "rb", "fr", "rf"}  # a ' after one of these opens a Python string


def word_list(kind: str = "docs", top: int = 0) -> tuple[list[str], np.ndarray]:
    """Words of some standard modules and a cumulative distribution over them: "docs", lower-case words of 2-12
    letters from their docstrings and public names, as often as they occur there (natural text's skew);
    "names", their public names in lower case (``makedirs``, ``get_terminal_size``), each as likely. ``top``:
    keep only the most frequent docs words / that many names picked by a fixed seed (0: all)."""
    counts: Counter = Counter()
    for name in MODULES:
        mod = importlib.import_module(name)
        texts = [mod.__doc__ or ""]
        for attr in sorted(dir(mod)):
            if attr.startswith("_"):
                continue
            if kind == "names":
                if re.fullmatch(r"[a-z][a-z0-9_]{2,19}", attr):
                    counts[attr] = 1
                continue
            counts.update(w.lower() for w in re.findall(r"[A-Za-z]+", attr))
            texts.append(getattr(getattr(mod, attr, None), "__doc__", None) or "")
        for t in texts if kind == "docs" else ():
            counts.update(w.lower() for w in re.findall(r"\b[A-Za-z]{2,12}\b", t))
    words = sorted(w for w in counts if 2 <= len(w) <= 20 and w not in _PREFIXES)
    if top and kind == "docs":
        words = sorted(sorted(words, key=lambda w: (-counts[w], w))[:top])
    elif top:
        words = sorted(np.random.default_rng(7).choice(words, min(top, len(words)), replace=False).tolist())
    freq = np.array([counts[w] for w in words], dtype=np.float64)
    cdf = (freq / freq.sum()).cumsum()  # (words,)
    return words, cdf / cdf[-1]


def mixture(a: tuple[list[str], np.ndarray], b: tuple[list[str], np.ndarray], share_b: float):
    """One distribution drawing from ``b`` with probability ``share_b``, else from ``a``."""
    pa = np.diff(a[1], prepend=0.0) * (1 - share_b)  # (len(a),)
    pb = np.diff(b[1], prepend=0.0) * share_b  # (len(b),)
    cdf = np.concatenate([pa, pb]).cumsum()
    return a[0] + b[0], cdf / cdf[-1]


def _phrase(rng, words: tuple[list[str], np.ndarray], chars: int, inside: bool) -> str:
    """About ``chars`` characters of phrases (or words) with punctuation; ``inside`` a quote it may hold
    'single' quotes."""
    out: list[str] = []
    n = 0
    while n < chars:
        w = words[0][int(words[1].searchsorted(rng.random(), side="right"))]  # rng.choice(p=...), faster
        roll = rng.random()
        if roll < 0.05:
            w += "'s"
        elif roll < 0.08:
            w += "n't"
        elif roll < 0.12:
            w = f"({w})"
        elif inside and roll < 0.16:
            w = f"'{w}'"
        elif roll < 0.18:
            w = w.capitalize()
        punct = rng.random()
        w += "," if punct < 0.08 else ";" if punct < 0.10 else ":" if punct < 0.12 else "?" if punct < 0.13 \
            else " --" if punct < 0.14 else ""
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


def quoted_phrases(seed: int, size: int, names: float = 0.5, vocab: int = 100, title: bool = True) -> Corpus:
    """Lines of narration with 0-3 quotes each. Narration is made of docstring words; in quotes a share
    ``names`` of the words are the modules' public names instead (people say other things than narrators do),
    so the quote state helps predict every next word, up to 200 characters after the opening mark, while most
    single words (the docstring ones, and names that are words) do not tell. ``names=0``: the same words
    inside and out (the quote state is then nearly worthless). Labels from text_labels (inside a "..."
    string: 1). ``vocab``: the commonest docstring words kept, and half as many names (0: all of them)."""
    words = word_list(top=vocab)
    said = mixture(words, word_list("names", top=vocab // 2), names)
    rng = np.random.default_rng(seed)
    lines: list[str] = []
    n = 0
    while n < size:
        parts = [_phrase(rng, words, int(rng.integers(5, 60)), inside=False).capitalize()]
        for _ in range(rng.integers(0, 4)):
            length = int(round(np.exp(rng.uniform(np.log(5), np.log(200)))))  # 5-200, log-uniform
            quote = _phrase(rng, said, max(1, length - 4), inside=True)[:max(3, length - 2)].strip()
            if title:
                quote = " ".join(re.sub(r"^([^a-z]*)([a-z])", lambda m: m[1] + m[2].upper(), w)  # Title Case
                                 for w in quote.split(" "))
            parts.append(f"{rng.choice([' ', ', ', ': '])}\"{quote}\"")
            if rng.random() < 0.7:
                parts.append(" " + _phrase(rng, words, int(rng.integers(5, 60)), inside=False))
        line = "".join(parts) + ".\n"
        lines.append(line)
        n += len(line)
    text = "".join(lines)[:size]
    return Corpus("quoted-phrases", text, text_labels(text)["in_string"], (),
                  f"sentences of standard-library docstring words, double-quoted stretches of 4-200 characters "
                  f"with {names:.0%} of their words public names")


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
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--sizes", default="32,64")
    p.add_argument("--variants", default="old,cos,new", help=", ".join(VARIANTS))  # new: TrainConfig()
    p.add_argument("--corpus-size", type=int, default=300_000)
    p.add_argument("--names", type=float, default=0.5, help="share of quoted words that are the modules' public "
                   "names, not docstring words (0: the same words inside quotes and out)")
    p.add_argument("--plain-case", action="store_true", help="quoted words in lower case like the narration's "
                   "(by default they are in Title Case, a cue at every word that needs the quote state)")
    p.add_argument("--vocab", type=int, default=100, help="the commonest docstring words used, and half as many "
                   "names (0: all: the model then spends itself on spelling thousands of words)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--stdlib", action="store_true", help="train on the start of the python-stdlib corpus "
                   "instead (the demo model's kind of text); |r| with 'inside quotes' on the demo text")
    p.add_argument("--show-corpus", action="store_true", help="print the start of the corpus and stop")
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
        from lstm_viz.resources import DEMO_TEXT

        corpus = load_corpus("python-stdlib", size=args.corpus_size)
        text = DEMO_TEXT.read_text(encoding="utf-8")
        held_out = Corpus("demo text", text, text_labels(text)["in_string"])
    else:
        corpus = quoted_phrases(seed=0, size=args.corpus_size, names=args.names, vocab=args.vocab,
                                title=not args.plain_case)
        held_out = quoted_phrases(seed=99, size=20_000, names=args.names, vocab=args.vocab,
                                title=not args.plain_case)  # text no run trained on
    if args.show_corpus:
        print(corpus.text[:2000])
        return 0
    inside = f", {corpus.labels.mean():.0%} inside quotes" if corpus.labels is not None else ""
    print(f"corpus: {corpus.description}; {len(corpus):,} characters{inside}; held-out text {held_out.name}, "
          f"{len(held_out):,} characters, {held_out.labels.mean():.0%} labelled 1; {args.steps} steps per run, "
          f"{args.threads} thread(s)")
    for v in variants:
        c = TrainConfig(**VARIANTS[v])
        print(f"  {v}: lr {c.lr:g}, {c.lr_schedule}, warm-up {c.warmup}, forget bias {c.forget_bias}, "
              f"batch {c.batch_size} x {c.seq_len}, clip {c.clip:g}")
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
    print(f"\nmeans over seeds {','.join(map(str, seeds))}, {args.steps} steps")
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
