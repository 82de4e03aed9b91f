"""Export… from the panels: what each one shows, written to a file.

The units panel and search by example write their ranked lists (and the matches) as CSV, one row per unit,
best first, with the numbers the panel shows at full precision; the saturation scatter and the cell diagram are
figures (PNG, SVG, PDF) drawn by lstm_viz.figures, the code ``lstm-viz export --view saturation|cell-diagram``
uses. Each asks for a file with a suggested name (export.ask_save_path); a failure is one line in the status bar.
"""
from __future__ import annotations

import csv

from lstm_viz.core.checkpoint import atomic_write

from .export import FIGURE_FILTERS, _run, ask_save_path
from .views.units_panel import ROLE as UNITS_ROLE

CSV = [("CSV table", ".csv")]
RANKED, MATCHES = "CSV: the ranked units", "CSV: the matches"


def _direction(reverse: bool) -> str:
    return "backward" if reverse else "forward"


def _num(v) -> str:
    return "" if v is None else f"{v:.9g}"


def units_rows(panel) -> list[list[str]]:
    """The units panel's table, then its regex list: which list, the feature, where the unit is, r and AUC."""
    from lstm_viz.core.features import FEATURES

    rows = [["list", "feature", "rank", "layer", "direction", "unit", "quantity", "r", "auc"]]
    for name, scores in panel.table.items():
        for k, s in enumerate(scores):
            rows.append(["feature", FEATURES[name].label, str(k + 1), str(s.layer), _direction(s.reverse),
                         str(s.unit), s.quantity, _num(s.r), _num(s.auc)])
    pattern = panel.regex.text()
    for k, item in enumerate(panel.rows(regex=True)):
        s = item.data(UNITS_ROLE)
        rows.append(["regex", f"/{pattern}/", str(k + 1), str(s.layer), _direction(s.reverse), str(s.unit),
                     s.quantity, _num(s.r), _num(s.auc)])
    return rows


def span_rows(panel) -> list[list[str]]:
    """Search by example's ranked units, best first, with the span they were ranked for."""
    start, end = panel.span or (None, None)
    rows = [["rank", "span_start", "span_end", "layer", "direction", "unit", "quantity", "score", "effect",
             "threshold", "cut"]]
    for k, s in enumerate(panel.scores):
        rows.append([str(k + 1), str(start), str(end), str(s.layer), _direction(s.reverse), str(s.unit),
                     s.quantity, _num(s.score), _num(s.effect), _num(s.threshold), _num(s.cut)])
    return rows


def match_rows(panel) -> list[list[str]]:
    """The places where the chosen units switch on together, as listed, with their context."""
    units = " ".join(f"{'b' if s.reverse else ''}{s.layer}:{s.unit}" for s in panel.chosen())
    rows = [["rank", "start", "end", "on", "score", "before", "inside", "after", "units"]]
    for k, m in enumerate(panel.matches):
        rows.append([str(k + 1), str(m.start), str(m.end), _num(m.on), _num(m.score), m.before, m.inside,
                     m.after, units])
    return rows


def write_rows(path, rows: list[list[str]]) -> None:
    def write(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)

    atomic_write(path, write)


def _nothing(window, what: str) -> None:
    window.status_label.setText(f"nothing to export yet: {what}")


def export_units(window) -> None:
    panel = window.units_panel
    if not panel.table and not panel.rows(regex=True):
        return _nothing(window, "the units panel is empty")
    asked = ask_save_path(window, "Export the units panel", CSV, "units.csv")
    if asked:
        rows = units_rows(panel)
        _run(window, lambda: write_rows(asked[0], rows), f"wrote {asked[0]} ({len(rows) - 1} units)",
             "Export units")


def export_span(window) -> None:
    """The ranked units, or (chosen in the dialog) the matches."""
    panel = window.span_search
    if not panel.scores:
        return _nothing(window, "pick a span (Shift+drag on the token strip or the text)")
    filters = [(RANKED, ".csv")] + ([(MATCHES, ".csv")] if panel.matches else [])
    asked = ask_save_path(window, "Export search by example", filters, "by-example.csv")
    if asked:
        path, label = asked
        rows = match_rows(panel) if label == MATCHES else span_rows(panel)
        what = "matches" if label == MATCHES else "units"
        _run(window, lambda: write_rows(path, rows), f"wrote {path} ({len(rows) - 1} {what})", "Export")


def export_saturation(window) -> None:
    s = window.state
    if s.trace is None:
        return _nothing(window, "no analysis")
    asked = ask_save_path(window, "Export gate saturation", FIGURE_FILTERS, "saturation.png")
    if asked:
        from lstm_viz.figures import FigureSpec, export_figure

        trace, path = s.trace, asked[0]
        spec = FigureSpec(view="saturation", layer=s.layer, reverse=s.reverse, units=tuple(s.units) or None)
        _run(window, lambda: export_figure(trace, spec, path), f"wrote {path}", "Export gate saturation")


def export_diagram(window) -> None:
    s, step = window.state, window.diagram_view.step
    if s.trace is None or step is None:
        return _nothing(window, "the cell diagram shows no unit")
    name = f"cell-l{step.layer}{'b' if step.reverse else ''}-u{step.unit}-t{step.t}.png"
    asked = ask_save_path(window, "Export the cell diagram", FIGURE_FILTERS, name)
    if asked:
        from lstm_viz.figures import FigureSpec, export_figure

        trace, path = s.trace, asked[0]
        spec = FigureSpec(view="cell-diagram", layer=step.layer, reverse=step.reverse, units=(step.unit,),
                          diagram=step)
        _run(window, lambda: export_figure(trace, spec, path), f"wrote {path}", "Export the cell diagram")
