"""lstm-viz export: a figure (PNG, SVG, PDF) or the data (CSV, NPZ) of a text, without a display.

The format comes from the output's extension. Figures are drawn by lstm_viz.figures, the same code as the
app's File > Export; CSV and NPZ need no Qt at all (lstm_viz.core.export_data).
"""
from __future__ import annotations

import sys
from pathlib import Path

from lstm_viz.core.cells import ALL_QUANTITIES, cell_type
from lstm_viz.core.errors import InputError
from lstm_viz.look import SHORT, quantity_name, state_quantity

from ._common import add_model_arguments, add_text_arguments, load_model_from_args, read_input

QUANTITY_NAMES = {**SHORT, **{q: q for q in ALL_QUANTITIES}}  # "forget", "forget_gate", "reset", ... of any cell
VIEWS = (*QUANTITY_NAMES, "traces", "text", "dashboard", "saturation", "cell-diagram", "depth")
FIGURES = (".png", ".svg", ".pdf")
DATA = (".csv", ".npz")


def add_arguments(p) -> None:
    add_model_arguments(p)
    add_text_arguments(p)
    p.add_argument("--view", choices=VIEWS, default="dashboard", metavar="VIEW",
                   help="what to draw: a quantity of the model's cell as a heatmap (an LSTM's forget, input, output, "
                   "candidate, cell, hidden; a GRU's reset, update, new, hidden; full names such as forget_gate "
                   "too), 'traces' (line plots of a few units), 'text' (the text coloured by one unit), "
                   "'saturation', 'cell-diagram', 'depth' (the --quantity of every layer and direction, stacked) or "
                   "'dashboard' (default). For CSV: the quantity to write")
    p.add_argument("--quantity", choices=tuple(QUANTITY_NAMES), default=None, metavar="QUANTITY",
                   help="what the traces, text, depth and dashboard views show (default: the cell state, or the hidden "
                   "state of a cell without one, such as a GRU)")
    p.add_argument("--layer", type=int, default=0, metavar="L", help="layer, from 0 (default 0)")
    p.add_argument("--reverse", action="store_true", help="the backward direction of a bidirectional LSTM")
    p.add_argument("--units", metavar="0,5,7", help="units to show, e.g. 0,5,7 or 2-6 (default: all units "
                   "for heatmaps and data, the five that vary most for traces, one for text)")
    p.add_argument("--range", dest="time_range", metavar="START:END",
                   help="timesteps START (inclusive) to END (exclusive); either may be left out")
    p.add_argument("--step", type=int, metavar="T", help="cell-diagram (the model's own cell: LSTM, GRU, RNN, "
                   "peephole, CIFG): the timestep (default: the last of the range); the unit is the first of --units "
                   "(default 0)")
    p.add_argument("--title", help="the figure's title (default: model name, quantity, layer, direction)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--dpi", type=float, default=300, metavar="N", help="PNG resolution (default 300)")
    size.add_argument("--scale", type=float, metavar="S", help="PNG size as a multiple of the figure's "
                      "on-screen size (1 = 96 dpi); instead of --dpi")
    p.add_argument("-o", "--output", required=True, metavar="OUT.{png,svg,pdf,csv,npz}",
                   help="where to write; the format comes from the extension")


def _output_format(path: str) -> str:
    ext = Path(path).suffix.lower()
    if ext not in FIGURES + DATA:
        raise InputError(f"{path}: unknown format {ext or '(no extension)'!r}; use .png, .svg, .pdf, .csv "
                         "or .npz")
    folder = Path(path).parent
    if not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist")
    return ext


def run(args) -> int:
    from lstm_viz.core.export_data import parse_range, parse_units, validate_selection, write_csv, write_npz
    from lstm_viz.core.trace import trace

    fmt = _output_format(args.output)  # before any slow work
    units = parse_units(args.units) if args.units is not None else None
    time_range = parse_range(args.time_range) if args.time_range is not None else None
    asked = QUANTITY_NAMES.get(args.view, args.quantity and quantity_name(args.quantity))
    if fmt in FIGURES:
        from lstm_viz.figures import resolution

        resolution(args.dpi, args.scale)
    model = load_model_from_args(args)
    cell = cell_type(model.config.cell)
    # before the text is read: a quantity this cell lacks (a GRU's forget gate) is one line naming what it has
    quantity = cell.check(asked) if asked else state_quantity(cell)
    tr = trace(model, read_input(args))
    sel = validate_selection(tr, quantity, args.layer, args.reverse, units, time_range)
    time_range = (sel.start, sel.end)
    if fmt == ".csv":
        write_csv(tr, args.output, quantity, args.layer, args.reverse, units, time_range)
    elif fmt == ".npz":
        write_npz(tr, args.output, units, time_range)
    else:
        _figure(tr, args, units, time_range, _diagram(model, tr, args, units, sel) if args.view == "cell-diagram"
                else None)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _diagram(model, tr, args, units, sel):
    from lstm_viz.core.diagram import cell_step

    step = sel.end - 1 if args.step is None else args.step
    return cell_step(model, tr, step, units[0] if units else 0, args.layer, args.reverse)


def _figure(tr, args, units, time_range, diagram=None) -> None:
    from lstm_viz.figures import FigureSpec, export_figure, headless_app

    spec = FigureSpec(args.view, layer=args.layer, reverse=args.reverse, units=units, time_range=time_range,
                      quantity=args.quantity and quantity_name(args.quantity), title=args.title, diagram=diagram)
    with headless_app():
        export_figure(tr, spec, args.output, dpi=args.dpi, scale=args.scale)
