"""The panels that say what the units mean, as docks of the main window: the units panel (top units per
feature, regex search), search by example (with Shift+drag on the token strip and match), gate saturation and
the cell diagram. All the wiring lives here; the main window calls ``install_panels(window)`` once.

Each panel subscribes to ``window.state`` and runs its core work on the window's Runner (one kind of job per
panel, so a newer request supersedes a running one and closing the window cancels them).
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .compare import install_compare
from .views.diagram_view import DiagramView
from .views.saturation_view import SaturationView
from .views.span_picker import SpanPicker
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


def show_time_range(window, start: int, end: int) -> None:
    """Pan the plots so that timesteps [start, end) are in view, keeping the zoom when they fit."""
    shown = window.stack.visible_time_range()
    width = (shown[1] - shown[0]) if shown else end - start
    width = max(width, end - start + 2)
    left = max(0, (start + end) // 2 - width // 2)
    window.stack.strip.plot.setXRange(left, left + width, padding=0)


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
    window.span_search.jump.connect(lambda a, b: show_time_range(window, a, b))

    docks = {"units": _dock(window, "Units", "units_panel", window.units_panel),
             "span": _dock(window, "By example", "span_search", window.span_search),
             "saturation": _dock(window, "Saturation", "saturation_view", window.saturation_view),
             "diagram": _dock(window, "Cell", "cell_diagram", window.diagram_view)}
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
    install_compare(window)  # other models on the same text, in rows under the plots
    return docks
