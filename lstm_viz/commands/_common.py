"""Arguments and input reading shared by the subcommands."""
from __future__ import annotations

import argparse
from pathlib import Path

from lstm_viz.core.errors import InputError


def add_model_arguments(p: argparse.ArgumentParser, optional_checkpoint: bool = True) -> None:
    p.add_argument("checkpoint", nargs="?" if optional_checkpoint else None, metavar="CHECKPOINT",
                   help="a checkpoint file" + (" (default: the bundled demo model)" if optional_checkpoint else ""))
    p.add_argument("--vocab", metavar="FILE", help="vocab for a checkpoint that has none: a JSON list of tokens "
                   "or one token per line")
    p.add_argument("--module", metavar="PREFIX", help="which LSTM to use when the file holds several "
                   "(e.g. lstm1)")
    p.add_argument("--trust", action="store_true", help="allow a whole pickled model: unpickling can run code, "
                   "so only for files you trust")


def add_text_arguments(p: argparse.ArgumentParser, inputs: bool = False) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--text", metavar="TEXT", help="the text to read")
    g.add_argument("--text-file", metavar="FILE", help="a UTF-8 text file to read")
    if inputs:
        g.add_argument("--inputs", metavar="FILE.npy", help="input vectors (T, input_size) for a model "
                       "without a vocab")


def load_model_from_args(args):
    from lstm_viz.core.loading import load_model
    from lstm_viz.resources import DEMO_MODEL

    path = args.checkpoint
    if path is None:
        if not DEMO_MODEL.exists():
            raise InputError("no checkpoint given and the bundled demo model is missing")
        path = DEMO_MODEL
    return load_model(path, vocab=args.vocab, module=args.module, trust=args.trust)


def read_text_file(path: str | Path) -> str:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start})") from None


def read_input(args, default_text: bool = True):
    """The text (or input vectors) named by --text / --text-file / --inputs; the demo text if none."""
    if getattr(args, "inputs", None):
        import numpy as np

        try:
            return np.load(args.inputs, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise InputError(f"{args.inputs}: not a readable .npy array ({e})") from None
    if args.text is not None:
        text = args.text
    elif args.text_file is not None:
        text = read_text_file(args.text_file)
    elif default_text:
        from lstm_viz.resources import DEMO_TEXT

        text = read_text_file(DEMO_TEXT)
    else:
        raise InputError("give --text or --text-file")
    if not text:
        raise InputError("the text is empty: nothing to analyse")
    return text
