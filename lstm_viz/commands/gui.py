"""lstm-viz [CHECKPOINT [TEXT_FILE]]: the desktop app.

The window is shown before torch is imported; the worker imports it while loading the model, and the first
analysis reports progress in the status bar. ``--screenshot OUT.png`` saves the whole window once the first
analysis is drawn and exits cleanly, and (like the start-up timing run) reads and writes no settings. With LSTM_VIZ_STARTUP_TIMES=1 the times at which the window became
visible and the first heatmaps were drawn are written to stderr (scripts/bench_startup.py reads them).
"""
from __future__ import annotations

import os
import sys
import time


def add_arguments(p) -> None:
    p.add_argument("checkpoint", nargs="?", metavar="CHECKPOINT", help="a checkpoint (default: the demo model)")
    p.add_argument("text_file", nargs="?", metavar="TEXT_FILE", help="a UTF-8 text to read (default: the demo "
                   "text)")
    p.add_argument("--screenshot", metavar="OUT.png", help="save a PNG of the window after the first analysis "
                   "and exit")
    p.add_argument("--size", default="1500x950", metavar="WxH", help="window size for --screenshot")


def run(args) -> int:
    from PySide6 import QtCore, QtWidgets

    report = os.environ.get("LSTM_VIZ_STARTUP_TIMES") == "1"
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setOrganizationName("lstm_viz")
    app.setApplicationName("lstm_viz")
    from lstm_viz.app.main_window import MainWindow

    throwaway = None
    if args.screenshot or report:
        # A one-off run: never read or write the user's recent files, geometry or view choices.
        import tempfile

        throwaway = tempfile.TemporaryDirectory(prefix="lstm_viz-")
        settings = QtCore.QSettings(os.path.join(throwaway.name, "settings.ini"), QtCore.QSettings.Format.IniFormat)
    else:
        settings = QtCore.QSettings()
    win = MainWindow(settings=settings)
    win.interactive = not (args.screenshot or report)
    if args.screenshot:
        w, h = (int(v) for v in args.size.lower().split("x"))
        win.resize(w, h)
    win.show()
    app.processEvents()
    if report:
        print(f"lstm-viz-startup window {time.time():.4f}", file=sys.stderr, flush=True)
    result = {"rc": 0}

    def first_analysis():
        if report:
            win.repaint()
            print(f"lstm-viz-startup heatmaps {time.time():.4f}", file=sys.stderr, flush=True)
        if args.screenshot:
            QtCore.QTimer.singleShot(300, save)
        elif report:
            QtCore.QTimer.singleShot(0, win.close)

    def save():
        if not win.grab().save(args.screenshot):
            print(f"lstm-viz: error: {args.screenshot}: cannot write the screenshot", file=sys.stderr)
            result["rc"] = 2
        win.close()

    def failed(what, msg):
        if args.screenshot or report:
            print(f"lstm-viz: error: {msg}", file=sys.stderr)
            result["rc"] = 2
            QtCore.QTimer.singleShot(0, win.close)

    win.first_analysis.connect(first_analysis)
    if args.screenshot or report:
        win.session.failed.connect(failed)
    QtCore.QTimer.singleShot(0, lambda: win.open_startup(args.checkpoint, args.text_file))
    rc = app.exec()
    win.deleteLater()
    app.processEvents()
    if throwaway is not None:
        throwaway.cleanup()
    return result["rc"] or rc
