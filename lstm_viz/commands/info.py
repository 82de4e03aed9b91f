"""lstm-viz info: what a checkpoint holds."""
from __future__ import annotations

import sys

from ._common import add_model_arguments, load_model_from_args


def add_arguments(p) -> None:
    add_model_arguments(p, optional_checkpoint=False)


def run(args) -> int:
    from lstm_viz.core.errors import ModuleChoiceError

    try:
        model = load_model_from_args(args)
    except ModuleChoiceError as e:  # list the choices one per line, as --module takes them
        print(f"lstm-viz info: {args.checkpoint}: holds {len(e.choices)} LSTMs"
              + (" (one stack that cannot be traced as one model)" if e.chain else "")
              + "; pick one with --module NAME:", file=sys.stderr)
        width = max(len(c) for c in e.choices)
        for name, what in zip(e.choices, e.descriptions or [""] * len(e.choices)):
            print(f"  {name:<{width}}  {what}", file=sys.stderr)
        return 2
    lines = model.describe()
    c = model.config
    if c.reads_backward:
        lines.insert(lines.index(next(ln for ln in lines if ln.startswith("direction:"))) + 1,
                     "reading: right to left (the model reads the text backwards; views keep the text's order)")
    print("\n".join(lines))
    return 0
