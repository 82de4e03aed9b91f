"""Tools ▸ Long-range lab…: train a plain RNN, a GRU and an LSTM of the same size on ``long-copy`` lines and show
how far each carries the key — recall against the gap, the gradient norm against the distance — as
``lstm-viz lab long-range`` does.

lstm_viz.core.lab.long_range runs on the window's Runner (job kind "lab") with progress; Cancel, Esc or closing
the dialog stops it at the next batch and leaves nothing half-shown. The result is drawn by the very figure
code the command line writes (lstm_viz.figures.lab), and "Export figure…" / "Export CSV…" write it through that
code and lstm_viz.core.lab.write_csv. The same settings and seed give the same numbers.
"""
from __future__ import annotations

import math

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from . import dialogs
from .views.choose import guarded

CELL_NAMES = ("rnn", "gru", "lstm", "peephole", "cifg")
FIGURE_FILTER = "PNG image (*.png);;SVG vector (*.svg);;PDF (*.pdf)"
CSV_FILTER = "CSV tables (*.csv)"


def parse_gaps(text: str) -> tuple[int, ...]:
    """"5, 10,20" -> (5, 10, 20); a one-line InputError for anything else."""
    from lstm_viz.core.errors import InputError

    try:
        gaps = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        raise InputError(f"gaps {text!r}: give whole numbers separated by commas, e.g. 5,10,20") from None
    if not gaps:
        raise InputError("give at least one gap")
    return gaps


def run_lab(config):
    """The worker's job: the core's generator (one LabProgress per batch and measurement, then a LabResult)."""
    from lstm_viz.core.lab import long_range

    return (yield from long_range(config))


