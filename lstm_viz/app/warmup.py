"""The window's share of Python's interpreter lock: torch imported off the GUI thread once the window is up and
idle, and a short switch interval while workers run.

Why: importing torch holds Python's interpreter lock for about a third of a second inside its C extension's
initialisation, and the GUI thread needs that lock for every paint and timer. Done on the first open of a
model, that is a third of a second in which the window does not answer, right when the user asked for
something. Done here, shortly after the window first appears (the window itself never waits for torch), it
happens once, before the user has had time to act, and every later open starts with torch in memory.

Most of that third of a second is not Python at all: it is the dynamic loader mapping and initialising
libtorch_cpu (its static constructors register thousands of operators). Python's import machinery keeps the
lock through that `dlopen`. So on Linux the warm-up first loads that library through a plain C call made with
ctypes, which lets go of the lock while the loader works; torch's own import then finds the library already in
memory. The longest start-up pause of the window went from 180-300 ms to 40-80 ms (scripts/bench_responsive.py).

Every paint and timer of the window runs Python code, so the GUI thread asks for the lock many times a frame;
while a worker runs Python (the analysis, a search), each ask waits up to the switch interval, 5 ms by default.
Many asks per frame and three threads taking turns made pauses of a second or more while a long text opened
(1,000,000 characters: 1.4 s at 5 ms, 0.28 s at 1 ms, scripts/bench_scale_app.py). At 1 ms a worker loses a
little throughput to the extra switches; the window answers.

Once the imports are over, what they left alive is frozen out of the garbage collector (freeze_the_imports).
"""
from __future__ import annotations

import ctypes
import gc
import importlib
import importlib.util
import os
import sys
import threading

from PySide6 import QtCore

# torch and the core modules a first open uses; and what the first picture would otherwise import on the GUI thread
# (numpy imports numpy.ma at the first np.unique: 70 ms).
MODULES = ("torch", "lstm_viz.core.loading", "lstm_viz.core.trace", "lstm_viz.core.keyframes", "lstm_viz.core.tiles",
           "lstm_viz.core.search", "lstm_viz.core.correlation", "lstm_viz.core.unit_sums", "numpy.ma",
           "encodings.utf_32_le")
DELAY_MS = 400  # after the first show: the window has painted and settled
SWITCH_INTERVAL = 0.001  # seconds a thread may hold the interpreter lock while another waits for it


TORCH_LIBRARY = "libtorch_cpu.so"  # torch's operator library: the bulk of its import time


def preload_torch_library() -> bool:
    """Load torch's C++ library without holding the interpreter lock, before torch is imported. True if it
    is now in memory. Anything unusual (not Linux, no such file, a loader error) returns False and leaves the
    ordinary import to do the work."""
    if not sys.platform.startswith("linux") or "torch" in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec("torch")
        if spec is None or not spec.origin:
            return False
        path = os.path.join(os.path.dirname(spec.origin), "lib", TORCH_LIBRARY)
        if not os.path.isfile(path):
            return False
        libc = ctypes.CDLL(None)  # functions called through CDLL release the lock for the call
        libc.dlopen.restype = ctypes.c_void_p
        libc.dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
        # RTLD_LOCAL as torch itself loads it: its symbols stay out of the global namespace.
        return bool(libc.dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL))
    except (OSError, AttributeError, ValueError):
        return False


def freeze_the_imports() -> None:
    """Leave what is alive now (modules, classes, functions: some 200,000 objects once torch and pyqtgraph are in)
    out of the garbage collector's full passes. A full pass over them holds the interpreter lock for ~100 ms, and
    one comes every few seconds while a long text is analysed. Young garbage is collected first (cheap); the few
    reference cycles left from start-up stay in memory. Once per process (a second window finds it done)."""
    if gc.get_freeze_count() == 0:
        gc.collect(1)
        gc.freeze()


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
            preload_torch_library()
            for name in MODULES:
                importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a broken torch is reported by the job that loads a model
            pass
        else:
            freeze_the_imports()
        finally:
            self.done.set()
