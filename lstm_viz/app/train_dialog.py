"""Train a small character model on a corpus, with a live loss curve (bits per character), progress, speed
and cancel. The cell is any of lstm_viz.core.cells: LSTM (the default), GRU, plain RNN (tanh or relu),
peephole LSTM, coupled-gate LSTM.

The training generator runs on the worker; every Progress it yields updates the curve. The settings are
locked while it runs; closing the dialog asks before stopping a run. Cancel stops at the next batch and
still leaves a valid checkpoint at the chosen path. When training ends, ``trained(path, sample)`` opens the
new model on a sample of its own corpus.
"""
from __future__ import annotations

import math
from pathlib import Path

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from . import dialogs
from .views.common import BACKGROUND, FOREGROUND
from .worker import Runner

LN2 = math.log(2.0)
# name -> settings; "quotes" follows the README: a 32-unit LSTM grows a cell that tracks being inside a quote.
PRESETS = {
    "quotes: find a quote cell": dict(corpus="quotes", hidden=32, embed=16, layers=1, seq_len=64, batch=32,
                                      lr=0.01, steps=700, size=0),
    "brackets: a nesting-depth counter": dict(corpus="brackets", hidden=32, embed=16, layers=1, seq_len=64,
                                              batch=32, lr=0.01, steps=1000, size=0),
    "quick try (a minute)": dict(corpus="quotes", hidden=16, embed=8, layers=1, seq_len=32, batch=16, lr=0.01,
                                 steps=150, size=50_000),
}
# (what the box says, cell, nonlinearity): TrainConfig's ``cell`` and ``nonlinearity``
CELL_CHOICES = (("LSTM", "lstm", "tanh"), ("GRU", "gru", "tanh"), ("plain RNN (tanh)", "rnn", "tanh"),
                ("plain RNN (relu)", "rnn", "relu"), ("peephole LSTM", "peephole", "tanh"),
                ("coupled-gate LSTM (CIFG)", "cifg", "tanh"))
CHECKPOINT_SAVE_FILTER = "PyTorch checkpoints (*.pt)"


def bits(nats: float) -> float:
    """A loss in nats per character as bits per character."""
    return nats / LN2