class LabDialog(QtWidgets.QDialog):
    def __init__(self, runner, parent=None):
        super().__init__(parent)
        from lstm_viz.core.lab import LabConfig

        self.setWindowTitle("Long-range lab")
        self.runner = runner
        self.job = None
        self.run = None  # the run whose signals count
        self.result = None  # the LabResult shown
        self.figure = None  # its lstm_viz.figures Figure, embedded below
        d = LabConfig()
        self.cell_boxes = {}
        cells = QtWidgets.QHBoxLayout()
        for name in CELL_NAMES:
            box = QtWidgets.QCheckBox(name)
            box.setChecked(name in d.cells)
            self.cell_boxes[name] = box
            cells.addWidget(box)
        cells.addStretch(1)
        self.gaps = QtWidgets.QLineEdit(",".join(map(str, d.gaps)))
        self.gaps.setToolTip("filler characters between the key and its repeat, separated by commas")
        self.hidden = self._spin(1, 4096, d.hidden_size)
        self.steps = self._spin(1, 1_000_000, d.steps)
        self.seed = self._spin(0, 2 ** 31 - 1, d.seed)
        self.lr = QtWidgets.QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(0.001)
        self.lr.setValue(d.lr)
        form = QtWidgets.QFormLayout()
        form.addRow("cells", cells)
        form.addRow("gaps", self.gaps)
        form.addRow("units", self.hidden)
        form.addRow("steps per cell", self.steps)
        form.addRow("learning rate", self.lr)
        form.addRow("seed", self.seed)
        self.form = QtWidgets.QWidget()
        self.form.setLayout(form)

        self.run_button = QtWidgets.QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.export_figure_button = QtWidgets.QPushButton("Export figure…")
        self.export_figure_button.clicked.connect(self.export_figure)
        self.export_csv_button = QtWidgets.QPushButton("Export CSV…")
        self.export_csv_button.clicked.connect(self.export_csv)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QtWidgets.QHBoxLayout()
        for b in (self.run_button, self.cancel_button, self.export_figure_button, self.export_csv_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QtWidgets.QLabel("Trains each cell type on long-copy lines (K:<filler>=K) and measures "
                                       "recall and the gradient reaching back to the key.")
        self.status.setWordWrap(True)
        self.area = QtWidgets.QScrollArea()  # the figure, at the size it is exported
        self.area.setWidgetResizable(False)
        self.area.setMinimumSize(420, 300)
        self.area.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.form)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.area, 1)
        self._lock(False)
        self.resize(1000, 760)

    @staticmethod
    def _spin(lo: int, hi: int, value: int) -> QtWidgets.QSpinBox:
        s = QtWidgets.QSpinBox()
        s.setRange(lo, hi)
        s.setValue(value)
        s.setGroupSeparatorShown(True)
        return s

    def config(self):
        """The LabConfig the form describes (a one-line InputError for bad settings)."""
        from lstm_viz.core.lab import LabConfig

        cells = tuple(n for n, b in self.cell_boxes.items() if b.isChecked())
        return LabConfig(gaps=parse_gaps(self.gaps.text()), cells=cells, hidden_size=self.hidden.value(),
                         steps=self.steps.value(), lr=float(self.lr.value()), seed=self.seed.value())

    # -- running ----------------------------------------------------------------------------------------------
    def running(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        from lstm_viz.core.errors import LstmVizError

        if self.running():
            return
        try:
            config = self.config()
        except LstmVizError as e:
            self.status.setText(f"⚠ {e}")
            return
        self._show(None)  # the figure of other settings does not stay beside a new run
        self.progress.setValue(0)
        self.status.setText(f"training {', '.join(config.cells)}…")
        self._lock(True)
        run = object()  # this run: what a late signal of an older one is told apart by
        self.run = run
        self.job = self.runner.start("lab", run_lab, (config,),
                                     progress=guarded(self, lambda p: self._progress(run, p)),
                                     returned=guarded(self, lambda r: self._done(run, r)),
                                     errored=guarded(self, lambda msg: self._failed(run, msg)))

    def cancel(self) -> None:
        """Stop the run at its next batch; nothing of it is shown."""
        if self.job is None:
            return
        self.job.cancel()
        self.job, self.run = None, None
        self._lock(False)
        self.progress.setValue(0)
        self.status.setText("cancelled: nothing was kept; press Run to start again")

    def _lock(self, running: bool) -> None:
        self.form.setEnabled(not running)
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        has = self.result is not None and not running
        self.export_figure_button.setEnabled(has)
        self.export_csv_button.setEnabled(has)

    def _progress(self, run, p) -> None:
        if run is not self.run:
            return
        self.progress.setValue(round(1000 * p.fraction))
        what = (f"training {p.cell}: step {p.step:,} of {p.steps:,}, loss {p.loss / math.log(2):.3f} bits/char"
                if p.phase == "train" else f"measuring {p.cell}")
        self.status.setText(f"{what} ({p.elapsed:.0f} s)")

    def _done(self, run, result) -> None:
        if run is not self.run:
            return
        self.job, self.run = None, None
        self.progress.setValue(1000)
        self._show(result)
        self._lock(False)
        lines = []
        for cell in result.cells:
            recall = ", ".join(f"{g}: {r:.2f}" for g, r in zip(result.gaps, result.recall[cell]))
            lines.append(f"{cell}: recall {recall}; gradient at the key {result.grad_norm[cell][-1]:.3g}")
        self.status.setText(f"done in {result.elapsed:.0f} s. " + " · ".join(lines))

    def _failed(self, run, msg: str) -> None:
        if run is not self.run:
            return
        self.job, self.run = None, None
        self._lock(False)
        self.status.setText(f"⚠ {msg}")

    def _show(self, result) -> None:
        """Embed the figure of ``result`` (the one Export figure writes), or nothing."""
        old = self.figure
        self.result, self.figure = result, None
        if self.area.widget() is not None:
            self.area.takeWidget()  # else the area would delete it before the Figure is closed
        if old is not None:
            old.close()
        if result is not None:
            from lstm_viz.figures.lab import lab_figure

            self.figure = lab_figure(result, 1.0)
            w = self.figure.widget
            w.setFixedSize(int(self.figure.width), int(self.figure.height))
            self.area.setWidget(w)

    def curves(self) -> list:
        """The plotted curves of the figure shown (tests read their data)."""
        import pyqtgraph as pg

        if self.figure is None:
            return []
        return [i for i in self.figure.scene.items() if isinstance(i, pg.PlotDataItem)]

    # -- export -----------------------------------------------------------------------------------------------
    def export_figure(self) -> None:
        from lstm_viz.core.errors import LstmVizError
        from lstm_viz.figures.lab import export_lab_figure

        if self.result is None:
            return
        path = dialogs.save_file(self, "Export figure", "long-range.png", FIGURE_FILTER)
        if not path:
            return
        if Path(path).suffix.lower() not in (".png", ".svg", ".pdf"):
            path += ".png"
        try:
            export_lab_figure(self.result, path)
        except (LstmVizError, OSError) as e:
            self.status.setText(f"⚠ {e}")
            return
        self.status.setText(f"wrote {path}")

    def export_csv(self) -> None:
        """Two tables beside the name chosen: NAME-recall.csv and NAME-gradients.csv."""
        from lstm_viz.core.errors import LstmVizError
        from lstm_viz.core.lab import write_csv

        if self.result is None:
            return
        path = dialogs.save_file(self, "Export CSV (two tables: NAME-recall.csv, NAME-gradients.csv)",
                                 "long-range.csv", CSV_FILTER)
        if not path:
            return
        p = Path(path)
        stem = p.name[: -len(p.suffix)] if p.suffix.lower() == ".csv" else p.name
        try:
            written = write_csv(self.result, p.parent, prefix=f"{stem}-")
        except (LstmVizError, OSError) as e:
            self.status.setText(f"⚠ {p}: {e}")
            return
        self.status.setText("wrote " + " and ".join(str(w) for w in written))

    # -- closing --------------------------------------------------------------------------------------------
    def reject(self) -> None:  # Esc and Close come here
        self.cancel()
        super().reject()

    def closeEvent(self, event) -> None:
        self.cancel()
        super().closeEvent(event)
