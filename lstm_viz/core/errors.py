"""User-facing errors: each carries one line that names the file or input and the problem."""


class LstmVizError(Exception):
    """A problem with the user's input. ``str(err)`` is a complete one-line message."""


class CheckpointError(LstmVizError):
    """A checkpoint that cannot be read, or holds no LSTM we can explain."""


class InputError(LstmVizError):
    """Text, token ids, input vectors or settings that do not fit the model."""


# Errors that need a decision from the user. Each carries what the app needs to ask in its own words (the
# choices, the sizes); ``str(err)`` stays the complete one-line message the CLI prints.
class ModuleChoiceError(CheckpointError):
    """The file holds several recurrent modules and none is clearly the one to explain."""

    def __init__(self, message: str, choices: tuple[str, ...], descriptions: tuple[str, ...] = (),
                 chain: bool = False):
        super().__init__(message)
        self.choices = tuple(choices)  # module names to pass back as ``module=``
        self.descriptions = tuple(descriptions)  # one short description per choice ("2-layer LSTM, 4 -> 6 units")
        self.chain = chain  # True when the choices are the layers of one stack of different sizes


class VocabSizeError(CheckpointError):
    """A vocab (from the file or the user) whose size does not match the model's embedding or decoder."""

    def __init__(self, message: str, vocab_size: int, expected: int):
        super().__init__(message)
        self.vocab_size = vocab_size  # tokens in the vocab that was given or found
        self.expected = expected  # rows of the embedding / decoder: the vocab file to ask for has this many


class UnsupportedCellError(CheckpointError):
    """Recurrent weights of a cell type lstm_viz cannot trace yet (GRU, plain RNN) or does not know."""

    def __init__(self, message: str, cell: str, module: str, nonlinearity: str | None = None):
        super().__init__(message)
        self.cell = cell  # "gru", "rnn" or "unknown"
        self.module = module  # where the weights are, e.g. "rnn"
        self.nonlinearity = nonlinearity  # plain RNN only: "tanh" or "relu", as read or assumed
