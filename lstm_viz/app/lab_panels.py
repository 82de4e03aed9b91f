"""The long-range lab in the main window: a "Long range" dock (connectivity at the selected step above the
constant error carousel of the selected units) and Tools ▸ Long-range lab…. All the wiring lives here;
``panels.install_panels`` calls ``install_lab(window)`` once, after the other panels exist.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from . import actions
from .panels import _dock, _view_menu
from .views.carousel_view import CarouselView
from .views.connectivity_view import ConnectivityView

DOCK_MENU_TEXT = "Connectivity and carousel"
LAB_TEXT = "Long-range lab…"


def _menu(window, text: str) -> QtWidgets.QMenu:
    """The menu-bar menu called ``text`` (ignoring &), made before Help when there is none."""
    bar = window.menuBar()
    for a in bar.actions():
        if a.menu() is not None and a.text().replace("&", "") == text:
            return a.menu()
    menu = QtWidgets.QMenu(f"&{text}", bar)
    help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
    if help_action is not None:
        bar.insertMenu(help_action, menu)
    else:
        bar.addMenu(menu)
    return menu


def show_lab_dialog(window):
    """Show the lab dialog (one per window, kept between showings: its last result stays)."""
    from .lab_dialog import LabDialog

    if getattr(window, "lab_dialog", None) is None:
        window.lab_dialog = LabDialog(window.session.runner, window)
    window.lab_dialog.show()
    window.lab_dialog.raise_()
    return window.lab_dialog


def connectivity_at_t(window) -> None:
    """Show the dock and compute the connectivity at the selected step now."""
    window.long_range_dock.show()
    window.long_range_dock.raise_()
    window.connectivity_view.refresh(force=True)


def install_lab(window) -> QtWidgets.QDockWidget:
    """Create the Long range dock (tabified with the units panels) and the Tools menu's entries."""
    state, runner = window.state, window.session.runner
    window.connectivity_view = ConnectivityView(state, runner)
    window.carousel_view = CarouselView(state, runner)
    split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
    split.addWidget(window.connectivity_view)
    split.addWidget(window.carousel_view)
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 2)
    dock = _dock(window, "Long range", "long_range", split)
    first = getattr(window, "panel_docks", {}).get("units")
    if first is not None:
        window.tabifyDockWidget(first, dock)
        first.raise_()
    else:
        window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    for view in (window.connectivity_view, window.carousel_view):
        dock.visibilityChanged.connect(view.set_shown)
    window.long_range_dock = dock

    view_menu = _view_menu(window)
    if view_menu is not None:
        toggle = dock.toggleViewAction()
        toggle.setText(DOCK_MENU_TEXT)
        view_menu.addAction(toggle)
    tools = _menu(window, "Tools")
    window.act_lab = actions.action(window, LAB_TEXT, lambda: show_lab_dialog(window), None,
                                    "Train rnn, gru and lstm on long-copy lines: recall and gradient against the gap")
    window.act_connectivity = actions.action(window, "Connectivity at t", lambda: connectivity_at_t(window), None,
                                             "How strongly the prediction at the selected step depends on every "
                                             "earlier token")
    tools.addActions([window.act_connectivity, window.act_lab])
    return dock
