"""The window's share of Python's interpreter lock: torch imported off the GUI thread once the window is up and
idle, and a short switch interval while workers run.

Why: importing torch holds Python's interpreter lock for about a third of a second inside its C extension's
initialisation, and the GUI thread needs that lock for every paint and timer. Done on the first open of a
model, that is a third of a second in which the window does not answer, right when the user asked for
something. Done here, shortly after the window first appears (the window itself never waits for torch), it
happens once, before the user has had time to act, and every later open starts with torch in memory.

Every paint and timer of the window runs Python code, so the GUI thread asks for the lock many times a frame;
while a worker runs Python (the analysis, a search), each ask waits up to the switch interval, 5 ms by default.
Many asks per frame and three threads taking turns made pauses of a second or more while a long text opened
(1,000,000 characters: 1.4 s at 5 ms, 0.28 s at 1 ms, scripts/bench_scale_app.py). At 1 ms a worker loses a
little throughput to the extra switches; the window answers.
"""
from __future__ import annotations

import importlib
import sys
import threading

from PySide6 import QtCore

MODULES = ("torch", "lstm_viz.core.loading", "lstm_viz.core.trace", "lstm_viz.core.keyframes")
DELAY_MS = 400  # after the first show: the window has painted and settled
SWITCH_INTERVAL = 0.001  # seconds a thread may hold the interpreter lock while another waits for it


def favour_the_window() -> None:
    """A short switch interval for the whole process: the GUI thread waits less for the lock (see above)."""
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))


class WarmUp:
    """``start(parent)`` once the window is shown; ``done`` is set when the imports are over (or failed: the
    job that needs torch then reports the failure itself)."""

    def __init__(self):
        self.done = threading.Event()
        self._started = False

    def start(self, parent: QtCore.QObject, delay_ms: int = DELAY_MS) -> None:
        if self._started:
            return
        self._started = True
        QtCore.QTimer.singleShot(delay_ms, parent, self._run)

    def _run(self) -> None:
        threading.Thread(target=self._import, name="lstm_viz-warmup", daemon=True).start()

    def _import(self) -> None:
        try:
            for name in MODULES:
                importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a broken torch is reported by the job that loads a model
            pass
        finally:
            self.done.set()
