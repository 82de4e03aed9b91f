"""The headless core of lstm_viz: models, vocabularies, checkpoints, gate extraction, training, analysis.

Nothing in this package imports Qt or pyqtgraph (tests/test_core_headless.py proves it).
"""
