"""The Qt face of lstm_viz: views render core results; a worker runs core functions off the GUI thread."""
import lstm_viz.qtcompat  # noqa: F401  (PySide6 reference-count work-around, before any Qt call)
