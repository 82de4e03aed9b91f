"""Side by side: other models on the window's text (File > Add a model to compare…), e.g. an LSTM, a GRU and a
plain RNN trained on the same corpus, so a user sees how each reads the same text.

Each compared model is a CompareRow (its own state, worker jobs, plots and units panel); the window's own plots
are the first row. The rows are stacked under each other, not set side by side: the time axis runs across, so
stacked rows keep the full width for the tokens (about 9 pixels each to be readable) and put the same token of
every model in one vertical line, where the eye compares them; columns would divide the width by the number of
models and make the eye look for the same token in each. Each row's units panel is a tab beside the window's.

What follows the window: the text (each model analyses it itself), the time range, selected and hovered
timestep (compare_link.py), the unit order, the focus, the heatmaps shown and the layer, where the model has them (a GRU has no cell state: its
row says so and shows h). The selected units are each model's own: their units differ.
"""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from lstm_viz.core.cells import cell_type

from . import dialogs
from .actions import action
from .compare_link import TimeLink
from .compare_row import CompareRow, model_title
from .style import default_panels

LONG_TEXT = 100_000  # characters: above this, a line says what every compared trace costs in memory


def trace_bytes(model, tokens: int) -> int:
    """About how much memory a trace of ``tokens`` steps of ``model`` holds: every quantity of every layer and
    direction, and the next-token probabilities (float32)."""
    c = model.config
    sizes = c.layer_sizes or (c.hidden_size,) * c.num_layers
    per_step = sum(sizes) * len(cell_type(c.cell).quantities) * (2 if c.bidirectional else 1) + c.vocab_size
    return 4 * tokens * per_step


