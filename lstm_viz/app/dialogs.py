"""Small dialogs: model information, and the questions foreign checkpoints raise (which LSTM, which vocab,
whether to trust a pickled module). File dialogs go through module-level functions so tests can patch them."""
from __future__ import annotations

import re

from PySide6 import QtWidgets

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
        f"{path} has no vocab, so it cannot read text yet. Choose a vocab file with {size} tokens "
        "(a JSON list, or one token per line)? Without one the file is not opened.")
    if answer != QtWidgets.QMessageBox.StandardButton.Yes:
        return ""
    return open_file(parent, "Choose a vocab file", directory, "Vocab files (*.json *.txt);;All files (*)")


def error(parent, title: str, message: str) -> None:
    QtWidgets.QMessageBox.warning(parent, title, message)


def ask_yes_no(parent, title: str, question: str) -> bool:
    answer = QtWidgets.QMessageBox.question(parent, title, question)
    return answer == QtWidgets.QMessageBox.StandardButton.Yes


def _value_text(v) -> str:
    """A metadata value in words: numbers rounded, lists summarised, no Python brackets or quotes."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (list, tuple)):
        if not v:
            return "none"
        if len(v) > 6:
            return f"{len(v)} values, first {_value_text(v[0])}, last {_value_text(v[-1])}"
        return ", ".join(_value_text(x) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_value_text(x)}" for k, x in v.items())
    if v is None:
        return "—"
    return str(v)


def _metadata_rows(metadata: dict, prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for k, v in metadata.items():
        key = f"{prefix}{str(k).replace('_', ' ')}"
        if isinstance(v, dict) and v:
            rows.extend(_metadata_rows(v, f"{key} · "))
        else:
            rows.append((key, _value_text(v)))
    return rows


def model_info_rows(model) -> list[tuple[str, str]]:
    """(what, value) rows for the Model info table: the architecture, then the file's own metadata."""
    lines = model.describe()
    extra = len(model.metadata) + len(model.notes)
    base = lines[:len(lines) - extra] if extra else lines
    rows = [tuple(line.split(": ", 1)) if ": " in line else (line, "") for line in base]
    rows += _metadata_rows(model.metadata)
    rows += [("note", n) for n in model.notes]
    return rows


class ModelInfoDialog(QtWidgets.QDialog):
    """The loaded checkpoint as a two-column table (what, value)."""

    def __init__(self, rows: list[tuple[str, str]], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Model information")
        table = QtWidgets.QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["", "value"])
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().hide()
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(True)
        for r, (k, v) in enumerate(rows):
            key = QtWidgets.QTableWidgetItem(k)
            font = key.font()
            font.setBold(True)
            key.setFont(font)
            table.setItem(r, 0, key)
            table.setItem(r, 1, QtWidgets.QTableWidgetItem(v))
        table.resizeColumnToContents(0)
        table.resizeRowsToContents()
        self.table = table
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(table)
        lay.addWidget(buttons)
        self.resize(620, 440)
