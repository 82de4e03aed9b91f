"""The Qt face of lstm_viz: views render core results; a worker runs core functions off the GUI thread."""
