"""The coloured text beside its scroll bar, whose range is timesteps (the text lays out only a window of itself,
so a bar in pixels could not say where in a long text the view is)."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .coloured_text import ColouredText


class ColouredTextPane(QtWidgets.QFrame):
    """The coloured text (``text``) beside its scroll bar, whose range is timesteps: dragging it to t shows the
    line of token t at the top. ``viewport()`` and ``verticalScrollBar()`` answer as a QScrollArea's would."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.text = ColouredText()
        self.bar = QtWidgets.QScrollBar(QtCore.Qt.Orientation.Vertical)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        self.bar.setRange(0, 0)
        self.text.scrolled.connect(self._scrolled)
        self.bar.valueChanged.connect(self._bar_moved)
        self._first = 0

    def viewport(self) -> ColouredText:
        return self.text

    def verticalScrollBar(self) -> QtWidgets.QScrollBar:
        return self.bar

    def _scrolled(self, first: int, per_screen: int) -> None:
        bar = self.bar
        self._first = first
        with QtCore.QSignalBlocker(bar):
            bar.setRange(0, max(len(self.text.tokens) - 1, 0))
            bar.setPageStep(max(per_screen, 1))
            bar.setSingleStep(max(per_screen // max(self.text._lines_whole(), 1), 1))
            bar.setValue(first)

    def _bar_moved(self, value: int) -> None:
        self.text.scroll_to_token(value, direction=value - self._first)
