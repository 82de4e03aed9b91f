"""The main window. Built in a fixed order: actions -> UI -> menus -> restore settings (orange-canvas style).

Controls write to the AppState; views subscribe to it; loading and analysis run on the Session's worker.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from . import dialogs, style
from .plot_stack import PlotStack
from .session import Session
from .state import ORDERS, AppState
from .views.coloured_text import ColouredText
from .views.inspector import Inspector

SETTINGS_VERSION = 1
MAX_RECENT = 8
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".tar")


@contextmanager
def blocked(*objects):
    """Block the objects' signals while the state updates a control (no feedback loop). Not
    QtCore.QSignalBlocker: as a context manager in PySide6 6.12 it under-counts references to None and
    eventually aborts the interpreter."""
    old = [o.blockSignals(True) for o in objects]
    try:
        yield
    finally:
        for o, was in zip(objects, old):
            o.blockSignals(was)


class MainWindow(QtWidgets.QMainWindow):
    first_analysis = QtCore.Signal()

    def __init__(self, settings: QtCore.QSettings | None = None, parent=None):
        super().__init__(parent)
        self.settings = settings if settings is not None else QtCore.QSettings()
        self.state = AppState(self)
        self.session = Session(self.state, self)
        self._shown_first = False
        self.interactive = True  # False under --screenshot: failures are reported, never asked about
        self.setWindowTitle("lstm_viz")
        self.setAcceptDrops(True)
        self._build_actions()
        self._build_ui()
        self._build_menus()
        self._connect()
        self._restore_settings()

    # -- construction -----------------------------------------------------------------------------------------
    def _action(self, text, slot=None, shortcut=None, tip=None, checkable=False, checked=False):
        a = QtGui.QAction(text, self)
        if shortcut:
            a.setShortcut(QtGui.QKeySequence(shortcut))
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        if checkable:
            a.setCheckable(True)
            a.setChecked(checked)
        if slot is not None:
            (a.toggled if checkable else a.triggered).connect(slot)
        return a

    def _build_actions(self) -> None:
        A = self._action
        self.act_open = A("&Open checkpoint…", self.open_checkpoint_dialog, QtGui.QKeySequence.StandardKey.Open,
                          "Open a PyTorch LSTM checkpoint")
        self.act_open_text = A("Open &text…", self.open_text_dialog, "Ctrl+Shift+O", "Read a UTF-8 text file")
        self.act_demo = A("Open the &demo", self.open_demo, None, "The bundled demo model and text")
        self.act_info = A("Model &info…", self.show_model_info, "Ctrl+I", "What the loaded checkpoint holds")
        self.act_export_fig = A("Export &figure…", self.export_figure, "Ctrl+E",
                                "PNG, SVG or PDF of the current view")
        self.act_export_data = A("Export &data…", self.export_data, "Ctrl+Shift+E",
                                 "CSV of the focus quantity, or NPZ of everything, for the current view")
        self.act_quit = A("&Quit", self.close, QtGui.QKeySequence.StandardKey.Quit)
        self.act_train = A("&Train a model…", self.show_train_dialog, "Ctrl+T", "Train a small LSTM on a corpus")
        self.act_analyse = A("&Analyse now", self.session.analyse, "Ctrl+Return", "Re-run the analysis")
        self.act_cancel = A("&Cancel", self.session.cancel, "Esc", "Stop the running analysis")
        self.act_reset = A("&Reset zoom", lambda: self.stack.reset_zoom(), "Ctrl+0", "Show the first 400 steps")
        self.act_all = A("Show &whole text", lambda: self.stack.strip.plot.autoRange(padding=0), "Ctrl+9")
        self.act_next_step = A("Next timestep", lambda: self._step_time(1), "Alt+Right")
        self.act_prev_step = A("Previous timestep", lambda: self._step_time(-1), "Alt+Left")
        self.act_next_unit = A("Next unit (row below)", lambda: self._step_unit(1), "Alt+Down")
        self.act_prev_unit = A("Previous unit (row above)", lambda: self._step_unit(-1), "Alt+Up")
        self.act_hidden = A("Traces: also h_t", self.state.set_show_hidden, "H",
                            "Draw the hidden state of the selected units (dashed) beside c_t", checkable=True)
        self.panel_actions = {}
        for k, q in enumerate(style.QUANTITIES):
            a = A(style.LABELS[q], lambda on, q=q: self._toggle_panel(q, on), f"{k + 1}",
                  f"Show the {style.LABELS[q]} heatmap", checkable=True, checked=q in self.state.panels)
            a.setIconText(style.SYMBOL[q])
            self.panel_actions[q] = a
        self.act_about = A("&About lstm_viz", self.about)

    def _build_ui(self) -> None:
        self.stack = PlotStack(self.state)
        self.coloured = ColouredText()
        self.coloured_scroll = QtWidgets.QScrollArea()
        self.coloured_scroll.setWidgetResizable(True)
        # Always on: a scroll bar appearing would change the width and lay 20,000 tokens out twice.
        self.coloured_scroll.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.coloured_scroll.setWidget(self.coloured)
        self.editor = QtWidgets.QPlainTextEdit()
        self.editor.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlaceholderText("Type or paste a text: it is analysed after a short pause.")
        self.text_tabs = QtWidgets.QTabWidget()
        self.text_tabs.addTab(self.coloured_scroll, "Coloured text")
        self.text_tabs.addTab(self.editor, "Edit text")
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.text_tabs)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 2)
        self._sized = False
        self.setCentralWidget(self.splitter)

        self.inspector = Inspector()
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
        for q in style.QUANTITIES:
            self.quantity_box.addItem(style.LABELS[q], q)
        self.quantity_box.setToolTip("Colours the text, orders the units and is what Export data writes")
        for label, w in (("Layer", self.layer_box), ("Direction", self.direction_box),
                         ("Units", self.order_box), ("Focus", self.quantity_box)):
            bar.addWidget(QtWidgets.QLabel(f"  {label} "))
            bar.addWidget(w)
        bar.addSeparator()
        bar.addWidget(QtWidgets.QLabel("  Heatmaps "))
        for a in self.panel_actions.values():
            bar.addAction(a)
        bar.addSeparator()
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
        v.addSeparator()
        v.addActions([self.act_hidden, self.act_reset, self.act_all])
        v.addSeparator()
        v.addActions([self.act_next_step, self.act_prev_step, self.act_next_unit, self.act_prev_unit])
        v.addSeparator()
        v.addAction(self.inspector_dock.toggleViewAction())
        h = mb.addMenu("&Help")
        h.addAction(self.act_about)

    def _connect(self) -> None:
        s, st = self.state, self.session
        self.layer_box.currentIndexChanged.connect(lambda i: s.set_layer(max(i, 0)))
        self.direction_box.currentIndexChanged.connect(lambda i: s.set_reverse(i == 1))
        self.order_box.currentIndexChanged.connect(lambda i: s.set_order(ORDERS[max(i, 0)]))
        self.quantity_box.currentIndexChanged.connect(lambda i: s.set_quantity(self.quantity_box.itemData(i)))
        self.editor.textChanged.connect(lambda: s.set_text(self.editor.toPlainText(), typed=True))
        self.coloured.hovered.connect(lambda t: s.set_hover(t, s.hover[1]) if t is not None else None)
        self.coloured.clicked.connect(s.select_time)
        self.stack.time_range_changed.connect(self.coloured.show_time_range)  # the text follows the plots
        s.trace_changed.connect(self._trace_changed)
        s.text_changed.connect(self._text_changed)
        s.selection_changed.connect(lambda _: self._recolour())
        s.view_changed.connect(self._recolour)
        s.hover_changed.connect(self._hover)
        s.time_selected.connect(self.coloured.set_selected)
        s.time_selected.connect(lambda _: self._hover(*s.hover))
        s.selection_changed.connect(lambda _: self._hover(*s.hover))
        s.model_changed.connect(lambda m: self.setWindowTitle(f"lstm_viz — {m.name}" if m else "lstm_viz"))
        st.busy.connect(self._busy)
        st.progress.connect(lambda v: self.progress.setValue(int(v * 1000)))
        st.idle.connect(self._idle)
        st.message.connect(self.status_label.setText)
        st.failed.connect(self._failed)
        st.load_failed.connect(self._load_failed)
        st.loaded.connect(self._loaded)
        st.analysed.connect(self._analysed)

    # -- settings -------------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        st = self.settings
        if st.value("version", 0, type=int) == SETTINGS_VERSION:
            geometry = st.value("window/geometry", QtCore.QByteArray(), type=QtCore.QByteArray)
            if not geometry.isEmpty():
                self.restoreGeometry(geometry)
            state = st.value("window/state", QtCore.QByteArray(), type=QtCore.QByteArray)
            if not state.isEmpty():
                self.restoreState(state, SETTINGS_VERSION)
            splitter = st.value("window/splitter", QtCore.QByteArray(), type=QtCore.QByteArray)
            if not splitter.isEmpty():
                self.splitter.restoreState(splitter)
            panels = st.value("view/panels", ",".join(self.state.panels), type=str)
            self.state.set_panels([p for p in panels.split(",") if p in style.QUANTITIES])
            order = st.value("view/order", "index", type=str)
            if order in ORDERS:
                self.order_box.setCurrentIndex(ORDERS.index(order))
            quantity = st.value("view/quantity", "cell", type=str)
            if quantity in style.QUANTITIES:
                self.quantity_box.setCurrentIndex(style.QUANTITIES.index(quantity))
            self.act_hidden.setChecked(st.value("view/show_hidden", False, type=bool))
        self.quantity_box.setCurrentIndex(style.QUANTITIES.index(self.state.quantity))
        self.order_box.setCurrentIndex(ORDERS.index(self.state.order))
        for q, a in self.panel_actions.items():
            with blocked(a):
                a.setChecked(q in self.state.panels)
        self._refresh_recent()

    def save_settings(self) -> None:
        st = self.settings
        st.setValue("version", SETTINGS_VERSION)
        st.setValue("window/geometry", self.saveGeometry())
        st.setValue("window/state", self.saveState(SETTINGS_VERSION))
        st.setValue("window/splitter", self.splitter.saveState())
        st.setValue("view/panels", ",".join(self.state.panels))
        st.setValue("view/order", self.state.order)
        st.setValue("view/quantity", self.state.quantity)
        st.setValue("view/show_hidden", self.state.show_hidden)
        st.sync()

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent/checkpoints", "", type=str)
        return [p for p in value.split("\n") if p]

    def _add_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        files = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent/checkpoints", "\n".join(files[:MAX_RECENT]))
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for p in files:
            self.recent_menu.addAction(Path(p).name, lambda p=p: self.open_checkpoint(p)).setToolTip(p)
        self.recent_menu.setEnabled(bool(files))

    def showEvent(self, event) -> None:
        """First show without saved settings: plots get about 70 % of the height, the text 30 %."""
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if self.settings.value("window/splitter", QtCore.QByteArray(), type=QtCore.QByteArray).isEmpty():
                h = max(self.splitter.height(), 400)
                self.splitter.setSizes([int(h * 0.7), int(h * 0.3)])

    def closeEvent(self, event) -> None:
        self.save_settings()
        self.session.shutdown()
        train = getattr(self, "train_dialog", None)
        if train is not None:
            train.close()
        super().closeEvent(event)

    # -- opening ----------------------------------------------------------------------------------------------
    def _last_dir(self) -> str:
        return self.settings.value("recent/dir", "", type=str)

    def open_startup(self, checkpoint=None, text_path=None) -> None:
        from lstm_viz.resources import DEMO_MODEL, DEMO_TEXT

        checkpoint = checkpoint or DEMO_MODEL
        if text_path is None:
            text_path = DEMO_TEXT if DEMO_TEXT.exists() else None
        if not Path(checkpoint).exists():
            self.status_label.setText(f"{checkpoint}: no such file. Use File > Open checkpoint, or Model > Train.")
            return
        if text_path is None:
            self.status_label.setText("no text: type one in the Edit text tab")
            self.open_checkpoint(checkpoint)
            return
        self._open_options = (str(checkpoint), {})
        self.session.open_startup(checkpoint, text_path)

    def open_demo(self) -> None:
        self.open_startup()

    def open_checkpoint_dialog(self) -> None:
        path = dialogs.open_file(self, "Open checkpoint", self._last_dir(), dialogs.CHECKPOINT_FILTER)
        if path:
            self.settings.setValue("recent/dir", str(Path(path).parent))
            self.open_checkpoint(path)

    def open_checkpoint(self, path, **options) -> None:
        self._open_options = (str(path), dict(options))
        self.session.open_checkpoint(path, **options)

    def open_text_dialog(self) -> None:
        path = dialogs.open_file(self, "Open text", self._last_dir(), dialogs.TEXT_FILTER)
        if path:
            self.open_text(path)

    def open_text(self, path) -> None:
        from lstm_viz.core.textfile import read_text_file
        from .worker import one_line

        try:
            text = read_text_file(path)
        except Exception as e:  # noqa: BLE001 - shown to the user in one line
            self._failed("open", one_line(e))
            return
        if not text:
            self._failed("open", f"{path}: the file is empty: nothing to analyse")
            return
        self.state.set_text(text)

    def _loaded(self, model, path: str) -> None:
        self._add_recent(path)
        if model.notes:
            self.status_label.setText("; ".join(model.notes))
        c = model.config
        needs_vocab = model.vocab is None and c.vocab_size and c.input_mode != "vectors"
        if needs_vocab and self.interactive:
            vocab = dialogs.ask_vocab(self, path, c.vocab_size, self._last_dir())
            if vocab:
                _, options = getattr(self, "_open_options", (path, {}))
                self.open_checkpoint(path, **{**options, "vocab": vocab})

    def _load_failed(self, path: str, msg: str, options: dict) -> None:
        if not self.interactive:
            self._failed("open", msg)
            return
        if "pickled Python object" in msg and not options.get("trust"):
            if dialogs.ask_trust(self, path):
                self.open_checkpoint(path, **{**options, "trust": True})
            return
        names = dialogs.module_choices(msg)
        if names and not options.get("module"):
            name = dialogs.ask_module(self, path, names)
            if name:
                self.open_checkpoint(path, **{**options, "module": name})
            return
        self._failed("open", msg)

    def _failed(self, what: str, msg: str) -> None:
        self.status_label.setText(f"⚠ {msg}")
        if what == "open" and self.interactive:
            dialogs.error(self, "Could not open", msg)

    # -- state -> widgets -------------------------------------------------------------------------------------
    def _busy(self, what: str) -> None:
        self.status_label.setText(what + "…")
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()

    def _idle(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()

    def _text_changed(self, text: str, typed: bool) -> None:
        if not typed and self.editor.toPlainText() != text:
            with blocked(self.editor):
                self.editor.setPlainText(text)

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
        self._hover(*self.state.hover)

    def _show_text(self, trace) -> None:
        if trace is self.state.trace:
            self.coloured.set_trace(trace)
            self._recolour()

    def _recolour(self) -> None:
        s = self.state
        values = s.values(s.quantity)
        if values is None or not s.units or s.units[0] >= values.shape[1]:
            self.coloured.set_values(None, s.quantity, "")
            return
        u = s.units[0]
        self.coloured.set_values(values[:, u], s.quantity, f"{style.LABELS[s.quantity]}, unit {u}")
        self.text_tabs.setTabText(0, f"Coloured text: {style.LABELS[s.quantity]} of unit {u}")

    def _hover(self, t, unit) -> None:
        """The inspector follows the mouse; without one it describes the selected step and unit."""
        s = self.state
        self.coloured.set_hover(t)
        if t is None and s.trace is not None:
            t = s.time
        if unit is None and s.units:
            unit = s.units[0]
        self.inspector.show_cell(s.trace, s.layer, s.reverse, t, unit)

    def _analysed(self) -> None:
        if not self._shown_first:
            self._shown_first = True
            self.first_analysis.emit()

    def _step_time(self, delta: int) -> None:
        tr = self.state.trace
        if tr is not None:
            self.state.select_time(min(max(self.state.time + delta, 0), len(tr) - 1))

    def _step_unit(self, delta: int) -> None:
        """Move the primary unit one row up or down, in the rows' current order."""
        order = self.stack.heatmaps["cell"].axis.order if not self.state.panels else \
            self.stack.heatmaps[self.state.panels[0]].axis.order
        if not len(order) or not self.state.units:
            return
        where = [int(r) for r in range(len(order)) if order[r] == self.state.units[0]]
        row = min(max((where[0] if where else 0) + delta, 0), len(order) - 1)
        self.state.select_unit(int(order[row]))

    def _toggle_panel(self, q: str, on: bool) -> None:
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
    def show_model_info(self) -> None:
        if self.state.model is None:
            self.status_label.setText("no model loaded")
            return
        dialogs.ModelInfoDialog(self.state.model.describe(), self).exec()

    def show_train_dialog(self) -> None:
        from .train_dialog import TrainDialog

        if getattr(self, "train_dialog", None) is None:
            self.train_dialog = TrainDialog(self.settings, self)
            self.train_dialog.trained.connect(self.open_checkpoint)
        self.train_dialog.show()
        self.train_dialog.raise_()

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
