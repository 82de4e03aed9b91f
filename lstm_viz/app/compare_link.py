"""One time axis for the window's plots and every compared row: the same [start, end) of the text, to the
token (pan or zoom in any row moves all), the same selected timestep, the same hovered timestep.

pyqtgraph's own setXLink lines linked views up by screen position; the rows copy the range itself instead, so
it holds exactly whatever each row's axes and margins are. A row drawing a new trace resets its zoom (its
PlotStack does so for a trace of another length): that is not a gesture, so it is not passed on; the row takes
the window's range instead (or gives its own when the window has nothing drawn).

A gesture redraws the row it happened in at once; the other rows follow one per pass of the event loop (each
takes the range shown then), so that no single pass redraws every row: with three models the longest pause
of the GUI thread stays about that of one (scripts/bench_compare.py).
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore


def visible(stack) -> tuple[float, float]:
    """(start, end) of the time axis ``stack`` shows."""
    return tuple(stack.strip.plot.getViewBox().viewRange()[0])


class TimeLink:
    def __init__(self, main_stack, rows):
        self.main = main_stack
        self.rows = rows  # () -> the CompareRows shown
        self._syncing = False  # a range, time or hover being copied to the other rows
        self._arriving: set[int] = set()  # id() of stacks drawing a new trace
        self._leader = main_stack  # the row the last gesture moved: the others take its range
        self._queue: list = []  # the rows still to follow it, one per pass of the event loop
        self._timer = QtCore.QTimer(main_stack)  # goes with the window's plots
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._follow_one)
        self._connect(main_stack)

    def add(self, row) -> None:
        """Link ``row`` (its range takes effect once it is shown, see ``follow_window``)."""
        row.trace_arriving.connect(lambda: self._arriving.add(id(row.stack)))
        row.trace_arrived.connect(lambda: self._arrived(row))
        self._connect(row.stack)

    def _connect(self, stack) -> None:
        s = stack.state
        s.time_selected.connect(lambda t: self._time_from(s, t))
        s.hover_changed.connect(lambda t, _u: self._hover_from(s, t))
        stack.strip.plot.getViewBox().sigXRangeChanged.connect(lambda *_: self._moved(stack))

    def stacks(self) -> list:
        return [self.main, *(r.stack for r in self.rows())]

    def follow_window(self, row=None) -> None:
        """``row`` (default: every row) shows the range the last gesture chose, else the window's."""
        skip = row.stack if row is not None else None
        stacks = self.stacks()
        leaders = [s for s in (self._leader, self.main, *stacks)
                   if s in stacks and s is not skip and s.state.trace is not None]
        if not leaders:
            return
        for stack in ([skip] if skip is not None else stacks):
            if stack is not leaders[0]:
                self._apply(stack, visible(leaders[0]))

    def _apply(self, stack, x) -> None:
        if stack.state.trace is None or np.allclose(visible(stack), x, rtol=0, atol=1e-9):
            return
        self._syncing = True  # not a gesture: not passed on
        try:
            stack.strip.plot.setXRange(*x, padding=0)
        finally:
            self._syncing = False

    def _moved(self, source) -> None:
        if self._syncing or id(source) in self._arriving or source.state.trace is None:
            return
        stacks = self.stacks()
        if source not in stacks:
            return  # a row still being opened
        self._leader = source
        self._queue = [s for s in stacks if s is not source]
        self._timer.start()

    def _follow_one(self) -> None:
        """One row takes the leader's range; the next one in the next pass."""
        stacks = self.stacks()
        while self._queue:
            stack = self._queue.pop(0)
            if stack in stacks and self._leader in stacks:
                self._apply(stack, visible(self._leader))
                break
        if self._queue:
            self._timer.start()

    def settled(self) -> bool:
        """Every row shows the same range (no row is waiting to follow)."""
        return not self._queue and not self._timer.isActive()

    def _arrived(self, row) -> None:
        """A row drew a new trace (and may have reset its zoom): it takes the range the others show."""
        self._arriving.discard(id(row.stack))
        if row not in self.rows():
            return
        if any(s.state.trace is not None for s in self.stacks() if s is not row.stack):
            self.follow_window(row)
        else:
            self._moved(row.stack)  # the first row with a picture: the others take its range

    # -- the selected and the hovered timestep ----------------------------------------------------------------
    def _states(self) -> list:
        return [stack.state for stack in self.stacks()]

    def _time_from(self, source, t: int) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            for s in self._states():
                if s is not source and s.trace is not None and t < len(s.trace):
                    s.select_time(t)
        finally:
            self._syncing = False

    def _hover_from(self, source, t) -> None:
        """The hovered timestep (not the unit: the models' units differ) shows in every row."""
        if self._syncing:
            return
        self._syncing = True
        try:
            for s in self._states():
                if s is source or s.trace is None:
                    continue
                step = t if t is not None and t < len(s.trace) else None
                if s.hover[0] != step:
                    s.set_hover(step, None)
        finally:
            self._syncing = False
