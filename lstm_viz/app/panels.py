"""The panels that say what the units mean, as docks of the main window: the units panel (top units per
feature, regex search), search by example (with Shift+drag on the token strip or the coloured text, and
match), gate saturation and the cell diagram, each with an Export… button; and the All layers view (depth.py).
All the wiring lives here; the main window calls ``install_panels(window)`` once.

Each panel subscribes to ``window.state`` and runs its core work on the window's Runner (one kind of job per
panel, so a newer request supersedes a running one and closing the window cancels them).
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .compare import install_compare
from .depth import install_depth
from .views.diagram_view import DiagramView
from .views.saturation_view import SaturationView
from .views.span_picker import SpanPicker, TextSpanPicker
from .views.span_search import SpanSearch
from .views.units_panel import UnitsPanel


MENU_TEXT = {"units": "Units per feature", "span": "Search by example", "saturation": "Gate saturation",
             "diagram": "Cell diagram"}
PANEL_WIDTH = 400  # pixels: the plots keep most of the window


def _dock(window, title: str, name: str, widget) -> QtWidgets.QDockWidget:
    dock = QtWidgets.QDockWidget(title, window)
    dock.setObjectName(name)  # saved and restored with the window's layout
    widget.setMinimumWidth(240)
    scroll = QtWidgets.QScrollArea()  # a short window may squeeze the panel: it scrolls instead
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    scroll.setWidget(widget)
    dock.setWidget(scroll)
    dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable
                     | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    return dock


EXPORT_TIPS = {"units": "CSV of the units listed here, per feature and for the regex",
               "span": "CSV of the ranked units, or of the matches",
               "saturation": "PNG, SVG or PDF of the saturation scatters",
               "diagram": "PNG, SVG or PDF of the cell diagram shown"}


def _with_export(window, name: str, widget) -> QtWidgets.QWidget:
    """``widget`` with an Export… button under it, writing what the panel shows (panel_export)."""
    def export() -> None:  # panel_export (and torch, through the checkpoint writer) is imported on first use
        from . import panel_export

        {"units": panel_export.export_units, "span": panel_export.export_span,
         "saturation": panel_export.export_saturation, "diagram": panel_export.export_diagram}[name](window)

    button = QtWidgets.QPushButton("Export…")
    button.setToolTip(EXPORT_TIPS[name])
    button.clicked.connect(export)
    window.export_buttons[name] = button
    box = QtWidgets.QWidget()
    lay = QtWidgets.QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(0)
    lay.addWidget(widget, 1)
    row = QtWidgets.QHBoxLayout()
    row.setContentsMargins(4, 0, 4, 4)
    row.addStretch(1)
    row.addWidget(button)
    lay.addLayout(row)
    return box


def show_time_range(window, start: int, end: int) -> None:
    """Pan the plots so that timesteps [start, end) are in view, keeping the zoom when they fit."""
    shown = window.stack.visible_time_range()
    width = (shown[1] - shown[0]) if shown else end - start
    width = max(width, end - start + 2)
    left = max(0, (start + end) // 2 - width // 2)
    window.stack.strip.plot.setXRange(left, left + width, padding=0)


def _follow_view(window) -> None:
    """The toolbar's Layer and Direction boxes follow the state when a panel changes them (a click on a unit
    of another layer in the units panel, the saturation plots or the All layers view)."""
    from lstm_viz.qtcompat import blocked

    def sync() -> None:
        s = window.state
        with blocked(window.layer_box, window.direction_box):
            if window.layer_box.count() > s.layer:
                window.layer_box.setCurrentIndex(s.layer)
            window.direction_box.setCurrentIndex(int(s.reverse))

    window.state.view_changed.connect(sync)


def _view_menu(window) -> QtWidgets.QMenu | None:
    for a in window.menuBar().actions():
        if a.menu() is not None and a.text().replace("&", "") == "View":
            return a.menu()
    return None


def install_panels(window) -> dict[str, QtWidgets.QDockWidget]:
    """Create the four panels as docks tabified on the right under the inspector, connect them to the
    window's state and plots, and add a View-menu toggle for each. Returns {name: dock}."""
    state, runner = window.state, window.session.runner
    window.units_panel = UnitsPanel(state, runner)
    window.span_search = SpanSearch(state, runner)
    window.saturation_view = SaturationView(state, runner)
    window.diagram_view = DiagramView(state, runner)
    window.span_picker = SpanPicker(window.stack.strip, window)
    window.span_picker.picked.connect(window.span_search.set_span)
    window.span_picker.picked.connect(lambda *_: window.span_dock.raise_())
    window.span_search.span_changed.connect(window.span_picker.show_span)
    window.text_span_picker = TextSpanPicker(window.coloured, window)  # the same gesture on the coloured text
    window.text_span_picker.picked.connect(window.span_search.set_span)
    window.text_span_picker.picked.connect(lambda *_: window.span_dock.raise_())
    window.span_search.span_changed.connect(window.text_span_picker.show_span)
    window.span_search.jump.connect(lambda a, b: show_time_range(window, a, b))

    window.export_buttons = {}
    docks = {"units": _dock(window, "Units", "units_panel", _with_export(window, "units", window.units_panel)),
             "span": _dock(window, "By example", "span_search", _with_export(window, "span", window.span_search)),
             "saturation": _dock(window, "Saturation", "saturation_view",
                                 _with_export(window, "saturation", window.saturation_view)),
             "diagram": _dock(window, "Cell", "cell_diagram", _with_export(window, "diagram", window.diagram_view))}
    right = QtCore.Qt.DockWidgetArea.RightDockWidgetArea
    first = docks["units"]
    window.addDockWidget(right, first)
    window.splitDockWidget(window.inspector_dock, first, QtCore.Qt.Orientation.Vertical)
    for name in ("span", "saturation", "diagram"):
        window.tabifyDockWidget(first, docks[name])
    first.raise_()
    # A dock behind another tab stays "visible" to Qt (moved off screen): its tab being current is what counts.
    for name, view in (("saturation", window.saturation_view), ("diagram", window.diagram_view)):
        docks[name].visibilityChanged.connect(view.set_shown)
    window.resizeDocks([window.inspector_dock], [PANEL_WIDTH], QtCore.Qt.Orientation.Horizontal)
    window.span_dock = docks["span"]
    window.panel_docks = docks

    menu = _view_menu(window)
    if menu is not None:
        menu.addSeparator()
        for name, dock in docks.items():
            action = dock.toggleViewAction()
            action.setText(MENU_TEXT[name])  # the tabs are short; the menu says what each is
            menu.addAction(action)
    _follow_view(window)
    install_depth(window)  # every layer and direction at once, below the plots
    from .lab_panels import install_lab  # it builds its docks with this module's _dock

    install_lab(window)  # the long-range lab
    install_compare(window)  # other models on the same text, in rows under the plots
    return docks
