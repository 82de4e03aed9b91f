"""lstm-viz gradients: how strongly the prediction at step t depends on every earlier input (connectivity).

Writes ‖∂ log p(token_{t+1}) / ∂ x_s‖ for s = 0..t (lstm_viz.core.gradients) as NPZ (``grad_norm``, shape
(t + 1,), with ``distance`` and ``tokens``) or CSV (columns s, distance, token, grad_norm).
"""
from __future__ import annotations

import sys
from pathlib import Path

from lstm_viz.core.errors import InputError

from ._common import add_model_arguments, add_text_arguments, load_model_from_args, read_input


def add_arguments(p) -> None:
    add_model_arguments(p)
    add_text_arguments(p)
    p.add_argument("--at", type=int, required=True, metavar="T",
                   help="the step whose prediction (of token T + 1) is differentiated, from 0")
    p.add_argument("-o", "--output", required=True, metavar="OUT.{npz,csv}", help="where to write the norms")


def run(args) -> int:
    from lstm_viz.core.gradients import connectivity, write_connectivity

    ext = Path(args.output).suffix.lower()
    if ext not in (".npz", ".csv"):  # before loading anything
        raise InputError(f"{args.output}: unknown format {ext or '(no extension)'!r}; use .npz or .csv")
    model = load_model_from_args(args)
    text = read_input(args)
    try:
        result = connectivity(model, text, args.at)
    except InputError as e:
        raise InputError(f"{model.source or model.name}: {e}") from None
    write_connectivity(result, args.output)
    top = int(result.grad_norm.argmax())
    print(f"wrote {args.output}: {len(result.grad_norm)} gradient norms for the prediction of "
          f"{result.target!r} at step {result.at}; largest at distance {int(result.distance[top])}",
          file=sys.stderr)
    return 0
