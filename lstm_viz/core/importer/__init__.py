"""Recognise the recurrent model in other projects' checkpoints and rebuild it as an LSTMLanguageModel.

Real projects save their models in many ways: bare state_dicts, training dicts (``state_dict`` next to
``epoch`` and ``optimizer``), PyTorch Lightning ``.ckpt`` files, lists such as awd-lstm-lm's
``[model, criterion, optimizer]``, dicts of whole modules, whole pickled models (read without running their
code into :class:`~lstm_viz.core.pickled.Pickled` trees). All of them are walked to the same tensor paths
(:mod:`.walk`); the recurrent modules are recognised by PyTorch's parameter names and their shapes, and
chained into stacks (:mod:`.groups`); the embedding and decoder are found by shape and place (:mod:`.parts`);
the vocab, direction and other hints come from the file (:mod:`.filevocab`); :mod:`.build` puts it together.

GRU and plain RNN weights have the same names with 3 or 1 blocks of rows instead of 4: they are named in the
error (UnsupportedCellError), never misread as an LSTM.
"""
from .build import TRACEABLE, import_checkpoint, unsupported_message

__all__ = ["TRACEABLE", "import_checkpoint", "unsupported_message"]
