"""The cell diagram of the selected (timestep, unit), with the model's own numbers, for every cell type.

The numbers are lstm_viz.core.diagram.cell_step (recomputed from the weights and checked against the trace),
computed on the Runner; the picture is lstm_viz.figures.cell_diagram.diagram_item, the same item the exported
figure draws (colah's LSTM cell, its peephole and coupled-gate variants, a GRU or a plain RNN), scaled to fit
the view. It follows the selected timestep (Alt+←/→), unit, layer and direction;
while the view is hidden (its dock closed or
behind another tab) nothing is computed.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from .choose import guarded


def cell_numbers(model, trace, t: int, unit: int, layer: int, reverse: bool):
    from lstm_viz.core.diagram import cell_step

    return cell_step(model, trace, t, unit, layer, reverse)


class _FitView(QtWidgets.QGraphicsView):
    """Shows the whole scene, as large as the view allows, keeping its proportions."""

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(380, 260)  # not the picture's own 880 pixels: the view scales it

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def fit(self) -> None:
        rect = self.scene().itemsBoundingRect()
        if not rect.isEmpty():
            self.fitInView(rect, QtCore.Qt.AspectRatioMode.KeepAspectRatio)


class DiagramView(QtWidgets.QWidget):
    def __init__(self, state, runner, parent=None):
        super().__init__(parent)
        self.state, self.runner = state, runner
        self.step = None  # the step drawn (CellStep, GRUStep or RNNStep)
        self.item = None
        self._key = None  # what the picture (or the message) is for
        self.shown = False  # on screen (set by its dock); nothing is computed while hidden
        self.title = QtWidgets.QLabel()
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.scene = QtWidgets.QGraphicsScene(self)
        self.view = _FitView(self.scene)
        self.view.setBackgroundBrush(QtGui.QColor("white"))
        self.view.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        self.status = QtWidgets.QLabel("Alt+←/→ steps through time; click a heatmap row for another unit; "
                                      "double-click this panel's title to float it larger")
        self.status.setWordWrap(True)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.title)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.status)
        state.trace_changed.connect(self._trace_changed)
        state.selection_changed.connect(lambda _: self.refresh())
        state.time_selected.connect(lambda _: self.refresh())
        state.view_changed.connect(self.refresh)

    def _trace_changed(self, _trace) -> None:
        self._key = None  # a new trace may reuse the id of the old one
        self.refresh()

    def set_shown(self, on: bool) -> None:
        """Whether the view is on screen (its dock's tab is current): numbers are computed only then."""
        self.shown = on
        self.refresh()

    def key(self):
        s = self.state
        if s.trace is None or s.model is None or not s.units:
            return None
        return (id(s.trace), s.time, s.units[0], s.layer, s.reverse)  # id: a Trace is not comparable

    def refresh(self) -> None:
        key = self.key()
        if key is None:
            self._show(None, None)
            self.title.setText("no unit selected" if self.state.trace is not None else "analyse a text first")
            return
        if key == self._key or not self.shown:
            return
        _, t, unit, layer, reverse = key
        self.runner.start("diagram", cell_numbers, (self.state.model, self.state.trace, t, unit, layer, reverse),
                          returned=guarded(self, lambda step: self._show(key, step)),
                          errored=guarded(self, lambda msg: self._failed(key, msg)))

    def _failed(self, key, msg: str) -> None:
        if key == self.key():
            self._show(key, None)
            self.title.setText(f"⚠ {msg}")

    def _show(self, key, step) -> None:
        if key is not None and key != self.key():
            return  # the selection moved on meanwhile; its own job follows
        self._key, self.step = key, step
        if self.item is not None:
            self.scene.removeItem(self.item)
            self.item = None
        if step is None:
            return
        from lstm_viz.figures.cell_diagram import diagram_item, headline  # here: the first window shows before torch

        self.item = diagram_item(step)
        self.scene.addItem(self.item)
        self.scene.setSceneRect(self.scene.itemsBoundingRect())
        self.view.fit()
        self.title.setText(headline(step))
