"""lstm-viz trace: every gate and state of a text (whatever the model's cell type), saved as NPZ or, for long
texts, as a chunked HDF5 file (``-o out.h5``: written while streaming, never holding the whole trace).

``--initial-state FILE.npz`` starts from a given state instead of zeros: keys ``h0_l{k}`` (and ``c0_l{k}`` for
LSTM-like cells), ``_reverse`` for the backward direction, each of shape (units,)."""
from __future__ import annotations

import sys
import warnings

from lstm_viz.core.errors import InputError

from ._common import add_model_arguments, add_text_arguments, load_model_from_args, read_input


def add_arguments(p) -> None:
    add_model_arguments(p)
    add_text_arguments(p, inputs=True)
    p.add_argument("-o", "--output", required=True, metavar="OUT.npz|OUT.h5",
                   help="where to write the trace: .npz (held in memory; small texts) or .h5 / .hdf5 (chunked, "
                        "streamed to disk, read in slices; long texts)")
    p.add_argument("--compress", action="store_true", help="compress the arrays (much slower to write, "
                   "saves a few percent on float32 values)")
    p.add_argument("--initial-state", metavar="FILE.npz", help="the state before the first step instead of "
                   "zeros: arrays h0_l0, c0_l0 (LSTM-like cells), ... with _reverse for a backward direction")


def run(args) -> int:
    from pathlib import Path

    from lstm_viz.core.h5trace import H5_SUFFIXES, write_h5
    from lstm_viz.core.trace import trace
    from lstm_viz.core.vocab import display_token

    # torch says once that projected LSTMs skip oneDNN: true, and not the user's concern.
    warnings.filterwarnings("ignore", message=".*not supported with oneDNN")
    model = load_model_from_args(args)
    x = read_input(args)
    state = read_state(args.initial_state) if args.initial_state else None
    chunked = Path(args.output).suffix.lower() in H5_SUFFIXES
    try:
        if chunked:
            tr = write_h5(model, x, args.output, state=state, compress=args.compress)
        else:
            tr = trace(model, x, state=state)
    except InputError as e:  # name the file the problem is in: the state, the input vectors, or the model
        where = args.initial_state if str(e).startswith("initial state") else None
        raise InputError(f"{where or args.inputs or model.source or model.name}: {e}") from None
    if chunked:
        tr.close()
    else:
        tr.save_npz(args.output, compress=args.compress)
    if tr.unknown:
        bad = sorted({tr.tokens[i] for i in tr.unknown})
        shown = ", ".join(repr(display_token(t)) for t in bad[:8]) + (" ..." if len(bad) > 8 else "")
        print(f"lstm-viz trace: {len(tr.unknown)} tokens not in the vocab were read as "
              f"{model.vocab.unk!r}: {shown}", file=sys.stderr)
    print(f"wrote {args.output}: {len(tr)} timesteps, {tr.num_layers} layer(s) of {tr.cell.title}"
          f"{', bidirectional' if tr.bidirectional else ''}{', read right to left' if tr.reads_backward else ''}",
          file=sys.stderr)
    return 0


def read_state(path: str) -> dict:
    """The arrays of an initial-state NPZ; one line naming the file when it cannot be read."""
    import zipfile

    import numpy as np

    try:
        z = np.load(path, allow_pickle=False)
        if isinstance(z, np.ndarray):
            raise InputError(f"{path}: is a single .npy array; give an .npz with arrays h0_l0, c0_l0, ...")
        with z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        why = str(e).strip() or type(e).__name__
        raise InputError(f"{path}: not a readable .npz of initial states ({why})") from None
