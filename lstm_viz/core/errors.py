"""User-facing errors: each carries one line that names the file or input and the problem."""


class LstmVizError(Exception):
    """A problem with the user's input. ``str(err)`` is a complete one-line message."""


class CheckpointError(LstmVizError):
    """A checkpoint that cannot be read, or holds no LSTM we can explain."""


class InputError(LstmVizError):
    """Text, token ids, input vectors or settings that do not fit the model."""
