"""Publication figures of a trace (PNG, SVG, PDF), built offscreen with Qt and pyqtgraph.

    from lstm_viz.figures import FigureSpec, export_figure
    export_figure(trace, FigureSpec("forget", units=(0, 5, 7), time_range=(0, 80)), "forget.pdf")

Views: any quantity of the trace's cell as a heatmap (an LSTM's "forget", "input", "output", "candidate", "cell",
"hidden"; a GRU's "reset", "update", "new", "hidden"; full names such as "forget_gate" too),
"traces" (line plots of a few units), "text" (the text coloured by one unit), "dashboard" (all of them),
"saturation", "cell-diagram" and "depth" (one quantity of every layer and direction, stacked).
"""
import lstm_viz.qtcompat  # noqa: F401  (PySide6 reference-count work-around, before any Qt call)

from .compose import VIEWS, Figure, FigureSpec, build_figure
from .qt import ensure_app, headless_app
from .render import FORMATS, LOGICAL_DPI, export_figure, figure_format, resolution

__all__ = ["FORMATS", "LOGICAL_DPI", "VIEWS", "Figure", "FigureSpec", "build_figure", "ensure_app",
           "export_figure", "figure_format", "headless_app", "resolution"]
