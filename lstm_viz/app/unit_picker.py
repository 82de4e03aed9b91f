"""The "go to unit" field: type a unit number, press Enter, and it becomes the selected unit (the plots,
traces and coloured text follow the selection). With 256 units a heatmap row is under half a pixel high;
this is how to reach any one of them."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets


def parse_unit(text: str, n: int) -> tuple[int | None, str]:
    """(unit, "") for a valid unit number among ``n``, else (None, a one-line reason)."""
    text = text.strip()
    if n <= 0:
        return None, "no model analysed yet: there are no units to go to"
    try:
        unit = int(text)
    except ValueError:
        return None, f"go to unit: {text!r} is not a number; type a unit number, 0–{n - 1}"
    if not 0 <= unit < n:
        return None, f"go to unit: there is no unit {unit}; this layer has {n} units, 0–{n - 1}"
    return unit, ""


class UnitField(QtWidgets.QLineEdit):
    """Writes the typed unit to the state, or reports why it cannot."""

    message = QtCore.Signal(str)

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.setPlaceholderText("unit #")
        self.setToolTip("Go to unit (Ctrl+G): type its number and press Enter")
        self.setMaximumWidth(80)
        self.setClearButtonEnabled(True)
        self.returnPressed.connect(self.go)

    def go(self) -> None:
        unit, problem = parse_unit(self.text(), self.state.num_units())
        if unit is None:
            self.message.emit(problem)
            self.selectAll()
            return
        self.state.select_unit(unit)
        self.message.emit(f"unit {unit} selected")
