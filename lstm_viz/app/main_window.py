"""The main window. Built in a fixed order: actions -> UI -> menus -> restore settings (orange-canvas style).

Controls write to the AppState; views subscribe to it; loading and analysis run on the Session's worker.
Actions live in actions.py, opening and recent files in opening.py / recent.py, saved settings in
window_settings.py.
"""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from lstm_viz.qtcompat import blocked

from . import dialogs, style, window_settings
from .actions import build_actions, panel_actions
from .opening import READ_BACKWARD, Opener, window_title
from .plot_stack import PlotStack
from .session import Session
from .state import ORDERS, AppState
from .unit_picker import UnitField
from .views.coloured_pane import ColouredTextPane
from .views.inspector import Inspector
from .views.text_editor import TextEditor
from .warmup import WarmUp, favour_the_window

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".tar")


class MainWindow(QtWidgets.QMainWindow):
    first_analysis = QtCore.Signal()

    def __init__(self, settings: QtCore.QSettings | None = None, parent=None):
        super().__init__(parent)
        self.settings = settings if settings is not None else QtCore.QSettings()
        self.state = AppState(self)
        self.session = Session(self.state, self)
        self.opener = Opener(self)
        self.warm_up = WarmUp()
        favour_the_window()
        self._shown_first = False
        self._pending_notice = ""  # a line from the state, shown beside the session's next message
        self.interactive = True  # False under --screenshot: failures are reported, never asked about
        self.setWindowTitle("lstm_viz")
        self.setAcceptDrops(True)
        build_actions(self)
        self._build_ui()
        self._build_menus()
        self._connect()
        __import__("lstm_viz.app.panels", fromlist=["install_panels"]).install_panels(self)  # the units panels
        window_settings.restore(self)
        self.opener.refresh_menu()

    # -- construction -----------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.stack = PlotStack(self.state)
        self.coloured_scroll = ColouredTextPane()  # the text with its own scroll bar (in timesteps)
        self.coloured = self.coloured_scroll.text
        self.editor = TextEditor()
        # In place of the coloured text when the focus quantity has no such unit (projected hidden state).
        self.coloured_message = QtWidgets.QLabel()
        self.coloured_message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.coloured_message.setWordWrap(True)
        self.coloured_page = QtWidgets.QStackedWidget()
        self.coloured_page.addWidget(self.coloured_scroll)
        self.coloured_page.addWidget(self.coloured_message)
        self.text_tabs = QtWidgets.QTabWidget()
        self.text_tabs.addTab(self.coloured_page, "Coloured text")
        self.text_tabs.addTab(self.editor, "Edit text")
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.text_tabs)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 2)
        self._sized = False
        self.setCentralWidget(self.splitter)

        self.inspector = Inspector()
        self.inspector.fetcher = self.coloured.fetcher = self.stack.fetcher  # lazy traces: windows off this thread
        dock = QtWidgets.QDockWidget("Inspector", self)
        dock.setObjectName("inspector")
        dock.setWidget(self.inspector)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.inspector_dock = dock

        bar = QtWidgets.QToolBar("View")
        bar.setObjectName("view_toolbar")
        bar.setMovable(False)
        self.layer_box = QtWidgets.QComboBox()
        self.direction_box = QtWidgets.QComboBox()
        self.direction_box.addItems(["forward", "backward"])
        self.order_box = QtWidgets.QComboBox()
        self.order_box.addItems(["by index", "by variance", "by mean", "by activation at selected step"])
        self.quantity_box = QtWidgets.QComboBox()
        self._fill_quantity_box()
        self.quantity_box.setToolTip("Colours the text, orders the units and is what Export data writes")
        self.unit_field = UnitField(self.state)
        for label, w in (("Layer", self.layer_box), ("Direction", self.direction_box),
                         ("Units", self.order_box), ("Focus", self.quantity_box), ("Go to unit", self.unit_field)):
            bar.addWidget(QtWidgets.QLabel(f"  {label} "))
            bar.addWidget(w)
        bar.addSeparator()
        bar.addWidget(QtWidgets.QLabel("  Heatmaps "))
        for a in self.panel_actions.values():
            bar.addAction(a)
        self._bar_panels_end = bar.addSeparator()  # the cell's heatmap toggles go before it
        bar.addAction(self.act_hidden)
        self.addToolBar(bar)
        self.toolbar = bar

        self.status_label = QtWidgets.QLabel("ready")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(200)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel_button = QtWidgets.QToolButton()
        self.cancel_button.setDefaultAction(self.act_cancel)
        self.cancel_button.hide()
        sb = self.statusBar()
        sb.addWidget(self.status_label, 1)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)
        self.resize(1400, 900)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        f.addActions([self.act_open, self.act_open_text, self.act_demo])
        self.recent_menu = f.addMenu("Open &recent")
        f.addSeparator()
        f.addAction(self.act_info)
        f.addSeparator()
        f.addActions([self.act_export_fig, self.act_export_data])
        f.addSeparator()
        f.addAction(self.act_quit)
        m = mb.addMenu("&Model")
        m.addActions([self.act_train, self.act_analyse, self.act_cancel])
        v = mb.addMenu("&View")
        v.addActions(list(self.panel_actions.values()))
        self.view_menu, self._menu_panels_end = v, v.addSeparator()
        v.addActions([self.act_hidden, self.act_reset, self.act_all])
        v.addSeparator()
        v.addActions([self.act_goto, self.act_next_step, self.act_prev_step, self.act_next_unit, self.act_prev_unit])
        v.addSeparator()
        v.addAction(self.inspector_dock.toggleViewAction())
        h = mb.addMenu("&Help")
        h.addActions([self.act_help, self.act_about])

    def _connect(self) -> None:
        s, st = self.state, self.session
        self.layer_box.currentIndexChanged.connect(lambda i: s.set_layer(max(i, 0)))
        self.direction_box.currentIndexChanged.connect(lambda i: s.set_reverse(i == 1))
        self.order_box.currentIndexChanged.connect(lambda i: s.set_order(ORDERS[max(i, 0)]))
        self.quantity_box.currentIndexChanged.connect(lambda i: s.set_quantity(self.quantity_box.itemData(i)))
        self.editor.edited.connect(lambda text: s.set_text(text, typed=True))
        self.coloured.hovered.connect(lambda t: s.set_hover(t, None))  # the text shows the selected unit
        self.coloured.clicked.connect(s.select_time)
        self.stack.time_range_changed.connect(self.coloured.show_time_range)  # the text follows the plots
        self.unit_field.message.connect(self.status_label.setText)
        s.cell_changed.connect(self._cell_changed)
        s.notice.connect(self._notice)
        s.trace_changed.connect(self._trace_changed)
        s.text_changed.connect(self._text_changed)
        s.selection_changed.connect(lambda _: self._recolour())
        s.view_changed.connect(self._recolour)
        s.hover_changed.connect(lambda *_: self._inspect())
        s.time_selected.connect(self.coloured.set_selected)
        s.time_selected.connect(lambda _: self._inspect())
        s.selection_changed.connect(lambda _: self._inspect())
        s.view_changed.connect(self._inspect)
        s.model_changed.connect(lambda m: self.setWindowTitle(window_title(m)))
        self.stack.fetcher.ready.connect(lambda: (self._inspect(), self.coloured.update()))
        st.busy.connect(self._busy)
        st.progress.connect(lambda v: self.progress.setValue(int(v * 1000)))
        st.idle.connect(self._idle)
        st.message.connect(self._message)
        st.failed.connect(self._failed)
        st.analysed.connect(self._analysed)

    # -- settings -------------------------------------------------------------------------------------------
    def save_settings(self) -> None:
        window_settings.save(self)

    def recent_files(self) -> list[str]:
        return self.opener.recent.paths()

    def showEvent(self, event) -> None:
        """First show without saved settings: plots get about 70 % of the height, the text 30 %."""
        super().showEvent(event)
        self.warm_up.start(self)  # torch imported off the GUI thread before the user opens anything
        if not self._sized:
            self._sized = True
            if not window_settings.has_splitter(self.settings):
                h = max(self.splitter.height(), 400)
                self.splitter.setSizes([int(h * 0.7), int(h * 0.3)])

    def closeEvent(self, event) -> None:
        train = getattr(self, "train_dialog", None)
        if train is not None:
            if not train.close():
                event.ignore()  # the user chose to keep a training run going
                return
            train.shutdown()
        self.save_settings()
        self.session.shutdown()
        super().closeEvent(event)

    # -- opening ----------------------------------------------------------------------------------------------
    def open_startup(self, checkpoint=None, text_path=None) -> None:
        self.opener.open_startup(checkpoint, text_path)

    def open_demo(self) -> None:
        self.open_startup()

    def open_checkpoint_dialog(self) -> None:
        path = dialogs.open_file(self, "Open checkpoint", self.opener.last_dir(), dialogs.CHECKPOINT_FILTER)
        if path:
            self.settings.setValue("recent/dir", str(Path(path).parent))
            self.open_checkpoint(path)

    def open_checkpoint(self, path, text: str | None = None, **options) -> None:
        self.opener.open_checkpoint(path, text=text, **options)

    def open_text_dialog(self) -> None:
        path = dialogs.open_file(self, "Open text", self.opener.last_dir(), dialogs.TEXT_FILTER)
        if path:
            self.open_text(path)

    def open_text(self, path) -> None:
        self.opener.open_text(path)

    def _failed(self, what: str, msg: str) -> None:
        self.status_label.setText(f"⚠ {msg}")
        if what == "open" and self.interactive:
            dialogs.error(self, "Could not open", msg)

    # -- state -> widgets -------------------------------------------------------------------------------------
    def _fill_quantity_box(self) -> None:
        """The focus choices: the quantities of the cell shown."""
        with blocked(self.quantity_box):
            self.quantity_box.clear()
            for q in self.state.quantities:
                self.quantity_box.addItem(style.LABELS[q], q)
            self.quantity_box.setCurrentIndex(max(self.quantity_box.findData(self.state.quantity), 0))

    def _cell_changed(self, cell) -> None:
        """A trace of a cell with other quantities: heatmap toggles (keys 1, 2, ...) and focus choices follow
        it; "also h_t" means nothing for a cell whose traces already are h."""
        for a in self.panel_actions.values():
            self.toolbar.removeAction(a)
            self.view_menu.removeAction(a)
            a.setParent(None)
            a.deleteLater()
        self.panel_actions = panel_actions(self, cell.quantities)
        self.toolbar.insertActions(self._bar_panels_end, list(self.panel_actions.values()))
        self.view_menu.insertActions(self._menu_panels_end, list(self.panel_actions.values()))
        self._fill_quantity_box()
        self.act_hidden.setEnabled(cell.has_cell_state)
        self.act_hidden.setToolTip("Draw the hidden state of the selected units (dashed) beside c_t"
                                   if cell.has_cell_state else
                                   f"{cell.a_title} has no separate cell state: the traces show h_t")

    def _notice(self, text: str) -> None:
        """A line from the state (a focus this cell lacks): shown now, and kept beside the next message."""
        self._pending_notice = text
        self.status_label.setText(text)

    def _message(self, text: str) -> None:
        notice, self._pending_notice = self._pending_notice, ""
        self.status_label.setText(f"{text} — {notice}" if notice else text)

    def _busy(self, what: str) -> None:
        self.status_label.setText(what + "…")
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()

    def _idle(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()

    def _text_changed(self, text: str, typed: bool) -> None:
        if not typed:
            self.editor.show_text(text)

    def _trace_changed(self, trace) -> None:
        with blocked(self.layer_box, self.direction_box):
            self.layer_box.clear()
            if trace is not None:
                self.layer_box.addItems([str(k) for k in range(trace.num_layers)])
                self.layer_box.setCurrentIndex(self.state.layer)
                self.direction_box.setEnabled(trace.bidirectional)
                self.direction_box.setCurrentIndex(int(self.state.reverse))
        # The coloured text is laid out and painted in a later pass of the event loop, apart from the plots,
        # so that no single pass keeps the GUI thread busy for long.
        QtCore.QTimer.singleShot(30, self, lambda: self._show_text(trace))
        self._recolour_label()
        self._inspect()

    def _show_text(self, trace) -> None:
        if trace is self.state.trace:
            self.coloured.set_trace(trace)
            self._recolour()

    def _recolour_label(self) -> str | None:
        """The coloured-text tab's title; None (and a reason in the title) when the focus quantity has no
        such unit: with a projection the hidden state has fewer units than the cell."""
        s = self.state
        label = style.LABELS[s.quantity]
        n = s.num_units(s.quantity)
        self.coloured_page.setCurrentWidget(self.coloured_scroll)
        if s.trace is None or not s.units:
            self.text_tabs.setTabText(0, "Coloured text")
            return None
        u = s.units[0]
        if u >= n:
            self.text_tabs.setTabText(0, f"Coloured text: the {label} has {n} units, no unit {u}")
            self.coloured_message.setText(
                f"The {label} of this model has {n} units (a projection maps the {s.num_units()} cell units "
                f"to {n}), so it has no unit {u}.\nChoose a unit below {n} (Go to unit), or another Focus.")
            self.coloured_page.setCurrentWidget(self.coloured_message)
            return None
        backward = s.model is not None and s.model.config.reads_backward
        self.text_tabs.setTabText(0, f"Coloured text: {label} of unit {u}" + (READ_BACKWARD if backward else ""))
        return f"{label}, unit {u}"

    def _recolour(self) -> None:
        s = self.state
        label = self._recolour_label()
        if label is None or self.coloured.trace is not s.trace:
            self.coloured.set_values(None, s.quantity, "")
            return
        values, levels = self.stack.focus_column()
        self.coloured.set_values(values, s.quantity, label, levels)

    def _inspect(self) -> None:
        """The inspector shows the cell under the mouse; over none, the selected timestep and unit."""
        s = self.state
        t, unit = s.hover
        self.coloured.set_hover(t)
        if t is None:
            t = s.time if s.trace is not None else None
        if unit is None and s.units:
            unit = s.units[0]
        if unit is not None and unit >= s.num_units():
            unit = None
        self.inspector.show_cell(s.trace, s.layer, s.reverse, t, unit)

    def _analysed(self) -> None:
        if not self._shown_first:
            self._shown_first = True
            self.first_analysis.emit()

    # -- keyboard ---------------------------------------------------------------------------------------------
    def step_time(self, delta: int) -> None:
        """Alt+Left/Right: the selected timestep moves, and the inspector follows it (not a stale hover)."""
        tr = self.state.trace
        if tr is not None:
            self.state.set_hover(None, None)
            self.state.select_time(min(max(self.state.time + delta, 0), len(tr) - 1))

    def step_unit(self, delta: int) -> None:
        """Move the primary unit one row up or down, in the rows' current order."""
        panel = self.state.panels[0] if self.state.panels else self.state.state_quantity
        order = self.stack.heatmaps[panel].axis.order
        if not len(order) or not self.state.units:
            return
        self.state.set_hover(None, None)
        where = [int(r) for r in range(len(order)) if order[r] == self.state.units[0]]
        row = min(max((where[0] if where else 0) + delta, 0), len(order) - 1)
        self.state.select_unit(int(order[row]))

    def focus_unit_field(self) -> None:
        self.unit_field.setFocus()
        self.unit_field.selectAll()

    def toggle_panel(self, q: str, on: bool) -> None:
        panels = set(self.state.panels) | {q} if on else set(self.state.panels) - {q}
        self.state.set_panels(panels)

    # -- drag and drop ------------------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            path = url.toLocalFile()
            if not path:
                continue
            if Path(path).suffix.lower() in CHECKPOINT_SUFFIXES:
                self.open_checkpoint(path)
            else:
                self.open_text(path)
        event.acceptProposedAction()

    # -- other windows ------------------------------------------------------------------------------------------
    def model_info_rows(self) -> list[tuple[str, str]]:
        return dialogs.model_info_rows(self.state.model) if self.state.model is not None else []

    def show_model_info(self) -> None:
        if self.state.model is None:
            self.status_label.setText("no model loaded")
            return
        dialogs.ModelInfoDialog(self.model_info_rows(), self).exec()

    def show_train_dialog(self) -> None:
        from .train_dialog import TrainDialog

        if getattr(self, "train_dialog", None) is None:
            self.train_dialog = TrainDialog(self.settings, self)
            self.train_dialog.trained.connect(lambda path, sample: self.open_checkpoint(path, text=sample))
        self.train_dialog.show()
        self.train_dialog.raise_()

    def show_help(self) -> None:
        from .help_page import HelpDialog

        if getattr(self, "help_dialog", None) is None:
            self.help_dialog = HelpDialog(self)
        self.help_dialog.show()
        self.help_dialog.raise_()

    def export_figure(self) -> None:
        from .export import export_figure

        export_figure(self)

    def export_data(self) -> None:
        from .export import export_data

        export_data(self)

    def about(self) -> None:
        from lstm_viz import __version__

        QtWidgets.QMessageBox.about(self, "About lstm_viz",
                                    f"<b>lstm_viz {__version__}</b><br>See what an LSTM does inside: every gate, "
                                    "cell and hidden state, per timestep and unit.")
