"""The All layers view in the main window: a dock below the plots (hidden until asked for) holding the
DepthView, its View-menu toggle (Ctrl+Shift+L) and its Export… button. ``install_depth(window)`` is called once,
from panels.install_panels."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lstm_viz.qtcompat import blocked

from .actions import action
from .views.depth_view import DepthView

SHORTCUT = "Ctrl+Shift+L"


def show_depth(window, on: bool = True) -> None:
    """Open (or close) the All layers dock."""
    window.depth_dock.setVisible(on)
    if on:
        window.depth_dock.raise_()


def install_depth(window) -> QtWidgets.QDockWidget:
    view = DepthView(window.state, window.stack.strip.plot, fetcher=window.stack.fetcher)
    dock = QtWidgets.QDockWidget("All layers", window)
    dock.setObjectName("all_layers")  # saved and restored with the window's layout
    dock.setWidget(view)
    dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable
                     | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    # The right-hand docks reach down to the bottom, so this one sits under the plots alone, as wide as they
    # are: its rows' timesteps line up with theirs.
    window.setCorner(QtCore.Qt.Corner.BottomRightCorner, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()  # a mode the user asks for: the plots keep the room until then
    window.depth_view, window.depth_dock = view, dock

    def inspect(layer, reverse, t, unit):  # a row of another layer than the main view's, under the mouse
        window.inspector.show_cell(window.state.trace, layer, reverse, t, unit)

    def export():
        from .export import export_depth

        export_depth(window)

    view.inspect.connect(inspect)
    view.export_requested.connect(export)
    window.act_depth = action(window, "All layers", lambda on: show_depth(window, on), SHORTCUT,
                              "One quantity (the Focus) of every layer and direction, stacked on the time axis",
                              checkable=True)

    def visible(on: bool) -> None:
        view.set_shown(on)
        with blocked(window.act_depth):
            window.act_depth.setChecked(not dock.isHidden())

    dock.visibilityChanged.connect(visible)
    window.addAction(window.act_depth)  # the shortcut works wherever the focus is
    from .panels import _view_menu  # panels calls install_depth: imported here, not at the top

    menu = _view_menu(window)
    if menu is not None:
        menu.addAction(window.act_depth)
    return dock

