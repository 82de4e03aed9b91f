"""lstm-viz info: what a checkpoint holds."""
from __future__ import annotations

from ._common import add_model_arguments, load_model_from_args


def add_arguments(p) -> None:
    add_model_arguments(p, optional_checkpoint=False)


def run(args) -> int:
    model = load_model_from_args(args)
    print("\n".join(model.describe()))
    return 0
