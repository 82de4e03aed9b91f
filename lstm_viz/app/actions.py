"""Every action of the main window, built in one place with keyword arguments (text, shortcut, tip, slot).
The help page lists the shortcuts from here, so the two cannot drift apart."""
from __future__ import annotations

from PySide6 import QtGui

from . import style


def action(win, text, slot=None, shortcut=None, tip=None, checkable=False, checked=False) -> QtGui.QAction:
    a = QtGui.QAction(text, win)
    if shortcut:
        a.setShortcut(QtGui.QKeySequence(shortcut))
    if tip:
        a.setToolTip(tip)
        a.setStatusTip(tip)
    if checkable:
        a.setCheckable(True)
        a.setChecked(checked)
    if slot is not None:
        (a.toggled if checkable else a.triggered).connect(slot)
    return a


def build_actions(win) -> None:
    """Set the window's act_* attributes and ``panel_actions`` (one checkable action per heatmap of the cell
    shown; the window rebuilds them with ``panel_actions`` when a cell with other quantities arrives)."""
    def A(*args, **kwargs):
        return action(win, *args, **kwargs)

    K = QtGui.QKeySequence.StandardKey
    win.act_open = A("&Open checkpoint…", win.open_checkpoint_dialog, K.Open, "Open a PyTorch checkpoint (LSTM, GRU, RNN, ...)")
    win.act_open_text = A("Open &text…", win.open_text_dialog, "Ctrl+Shift+O", "Read a UTF-8 text file")
    win.act_demo = A("Open the &demo", win.open_demo, None, "The bundled demo model and text")
    win.act_info = A("Model &info…", win.show_model_info, "Ctrl+I", "What the loaded checkpoint holds")
    win.act_export_fig = A("Export &figure…", win.export_figure, "Ctrl+E", "PNG, SVG or PDF of the current view")
    win.act_export_data = A("Export &data…", win.export_data, "Ctrl+Shift+E",
                            "CSV of the focus quantity, or NPZ of everything, for the current view")
    win.act_quit = A("&Quit", win.close, K.Quit)
    win.act_train = A("&Train a model…", win.show_train_dialog, "Ctrl+T", "Train a small LSTM, GRU or RNN on a corpus")
    win.act_analyse = A("&Analyse now", win.session.analyse, "Ctrl+Return", "Re-run the analysis")
    win.act_cancel = A("&Cancel", win.session.cancel, "Esc", "Stop the running open or analysis")
    win.act_reset = A("&Reset zoom", lambda: win.stack.reset_zoom(), "Ctrl+0", "Readable tokens from the start, every unit")
    win.act_all = A("Show &whole text", lambda: win.stack.show_whole_text(), "Ctrl+9",
                    "Zoom out to the whole text")
    win.act_goto = A("&Go to unit…", win.focus_unit_field, "Ctrl+G", "Type a unit number to select it")
    win.act_next_step = A("Next timestep", lambda: win.step_time(1), "Alt+Right")
    win.act_prev_step = A("Previous timestep", lambda: win.step_time(-1), "Alt+Left")
    win.act_next_unit = A("Next unit (row below)", lambda: win.step_unit(1), "Alt+Down")
    win.act_prev_unit = A("Previous unit (row above)", lambda: win.step_unit(-1), "Alt+Up")
    win.act_hidden = A("Traces: also h_t", win.state.set_show_hidden, "H",
                       "Draw the hidden state of the selected units (dashed) beside c_t", checkable=True)
    win.panel_actions = panel_actions(win, win.state.quantities)
    win.act_help = A("lstm_viz &help", win.show_help, K.HelpContents, "Gate equations, the views, the shortcuts")
    win.act_about = A("&About lstm_viz", win.about)


def panel_actions(win, quantities) -> dict:
    """One checkable action per quantity of the cell shown, toggling its heatmap, on the keys 1, 2, 3, ..."""
    actions = {}
    for k, q in enumerate(quantities):
        a = action(win, style.LABELS[q], lambda on, q=q: win.toggle_panel(q, on), f"{k + 1}",
                   f"Show the {style.LABELS[q]} heatmap", checkable=True, checked=q in win.state.panels)
        a.setIconText(style.SYMBOL[q])
        actions[q] = a
    return actions


def shortcut_rows(win) -> list[tuple[str, str]]:
    """(what, keys) for every action of ``win`` that has a shortcut, in the order they were built."""
    rows = []
    for a in win.findChildren(QtGui.QAction):
        keys = a.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText)
        if keys and a.parent() is win:
            rows.append((a.text().replace("&", "").rstrip("…"), keys))
    return rows
