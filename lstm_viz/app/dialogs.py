"""Small dialogs: model information, and the questions foreign checkpoints raise (which LSTM, which vocab,
whether to trust a pickled module). File dialogs go through module-level functions so tests can patch them."""
from __future__ import annotations

import re

from PySide6 import QtGui, QtWidgets

CHECKPOINT_FILTER = "PyTorch checkpoints (*.pt *.pth *.bin *.ckpt *.tar);;All files (*)"
TEXT_FILTER = "Text files (*.txt *.py *.md *.csv *.json);;All files (*)"


def open_file(parent, caption: str, directory: str, filter_: str) -> str:
    return QtWidgets.QFileDialog.getOpenFileName(parent, caption, directory, filter_)[0]


def save_file(parent, caption: str, directory: str, filter_: str) -> str:
    return QtWidgets.QFileDialog.getSaveFileName(parent, caption, directory, filter_)[0]


def ask_trust(parent, path: str) -> bool:
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Warning)
    box.setWindowTitle("Trust this file?")
    box.setText(f"{path} holds a whole pickled Python model.")
    box.setInformativeText("Loading it runs code stored in the file. Only continue if you trust where it came "
                           "from. (Saving the model's state_dict instead avoids this question.)")
    trust = box.addButton("Load and trust it", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is trust


def module_choices(message: str) -> list[str]:
    """The LSTM names listed by the loader's "holds N LSTMs: 'a' (...); 'b' (...)" message."""
    if "pick one with --module" not in message:
        return []
    listed = message.split("LSTMs:", 1)[-1].split("; pick one", 1)[0]
    return re.findall(r"'([^']+)' \(", listed)


def ask_module(parent, path: str, names: list[str]) -> str | None:
    name, ok = QtWidgets.QInputDialog.getItem(parent, "Which LSTM?", f"{path} holds several LSTMs. Show:",
                                              names, 0, False)
    return name if ok else None


def ask_vocab(parent, path: str, size: int, directory: str) -> str:
    answer = QtWidgets.QMessageBox.question(
        parent, "No vocab in the file",
        f"{path} has no vocab, so text cannot be read yet. Choose a vocab file with {size} tokens "
        "(a JSON list, or one token per line)?")
    if answer != QtWidgets.QMessageBox.StandardButton.Yes:
        return ""
    return open_file(parent, "Choose a vocab file", directory, "Vocab files (*.json *.txt);;All files (*)")


def error(parent, title: str, message: str) -> None:
    QtWidgets.QMessageBox.warning(parent, title, message)


class ModelInfoDialog(QtWidgets.QDialog):
    def __init__(self, lines: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Model information")
        text = QtWidgets.QPlainTextEdit("\n".join(lines))
        text.setReadOnly(True)
        text.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(text)
        lay.addWidget(buttons)
        self.resize(560, 380)
