"""The main window's saved state: geometry, dock and splitter layout, shown heatmaps, unit order, focus.
Saved with a version number; a different version is ignored rather than half-read."""
from __future__ import annotations

from PySide6 import QtCore

from lstm_viz.core.cells import ALL_QUANTITIES

from .state import ORDERS

SETTINGS_VERSION = 1
FIRST_ORDER = "variance"  # a first run shows rows with structure on top; "by index" is one click away


def _bytes(settings, key: str) -> QtCore.QByteArray:
    return settings.value(key, QtCore.QByteArray(), type=QtCore.QByteArray)


def restore(win) -> None:
    st, state = win.settings, win.state
    state.set_order(FIRST_ORDER)
    if st.value("version", 0, type=int) == SETTINGS_VERSION:
        if not (geometry := _bytes(st, "window/geometry")).isEmpty():
            win.restoreGeometry(geometry)
        if not (layout := _bytes(st, "window/state")).isEmpty():
            win.restoreState(layout, SETTINGS_VERSION)
        if not (splitter := _bytes(st, "window/splitter")).isEmpty():
            win.splitter.restoreState(splitter)
        panels = st.value("view/panels", ",".join(state.panels), type=str)
        state.set_panels([p for p in panels.split(",") if p in ALL_QUANTITIES])
        order = st.value("view/order", state.order, type=str)
        if order in ORDERS:
            state.set_order(order)
        quantity = st.value("view/quantity", "", type=str)  # "": never chosen, the cell's state
        if quantity in ALL_QUANTITIES:  # any cell's: one this cell lacks falls back to h, and returns with it
            state.set_quantity(quantity)
        win.act_hidden.setChecked(st.value("view/show_hidden", False, type=bool))
    win.quantity_box.setCurrentIndex(max(win.quantity_box.findData(state.quantity), 0))
    win.order_box.setCurrentIndex(ORDERS.index(state.order))
    for q, a in win.panel_actions.items():
        old = a.blockSignals(True)
        a.setChecked(q in state.panels)
        a.blockSignals(old)


def save(win) -> None:
    st, state = win.settings, win.state
    st.setValue("version", SETTINGS_VERSION)
    st.setValue("window/geometry", win.saveGeometry())
    st.setValue("window/state", win.saveState(SETTINGS_VERSION))
    st.setValue("window/splitter", win.splitter.saveState())
    st.setValue("view/panels", ",".join(state.panels))
    st.setValue("view/order", state.order)
    st.setValue("view/quantity", state.asked_quantity or "")
    st.setValue("view/show_hidden", state.show_hidden)
    st.sync()


def has_splitter(settings) -> bool:
    return not _bytes(settings, "window/splitter").isEmpty()
