"""Run core generators off the GUI thread and report by signals (in the spirit of superqt's thread_worker).

    job = runner.start("analysis", iter_trace, (model, text), progress=..., returned=..., errored=...)

A job runs ``fn(*args)``; when that is a generator, every yielded value is sent as ``progress`` and the
generator's return value as ``returned``. ``cancel()`` takes effect at the next yield (the generator is
closed there). Starting a job of a kind that is already running cancels the older one: a stale job never
emits ``returned`` or ``errored``, and a result already emitted but not yet delivered to the GUI thread when
the job is cancelled is dropped there. Nothing here touches a widget.
"""
from __future__ import annotations

import inspect
import logging
import threading

from PySide6 import QtCore

log = logging.getLogger(__name__)


def one_line(exc: BaseException) -> str:
    """The user-facing line for an exception: ours carry it; anything else gets its type named."""
    from lstm_viz.core.errors import LstmVizError

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, LstmVizError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Job(QtCore.QObject):
    started = QtCore.Signal()
    progress = QtCore.Signal(object)
    returned = QtCore.Signal(object)
    errored = QtCore.Signal(str)
    finished = QtCore.Signal()

    def __init__(self, kind: str, fn, args, kwargs):
        super().__init__()
        self.kind = kind
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._cancel = threading.Event()
        self.done = False

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        """Called on the worker thread."""
        emit = self._emit
        emit(self.started)
        try:
            result = self._fn(*self._args, **self._kwargs)
            if inspect.isgenerator(result):
                gen = result
                try:
                    while True:
                        if self.cancelled:
                            gen.close()
                            return
                        value = next(gen)
                        if not self.cancelled:
                            emit(self.progress, value)
                except StopIteration as stop:
                    result = stop.value
            if not self.cancelled:
                emit(self.returned, result)
        except Exception as e:  # noqa: BLE001 - every failure becomes one line for the user
            if not isinstance(e, __import__("lstm_viz.core.errors", fromlist=["LstmVizError"]).LstmVizError):
                log.exception("unexpected error in %s job", self.kind)
            if not self.cancelled:
                emit(self.errored, one_line(e))
        finally:
            self.done = True
            emit(self.finished)

    def _emit(self, signal, *args) -> None:
        """Emit unless the job's Qt object is gone: the app closed while this job ran on (there is nobody left
        to tell, and a traceback at exit would only alarm the user). The job then stops at its next step."""
        try:
            signal.emit(*args)
        except RuntimeError:
            self._cancel.set()


class _Runnable(QtCore.QRunnable):
    def __init__(self, job: Job):
        super().__init__()
        self.job = job
        self.setAutoDelete(True)

    def run(self) -> None:
        self.job.run()


class Runner(QtCore.QObject):
    """Starts jobs on its own thread pool; one live job per kind."""

    def __init__(self, parent=None, threads: int = 3):
        super().__init__(parent)
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.current: dict[str, Job] = {}
        self._alive: set[Job] = set()

    def start(self, kind: str, fn, args=(), kwargs=None, *, progress=None, returned=None, errored=None) -> Job:
        """Run ``fn(*args, **kwargs)``; the callbacks are connected before the job can emit anything."""
        old = self.current.get(kind)
        if old is not None:
            old.cancel()
        job = Job(kind, fn, tuple(args), dict(kwargs or {}))
        for signal, slot in ((job.progress, progress), (job.returned, returned), (job.errored, errored)):
            if slot is not None:
                signal.connect(lambda value, job=job, slot=slot: None if job.cancelled else slot(value))
        self.current[kind] = job
        self._alive.add(job)
        job.finished.connect(lambda j=job: self._finished(j), QtCore.Qt.ConnectionType.QueuedConnection)
        self.pool.start(_Runnable(job))
        return job

    def _finished(self, job: Job) -> None:
        self._alive.discard(job)
        if self.current.get(job.kind) is job:
            del self.current[job.kind]

    def busy(self, kind: str | None = None) -> bool:
        if kind is None:
            return bool(self.current)
        return kind in self.current

    def cancel(self, kind: str | None = None) -> None:
        for k, job in list(self.current.items()):
            if kind is None or k == kind:
                job.cancel()

    def shutdown(self, msecs: int = 10000) -> bool:
        """Cancel everything and wait for the threads (work stops at the next yield)."""
        self.cancel()
        return self.pool.waitForDone(msecs)
