import os

# Every test runs headless; pytest-qt creates the QApplication on this platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import lstm_viz.qtcompat  # noqa: E402,F401  (PySide6 6.12 reference-count work-around for every Qt test)
