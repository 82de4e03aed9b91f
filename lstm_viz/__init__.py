"""lstm_viz: see what an LSTM (or a GRU, RNN, peephole or coupled-gate LSTM) does inside.

    import lstm_viz
    model = lstm_viz.load_model("model.pt")          # ours, or a state_dict of nn.LSTM / nn.LSTMCell
    tr = lstm_viz.trace(model, "Hello, world")        # also token ids (T,) or input vectors (T, input_size)
    tr["forget_gate_l0"]                              # (T, units) float32
    tr.window("cell", 0, False, 0, 5)                 # any quantity of tr.quantities, steps 0..4
    tr.save_npz("trace.npz")
    big = lstm_viz.keyframe_trace(model, long_text)   # keeps states every 1024 steps; windows recomputed exactly
    big = lstm_viz.trace(model, long_text, lazy=True)  # the same
    lstm_viz.write_h5(model, long_text, "big.h5")     # every quantity to a chunked file; open_trace reads it lazily

The names are imported lazily so that ``import lstm_viz`` (and the GUI's first paint) does not wait for torch.
"""
__version__ = "0.1.0"
__all__ = ["load_model", "trace", "iter_trace", "Trace", "TraceBase", "LoadedModel", "Vocab", "LstmVizError",
           "CELLS", "CellType", "cell_type", "keyframe_trace", "iter_keyframe_trace", "KeyframeTrace", "write_h5",
           "iter_write_h5", "H5Trace", "open_trace"]

_WHERE = {
    "load_model": "lstm_viz.core.loading",
    "trace": "lstm_viz.core.trace",
    "iter_trace": "lstm_viz.core.trace",
    "Trace": "lstm_viz.core.trace",
    "TraceBase": "lstm_viz.core.trace",
    "keyframe_trace": "lstm_viz.core.keyframes",
    "iter_keyframe_trace": "lstm_viz.core.keyframes",
    "KeyframeTrace": "lstm_viz.core.keyframes",
    "write_h5": "lstm_viz.core.h5trace",
    "iter_write_h5": "lstm_viz.core.h5trace",
    "H5Trace": "lstm_viz.core.h5trace",
    "open_trace": "lstm_viz.core.h5trace",
    "CELLS": "lstm_viz.core.cells",
    "CellType": "lstm_viz.core.cells",
    "cell_type": "lstm_viz.core.cells",
    "LoadedModel": "lstm_viz.core.model",
    "Vocab": "lstm_viz.core.vocab",
    "LstmVizError": "lstm_viz.core.errors",
}


def __getattr__(name):
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'lstm_viz' has no attribute {name!r}")
