"""Import torch and the core modules that use it on a background thread, once the window is up and idle.

Why: importing torch holds Python's interpreter lock for about a third of a second inside its C extension's
initialisation, and the GUI thread needs that lock for every paint and timer. Done on the first open of a
model, that is a third of a second in which the window does not answer, right when the user asked for
something. Done here, shortly after the window first appears (the window itself never waits for torch), it
happens once, before the user has had time to act, and every later open starts with torch in memory.
"""
from __future__ import annotations

import importlib
import threading

from PySide6 import QtCore

MODULES = ("torch", "lstm_viz.core.loading", "lstm_viz.core.trace", "lstm_viz.core.keyframes")
DELAY_MS = 400  # after the first show: the window has painted and settled


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
