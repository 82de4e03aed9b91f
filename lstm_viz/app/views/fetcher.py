"""Reading traces that recompute their windows (keyframe traces of long texts) off the GUI thread.

``Fetcher.window(trace, q, layer, reverse, t0, t1, units)`` returns the window when it can be read at once (an
in-memory trace, a file, or chunks already recomputed), else None: a worker thread recomputes it and ``ready``
fires on the GUI thread when it is cached. Requests from one ``who`` replace that requester's older ones not
started yet, so a fast pan does not queue stale work.

``Fetcher.tiles`` recomputes the chunks of fine tiles (lstm_viz.core.tiles) on a second worker thread, the visible
ones first; views asking for the same chunks of one layer and direction at one level share a job (or join a job
under way for a wider window), so a chunk is recomputed once for all of them. ``Fetcher.stand`` lets a view ask
once for what every tile job of a layer and direction keeps (the traces want their state's means and min/max
bands): a job started later by a heatmap then keeps them too, so the traces, which cut after a pan settles, find
their tiles computed in the same pass over each chunk.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from PySide6 import QtCore


def is_lazy(trace) -> bool:
    """The trace recomputes its windows (reading one may take a while): read it through a Fetcher."""
    return trace is not None and hasattr(trace, "cached")


class _TileJob:
    """One request for fine tiles: chunks in the order wanted (the ``first`` visible ones first), for the
    quantities of every view that joined it."""

    def __init__(self, key: tuple, cache, layer: int, reverse: bool, level: int, chunks: tuple, first: int):
        self.key, self.cache, self.layer, self.reverse, self.level = key, cache, layer, reverse, level
        self.chunks, self.first = chunks, first
        self.quantities: tuple[str, ...] = ()  # replaced whole when a view joins (read by the worker)
        self.bands: tuple[str, ...] = ()  # quantities whose min/max band tiles are kept too (likewise)
        self.whos: set = set()
        self.cancelled = False
        self.future = None

    def run(self, partial) -> None:
        """On the worker thread: compute; ``partial()`` once when the visible chunks are all held."""
        told = [self.first == 0]

        def progress(_done):
            if not told[0] and not self.cache.missing(self.quantities, self.layer, self.reverse, self.level,
                                                      self.chunks[:self.first], self.bands):
                told[0] = True
                partial()

        self.cache.work(self.layer, self.reverse, self.level, self.chunks, lambda: self.quantities,
                        lambda: self.cancelled, progress=progress, bands=lambda: self.bands)

    def want(self, quantities, bands) -> None:
        """Keep these too (a view joined)."""
        self.quantities = self.quantities + tuple(q for q in quantities if q not in self.quantities)
        self.bands = self.bands + tuple(q for q in bands if q not in self.bands)


class Fetcher(QtCore.QObject):
    """Windows of lazy traces, recomputed one at a time on a worker thread, and fine tiles on a second one (see
    the module docstring)."""

    ready = QtCore.Signal()
    _computed = QtCore.Signal(object)  # emitted on the worker thread, delivered on the GUI thread
    _tiles_computed = QtCore.Signal(object, bool)  # (job, final): from the tile worker to the GUI thread

    def __init__(self, parent=None):
        super().__init__(parent)
        self._computed.connect(self._finished, QtCore.Qt.ConnectionType.QueuedConnection)
        self._tiles_computed.connect(self._tiles_finished, QtCore.Qt.ConnectionType.QueuedConnection)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lstm_viz-windows")
        self._tile_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lstm_viz-tiles")
        self._pending: dict[tuple, object] = {}  # (id(trace), layer, reverse, t0, t1) -> future
        self._by_who: dict[object, list[tuple]] = {}
        self._tile_jobs: dict[tuple, _TileJob] = {}  # jobs not finished, by key
        self._tile_who: dict[object, tuple] = {}  # requester -> the key of its job
        self._standing: dict[object, tuple] = {}  # who -> ((id(cache), layer, reverse), quantities, bands)
        self._levels: dict[tuple, int] = {}  # (id(cache), layer, reverse) -> the level last asked for
        self._closed = False

    def window(self, trace, quantity: str, layer: int, reverse: bool, t0: int, t1: int, units=None,
               who: object = None):
        if not is_lazy(trace) or trace.cached(layer, reverse, t0, t1):
            return trace.window(quantity, layer, reverse, t0, t1, units)
        self.request(trace, layer, reverse, t0, t1, who)
        return None

    def request(self, trace, layer: int, reverse: bool, t0: int, t1: int, who: object = None,
                probs: bool = False) -> None:
        key = (id(trace), layer, bool(reverse), int(t0), int(t1), probs)
        if key in self._pending:
            return
        if who is not None:
            for old in self._by_who.pop(who, []):
                fut = self._pending.get(old)
                if fut is not None and fut.cancel():
                    self._pending.pop(old, None)
            self._by_who[who] = [key]
        q = trace.quantities[0]

        def work():
            if probs:
                trace.probs[t0]
            else:
                trace.window(q, layer, reverse, t0, t1)

        fut = self._pool.submit(work)
        self._pending[key] = fut
        fut.add_done_callback(lambda f, key=key: self._done(key, f))

    def stand(self, who: object, cache, layer: int, reverse: bool, quantities=(), bands=()) -> None:
        """From now on every tile job of (cache, layer, reverse) also keeps the tiles of ``quantities`` and the
        band tiles of ``bands`` (replacing ``who``'s earlier wish); a job already under way takes them at its
        next chunk."""
        where = (id(cache), int(layer), bool(reverse))
        self._standing[who] = (where, tuple(quantities), tuple(bands))
        for job in self._tile_jobs.values():
            if job.key[:3] == where:
                job.want(quantities, bands)

    def level_asked(self, cache, layer: int, reverse: bool) -> int | None:
        """The tile level last asked for on (cache, layer, reverse), None before any."""
        return self._levels.get((id(cache), int(layer), bool(reverse)))

    def tiles(self, cache, quantity: str, layer: int, reverse: bool, level: int, chunks, first: int,
              who: object, band: bool = False) -> None:
        """Recompute the fine tiles of ``chunks`` (in this order; the ``first`` are visible) for ``quantity`` at
        ``level`` (lstm_viz.core.tiles); ``ready`` fires when the visible ones are held and when all are (or the
        job's time is up). Views asking for the same chunks share one job; a ``who``'s new request leaves its old
        job, which is cancelled (at its next chunk) when no one else waits for it. ``band``: keep the bins' min
        and max of ``quantity`` too."""
        if self._closed:  # a view refreshing while the window closes
            return
        key = (id(cache), int(layer), bool(reverse), level, tuple(chunks))
        self._levels[key[:3]] = level
        if key not in self._tile_jobs:  # a job under way for these chunks and more (a wider window) serves too
            want = set(key[4])
            key = next((k for k, j in self._tile_jobs.items() if k[:4] == key[:4] and want <= set(j.chunks)), key)
        old = self._tile_who.get(who)
        if old is not None and old != key:
            job = self._tile_jobs.get(old)
            if job is not None:
                job.whos.discard(who)
                if not job.whos:
                    job.cancelled = True
                    if job.future is not None:
                        job.future.cancel()
                    del self._tile_jobs[old]
        job = self._tile_jobs.get(key)
        if job is None:
            job = _TileJob(key, cache, layer, bool(reverse), level, tuple(chunks), first)
            self._tile_jobs[key] = job
            job.quantities = (quantity,)
            for where, qs, bs in self._standing.values():
                if where == key[:3]:
                    job.want(qs, bs)
            # started in the next pass of the event loop, so that views asking in this pass join first; the plot
            # stack's heatmaps re-cut one per pass (common.OnePerPass) and stand for all their quantities instead,
            # so a chunk is still recomputed once for all of them
            QtCore.QTimer.singleShot(0, self, lambda job=job: self._start(job))
        job.want((quantity,), (quantity,) if band else ())
        job.whos.add(who)
        self._tile_who[who] = key

    def _start(self, job: _TileJob) -> None:
        if job.cancelled or self._closed:
            return
        job.future = self._tile_pool.submit(job.run, lambda: self._tile_emit(job, False))
        job.future.add_done_callback(lambda f: self._tile_emit(job, True))

    def _tile_emit(self, job: _TileJob, final: bool) -> None:
        """On the tile worker: tell the GUI thread (not for a cancelled job: no one waits for it)."""
        if job.cancelled:
            return
        try:
            self._tiles_computed.emit(job, final)
        except RuntimeError:  # the views are gone
            pass

    def _tiles_finished(self, job: _TileJob, final: bool) -> None:
        if self._tile_jobs.get(job.key) is not job or job.cancelled:  # replaced or cancelled since
            return
        if final:
            del self._tile_jobs[job.key]
        self.ready.emit()

    def busy(self) -> bool:
        return bool(self._pending) or bool(self._tile_jobs)

    def _done(self, key, fut) -> None:
        """On the worker thread: the chunks are in the trace's cache now; tell the GUI thread."""
        if fut.cancelled():
            return
        try:
            self._computed.emit(key)
        except RuntimeError:  # the views are gone
            pass

    def _finished(self, key) -> None:
        self._pending.pop(key, None)
        self.ready.emit()

    def shutdown(self) -> None:
        self._closed = True
        for job in self._tile_jobs.values():
            job.cancelled = True
        self._tile_jobs.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._tile_pool.shutdown(wait=False, cancel_futures=True)
