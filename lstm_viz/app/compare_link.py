"""One time axis for the window's plots and every compared row: the same [start, end) of the text, to the
token (pan or zoom in any row moves all), the same selected timestep, the same hovered timestep.

pyqtgraph's own setXLink lines linked views up by screen position; the rows copy the range itself instead, so
it holds exactly whatever each row's axes and margins are. A row drawing a new trace resets its zoom (its
PlotStack does so for a trace of another length): that is not a gesture, so it is not passed on; the row takes
the window's range instead (or gives its own when the window has nothing drawn).
"""
from __future__ import annotations

import numpy as np


def visible(stack) -> tuple[float, float]:
    """(start, end) of the time axis ``stack`` shows."""
    return tuple(stack.strip.plot.getViewBox().viewRange()[0])


class TimeLink:
    def __init__(self, main_stack, rows):
        self.main = main_stack
        self.rows = rows  # () -> the CompareRows shown
        self._syncing = False  # a range, time or hover being copied to the other rows
        self._arriving: set[int] = set()  # id() of stacks drawing a new trace
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

    def follow_window(self) -> None:
        """Every row shows the window's range (a row just added)."""
        if self.main.state.trace is not None:
            self.set_range(visible(self.main), skip=self.main)

    def set_range(self, x, skip=None) -> None:
        """Every row with a trace shows the time range ``x`` = (start, end), exactly."""
        self._syncing = True
        try:
            for stack in self.stacks():
                if stack is skip or stack.state.trace is None:
                    continue
                if not np.allclose(visible(stack), x, rtol=0, atol=1e-9):
                    stack.strip.plot.setXRange(*x, padding=0)
        finally:
            self._syncing = False

    def _moved(self, source) -> None:
        if self._syncing or id(source) in self._arriving or source.state.trace is None:
            return
        if source not in self.stacks():
            return  # a row still being opened
        self.set_range(visible(source), skip=source)

    def _arrived(self, row) -> None:
        self._arriving.discard(id(row.stack))
        if row not in self.rows():
            return
        if self.main.state.trace is not None:
            self.follow_window()
        else:
            self._moved(row.stack)

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
