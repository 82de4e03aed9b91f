"""The help page: the gate equations, the views, and a shortcut table made from the window's own actions."""
from __future__ import annotations

from PySide6 import QtGui

from lstm_viz.app.actions import action
from lstm_viz.app.help_page import help_html


def test_help_opens_with_f1_and_lists_every_shortcut(qtbot, window):
    assert window.act_help.shortcut().toString() == "F1"
    window.act_help.trigger()
    html = window.help_dialog.browser.toHtml()
    assert window.help_dialog.isVisible()
    for text in ("f<sub>t</sub>", "Heatmaps", "Inspector", "Go to unit"):
        assert text in help_html(window)
    shortcuts = [a for a in window.findChildren(QtGui.QAction) if not a.shortcut().isEmpty() and a.parent() is window]
    assert len(shortcuts) > 15
    for a in shortcuts:
        keys = a.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText)
        assert keys in html, a.text()
    assert "Alt+Right" in html and "Ctrl+G" in html


def test_the_shortcut_table_cannot_drift(qtbot, window):
    action(window, "Frobnicate the units", lambda: None, "Ctrl+Shift+K")
    html = help_html(window)
    assert "Frobnicate the units" in html and "Ctrl+Shift+K" in html
