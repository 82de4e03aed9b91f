import os

# Every test runs headless; pytest-qt creates the QApplication on this platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
