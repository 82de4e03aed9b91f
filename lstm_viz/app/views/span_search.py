"""Search by example (LSTMVis' hypothesis and match) in the app.

Pick a span of the text (Shift+drag on the token strip or the coloured text, or type its timesteps); the units
that are on inside it and off around it are ranked by lstm_viz.core.search.search_span, with or without the
user's threshold. Choosing units in the list selects them everywhere; *Find matches* lists the other places
where they switch on together (lstm_viz.core.match), with their context; clicking one selects its first
timestep and asks the plots to show it (``jump``). The units' statistics over the text are kept per trace and
quantity, so a new span costs a few milliseconds. Searches run on the Runner; a newer one supersedes a running one.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lstm_viz.core.vocab import display_token

from .. import style
from .choose import guarded, select_units, signed, unit_name

ROLE = QtCore.Qt.ItemDataRole.UserRole
TOP_K = 30
SLIDER_STEPS = 100  # the threshold slider covers [0, 1] in steps of 0.01


def rank_span(trace, start: int, end: int, quantity: str, threshold, stats: dict):
    """Worker job: (scores, stats). ``stats`` ({(layer, reverse): SpreadStats}) is filled where missing."""
    from lstm_viz.core.correlation import unit_stats
    from lstm_viz.core.search import search_span

    stats = dict(stats)
    for layer in range(trace.num_layers):
        for reverse in trace.directions:
            if (layer, reverse) not in stats:
                stats[(layer, reverse)] = unit_stats(trace, quantity, layer, reverse)
    scores = search_span(trace, start, end, quantity, threshold=threshold, k=TOP_K, stats=stats)
    return scores, stats


def find_matches(trace, units, query):
    from lstm_viz.core.match import match

    return match(trace, units, query=query)


def _flat(s: str) -> str:
    return "".join(display_token(c) if c in "\n\t" else c for c in s)


class SpanSearch(QtWidgets.QWidget):
    jump = QtCore.Signal(int, int)  # show timesteps [start, end) in the plots
    span_changed = QtCore.Signal(int, int)  # the span searched, for the strip's shading

    def __init__(self, state, runner, parent=None):
        super().__init__(parent)
        self.state, self.runner = state, runner
        self.span: tuple[int, int] | None = None
        self.stats: dict = {}  # (id(trace), quantity) -> {(layer, reverse): SpreadStats}
        self.scores: list = []
        self.matches: list = []
        self.hint = QtWidgets.QLabel("Shift+drag on the token strip or the coloured text to pick a span, "
                                     "or type it:")
        self.hint.setWordWrap(True)
        self.start_box, self.end_box = QtWidgets.QSpinBox(), QtWidgets.QSpinBox()
        self.start_box.setPrefix("t ")
        self.end_box.setPrefix("to ")
        self.end_box.setToolTip("end of the span (excluded)")
        self.search_button = QtWidgets.QPushButton("Search")
        self.quantity_box = QtWidgets.QComboBox()
        self._fill_quantities(state.quantities, state.state_quantity)
        self.use_threshold = QtWidgets.QCheckBox("threshold")
        self.use_threshold.setToolTip("Off: a unit is on above its own mean over the text. On: above the "
                                      "threshold (or below its negative), as in LSTMVis")
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setValue(SLIDER_STEPS // 2)
        self.slider.setEnabled(False)
        self.threshold_label = QtWidgets.QLabel("0.50")
        self.span_label = QtWidgets.QLabel()
        self.span_label.setWordWrap(True)
        self.results = QtWidgets.QListWidget()
        self.results.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.results.setToolTip("Units on inside the span and off around it (score in [−1, 1]). Click, or "
                                "Ctrl-click several: they are selected everywhere")
        self.match_button = QtWidgets.QPushButton("Find where they switch on together")
        self.match_button.setEnabled(False)
        self.match_list = QtWidgets.QListWidget()
        self.match_list.setToolTip("Click a match to go there")
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.hint)
        row = QtWidgets.QHBoxLayout()
        for w in (self.start_box, self.end_box, self.quantity_box, self.search_button):
            row.addWidget(w)
        lay.addLayout(row)
        row = QtWidgets.QHBoxLayout()
        for w in (self.use_threshold, self.slider, self.threshold_label):
            row.addWidget(w)
        lay.addLayout(row)
        lay.addWidget(self.span_label)
        lay.addWidget(self.results, 3)
        lay.addWidget(self.match_button)
        lay.addWidget(self.match_list, 2)
        lay.addWidget(self.status)

        self.search_button.clicked.connect(lambda: self.set_span(self.start_box.value(), self.end_box.value()))
        self.quantity_box.currentIndexChanged.connect(lambda _: self.search())
        self.use_threshold.toggled.connect(self._threshold_toggled)
        self.slider.valueChanged.connect(self._threshold_moved)
        self.results.itemSelectionChanged.connect(self._choose)
        self.match_button.clicked.connect(self.find_matches)
        self.match_list.itemClicked.connect(self._go)
        self.match_list.itemActivated.connect(self._go)
        state.trace_changed.connect(self._trace_changed)
        self._trace_changed(state.trace)

    # -- inputs ---------------------------------------------------------------------------------------------
    @property
    def quantity(self) -> str:
        return self.quantity_box.currentData()

    @property
    def threshold(self) -> float | None:
        return self.slider.value() / SLIDER_STEPS if self.use_threshold.isChecked() else None

    def _threshold_toggled(self, on: bool) -> None:
        self.slider.setEnabled(on)
        self.search()

    def _threshold_moved(self, value: int) -> None:
        self.threshold_label.setText(f"{value / SLIDER_STEPS:.2f}")
        if self.use_threshold.isChecked():
            self.search()

    def set_span(self, start: int, end: int) -> None:
        """Search the span [start, end) of the current trace."""
        self.span = (int(start), int(end))
        for box, v in ((self.start_box, start), (self.end_box, end)):
            box.blockSignals(True)
            box.setValue(int(v))
            box.blockSignals(False)
        self.span_changed.emit(*self.span)
        self.search()

    # -- state -> panel -------------------------------------------------------------------------------------
    def _fill_quantities(self, quantities, chosen: str) -> None:
        """The loaded cell's own quantities (a GRU: r, z, n, h), its carried state chosen."""
        if tuple(self.quantity_box.itemData(i) for i in range(self.quantity_box.count())) == tuple(quantities):
            return
        from lstm_viz.qtcompat import blocked

        with blocked(self.quantity_box):
            self.quantity_box.clear()
            for q in quantities:
                self.quantity_box.addItem(style.LABELS[q], q)
            self.quantity_box.setCurrentIndex(max(list(quantities).index(chosen) if chosen in quantities else 0, 0))

    def _trace_changed(self, trace) -> None:
        if trace is not None:
            self._fill_quantities(trace.quantities, self.state.state_quantity)
        self.stats = {}
        self.span = None
        self._clear()
        n = len(trace) if trace is not None else 0
        for box in (self.start_box, self.end_box):
            box.setRange(0, max(n, 0))
        self.span_label.setText("")
        self.status.setText("" if trace is not None else "analyse a text first")
        self.span_changed.emit(0, 0)

    def _clear(self) -> None:
        self.scores, self.matches = [], []
        self.results.clear()
        self.match_list.clear()
        self.match_button.setEnabled(False)

    def search(self) -> None:
        trace = self.state.trace
        if trace is None or self.span is None:
            return
        start, end = self.span
        quantity, threshold = self.quantity, self.threshold
        tokens = "".join(trace.tokens[max(start, 0):min(end, len(trace))][:80])
        self.span_label.setText(f"span t {start}–{end - 1}: “{_flat(tokens)}”")
        self.status.setText("ranking units…")
        key = (id(trace), quantity)
        self.runner.start("span_search", rank_span, (trace, start, end, quantity, threshold,
                                                     self.stats.get(key, {})),
                          returned=guarded(self, lambda result: self._ranked(
                              trace, (start, end, quantity, threshold), result)),
                          errored=guarded(self, lambda msg: self._failed(trace, msg)))

    def _failed(self, trace, msg: str) -> None:
        if trace is self.state.trace:
            self.status.setText(f"⚠ {msg}")

    def _ranked(self, trace, request, result) -> None:
        if (trace is not self.state.trace or self.span is None
                or request != (*self.span, self.quantity, self.threshold)):
            return  # the span, quantity or threshold moved on
        scores, stats = result
        self.stats[(id(trace), request[2])] = stats
        self._clear()
        self.scores = scores
        for s in scores:
            item = QtWidgets.QListWidgetItem(f"{unit_name(trace, s.quantity, s.layer, s.reverse, s.unit)}: "
                                             f"score {signed(s.score)}, effect {signed(s.effect, 1)}")
            item.setData(ROLE, s)
            self.results.addItem(item)
        how = f"threshold {request[3]:.2f}" if request[3] is not None else "each unit's own mean"
        self.status.setText(f"{len(scores)} units, best first (on: {how})")

    # -- gestures -> state ----------------------------------------------------------------------------------
    def chosen(self) -> list:
        return [item.data(ROLE) for item in self.results.selectedItems()]

    def _choose(self) -> None:
        chosen = self.chosen()
        self.match_button.setEnabled(bool(chosen))
        self.match_list.clear()
        if not chosen:
            return
        first = chosen[0]
        here = [s.unit for s in chosen if (s.layer, s.reverse) == (first.layer, first.reverse)]
        select_units(self.state, first.layer, first.reverse, here)

    def find_matches(self) -> None:
        trace, chosen = self.state.trace, self.chosen()
        if trace is None or not chosen:
            return
        self.status.setText("finding matches…")
        self.runner.start("span_match", find_matches, (trace, chosen, self.span),
                          returned=guarded(self, lambda found: self._matched(trace, found)),
                          errored=guarded(self, lambda msg: self._failed(trace, msg)))

    def _matched(self, trace, found) -> None:
        if trace is not self.state.trace:
            return
        self.matches = found
        self.match_list.clear()
        for m in found:
            item = QtWidgets.QListWidgetItem(f"t {m.start}–{m.end - 1} ({m.on:.0%} on): "
                                             f"…{_flat(m.before)}⟦{_flat(m.inside)}⟧{_flat(m.after)}…")
            item.setData(ROLE, m)
            self.match_list.addItem(item)
        self.status.setText(f"{len(found)} other places where the chosen units are on together"
                            if found else "the chosen units are on together nowhere else")

    def _go(self, item: QtWidgets.QListWidgetItem) -> None:
        m = item.data(ROLE)
        if m is not None:
            self.state.select_time(m.start)
            self.jump.emit(m.start, m.end)
