"""lstm-viz trace: every gate, cell and hidden state of a text, saved as NPZ."""
from __future__ import annotations

import sys

from ._common import add_model_arguments, add_text_arguments, load_model_from_args, read_input


def add_arguments(p) -> None:
    add_model_arguments(p)
    add_text_arguments(p, inputs=True)
    p.add_argument("-o", "--output", required=True, metavar="OUT.npz", help="where to write the trace")


def run(args) -> int:
    from lstm_viz.core.trace import trace

    model = load_model_from_args(args)
    x = read_input(args)
    tr = trace(model, x)
    tr.save_npz(args.output)
    if tr.unknown:
        print(f"lstm-viz trace: {len(tr.unknown)} tokens not in the vocab were read as the unknown token",
              file=sys.stderr)
    print(f"wrote {args.output}: {len(tr)} timesteps, {tr.num_layers} layer(s)"
          f"{', bidirectional' if tr.bidirectional else ''}", file=sys.stderr)
    return 0
