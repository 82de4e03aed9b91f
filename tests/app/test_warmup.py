"""torch is imported off the GUI thread soon after the window appears, never before it shows."""
from __future__ import annotations

import subprocess
import sys


def test_torch_is_imported_in_the_background_after_the_window_shows(tmp_path):
    code = ("import sys, time\nfrom PySide6 import QtCore, QtWidgets\nQtCore.QStandardPaths.setTestModeEnabled(True)\n"
            "app = QtWidgets.QApplication([])\nfrom lstm_viz.app.main_window import MainWindow\n"
            "w = MainWindow(); w.show(); app.processEvents()\nprint('torch' in sys.modules)\n"
            "loop = QtCore.QEventLoop()\n"
            "while not w.warm_up.done.is_set():\n"
            "    QtCore.QTimer.singleShot(20, loop.quit); loop.exec()\n"
            "import threading\n"
            "print('torch' in sys.modules, threading.main_thread() is threading.current_thread())\n"
            "w.close(); app.processEvents()\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen",
                            "XDG_CONFIG_HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "True", "True"], r.stdout


def test_the_window_asks_for_a_short_switch_interval(window):
    """Workers running Python hand the interpreter lock to the GUI thread within 1 ms, not 5 (the default)."""
    from lstm_viz.app.warmup import SWITCH_INTERVAL

    assert sys.getswitchinterval() <= SWITCH_INTERVAL


def test_the_warm_up_loads_torchs_library_before_importing_torch():
    """The loader's work on libtorch_cpu is done by a C call that releases the interpreter lock; torch's import
    then reuses the mapped library. Checked in a fresh interpreter: mapped, not imported, then imported fine."""
    code = ("import sys\nfrom lstm_viz.app.warmup import preload_torch_library, TORCH_LIBRARY\n"
            "ok = preload_torch_library()\n"
            "maps = open('/proc/self/maps').read()\n"
            "print(ok, TORCH_LIBRARY in maps, 'torch' in sys.modules)\n"
            "import torch\n"
            "print(float(torch.nn.LSTM(2, 3)(torch.ones(1, 2))[0].shape[-1]))\n"
            "print(maps.count(TORCH_LIBRARY) > 0 and open('/proc/self/maps').read().count(TORCH_LIBRARY)"
            " == maps.count(TORCH_LIBRARY))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True", "False", "3.0", "True"], r.stdout


def test_no_preload_once_torch_is_imported():
    import torch  # noqa: F401 - the suite has it; nothing is left to preload
    from lstm_viz.app.warmup import preload_torch_library

    assert preload_torch_library() is False


def test_after_the_warm_up_the_imports_are_left_out_of_full_collections():
    """A full garbage collection over torch's and pyqtgraph's objects held the lock ~100 ms every few seconds
    while a long text was analysed; after the warm-up they sit in the collector's permanent generation."""
    import gc

    from lstm_viz.app.warmup import WarmUp

    gc.unfreeze()
    before = gc.get_freeze_count()
    w = WarmUp()
    try:
        w._import()
        assert w.done.is_set()
        assert gc.get_freeze_count() > max(before, 10_000)
    finally:
        gc.unfreeze()


def test_an_open_before_the_warm_up_preloads_torchs_library_too(monkeypatch):
    """`lstm-viz MODEL TEXT` opens at once: the worker imports torch before the warm-up does, and it takes the
    same lock-free path to torch's library first."""
    from lstm_viz.app import tasks, warmup
    from lstm_viz.core.generators import run_to_end
    from lstm_viz.resources import DEMO_MODEL

    calls = []
    monkeypatch.setattr(warmup, "preload_torch_library", lambda: calls.append(1) or False)
    model = run_to_end(tasks.load(DEMO_MODEL))
    assert calls == [1] and model.vocab is not None
