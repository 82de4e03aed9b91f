"""Loading and analysis on the worker, wired to the AppState.

Typing re-analyses after a short pause; a newer request supersedes a running one (the old result is never
shown); the last good trace stays on screen until the new one is ready, and stays there on error.
"""
from __future__ import annotations

from PySide6 import QtCore

from . import tasks
from .worker import Runner

DEBOUNCE_MS = 350


class Session(QtCore.QObject):
    busy = QtCore.Signal(str)  # what is running (status bar, progress bar shown)
    progress = QtCore.Signal(float)
    idle = QtCore.Signal()
    message = QtCore.Signal(str)  # status-bar line
    failed = QtCore.Signal(str, str)  # what failed ("open", "analyse"), the one-line reason
    load_failed = QtCore.Signal(str, str, dict)  # path, reason, the options it was tried with
    loaded = QtCore.Signal(object, str)  # LoadedModel, path
    analysed = QtCore.Signal()  # a new trace is in the state

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.runner = Runner(self)
        self.debounce = QtCore.QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.analyse)
        self._quiet = False
        state.text_changed.connect(self._text_changed)

    # -- requests -------------------------------------------------------------------------------------------
    def open_startup(self, checkpoint, text_path=None, text=None) -> None:
        """Load a model and a text and analyse them, in one job (start-up, and the demo)."""
        self.busy.emit(f"opening {checkpoint}")

        def done(result):
            model, text_, trace = result
            self.state.model = model
            self.state.model_changed.emit(model)
            self._quiet = True  # the trace for this text is already here
            try:
                self.state.set_text(text_)
            finally:
                self._quiet = False
            self._show(trace, f"{model.name}: {len(trace):,} tokens analysed")
            self.loaded.emit(model, str(checkpoint))

        self.runner.start("load", tasks.open_all, (str(checkpoint), text_path, text), progress=self._progress,
                          returned=done, errored=lambda msg: self._failed("open", msg))

    def open_checkpoint(self, path, **options) -> None:
        self.busy.emit(f"loading {path}")

        def done(model):
            self.state.set_model(model)
            self.loaded.emit(model, str(path))
            self.analyse()

        self.runner.start("load", tasks.load, (str(path),), options, returned=done,
                          errored=lambda msg: self._load_failed(str(path), msg, options))

    def analyse(self) -> None:
        self.debounce.stop()
        s = self.state
        if s.model is None or not s.text:
            if s.model is not None:
                self.message.emit("the text is empty: nothing to analyse")
            return
        self.busy.emit(f"analysing {len(s.text):,} characters")
        self.runner.start("analysis", tasks.analyse, (s.model, s.text), progress=self._progress,
                          errored=lambda msg: self._failed("analyse", msg),
                          returned=lambda tr: self._show(tr, f"{tr.model_name}: {len(tr):,} tokens analysed"))

    def cancel(self) -> None:
        self.debounce.stop()
        self.runner.cancel("analysis")
        self.runner.cancel("load")
        self.message.emit("cancelled; showing the last analysis")
        self.idle.emit()

    def shutdown(self) -> None:
        self.debounce.stop()
        self.runner.shutdown()

    # -- results --------------------------------------------------------------------------------------------
    def _text_changed(self, text: str, typed: bool) -> None:
        if typed:
            self.runner.cancel("analysis")  # stale: its result would not match the text
            self.debounce.start()
        elif not self._quiet:
            self.analyse()

    def _progress(self, value) -> None:
        if isinstance(value, (int, float)):
            self.progress.emit(float(value))

    def _show(self, trace, msg: str) -> None:
        self.state.set_trace(trace)
        self.idle.emit()
        unknown = len(getattr(trace, "unknown", ()))
        self.message.emit(msg + (f"; {unknown} tokens not in the vocab read as unknown" if unknown else ""))
        self.analysed.emit()

    def _failed(self, what: str, msg: str) -> None:
        self.idle.emit()
        self.message.emit(msg)
        self.failed.emit(what, msg)

    def _load_failed(self, path: str, msg: str, options: dict) -> None:
        self.idle.emit()
        self.message.emit(msg)
        self.load_failed.emit(path, msg, options)
