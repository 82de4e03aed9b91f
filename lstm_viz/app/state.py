"""The one place the app's state lives: model, text, trace, view choices, selection and hover.

Controls write here; views subscribe to the signal for the kind of change they draw. Nothing here computes
gates: the trace comes from the core, through the worker.
"""
from __future__ import annotations

from PySide6 import QtCore

from lstm_viz.core.cells import ALL_QUANTITIES, CELLS

from .style import LABELS, default_panels, state_quantity

DEFAULT_PANELS = default_panels("lstm")  # the LSTM's input, forget and output gates
ORDERS = ("index", "variance", "mean", "activation")


class AppState(QtCore.QObject):
    model_changed = QtCore.Signal(object)  # LoadedModel | None
    cell_changed = QtCore.Signal(object)  # CellType: the new trace's cell has other quantities (before trace_changed)
    notice = QtCore.Signal(str)  # one line for the status bar (a focus this cell lacks, ...)
    text_changed = QtCore.Signal(str, bool)  # text, typed (True: from the editor, re-analyse after a pause)
    trace_changed = QtCore.Signal(object)  # Trace | None
    view_changed = QtCore.Signal()  # layer, direction, order or focus quantity
    panels_changed = QtCore.Signal(tuple)
    selection_changed = QtCore.Signal(tuple)  # selected unit indices, the first is the primary one
    time_selected = QtCore.Signal(int)
    hover_changed = QtCore.Signal(object, object)  # timestep | None, unit | None
    show_hidden_changed = QtCore.Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None
        self.text = ""
        self.trace = None
        self.layer = 0
        self.reverse = False
        self.order = "index"  # the window starts in "variance" order unless the user saved another
        self.cell = CELLS["lstm"]  # the cell type of the trace shown (an LSTM until a trace says otherwise)
        self.quantity = "cell"  # colours the text, orders units, is what "Export data" writes
        # what the user chose (None: nothing, the cell's state c or h is shown); ``quantity`` when the cell has
        # it, else its hidden state with a line saying why
        self.asked_quantity: str | None = None
        self.panels: tuple[str, ...] = DEFAULT_PANELS
        self._panels_of: dict[tuple[str, ...], tuple[str, ...]] = {}  # panels last shown per set of quantities
        self.units: tuple[int, ...] = ()
        self.time = 0
        self.hover: tuple[int | None, int | None] = (None, None)
        self.show_hidden = False
        self.units_chosen = False  # the user picked units for this model (a new model keeps them only then)

    # -- data ---------------------------------------------------------------------------------------------
    def set_model(self, model) -> None:
        self.model = model
        self.model_changed.emit(model)

    def open_model(self, model, trace, units: dict | None = None) -> None:
        """Commit a newly opened model and its trace (or None) in one step: the hover is dropped, and the
        selection becomes the most structured unit of the layer shown (``units``: {(layer, reverse): unit})
        unless the user chose units in this same file."""
        same_file = self.model is not None and model is not None and self.model.source == model.source
        keep = same_file and self.units_chosen
        self.hover = (None, None)
        self.hover_changed.emit(None, None)
        self.model = model
        if not keep:
            self.units_chosen = False
            if trace is not None:
                self.layer = min(self.layer, trace.num_layers - 1)
                self.reverse = self.reverse and trace.bidirectional
            unit = (units or {}).get((self.layer, self.reverse))
            if unit is not None:
                self.units = (int(unit),)
        self.model_changed.emit(model)
        self.set_trace(trace)

    def set_text(self, text: str, typed: bool = False) -> None:
        if text == self.text and not typed:
            return
        self.text = text
        self.text_changed.emit(text, typed)

    def set_trace(self, trace, units: dict | None = None) -> None:
        """A new analysis: keep layer, direction and units where they still exist; ``units`` ({(layer,
        reverse): unit}, the units to show first) replaces the selection unless the user chose units."""
        self.trace = trace
        before = self.units
        unit = (units or {}).get((self.layer, self.reverse))
        if unit is not None and not self.units_chosen:
            self.units = (int(unit),)
        if trace is not None:
            self._set_cell(trace.cell)
        if trace is None:
            self.hover = (None, None)
        else:
            self.layer = min(self.layer, trace.num_layers - 1)
            self.reverse = self.reverse and trace.bidirectional
            n = self.num_units()
            units = tuple(u for u in self.units if u < n) or ((0,) if n else ())
            self.units = units
            self.time = min(self.time, len(trace) - 1)
            t, u = self.hover
            if (t is not None and t >= len(trace)) or (u is not None and u >= n):
                self.hover = (None, None)
        self.trace_changed.emit(trace)  # views redraw their selection with it
        if self.units != before:
            self.selection_changed.emit(self.units)

    def _set_cell(self, cell) -> None:
        """A trace of ``cell``: heatmaps, focus and toggles follow its quantities. The panels shown for the
        previous cell are remembered (an LSTM after a GRU gets its own panels back); the focus the user chose
        returns when the cell has it, else the hidden state stands in, with a line saying so."""
        old = self.cell
        self.cell = cell
        if cell.quantities == old.quantities:
            return
        self._panels_of[old.quantities] = self.panels
        kept = tuple(q for q in self.panels if q in cell.quantities)
        self.panels = self._panels_of.get(cell.quantities) or kept or default_panels(cell)
        self.quantity = self._resolve(self.asked_quantity)
        self.cell_changed.emit(cell)

    def _resolve(self, quantity: str | None) -> str:
        if quantity is None:
            return state_quantity(self.cell)
        if quantity in self.cell.quantities:
            return quantity
        if quantity == "cell":
            why = f"{self.cell.a_title} has no separate cell state"
        else:
            why = f"{self.cell.a_title} has no {LABELS[quantity]}"
        if self.trace is not None:
            self.notice.emit(f"{why}: the focus shows its hidden state h")
        return "hidden"

    @property
    def quantities(self) -> tuple[str, ...]:
        """The quantities of the cell shown, in drawing order."""
        return self.cell.quantities

    @property
    def state_quantity(self) -> str:
        """What the traces draw and the rows are ordered by: the cell state c, or h for a cell without one."""
        return state_quantity(self.cell)

    def num_units(self, quantity: str | None = None) -> int:
        """Units of ``quantity`` (default: the cell's state) at the current layer and direction: with a
        projection (proj_size), the hidden state has fewer units than the gates and the cell."""
        if self.trace is None:
            return 0
        return self.trace.units(self.layer, quantity or self.state_quantity)

    def values(self, quantity: str):
        """(T, units) array of ``quantity`` at the current layer and direction, or None before any trace.
        The whole text: for an in-memory trace (``trace.holds_arrays``) only; drawing reads windows."""
        if self.trace is None:
            return None
        return self.trace.get(quantity, self.layer, self.reverse)

    # -- view choices -------------------------------------------------------------------------------------
    def set_layer(self, layer: int) -> None:
        if layer != self.layer:
            self.layer = layer
            n = self.num_units()
            self.units = tuple(u for u in self.units if u < n) or ((0,) if n else ())
            self.view_changed.emit()
            self.selection_changed.emit(self.units)

    def set_reverse(self, reverse: bool) -> None:
        if reverse != self.reverse:
            self.reverse = reverse
            self.view_changed.emit()

    def set_order(self, order: str) -> None:
        if order not in ORDERS:
            raise ValueError(order)
        if order != self.order:
            self.order = order
            self.view_changed.emit()

    def set_quantity(self, quantity: str) -> None:
        """Focus on ``quantity`` (any cell's); a quantity this cell lacks falls back to its hidden state."""
        if quantity not in ALL_QUANTITIES:
            raise ValueError(quantity)
        self.asked_quantity = quantity
        quantity = self._resolve(quantity)
        if quantity != self.quantity:
            self.quantity = quantity
            self.view_changed.emit()

    def set_panels(self, panels) -> None:
        panels = tuple(q for q in self.quantities if q in panels)
        if panels != self.panels:
            self.panels = panels
            self.panels_changed.emit(panels)

    def set_show_hidden(self, on: bool) -> None:
        if on != self.show_hidden:
            self.show_hidden = on
            self.show_hidden_changed.emit(on)

    # -- selection and hover ------------------------------------------------------------------------------
    def select_unit(self, unit: int, add: bool = False) -> None:
        """Select ``unit`` alone, or with ``add`` toggle it in the selection (the first stays primary)."""
        self.units_chosen = True
        if add:
            units = tuple(u for u in self.units if u != unit) if unit in self.units else (*self.units, unit)
            units = units or (unit,)
        else:
            units = (unit,)
        if units != self.units:
            self.units = units
            self.selection_changed.emit(units)

    def select_time(self, t: int) -> None:
        if t != self.time:
            self.time = t
            self.time_selected.emit(t)
            if self.order == "activation":
                self.view_changed.emit()

    def set_hover(self, t: int | None, unit: int | None) -> None:
        """The cell under the mouse; (None, None) when the mouse is over none."""
        if t is None:
            unit = None
        if (t, unit) != self.hover:
            self.hover = (t, unit)
            self.hover_changed.emit(t, unit)
