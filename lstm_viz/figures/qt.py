"""The QApplication a figure needs, also without a display.

Figures are painted by Qt, which needs a QApplication. Inside the app one exists already. A headless caller
(``lstm-viz export``, a script) gets one on the offscreen platform when there is no display and the user has
not chosen a platform. ``headless_app()`` also tears it down again before the interpreter exits, which
PySide6 + pyqtgraph need to exit cleanly.
"""
from __future__ import annotations

import os
from contextlib import contextmanager


def ensure_app():
    """The running QApplication, or a new one (offscreen when there is no display)."""
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is None:
        if not os.environ.get("QT_QPA_PLATFORM") and not (os.environ.get("DISPLAY")
                                                         or os.environ.get("WAYLAND_DISPLAY")):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QtWidgets.QApplication(["lstm-viz"])
    return app


@contextmanager
def headless_app():
    """Run the body with a QApplication; if this created it, shut it down cleanly afterwards."""
    from PySide6 import QtCore, QtWidgets

    owned = QtWidgets.QApplication.instance() is None
    app = ensure_app()
    try:
        yield app
    finally:
        if owned:
            for w in QtWidgets.QApplication.topLevelWidgets():
                w.close()
                w.deleteLater()
            QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
            app.processEvents()
            app.shutdown()
