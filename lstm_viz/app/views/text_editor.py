"""The "Edit text" tab: a plain-text editor that takes a long text a slice per pass of the event loop.

``QPlainTextEdit.setPlainText`` builds the whole document in one call: 70 ms for 1,000,000 characters on an idle
machine, 130 ms while the analysis runs beside it, and the window does not answer meanwhile. Here the first
slice goes in at once and the rest in slices of CHUNK characters (about 7 ms each), one per pass, with the
editor read-only until the text is whole, so a user never edits half a text. A new text replaces a load still
under way. ``edited`` reports the user's own typing only, never a load.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from lstm_viz.qtcompat import blocked

CHUNK = 65_536  # characters put in per pass of the event loop


class TextEditor(QtWidgets.QPlainTextEdit):
    edited = QtCore.Signal(str)  # the whole text, after the user typed, pasted or deleted

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("Type or paste a text: it is analysed after a short pause.")
        self._text = ""  # the whole text the editor holds, or is being given
        self._at = 0  # characters of _text in the document so far
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._more)
        self.textChanged.connect(self._typed)

    @property
    def loading(self) -> bool:
        return self._at < len(self._text)

    def show_text(self, text: str) -> None:
        """Hold ``text`` (nothing happens when it is already the text held or being loaded)."""
        if text == self._text:
            return
        self._text, self._at = text, min(len(text), CHUNK)
        self.document().setUndoRedoEnabled(False)  # a load is not an edit to undo
        with blocked(self):
            self.setPlainText(text[:self._at])
        if self.loading:
            self.setReadOnly(True)
            self._timer.start()
        else:
            self._done()

    def _more(self) -> None:
        cursor = QtGui.QTextCursor(self.document())
        cursor.movePosition(QtGui.QTextCursor.MoveOperation.End)
        end = min(len(self._text), self._at + CHUNK)
        with blocked(self):
            cursor.insertText(self._text[self._at:end])
        self._at = end
        if not self.loading:
            self._done()

    def _done(self) -> None:
        self._timer.stop()
        self.setReadOnly(False)
        self.document().setUndoRedoEnabled(True)

    def _typed(self) -> None:
        if self.loading:  # cannot happen while read-only, but a load is never reported as an edit
            return
        text = self.toPlainText()
        self._text, self._at = text, len(text)
        self.edited.emit(text)
