"""lstm-viz trace: every gate, cell and hidden state of a text, saved as NPZ."""
from __future__ import annotations

import sys
import warnings

from lstm_viz.core.errors import InputError

from ._common import add_model_arguments, add_text_arguments, load_model_from_args, read_input


def add_arguments(p) -> None:
    add_model_arguments(p)
    add_text_arguments(p, inputs=True)
    p.add_argument("-o", "--output", required=True, metavar="OUT.npz", help="where to write the trace")


def run(args) -> int:
    from lstm_viz.core.trace import trace
    from lstm_viz.core.vocab import display_token

    # torch says once that projected LSTMs skip oneDNN: true, and not the user's concern.
    warnings.filterwarnings("ignore", message=".*not supported with oneDNN")
    model = load_model_from_args(args)
    x = read_input(args)
    try:
        tr = trace(model, x)
    except InputError as e:  # name the file the problem is in: the input vectors, or the model
        raise InputError(f"{args.inputs or model.source or model.name}: {e}") from None
    tr.save_npz(args.output)
    if tr.unknown:
        bad = sorted({tr.tokens[i] for i in tr.unknown})
        shown = ", ".join(repr(display_token(t)) for t in bad[:8]) + (" ..." if len(bad) > 8 else "")
        print(f"lstm-viz trace: {len(tr.unknown)} tokens not in the vocab were read as "
              f"{model.vocab.unk!r}: {shown}", file=sys.stderr)
    print(f"wrote {args.output}: {len(tr)} timesteps, {tr.num_layers} layer(s)"
          f"{', bidirectional' if tr.bidirectional else ''}", file=sys.stderr)
    return 0