class TrainDialog(QtWidgets.QDialog):
    trained = QtCore.Signal(str, str)  # path of the new checkpoint, a sample of its corpus to open it on

    def __init__(self, settings: QtCore.QSettings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Train a model")
        self.settings = settings
        self.runner = Runner(self, threads=1)
        self.job = None
        self.out = ""
        from lstm_viz.core.corpora import CORPORA

        self.preset_box = QtWidgets.QComboBox()
        self.preset_box.addItem("(your own settings)", None)
        for name in PRESETS:
            self.preset_box.addItem(name, name)
        self.preset_box.currentIndexChanged.connect(lambda i: self.apply_preset(self.preset_box.itemData(i)))
        self.corpus_box = QtWidgets.QComboBox()
        for name, desc in CORPORA.items():
            self.corpus_box.addItem(name, name)
            self.corpus_box.setItemData(self.corpus_box.count() - 1, desc, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.corpus_box.addItem("text files…", None)
        self.files: list[str] = []
        self.cell_box = QtWidgets.QComboBox()
        for k, (label, _, _) in enumerate(CELL_CHOICES):
            self.cell_box.addItem(label, k)
        self.cell_box.setToolTip("The recurrent cell: the app shows each one's own gates (a GRU's r, z, n; an "
                                 "LSTM's i, f, g, o)")
        from lstm_viz.core.train import TrainConfig

        d = TrainConfig  # the trainer's own defaults, not a second copy of them
        self.hidden = self._spin(1, 2048, d.hidden_size)
        self.embed = self._spin(1, 2048, d.embed_size)
        self.layers = self._spin(1, 4, d.num_layers)
        self.steps = self._spin(1, 1_000_000, d.steps)
        self.seq_len = self._spin(2, 1000, d.seq_len)
        self.batch = self._spin(1, 1024, d.batch_size)
        self.lr = QtWidgets.QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(0.00001, 1.0)
        self.lr.setSingleStep(0.001)
        self.lr.setValue(d.lr)
        self.lr.setToolTip(f"Adam's peak learning rate: reached after a warm-up of {d.warmup} steps (at most a "
                           "tenth of the run), then down along a cosine to a tenth by the last step")
        self.size = self._spin(0, 100_000_000, 0)
        self.size.setSpecialValueText("default")
        self.size.setToolTip("characters of corpus to use (0: the corpus's default)")
        self.out_field = QtWidgets.QLineEdit()
        self.out_field.setPlaceholderText("where to save the model (.pt): choose…")
        self.out_button = QtWidgets.QPushButton("Choose…")
        self.out_button.clicked.connect(self.choose_output)
        out_row = QtWidgets.QHBoxLayout()
        out_row.addWidget(self.out_field, 1)
        out_row.addWidget(self.out_button)
        form = QtWidgets.QFormLayout()
        form.addRow("Preset", self.preset_box)
        form.addRow("Corpus", self.corpus_box)
        form.addRow("Cell", self.cell_box)
        form.addRow("Hidden units", self.hidden)
        form.addRow("Embedding size", self.embed)
        form.addRow("Layers", self.layers)
        form.addRow("Steps", self.steps)
        form.addRow("Sequence length", self.seq_len)
        form.addRow("Batch size", self.batch)
        form.addRow("Learning rate", self.lr)
        form.addRow("Corpus size (chars)", self.size)
        form.addRow("Save as", out_row)
        self.fields = (self.preset_box, self.corpus_box, self.cell_box, self.hidden, self.embed, self.layers, self.steps,
                       self.seq_len, self.batch, self.lr, self.size, self.out_field, self.out_button)

        self.plot = pg.PlotWidget(background=BACKGROUND)
        self.plot.setLabel("bottom", "step", color=FOREGROUND)
        self.plot.setLabel("left", "loss (bits/char)", color=FOREGROUND)
        self.plot.addLegend(offset=(-10, 10), labelTextColor=FOREGROUND)
        self.train_curve = self.plot.plot([], [], pen=pg.mkPen("#4e79a7", width=1.5), name="train")
        self.val_curve = self.plot.plot([], [], pen=pg.mkPen("#f28e2b", width=2), symbol="o", symbolSize=6,
                                        symbolBrush="#f28e2b", name="validation")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.info = QtWidgets.QLabel("choose a corpus (or a preset), where to save, and press Train")
        self.train_button = QtWidgets.QPushButton("Train")
        self.cancel_button = QtWidgets.QPushButton("Stop")
        self.cancel_button.setEnabled(False)
        self.train_button.clicked.connect(lambda: self.start())
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
        self.resize(640, 680)
        self._steps, self._losses, self._vsteps, self._vlosses = [], [], [], []  # losses in bits/char

    @staticmethod
    def _spin(lo, hi, value) -> QtWidgets.QSpinBox:
        s = QtWidgets.QSpinBox()
        s.setRange(lo, hi)
        s.setValue(value)
        s.setGroupSeparatorShown(True)
        return s

    # -- settings -------------------------------------------------------------------------------------------
    def apply_preset(self, name: str | None) -> None:
        if name is None:
            return
        p = PRESETS[name]
        self.corpus_box.setCurrentIndex(self.corpus_box.findData(p["corpus"]))
        for field, key in ((self.hidden, "hidden"), (self.embed, "embed"), (self.layers, "layers"),
                           (self.steps, "steps"), (self.seq_len, "seq_len"), (self.batch, "batch"),
                           (self.size, "size")):
            field.setValue(p[key])
        self.lr.setValue(p["lr"])

    def set_cell(self, cell: str, nonlinearity: str = "tanh") -> None:
        """Choose the cell type by name ("gru", "rnn" with "relu", ...)."""
        k = next(k for k, (_, c, n) in enumerate(CELL_CHOICES) if c == cell and n == nonlinearity)
        self.cell_box.setCurrentIndex(k)

    def config(self):
        from lstm_viz.core.train import TrainConfig

        _, cell, nonlinearity = CELL_CHOICES[self.cell_box.currentIndex()]
        return TrainConfig(cell=cell, nonlinearity=nonlinearity, hidden_size=self.hidden.value(), embed_size=self.embed.value(),
                           num_layers=self.layers.value(), steps=self.steps.value(), seq_len=self.seq_len.value(),
                           batch_size=self.batch.value(), lr=float(self.lr.value()),
                           eval_every=max(1, self.steps.value() // 10))

    def corpus_spec(self):
        name = self.corpus_box.currentData()
        if name is not None:
            return name
        if not self.files:
            path = dialogs.open_file(self, "Text files to train on", "", dialogs.TEXT_FILTER)
            self.files = [path] if path else []
        return self.files or None

    def choose_output(self) -> str:
        """Ask where to save the model (a Save-As dialog); "" when the user cancels."""
        start = self.out_field.text() or self.settings.value("train/dir", "", type=str)
        if not self.out_field.text():
            name = self.corpus_box.currentData() or "model"
            start = str(Path(start) / f"{name}.pt") if start else f"{name}.pt"
        path = dialogs.save_file(self, "Save the trained model as", start, CHECKPOINT_SAVE_FILTER)
        if path:
            if not Path(path).suffix:
                path += ".pt"
            self.out_field.setText(path)
            self.settings.setValue("train/dir", str(Path(path).parent))
        return path

    # -- running --------------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.job is not None

    def start(self, out_path: str | None = None) -> None:
        from .worker import one_line

        if self.running:
            return
        spec = self.corpus_spec()
        if spec is None:
            return
        try:
            config = self.config()
        except Exception as e:  # noqa: BLE001 - a bad setting is shown, not raised
            self.info.setText(one_line(e))
            return
        if out_path:
            self.out_field.setText(str(out_path))
        out = self.out_field.text().strip() or self.choose_output()
        if not out:
            self.info.setText("choose where to save the model first")
            return
        if not Path(out).parent.is_dir():
            self.info.setText(f"⚠ {Path(out).parent}: no such folder")
            return
        from . import tasks

        self._steps, self._losses, self._vsteps, self._vlosses = [], [], [], []
        self.train_curve.setData([], [])
        self.val_curve.setData([], [])
        self.out = out
        self.job = self.runner.start("train", tasks.train, (spec, config, out, self.size.value() or None),
                                     progress=self._progress, returned=self._done, errored=self._failed)
        self._lock(True)
        self.info.setText("loading the corpus…")

    def cancel(self) -> None:
        """Stop at the next batch: training closes cleanly and keeps a valid checkpoint."""
        job = self.job
        if job is not None:
            self.info.setText("stopping…")
            job.cancel()
            out = self.out
            job.finished.connect(lambda: self._stopped(out), QtCore.Qt.ConnectionType.QueuedConnection)

    def _stopped(self, out: str) -> None:
        self._lock(False)
        saved = f"the model so far is in {out}" if Path(out).exists() else "stopped before the first save"
        self.info.setText(f"stopped; {saved}")

    def _lock(self, running: bool) -> None:
        for w in self.fields:
            w.setEnabled(not running)
        self.train_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if not running:
            self.job = None

    def _progress(self, p) -> None:
        self._steps.append(p.step)
        self._losses.append(bits(p.train_loss))
        self.train_curve.setData(self._steps, self._losses)
        if p.val_loss is not None:
            self._vsteps.append(p.step)
            self._vlosses.append(bits(p.val_loss))
            self.val_curve.setData(self._vsteps, self._vlosses)
        self.progress.setValue(int(1000 * p.step / max(p.total_steps, 1)))
        self.info.setText(f"step {p.step:,}/{p.total_steps:,} · loss {bits(p.train_loss):.3f} bits/char · "
                          f"{p.tokens_per_sec:,.0f} chars/s · {p.seconds_left:,.0f} s left")

    def _done(self, out) -> None:
        result, sample = out
        self._lock(False)
        val = f", validation {result.val_bpc:.3f} bits/char" if result.val_bpc is not None else ""
        self.info.setText(f"done: {result.steps:,} steps{val}; saved {result.path}")
        self.trained.emit(str(result.path), sample)

    def _failed(self, msg: str) -> None:
        from .opening import app_words

        self._lock(False)
        self.info.setText(f"⚠ {app_words(msg)}")

    # -- closing --------------------------------------------------------------------------------------------
    def _may_close(self) -> bool:
        """True when nothing runs, or the user agrees to stop the run (it stops at the next batch)."""
        if not self.running:
            return True
        if not dialogs.ask_yes_no(self, "Stop training?", "A model is training. Stop it now? The model so far "
                                  f"is kept in {self.out}."):
            return False
        self.cancel()
        return True

    def reject(self) -> None:  # Esc and the Close button come here without a closeEvent
        if self._may_close():
            super().reject()

    def closeEvent(self, event) -> None:
        if not self._may_close():
            event.ignore()
            return
        super().closeEvent(event)

    def shutdown(self) -> None:
        """The app is quitting: wait for a stopped run to close its checkpoint."""
        self.runner.shutdown()
