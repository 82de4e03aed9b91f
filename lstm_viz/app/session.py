"""Loading and analysis on the worker, wired to the AppState.

Typing re-analyses after a short pause; a newer request supersedes a running one (the old result is never
shown); the last good trace stays on screen until the new one is ready, and stays there on error.

Opening a checkpoint loads it *and* analyses the current text in one job; the result (tasks.Opened) is only
offered by ``opened``: the window commits it with ``commit`` once every question is answered, or drops it.
So a cancelled or declined open leaves the title, Model info and the heatmaps on the previous model.

A long text (tasks.is_long) is shown in two steps: first the exact trace of its first tokens (tasks.Partial, or
the Opened of a model), with a line saying so, while a keyframe trace of the whole text is computed; that one
then replaces it whole, keeping the zoom and, unless the user chose units, selecting the unit picked from the
whole text.
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
    opened = QtCore.Signal(object, str, dict)  # tasks.Opened (not shown yet), path, the options it was opened with
    loaded = QtCore.Signal(object, str)  # LoadedModel, path: committed to the state
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
        self._pending = False  # a text change waits for the model being opened
        self._opens = 0  # open requests so far (tells a retry from a final failure)
        self._partial: tuple[int, int] | None = None  # (tokens shown, characters in all) while the rest runs
        self._percent = -1  # the percentage last written in the status line
        state.text_changed.connect(self._text_changed)

    # -- requests -------------------------------------------------------------------------------------------
    def open_startup(self, checkpoint, text_path=None, text=None) -> None:
        """Load a model and a text (a file, or the text itself) and analyse them (start-up, the demo)."""
        if text is not None:
            self.open_checkpoint(checkpoint, text=text)
        else:
            self.open_checkpoint(checkpoint, text_path=text_path)

    def open_checkpoint(self, path, text: str | None = None, text_path=None, **options) -> None:
        """Load ``path`` with ``options`` (vocab, module, trust) and analyse ``text``, the text file
        ``text_path``, or else the current text; ``opened`` offers the result, ``load_failed`` the reason."""
        self._opens += 1
        self.busy.emit(f"opening {path}")
        given = text is not None
        kwargs = dict(options, text=text if given else self.state.text, text_path=text_path, text_given=given)
        self.runner.cancel("analysis")  # its result would belong to the model being replaced
        self.runner.start("load", tasks.open_model, (str(path),), kwargs, progress=self._progress,
                          returned=lambda result: self._opened(result, str(path), options),
                          errored=lambda msg: self._load_failed(str(path), msg, options))

    def commit(self, result: tasks.Opened, path: str) -> None:
        """Show an opened model: model, text and trace change together."""
        self.debounce.stop()
        self.runner.cancel("analysis")
        s = self.state
        if result.text_given:
            self._quiet = True  # the trace for this text is already here
            try:
                s.set_text(result.text)
            finally:
                self._quiet = False
        s.open_model(result.model, result.trace, result.units)
        self.loaded.emit(result.model, path)
        if result.rest:  # a long text: the first tokens (or nothing yet) are shown; the whole follows
            self.idle.emit()
            if result.trace is not None:
                self.analysed.emit()
            self._pending = False
            self._partial = (len(result.trace), len(result.text)) if result.trace is not None else None
            self.analyse(prefix_shown=True)
            return
        if result.trace is not None:
            self._show(result.trace, f"{result.model.name}: {len(result.trace):,} tokens analysed", emit=False)
        elif result.problem:
            self.message.emit(f"{result.model.name} opened, but it cannot read this text: {result.problem}")
        else:
            self.message.emit(f"{result.model.name} opened: type or open a text to analyse")
        self.idle.emit()
        if result.trace is not None:
            self.analysed.emit()
        self._pending = False
        if s.text and s.text != result.text:
            self.analyse()  # typed while the model was opening

    def drop(self) -> None:
        """An opened model is not shown (a question was declined): catch up with a text changed meanwhile."""
        if self._pending:
            self._pending = False
            self.analyse()

    def analyse(self, prefix_shown: bool = False) -> None:
        self.debounce.stop()
        if not prefix_shown:
            self._partial = None
        s = self.state
        load = self.runner.current.get("load")
        if s.model is None or not s.text:
            if s.model is not None:
                self.message.emit("the text is empty: nothing to analyse")
            return
        if load is not None and not load.done and not prefix_shown:
            self._pending = True  # analysed once the open is committed, or with the old model if it fails
            return
        self.busy.emit(self._partial_line(0.0) if self._partial else f"analysing {len(s.text):,} characters")
        self.runner.start("analysis", tasks.analyse, (s.model, s.text), {"prefix_shown": prefix_shown},
                          progress=self._progress, errored=lambda msg: self._failed("analyse", msg),
                          returned=self._analysed)

    def cancel(self) -> None:
        """Stop what runs (Esc); with nothing running, say so."""
        self.debounce.stop()
        opening, analysing = self.runner.busy("load"), self.runner.busy("analysis")
        if not (opening or analysing):
            self.message.emit("nothing is running")
            return
        self.runner.cancel("analysis")
        self.runner.cancel("load")
        self._pending = False
        name = self.state.model.name if self.state.model is not None else ""
        if opening:
            self.message.emit("open cancelled" + (f"; still showing {name}" if name else ""))
        elif self._partial:
            self.message.emit(f"analysis cancelled; showing the first {self._partial[0]:,} tokens only")
        else:
            self.message.emit("analysis cancelled; showing the last analysis")
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
        if isinstance(value, tasks.Partial):
            self._partial = (len(value.trace), value.total)
            self.state.set_trace(value.trace, value.units)
            self.idle.emit()
            self.busy.emit(self._partial_line(0.0))
            self.analysed.emit()
        elif isinstance(value, (int, float)):
            self.progress.emit(float(value))
            if self._partial and int(100 * value) != self._percent:
                self._percent = int(100 * value)
                self.message.emit(self._partial_line(float(value)))

    def _partial_line(self, done: float) -> str:
        shown, total = self._partial
        return f"showing the first {shown:,} of about {total:,} tokens; analysing the rest ({100 * done:.0f} %)"

    def _analysed(self, trace) -> None:
        """A whole trace: it replaces what is shown (the first tokens of a long text keep their zoom)."""
        lazy = not getattr(trace, "holds_arrays", True)  # its unit to show comes from the whole text only now
        units = tasks.units_to_show(trace) if (self._partial or lazy) and not self.state.units_chosen else None
        self._partial = None
        self._show(trace, f"{trace.model_name}: {len(trace):,} tokens analysed", units=units)

    def _opened(self, result, path: str, options: dict) -> None:
        self.idle.emit()
        self.opened.emit(result, path, options)

    def _show(self, trace, msg: str, emit: bool = True, units: dict | None = None) -> None:
        if emit:
            self.state.set_trace(trace, units)
            self.idle.emit()
        unknown = len(getattr(trace, "unknown", ()))
        self.message.emit(msg + (f"; {unknown} tokens not in the vocab read as unknown" if unknown else ""))
        if emit:
            self.analysed.emit()

    def _failed(self, what: str, msg: str) -> None:
        self.idle.emit()
        self.message.emit(msg)
        self.failed.emit(what, msg)

    def _load_failed(self, path: str, msg: str, options: dict) -> None:
        self.idle.emit()
        self.message.emit(msg)
        opens = self._opens
        self.load_failed.emit(path, msg, options)
        if opens == self._opens:  # no retry (trusted, or with a module chosen) was started
            self.drop()
