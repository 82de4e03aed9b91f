"""lstm-viz units: find the units that follow a feature of the text, a regex, or an example span (headless).

    lstm-viz units [CHECKPOINT] (--text T | --text-file F) (--regex R | --feature NAME | --span S:E)
                   [--quantity cell] [--layer L] [--reverse] [--top K] [--threshold X] [--by r|auc] [--json]

Searches every layer and direction unless --layer / --reverse narrow it. The numbers come from
lstm_viz.core.search; --json prints a list, best first, of objects with layer, direction, unit, quantity and
r (and auc for a yes/no feature) or score (and effect) for a span.
"""
from __future__ import annotations

import json
import re
import sys

from lstm_viz.core.cells import cell_type
from lstm_viz.core.errors import InputError
from lstm_viz.look import quantity_name, state_quantity

from ._common import add_model_arguments, add_text_arguments, load_model_from_args, read_input


def add_arguments(p) -> None:
    from lstm_viz.core.features import FEATURES

    add_model_arguments(p)
    add_text_arguments(p)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--regex", metavar="R", help="tokens inside each match of this Python regex are 1, the "
                      "others 0: rank units by correlation with that")
    what.add_argument("--feature", choices=tuple(FEATURES), metavar="NAME",
                      help="a built-in feature: " + "; ".join(f"{k} ({v.label})" for k, v in FEATURES.items()))
    what.add_argument("--span", metavar="S:E", help="timesteps S (inclusive) to E (exclusive): rank units by how "
                      "well they are on inside and off just before and after (for characters, S:E are offsets)")
    p.add_argument("--quantity", default=None, help="what to search: any quantity of the model's cell (an LSTM's "
                   "cell, hidden, candidate, input, forget, output; a GRU's hidden, reset, update, new; full names "
                   "such as forget_gate too). Default: the cell state, or the hidden state of a cell without one")
    p.add_argument("--layer", type=int, metavar="L", help="only this layer (default: every layer)")
    p.add_argument("--reverse", action="store_true", help="only the backward direction of a bidirectional LSTM "
                   "(default: every direction)")
    p.add_argument("--top", type=int, default=10, metavar="K", help="how many units to list (default 10)")
    p.add_argument("--threshold", type=float, metavar="X", help="--span: a unit is on when its value is >= X "
                   "(or <= -X), as in LSTMVis (default: above or below its own mean over the text)")
    p.add_argument("--by", choices=("r", "auc"), default="r", help="rank by |r| (default) or, for a yes/no "
                   "feature, by |AUC - 0.5|")
    p.add_argument("--json", action="store_true", help="print a JSON list, best first")


def parse_span(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", text or "")
    if not m:
        raise InputError(f"span {text!r} is not S:E (timesteps, e.g. 120:140)")
    start, end = int(m.group(1)), int(m.group(2))
    if end <= start:
        raise InputError(f"span {text.strip()} is empty: E must be larger than S")
    return start, end


def run(args) -> int:
    from lstm_viz.core.trace import trace
    from lstm_viz.core.vocab import display_token

    if args.top < 1:
        raise InputError(f"--top must be at least 1, not {args.top}")
    span = parse_span(args.span) if args.span is not None else None
    if args.regex is not None:
        try:
            re.compile(args.regex)
        except re.error as e:
            raise InputError(f"regex {args.regex!r} does not compile: {e}") from None
    asked = quantity_name(args.quantity) if args.quantity is not None else None
    text = read_input(args)
    model = load_model_from_args(args)
    cell = cell_type(model.config.cell)
    quantity = cell.check(asked) if asked else state_quantity(cell)  # a GRU has no forget gate: one line
    tr = trace(model, text)
    directions = [True] if args.reverse else None
    if span is not None:
        rows = _span_rows(tr, span, quantity, args, directions)
        shown = "".join(display_token(t) for t in tr.tokens[span[0]:span[1]])  # the search checked the span
        what = f"span {span[0]}:{span[1]} ({shown[:60]})"
    else:
        rows = _feature_rows(tr, text, quantity, args, directions)
        what = f"regex {args.regex!r}" if args.regex is not None else f"feature {args.feature}"
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        _print_table(rows, what, quantity)
    return 0


def _feature_rows(tr, text: str, quantity: str, args, directions) -> list[dict]:
    from lstm_viz.core.features import regex_feature, token_features
    from lstm_viz.core.search import search_feature

    if args.regex is not None:
        y = regex_feature(text, args.regex, tr.tokens)
    else:
        y = token_features(text, tr.tokens, [args.feature])[args.feature]
    hits = search_feature(tr, y, quantity, args.layer, directions, k=args.top, by=args.by)
    rows = []
    for h in hits:
        row = {"layer": h.layer, "direction": h.direction, "unit": h.unit, "quantity": h.quantity,
               "r": round(h.r, 6)}
        if h.auc is not None:
            row["auc"] = round(h.auc, 6)
        rows.append(row)
    return rows


def _span_rows(tr, span, quantity: str, args, directions) -> list[dict]:
    from lstm_viz.core.search import search_span

    hits = search_span(tr, *span, quantity=quantity, layers=args.layer, directions=directions,
                       threshold=args.threshold, k=args.top)
    return [{"layer": h.layer, "direction": h.direction, "unit": h.unit, "quantity": h.quantity,
             "score": round(h.score, 6), "effect": round(h.effect, 6)} for h in hits]


def _print_table(rows: list[dict], what: str, quantity: str) -> None:
    print(f"{quantity} units that follow {what}, best first:", file=sys.stderr)
    for k, row in enumerate(rows, 1):
        where = f"layer {row['layer']}{' backward' if row['direction'] == 'backward' else ''}"
        if "r" in row:
            extra = f"  AUC = {row['auc']:.3f}" if "auc" in row else ""
            print(f"{k:3}. {where}  unit {row['unit']:4}  r = {row['r']:+.3f}{extra}")
        else:
            print(f"{k:3}. {where}  unit {row['unit']:4}  score = {row['score']:+.3f}  effect = {row['effect']:+.2f}")
