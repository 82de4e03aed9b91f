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
