"""One compared model (File > Add a model to compare…): its own AppState, Session (its own worker jobs, so it
opens and analyses in the background and can fail alone), PlotStack and UnitsPanel, under a header that names
the model and its cell type, says what its worker is doing, and has a close button.

The row is opened through the window's own open path (RowOpener: remembered vocab and module, and the trust,
module and vocab questions asked over the window). It knows nothing of the other rows: compare.py places it and
keeps it following the window.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lstm_viz.core.cells import cell_type

from .opening import Opener
from .plot_stack import PlotStack
from .recent import RecentFiles
from .session import Session
from .state import AppState
from .views.units_panel import UnitsPanel


def model_title(model, cell=None) -> str:
    """"<b>gru</b> · GRU, 32 units" (layers and directions when there are several)."""
    if model is None:
        return ""
    c = model.config
    cell = cell or cell_type(c.cell)
    shape = f"{c.hidden_size} units"
    if c.num_layers > 1:
        shape += f" × {c.num_layers} layers"
    if c.bidirectional:
        shape += ", both directions"
    name = model.name.replace("&", "&amp;").replace("<", "&lt;")
    return f"<b>{name}</b> · {cell.title}, {shape}"


class RowOpener(Opener):
    """The window's open path for a compared model's session. The questions are asked over the window; how the
    open ended (committed, failed, declined) reaches the row, never the window's own model."""

    def __init__(self, window, row):
        QtCore.QObject.__init__(self, row)
        self.win, self.row, self.session = window, row, row.session
        self.recent = RecentFiles(window.settings)
        self._request: dict = {}
        self.session.opened.connect(self._opened)
        self.session.load_failed.connect(self._load_failed)

    def refresh_menu(self) -> None:
        self.win.opener.refresh_menu()  # its entries open in the window, as always

    def _unchanged(self, msg: str) -> None:  # a question was declined
        self.session.drop()
        self.row.not_opened.emit(msg, False)

    def fail(self, msg: str) -> None:
        self.session.drop()
        self.row.not_opened.emit(msg, True)


class CompareRow(QtWidgets.QWidget):
    close_requested = QtCore.Signal()
    not_opened = QtCore.Signal(str, bool)  # one line; True: it failed (False: a question was declined)
    trace_arriving = QtCore.Signal()  # a new trace, before the plots draw it (they reset their zoom)
    trace_arrived = QtCore.Signal()  # ... and after

    def __init__(self, window, path, parent=None):
        super().__init__(parent)
        self.path = str(path)
        self.state = AppState(self)
        self.session = Session(self.state, self)
        self.opener = RowOpener(window, self)
        self._notice = ""
        # The plots reset their zoom when a trace of another length arrives: the rows' time link must not take
        # that for a gesture of the user's, so the arrival is announced around the plots' own handler.
        self.state.trace_changed.connect(lambda _: self.trace_arriving.emit())
        self.stack = PlotStack(self.state)
        self.state.trace_changed.connect(lambda _: self.trace_arrived.emit())
        self.units_panel = UnitsPanel(self.state, self.session.runner)  # a tab of the compare area's dock

        self.title = QtWidgets.QLabel()
        self.title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.title.setToolTip(self.path)
        self.status = QtWidgets.QLabel(f"opening {self.path}…")
        self.status.setStyleSheet("color: gray")
        self.status.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning = QtWidgets.QLabel()
        self.warning.setStyleSheet("color: #b35900")
        self.warning.hide()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(120)
        self.progress.setMaximumHeight(12)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.close_button = QtWidgets.QToolButton()
        self.close_button.setText("×")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Remove this model from the comparison (stops its work)")
        self.close_button.clicked.connect(self.close_requested)
        head = QtWidgets.QHBoxLayout()
        head.setContentsMargins(4, 2, 2, 0)
        head.setSpacing(12)
        head.addWidget(self.title)
        head.addWidget(self.status, 1)
        head.addWidget(self.warning)
        head.addWidget(self.progress)
        head.addWidget(self.close_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(head)
        lay.addWidget(self.stack, 1)

        s, st = self.state, self.session
        s.model_changed.connect(lambda m: self.title.setText(model_title(m)))
        s.cell_changed.connect(lambda cell: self.title.setText(model_title(s.model, cell)))
        s.notice.connect(self._notice_line)
        st.busy.connect(self._busy)
        st.progress.connect(lambda v: self.progress.setValue(int(v * 1000)))
        st.idle.connect(self.progress.hide)
        st.message.connect(self._message)
        st.failed.connect(self._failed)

    @property
    def name(self) -> str:
        return self.state.model.name if self.state.model is not None else self.path

    def set_warning(self, text: str) -> None:
        """A line that stays while it holds (another token count than the first model's, ...)."""
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    def shutdown(self) -> None:
        """Stop its jobs (open, analysis, units table) and wait for its threads."""
        self.session.shutdown()

    # -- its session -> the header ----------------------------------------------------------------------------
    def _busy(self, what: str) -> None:
        self.status.setText(what + "…")
        self.progress.setValue(0)
        self.progress.show()

    def _notice_line(self, text: str) -> None:
        self._notice = text
        self.status.setText(text)

    def _message(self, text: str) -> None:
        notice, self._notice = self._notice, ""
        self.status.setText(f"{text} — {notice}" if notice else text)

    def _failed(self, what: str, msg: str) -> None:
        shown = "; still showing the previous analysis" if self.state.trace is not None else ""
        self.status.setText(f"⚠ {msg}{shown}")