class CompareArea(QtWidgets.QWidget):
    added = QtCore.Signal(object)  # a CompareRow, now shown
    not_added = QtCore.Signal(str)  # why a model was not added (one line)

    def __init__(self, window):
        super().__init__()
        self.win, self.main = window, window.state
        self.rows: list[CompareRow] = []  # shown, in order
        self.pending: list[CompareRow] = []  # being opened: shown once committed, dropped on failure
        self.units_dock: QtWidgets.QDockWidget | None = None  # the compared models' units panels, one tab each
        self.units_tabs: QtWidgets.QTabWidget | None = None
        self.link = TimeLink(window.stack, lambda: self.rows)
        self._main_layer = (self.main.layer, self.main.reverse)
        self._closing = False

        self.main_title = QtWidgets.QLabel()
        self.main_title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.main_title.setContentsMargins(4, 2, 2, 0)
        self.main_title.hide()
        self.long_line = QtWidgets.QLabel()
        self.long_line.setWordWrap(True)
        self.long_line.setStyleSheet("color: #b35900")
        self.long_line.hide()
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.setSizePolicy(window.stack.sizePolicy())  # the window's splitter keeps its stretch factors
        window.splitter.replaceWidget(window.splitter.indexOf(window.stack), self)
        first = QtWidgets.QWidget()
        box = QtWidgets.QVBoxLayout(first)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.main_title)
        box.addWidget(window.stack, 1)
        window.stack.show()
        self.splitter.addWidget(first)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.long_line)
        # Many rows need more than the window's height: they scroll, each keeping a readable height.
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.splitter)
        lay.addWidget(self.scroll, 1)

        self.pending_label = QtWidgets.QLabel()
        self.pending_cancel = QtWidgets.QToolButton()
        self.pending_cancel.setText("×")
        self.pending_cancel.setAutoRaise(True)
        self.pending_cancel.setToolTip("Stop adding the model being opened")
        self.pending_cancel.clicked.connect(self.cancel_pending)
        for w in (self.pending_label, self.pending_cancel):
            window.statusBar().addPermanentWidget(w)
            w.hide()

        m = self.main
        m.text_changed.connect(self._text_changed)
        m.view_changed.connect(self._view_changed)
        m.panels_changed.connect(lambda _: self._each(self._follow_panels))
        m.show_hidden_changed.connect(lambda on: self._each(lambda r: r.state.set_show_hidden(on)))
        m.trace_changed.connect(lambda _: self._traces_changed())
        m.model_changed.connect(lambda _: self._main_title())
        m.cell_changed.connect(lambda _: self._main_title())
        window.installEventFilter(self)

    # -- adding and removing --------------------------------------------------------------------------------
    def add_model_dialog(self) -> None:
        win = self.win
        path = dialogs.open_file(win, "Add a model to compare", win.opener.last_dir(), dialogs.CHECKPOINT_FILTER)
        if path:
            win.settings.setValue("recent/dir", str(Path(path).parent))
            self.add_model(path)

    def add_model(self, path, **options) -> CompareRow:
        """Open ``path`` (with the window's questions) on the window's text; its row is shown once it opened.
        A failed or declined open adds nothing: ``not_added`` says why."""
        row = CompareRow(self.win, path)
        row.state.set_text(self.main.text)
        self._follow_view(row)
        row.session.loaded.connect(lambda *_: self._loaded(row))
        row.not_opened.connect(lambda msg, failed: self._not_opened(row, msg, failed))
        row.close_requested.connect(lambda: self.remove(row))
        row.state.cell_changed.connect(lambda _: self._follow_panels(row))
        row.state.trace_changed.connect(lambda _: self._traces_changed())
        self.link.add(row)
        self.pending.append(row)
        self._pending_line()
        row.opener.open_checkpoint(path, **options)
        return row

    def _loaded(self, row: CompareRow) -> None:
        if row not in self.pending:
            return
        self.pending.remove(row)
        self._pending_line()
        self.rows.append(row)
        self.splitter.addWidget(row)
        self._make_room()
        self._show_units(row)
        self._follow_layer(row)
        self._follow_panels(row)
        self.link.follow_window()
        self._traces_changed()
        self.win.status_label.setText(f"comparing {row.name} beside {self._main_name()}")
        self.added.emit(row)

    def _make_room(self) -> None:
        """Every row gets an equal share; the plots take height from the text below (up to 85 % of it) so that
        the rows fit without scrolling where they can."""
        outer = self.win.splitter
        sizes = outer.sizes()
        k = outer.indexOf(self)
        total = sum(sizes)
        if k >= 0 and total > 0:
            need = self.splitter.minimumSizeHint().height()
            mine = min(max(sizes[k], need), int(total * 0.85))
            rest = [v for j, v in enumerate(sizes) if j != k]
            scale = (total - mine) / max(sum(rest), 1)
            sizes = [mine if j == k else int(v * scale) for j, v in enumerate(sizes)]
            outer.setSizes(sizes)
        n = self.splitter.count()
        self.splitter.setSizes([max(self.scroll.viewport().height(), 300) // n] * n)

    def _not_opened(self, row: CompareRow, msg: str, failed: bool) -> None:
        if row not in self.pending:
            return
        self._discard(row)
        self.win.status_label.setText(f"⚠ not added: {msg}" if failed else msg)
        if failed and self.win.interactive:
            dialogs.error(self.win, "Could not add the model", msg)
        self.not_added.emit(msg)

    def cancel_pending(self) -> None:
        for row in list(self.pending):
            self._discard(row)
            self.win.status_label.setText(f"{row.path} not added: cancelled")

    def remove(self, row: CompareRow) -> None:
        """Take ``row`` out: its jobs are cancelled, its plots and units panel go."""
        if row not in self.rows:
            return
        self.rows.remove(row)
        self._discard(row)
        if not self.rows:
            self.main_title.hide()
        self._traces_changed()

    def _discard(self, row: CompareRow) -> None:
        if row in self.pending:
            self.pending.remove(row)
            self._pending_line()
        row.shutdown()
        self._hide_units(row)
        row.hide()
        row.setParent(None)
        row.deleteLater()

    def shutdown(self) -> None:
        """The window closed: every compared model's jobs stop."""
        for row in [*self.pending, *self.rows]:
            row.shutdown()

    def eventFilter(self, obj, event) -> bool:
        """The window closing: a Close the window accepts is followed by its Hide (it may refuse, to keep a
        training run going)."""
        if obj is self.win:
            if event.type() == QtCore.QEvent.Type.Close:
                self._closing = True
                QtCore.QTimer.singleShot(0, self, lambda: setattr(self, "_closing", False))
            elif event.type() == QtCore.QEvent.Type.Hide and self._closing:
                self._closing = False
                self.shutdown()
        return False

    def _show_units(self, row: CompareRow) -> None:
        """The row's units panel, as a tab of one dock beside the window's units panel (made with the first row);
        while rows are shown, the window's units panel names its model."""
        if self.units_dock is None:
            from .panels import _dock

            self.units_tabs = QtWidgets.QTabWidget()
            self.units_tabs.setDocumentMode(True)
            self.units_dock = _dock(self.win, "Compared units", "compare_units", self.units_tabs)
            units = getattr(self.win, "panel_docks", {}).get("units")
            if units is not None:
                self.win.tabifyDockWidget(units, self.units_dock)
            else:
                self.win.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.units_dock)
        self.units_tabs.addTab(row.units_panel, row.name)
        self.units_tabs.setTabToolTip(self.units_tabs.count() - 1, row.path)
        self.units_dock.show()

    def _hide_units(self, row: CompareRow) -> None:
        if self.units_tabs is not None and (k := self.units_tabs.indexOf(row.units_panel)) >= 0:
            self.units_tabs.removeTab(k)
        row.units_panel.setParent(None)
        row.units_panel.deleteLater()
        if self.units_dock is not None and not self.rows:
            self.units_dock.hide()

    def _pending_line(self) -> None:
        names = ", ".join(Path(r.path).name for r in self.pending)
        self.pending_label.setText(f"adding {names}…" if names else "")
        for w in (self.pending_label, self.pending_cancel):
            w.setVisible(bool(self.pending))

    # -- following the window -----------------------------------------------------------------------------
    def _each(self, fn) -> None:
        for row in [*self.pending, *self.rows]:
            fn(row)

    def _text_changed(self, text: str, typed: bool) -> None:
        self._each(lambda r: r.state.set_text(text, typed))
        self._long_text()

    def _view_changed(self) -> None:
        layer = (self.main.layer, self.main.reverse)
        moved, self._main_layer = layer != self._main_layer, layer
        for row in [*self.pending, *self.rows]:
            self._follow_view(row)
            if moved:
                self._follow_layer(row)

    def _follow_view(self, row: CompareRow) -> None:
        m, s = self.main, row.state
        s.set_order(m.order)
        s.set_show_hidden(m.show_hidden)
        if m.asked_quantity is not None and m.asked_quantity != s.asked_quantity:
            s.set_quantity(m.asked_quantity)  # a focus the cell lacks falls back to h, and its row says so

    def _follow_layer(self, row: CompareRow) -> None:
        s, tr = row.state, row.state.trace
        if tr is not None:
            s.set_layer(min(self.main.layer, tr.num_layers - 1))
            s.set_reverse(self.main.reverse and tr.bidirectional)

    def _follow_panels(self, row: CompareRow) -> None:
        """The window's heatmaps where this cell has them, else the cell's own first ones."""
        s = row.state
        s.set_panels(tuple(q for q in self.main.panels if q in s.quantities) or default_panels(s.cell))

    # -- lines that say what holds --------------------------------------------------------------------------
    def _main_name(self) -> str:
        return self.main.model.name if self.main.model is not None else "the window's model"

    def _main_title(self) -> None:
        m = self.main
        self.main_title.setText(model_title(m.model, m.cell if m.trace is not None else None)
                                + " <span style='color:gray'>— the toolbar, coloured text and inspector show "
                                  "this model</span>")
        self.main_title.setVisible(bool(self.rows) and m.model is not None)
        units = getattr(self.win, "panel_docks", {}).get("units")
        if units is not None:
            units.setWindowTitle(f"Units · {self._main_name()}" if self.rows else "Units")

    def _traces_changed(self) -> None:
        """Another token count than the window's: the time axes line up token by token, not character by
        character, so the row says so."""
        self._main_title()
        main = self.main.trace
        for row in self.rows:
            tr = row.state.trace
            if main is not None and tr is not None and len(tr) != len(main):
                row.set_warning(f"⚠ {len(tr):,} tokens, {len(main):,} in {self._main_name()}: "
                                "the time axes line up token by token")
            else:
                row.set_warning("")
        self._long_text()

    def _long_text(self) -> None:
        text = self.main.text
        models = [r.state.model for r in self.rows if r.state.model is not None]
        if not models or len(text) < LONG_TEXT:
            self.long_line.hide()
            return
        mb = sum(trace_bytes(m, len(text)) for m in models) / 1e6
        n = f"{len(models)} compared models" if len(models) > 1 else "the compared model"
        self.long_line.setText(f"⚠ a long text ({len(text):,} characters): every model holds its own trace, "
                               f"about {mb:,.0f} MB more for {n}. Remove one (×) if the machine slows down.")
        self.long_line.show()


def _file_menu(window) -> QtWidgets.QMenu | None:
    for a in window.menuBar().actions():
        if a.menu() is not None and a.text().replace("&", "") == "File":
            return a.menu()
    return None


def install_compare(window) -> CompareArea:
    """Put the window's plots in a compare area (``window.compare``) and add File > Add a model to compare…"""
    area = CompareArea(window)
    window.compare = area
    window.act_compare = action(window, "Add a model to &compare…", area.add_model_dialog, "Ctrl+Shift+M",
                                "Open another checkpoint on the same text, in a row under the plots, time linked")
    menu = _file_menu(window)
    if menu is not None:
        menu.insertAction(window.recent_menu.menuAction(), window.act_compare)
    return area
