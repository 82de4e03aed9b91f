"""Train a small character LSTM on a corpus, with a live loss curve, progress, speed and cancel.

The training generator runs on the worker; every Progress it yields updates the curve. Cancel stops at the
next batch and still leaves a valid checkpoint. When training ends, ``trained(path)`` opens the new model.
"""
from __future__ import annotations

import time
from pathlib import Path

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from . import dialogs
from .views.common import BACKGROUND, FOREGROUND
from .worker import Runner


def default_output(settings: QtCore.QSettings, corpus: str) -> str:
    folder = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation)
    folder = settings.value("train/dir", folder, type=str)
    name = Path(corpus).stem if Path(corpus).suffix else corpus
    return str(Path(folder) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.pt")


class TrainDialog(QtWidgets.QDialog):
    trained = QtCore.Signal(str, str)  # path of the new checkpoint, a sample of its corpus to open it on

    def __init__(self, settings: QtCore.QSettings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Train a model")
        self.settings = settings
        self.runner = Runner(self, threads=1)
        self.job = None
        from lstm_viz.core.corpora import CORPORA

        self.corpus_box = QtWidgets.QComboBox()
        for name, desc in CORPORA.items():
            self.corpus_box.addItem(name, name)
            self.corpus_box.setItemData(self.corpus_box.count() - 1, desc, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.corpus_box.addItem("text files…", None)
        self.files: list[str] = []
        self.hidden = self._spin(1, 2048, 128)
        self.layers = self._spin(1, 4, 1)
        self.steps = self._spin(1, 1_000_000, 2000)
        self.seq_len = self._spin(2, 1000, 100)
        self.batch = self._spin(1, 1024, 32)
        self.size = self._spin(0, 100_000_000, 0)
        self.size.setSpecialValueText("default")
        self.size.setToolTip("characters of corpus to use (0: the corpus's default)")
        form = QtWidgets.QFormLayout()
        form.addRow("Corpus", self.corpus_box)
        form.addRow("Hidden units", self.hidden)
        form.addRow("Layers", self.layers)
        form.addRow("Steps", self.steps)
        form.addRow("Sequence length", self.seq_len)
        form.addRow("Batch size", self.batch)
        form.addRow("Corpus size (chars)", self.size)

        self.plot = pg.PlotWidget(background=BACKGROUND)
        self.plot.setLabel("bottom", "step", color=FOREGROUND)
        self.plot.setLabel("left", "loss (nats/char)", color=FOREGROUND)
        self.plot.addLegend(offset=(-10, 10), labelTextColor=FOREGROUND)
        self.train_curve = self.plot.plot([], [], pen=pg.mkPen("#4e79a7", width=1.5), name="train")
        self.val_curve = self.plot.plot([], [], pen=pg.mkPen("#f28e2b", width=2), symbol="o", symbolSize=6,
                                        symbolBrush="#f28e2b", name="validation")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.info = QtWidgets.QLabel("choose a corpus and press Train")
        self.train_button = QtWidgets.QPushButton("Train")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.train_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.info, 1)
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.cancel_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.progress)
        lay.addLayout(buttons)
        self.resize(620, 560)
        self._steps, self._losses, self._vsteps, self._vlosses = [], [], [], []

    @staticmethod
    def _spin(lo, hi, value) -> QtWidgets.QSpinBox:
        s = QtWidgets.QSpinBox()
        s.setRange(lo, hi)
        s.setValue(value)
        s.setGroupSeparatorShown(True)
        return s

    def config(self):
        from lstm_viz.core.train import TrainConfig

        return TrainConfig(hidden_size=self.hidden.value(), num_layers=self.layers.value(), steps=self.steps.value(),
                           seq_len=self.seq_len.value(), batch_size=self.batch.value(),
                           eval_every=max(1, self.steps.value() // 10))

    def corpus_spec(self):
        name = self.corpus_box.currentData()
        if name is not None:
            return name
        if not self.files:
            path = dialogs.open_file(self, "Text files to train on", "", dialogs.TEXT_FILTER)
            self.files = [path] if path else []
        return self.files or None

    def start(self, out_path: str | None = None) -> None:
        from .worker import one_line

        spec = self.corpus_spec()
        if spec is None:
            return
        try:
            config = self.config()
        except Exception as e:  # noqa: BLE001 - a bad setting is shown, not raised
            self.info.setText(one_line(e))
            return
        out = out_path or default_output(self.settings, spec if isinstance(spec, str) else spec[0])
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        from . import tasks

        self._steps, self._losses, self._vsteps, self._vlosses = [], [], [], []
        self.train_curve.setData([], [])
        self.val_curve.setData([], [])
        self.out = out
        self.job = self.runner.start("train", tasks.train, (spec, config, out, self.size.value() or None),
                                     progress=self._progress, returned=self._done, errored=self._failed)
        self.train_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.info.setText("loading the corpus…")

    def cancel(self) -> None:
        """Stop at the next batch: training closes cleanly and keeps a valid checkpoint."""
        if self.job is not None:
            self.info.setText("stopping…")
            gen_job = self.job
            gen_job.cancel()
            gen_job.finished.connect(self._reset_buttons)
            gen_job.finished.connect(lambda: self.info.setText(f"stopped; the model so far is in {self.out}"))

    def _progress(self, p) -> None:
        self._steps.append(p.step)
        self._losses.append(p.train_loss)
        self.train_curve.setData(self._steps, self._losses)
        if p.val_loss is not None:
            self._vsteps.append(p.step)
            self._vlosses.append(p.val_loss)
            self.val_curve.setData(self._vsteps, self._vlosses)
        self.progress.setValue(int(1000 * p.step / max(p.total_steps, 1)))
        self.info.setText(f"step {p.step:,}/{p.total_steps:,} · loss {p.train_loss:.3f} · "
                          f"{p.tokens_per_sec:,.0f} chars/s · {p.seconds_left:,.0f} s left")

    def _done(self, out) -> None:
        result, sample = out
        self._reset_buttons()
        val = f", validation {result.val_bpc:.3f} bits/char" if result.val_bpc is not None else ""
        self.info.setText(f"done: {result.steps:,} steps{val}; saved {result.path}")
        self.trained.emit(str(result.path), sample)

    def _failed(self, msg: str) -> None:
        self._reset_buttons()
        self.info.setText(f"⚠ {msg}")

    def _reset_buttons(self) -> None:
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.job = None

    def closeEvent(self, event) -> None:
        self.runner.shutdown()
        super().closeEvent(event)
