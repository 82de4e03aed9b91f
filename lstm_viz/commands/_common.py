"""Arguments and input reading shared by the subcommands."""
from __future__ import annotations

import argparse
from pathlib import Path

from lstm_viz.core.errors import InputError, UnsupportedCellError
from lstm_viz.core.textfile import read_text_file


def add_model_arguments(p: argparse.ArgumentParser, optional_checkpoint: bool = True) -> None:
    p.add_argument("checkpoint", nargs="?" if optional_checkpoint else None, metavar="CHECKPOINT",
                   help="a checkpoint file" + (" (default: the bundled demo model)" if optional_checkpoint else ""))
    p.add_argument("--vocab", metavar="FILE", help="vocab for a checkpoint that has none: a JSON list of tokens, "
                   "a JSON object token -> id (or id -> token), or one token per line")
    p.add_argument("--module", metavar="NAME", help="which LSTM to use when the file holds several, as the "
                   "model names it (e.g. lstm1, rnns.0); a stack of separate LSTMs by its common name (rnns)")
    p.add_argument("--nonlinearity", choices=("tanh", "relu"), help="a plain RNN's nonlinearity, which its "
                   "state_dict does not store (default: read from a whole pickled model, else tanh)")
    p.add_argument("--trust", action="store_true", help="allow a whole pickled model: unpickling can run code, "
                   "so only for files you trust")


def add_text_arguments(p: argparse.ArgumentParser, inputs: bool = False) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--text", metavar="TEXT", help="the text to read")
    g.add_argument("--text-file", metavar="FILE", help="a UTF-8 text file to read")
    if inputs:
        g.add_argument("--inputs", metavar="FILE.npy", help="input vectors (T, input_size) for a model "
                       "without a vocab, or token ids (T,)")


def load_model_from_args(args):
    from lstm_viz.core.importer import unsupported_message
    from lstm_viz.core.loading import load_model
    from lstm_viz.resources import DEMO_MODEL

    path = args.checkpoint
    if path is None:
        if not DEMO_MODEL.exists():
            raise InputError(f"no checkpoint given and the bundled demo model ({DEMO_MODEL.parent.name}/"
                             f"{DEMO_MODEL.name}) is missing: name a checkpoint file")
        path = DEMO_MODEL
    nonlinearity = getattr(args, "nonlinearity", None)
    try:
        loaded = load_model(path, vocab=args.vocab, module=args.module, trust=args.trust, nonlinearity=nonlinearity)
    except UnsupportedCellError as e:
        if nonlinearity and e.cell == "rnn":  # name the nonlinearity the user gave, not the assumed one
            raise UnsupportedCellError(unsupported_message(e.cell, e.module, nonlinearity, f"{path}: "),
                                       e.cell, e.module, nonlinearity) from None
        raise
    if nonlinearity and loaded.config.cell != "rnn":
        raise InputError(f"{path}: --nonlinearity applies to plain RNNs (nn.RNN); this file holds an "
                         f"{loaded.config.cell.upper()}")
    return loaded


def read_input(args, default_text: bool = True):
    """The text (or input vectors) named by --text / --text-file / --inputs; the demo text if none."""
    if getattr(args, "inputs", None):
        import numpy as np

        path = Path(args.inputs)
        if not path.is_file():
            raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: is not a file")
        try:
            arr = np.load(path, allow_pickle=False)
        except OSError as e:
            raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
        except (ValueError, EOFError) as e:
            first = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
            raise InputError(f"{path}: not a .npy array of input vectors ({first})") from None
        if not isinstance(arr, np.ndarray):
            arr.close()
            raise InputError(f"{path}: is an .npz archive; give one .npy array of input vectors")
        vectors = arr.ndim == 2 and np.issubdtype(arr.dtype, np.floating)
        ids = arr.ndim == 1 and np.issubdtype(arr.dtype, np.integer)
        if not (vectors or ids):
            raise InputError(f"{path}: expected float input vectors of shape (T, input_size), or token ids (T,), got "
                             f"{arr.dtype} of shape {arr.shape}")
        return arr
    where = "--text"
    if args.text is not None:
        text = args.text
    elif args.text_file is not None:
        text, where = read_text_file(args.text_file), str(args.text_file)
    elif default_text:
        from lstm_viz.resources import DEMO_TEXT

        text, where = read_text_file(DEMO_TEXT), str(DEMO_TEXT)
    else:
        raise InputError("give --text or --text-file")
    if not text:
        raise InputError(f"{where}: the text is empty: nothing to analyse")
    return text
