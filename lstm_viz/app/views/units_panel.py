"""The units panel: for the loaded model and text, the units that follow each built-in feature of the text
(inside quotes, bracket depth, ...) and any regex the user types, as "cell 108 — bracket depth, r = −0.84".

The feature table is computed in the background (lstm_viz.core.search.iter_feature_table on the Runner) each
time a new trace arrives; a newer trace supersedes the running job. A long text's keyframe pass has summed what
the table needs (lstm_viz.core.unit_sums): the table then takes milliseconds, and a regex search reads only the
chunks of the text that hold a match. A regex search is a job too (lstm_viz.core.search.iter_search_feature): it
shows its progress, and a new regex or a new trace stops it at its next window, so the panel only ever lists
the units of the pattern and trace on screen. Clicking a row selects that unit, its layer and direction,
everywhere.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lstm_viz.core.features import FEATURES

from .choose import guarded, select_units, signed, unit_name

SETTLE_MS = 600  # the table waits this long after the last new trace (see UnitsPanel._trace_changed)
# The panel searches the state each cell carries from step to step (lstm_viz.look.state_quantity): the cell
# state c of an LSTM, which carries long-range features, else the hidden state h (GRU, plain RNN).
TOP_K = 3
REGEX_K = 10
ROLE = QtCore.Qt.ItemDataRole.UserRole


def feature_table(trace, text: str):
    """Worker job: yield progress, return {feature: [UnitScore]} over every layer and direction."""
    from lstm_viz.core.search import iter_feature_table

    from lstm_viz.look import state_quantity

    return (yield from iter_feature_table(trace, text, state_quantity(trace.cell), k=TOP_K))


def regex_units(trace, text: str, pattern: str):
    """Worker job: yield progress after each window read, return the units that follow the tokens matching
    ``pattern`` ([UnitScore], best first)."""
    from lstm_viz.core.features import regex_feature
    from lstm_viz.core.search import iter_search_feature

    from lstm_viz.look import state_quantity

    y = regex_feature(text, pattern, trace.tokens)  # (T,)
    return (yield from iter_search_feature(trace, y, state_quantity(trace.cell), k=REGEX_K, with_auc=False))


class UnitsPanel(QtWidgets.QWidget):
    """Subscribes to the AppState; writes only the selection (layer, direction, unit)."""

    def __init__(self, state, runner, parent=None):
        super().__init__(parent)
        self.state, self.runner = state, runner
        self.table: dict[str, list] = {}
        self.best = None  # the UnitScore with the largest |r| in the table
        self._text = ""
        self._model = None  # the model of the last trace (its first trace is searched at once)
        self._regex_note = ""  # why the regex typed finds nothing ("⚠ ... does not compile"): kept in view
        self._regex_line = ""  # the running regex search's progress ("searching units for /e/… 40%")
        self._regex_seq = 0  # the latest regex search: the callbacks of an older one do nothing
        self.headline = QtWidgets.QLabel()
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.headline.setToolTip("The unit that follows a feature of this text best: click to select it")
        self.headline.linkActivated.connect(lambda _: self.select_best())
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        self.list = QtWidgets.QListWidget()
        self.list.setToolTip("The cell-state units that follow each feature of the text (Pearson r over every "
                             "timestep). Click one to select it.")
        self.regex = QtWidgets.QLineEdit()
        self.regex.setPlaceholderText("regex, e.g. \\(.*?\\)  then Enter")
        self.regex.setClearButtonEnabled(True)
        self.regex.setToolTip("Units whose cell state follows the tokens inside the matches of this regex")
        self.regex_list = QtWidgets.QListWidget()
        self.regex_list.setMaximumHeight(140)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.headline)
        lay.addWidget(self.list, 3)
        lay.addWidget(QtWidgets.QLabel("Units following a regex:"))
        lay.addWidget(self.regex)
        lay.addWidget(self.regex_list, 1)
        lay.addWidget(self.status)
        for lst in (self.list, self.regex_list):
            lst.itemClicked.connect(self._choose)
            lst.itemActivated.connect(self._choose)
        self.regex.returnPressed.connect(self.search_regex)
        self.settle = QtCore.QTimer(self)
        self.settle.setSingleShot(True)
        self.settle.timeout.connect(self._start_table)
        state.trace_changed.connect(self._trace_changed)
        state.selection_changed.connect(lambda _: self._headline())
        state.view_changed.connect(self._headline)
        self._trace_changed(state.trace)

    # -- state -> panel -------------------------------------------------------------------------------------
    def _trace_changed(self, trace) -> None:
        self.table, self.best = {}, None
        self._regex_note = ""
        self.list.clear()
        self.regex_list.clear()
        self.headline.setText("")
        self.runner.cancel("units_table")
        self._stop_regex()  # a search of the old trace: searched again below if a regex is typed
        # the text this trace read: the editor may change before a job starts, and a regex typed before the
        # next trace arrives must search this text, the one the trace shows
        self._text = self.state.text if trace is not None else ""
        if trace is None or not self._text:
            self.settle.stop()
            self.status.setText("analyse a text to find what its units follow")
            return
        # The first trace of a model: at once, so the panel fills with the first picture. Later traces (typing
        # brings one per pause, another text): once they are drawn and no newer one follows for SETTLE_MS; the
        # job is Python work sharing the interpreter with the GUI thread, which draws the new trace first.
        self.status.setText("finding the units that follow the text's features…")
        first = self.state.model is not self._model
        self._model = self.state.model
        self.settle.start(0 if first else SETTLE_MS)
        if self.regex.text().strip():
            self.search_regex()

    def _start_table(self) -> None:
        trace = self.state.trace
        if trace is None:
            return
        self.runner.start("units_table", feature_table, (trace, self._text),
                          progress=guarded(self, lambda v: self._progress(trace, v)),
                          returned=guarded(self, lambda table: self._table_ready(trace, table)),
                          errored=guarded(self, lambda msg: self._failed(trace, msg)))

    def _progress(self, trace, value) -> None:
        if trace is self.state.trace and isinstance(value, float):
            self._say(f"finding the units that follow the text's features… {value:.0%}")

    def _say(self, text: str) -> None:
        """The status line, unless it says why the regex typed finds nothing or how far its search is (the
        table, arriving later, must not hide that)."""
        self.status.setText(self._regex_note or self._regex_line or text)

    def _failed(self, trace, msg: str) -> None:
        if trace is self.state.trace:
            self.status.setText(f"⚠ {msg}")

    def _table_ready(self, trace, table: dict) -> None:
        if trace is not self.state.trace:
            return  # a newer analysis is on screen
        self.table = table
        self.list.clear()
        best = None
        self.best = None
        for name, scores in table.items():
            info = FEATURES[name]
            head = QtWidgets.QListWidgetItem(info.label if scores else f"{info.label}: the same at every token")
            head.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
            font = head.font()
            font.setItalic(True)
            head.setFont(font)
            self.list.addItem(head)
            for s in scores:
                self.list.addItem(self._row(trace, s, info.label))
                if best is None or abs(s.r) > abs(best[0].r):
                    best = (s, info.label)
        self.best = best[0] if best is not None else None
        self._headline()
        from lstm_viz.look import LABELS, state_quantity

        what = LABELS[state_quantity(trace.cell)].rsplit(" ", 1)[0]  # "cell state", or "hidden state" for a GRU
        self._say(f"top {TOP_K} units per feature, by |r| of the {what} with the feature")

    def _headline(self) -> None:
        """The best unit of the text (a link: click selects it), and what the selected unit follows when the
        table lists it. The panel never changes the selection by itself: a new model opens on the unit the
        window picks, and a result arriving later must not pull the selection away from under the user."""
        trace, st = self.state.trace, self.state
        if not self.table:
            self.headline.setText("")
            return
        if self.best is None:
            self.headline.setText("no unit follows a feature of this text")
            return
        b = self.best
        lines = [f"<a href='best'>{unit_name(trace, b.quantity, b.layer, b.reverse, b.unit)}</a>: "
                 f"{self._label_of(b)}, r = {signed(b.r)}"]
        if st.units and (st.layer, st.reverse, st.units[0]) != (b.layer, b.reverse, b.unit):
            mine = [s for v in self.table.values() for s in v
                    if (s.layer, s.reverse, s.unit) == (st.layer, st.reverse, st.units[0])]
            if mine:
                s = max(mine, key=lambda s: abs(s.r))
                lines.append(f"<span style='font-weight:normal'>selected: "
                             f"{unit_name(trace, s.quantity, s.layer, s.reverse, s.unit)}: {self._label_of(s)}, "
                             f"r = {signed(s.r)}</span>")
        self.headline.setText("<br>".join(lines))

    def _label_of(self, score) -> str:
        for name, scores in self.table.items():
            if score in scores:
                return FEATURES[name].label
        return ""

    def select_best(self) -> None:
        if self.best is not None:
            select_units(self.state, self.best.layer, self.best.reverse, [self.best.unit])

    def _row(self, trace, s, label: str) -> QtWidgets.QListWidgetItem:
        text = f"{unit_name(trace, s.quantity, s.layer, s.reverse, s.unit)} — {label}, r = {signed(s.r)}"
        if s.auc is not None:
            text += f", AUC = {s.auc:.2f}"
        item = QtWidgets.QListWidgetItem(text)
        item.setData(ROLE, s)
        return item

    def rows(self, regex: bool = False) -> list[QtWidgets.QListWidgetItem]:
        """The selectable rows, in order."""
        lst = self.regex_list if regex else self.list
        return [lst.item(k) for k in range(lst.count()) if lst.item(k).data(ROLE) is not None]

    # -- gestures -> state ----------------------------------------------------------------------------------
    def search_regex(self) -> None:
        """Search the units for the regex typed; a search still running (another regex, or the same one on
        the previous trace) stops at its next window and never lands."""
        pattern = self.regex.text()
        trace = self.state.trace
        self.regex_list.clear()
        self._regex_note = ""
        self._stop_regex()
        if not pattern.strip() or trace is None or not self._text:
            return
        seq = self._regex_seq
        self._regex_line = f"searching units for /{pattern}/…"
        self.status.setText(self._regex_line)
        self.runner.start("units_regex", regex_units, (trace, self._text, pattern),
                          progress=guarded(self, lambda v: self._regex_progress(seq, pattern, v)),
                          returned=guarded(self, lambda scores: self._regex_ready(seq, trace, pattern, scores)),
                          errored=guarded(self, lambda msg: self._regex_failed(seq, trace, pattern, msg)))

    def _stop_regex(self) -> None:
        self.runner.cancel("units_regex")
        self._regex_seq += 1
        self._regex_line = ""

    def _regex_progress(self, seq: int, pattern: str, value) -> None:
        if seq == self._regex_seq and isinstance(value, float):
            self._regex_line = f"searching units for /{pattern}/… {value:.0%}"
            self.status.setText(self._regex_note or self._regex_line)

    def _regex_failed(self, seq: int, trace, pattern: str, msg: str) -> None:
        if seq != self._regex_seq:
            return  # superseded
        self._regex_line = ""
        if trace is self.state.trace and pattern == self.regex.text():
            self._regex_note = f"⚠ {msg}"
            self.status.setText(self._regex_note)

    def _regex_ready(self, seq: int, trace, pattern: str, scores) -> None:
        if seq != self._regex_seq:
            return  # superseded
        self._regex_line = ""
        if trace is not self.state.trace or pattern != self.regex.text():
            self.status.setText("press Enter to search the units for the regex typed")  # edited meanwhile
            return
        self.regex_list.clear()
        for s in scores:
            self.regex_list.addItem(self._row(trace, s, f"/{pattern}/"))
        self.status.setText(f"{len(scores)} units by |r| with the tokens inside /{pattern}/")

    def _choose(self, item: QtWidgets.QListWidgetItem) -> None:
        s = item.data(ROLE)
        if s is not None:
            select_units(self.state, s.layer, s.reverse, [s.unit])
