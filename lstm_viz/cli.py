"""The command line: ``lstm-viz [CHECKPOINT [TEXT_FILE]]`` opens the app; subcommands work headless.

    lstm-viz trace   [CHECKPOINT] (--text T | --text-file F | --inputs F.npy) -o OUT.npz
    lstm-viz info    CHECKPOINT
    lstm-viz train   (CORPUS_FILE... | --corpus NAME) -o OUT.pt [...]
    lstm-viz export  [CHECKPOINT] (--text T | --text-file F) --view VIEW -o OUT.{png,svg,pdf,csv}
    lstm-viz units   [CHECKPOINT] (--text T | --text-file F) (--regex R | --feature NAME | --span S:E)
    lstm-viz gradients [CHECKPOINT] (--text T | --text-file F) --at t -o OUT.{npz,csv}
    lstm-viz lab     long-range [--gaps 5,10,20,50,100,200] [--cells rnn,gru,lstm] -o OUT_DIR

Each subcommand lives in lstm_viz/commands/<name>.py with ``add_arguments(parser)`` and ``run(args) -> int``.
Bad input ends with one line on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from lstm_viz import __version__

SUBCOMMANDS = {
    "trace": "run the model over a text and save every gate, cell and hidden state (NPZ)",
    "info": "describe what a checkpoint holds",
    "train": "train a character-level LSTM on text files or a built-in corpus",
    "export": "render a figure (PNG, SVG, PDF) or the data (CSV) without a display",
    "units": "find the units that follow a feature of the text, a regex, or an example span",
    "gradients": "how strongly the prediction at step t depends on each earlier input (gradient norms)",
    "lab": "experiments: 'long-range' trains rnn, gru and lstm on long-copy and measures recall against the gap",
}


def _command(name: str):
    return importlib.import_module(f"lstm_viz.commands.{name}")


def build_parser(name: str) -> argparse.ArgumentParser:
    if name == "gui":
        p = argparse.ArgumentParser(
            prog="lstm-viz", description="Open the lstm_viz window. Subcommands: "
            + "; ".join(f"{k}: {v}" for k, v in SUBCOMMANDS.items()) + ". See 'lstm-viz SUBCOMMAND --help'.")
        p.add_argument("--version", action="version", version=f"lstm-viz {__version__}")
    else:
        p = argparse.ArgumentParser(prog=f"lstm-viz {name}", description=SUBCOMMANDS[name])
    _command(name).add_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    name = argv[0] if argv and argv[0] in SUBCOMMANDS else "gui"
    args = build_parser(name).parse_args(argv[1:] if name != "gui" else argv)
    from lstm_viz.core.errors import LstmVizError

    try:
        return int(_command(name).run(args) or 0)
    except LstmVizError as e:
        print(f"lstm-viz {name}: error: {e}" if name != "gui" else f"lstm-viz: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lstm-viz: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
