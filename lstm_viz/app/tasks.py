"""What the worker runs: plain generators over the core. torch is imported here, on the worker thread."""
from __future__ import annotations

from dataclasses import dataclass

from lstm_viz.core.textfile import read_text_file


@dataclass
class Opened:
    """A model opened on the worker and not yet shown: the window commits it whole, or drops it."""

    model: object  # LoadedModel
    text: str  # the text analysed ("" for none)
    trace: object | None  # Trace of ``text``, None when there was no text or it could not be read
    problem: str = ""  # why there is no trace although there was a text (one line)
    units: dict | None = None  # {(layer, reverse): the state unit (c, else h) with the most slow structure there}
    vocab_size: int = 0  # > 0: the model needs a vocab of this many tokens before it can read text
    text_given: bool = False  # the text came with the request (start-up, a new training run)



def vocab_needed(model) -> int:
    """How many tokens a vocab for ``model`` must have, when it has none and one would let it read text;
    else 0. A bare LSTM with no embedding may read one-hot tokens: then the vocab has input_size tokens."""
    if model.vocab is not None:
        return 0
    c = model.config
    if c.input_mode in ("embedding", "one_hot"):
        return c.vocab_size
    if not c.embedding and c.vocab_size in (0, c.input_size):
        return c.input_size
    return 0


def load(path, vocab=None, module=None, trust=False):
    """Yield 0 (torch is being imported), return the LoadedModel."""
    yield 0.0
    from lstm_viz.core.errors import CheckpointError, LstmVizError
    from lstm_viz.core.loading import load_model

    try:
        model = load_model(path, vocab=vocab, module=module, trust=trust)
    except LstmVizError:
        raise
    except Exception as e:  # noqa: BLE001 - a file the loader did not foresee still gets a one-line reason
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise CheckpointError(f"{path}: cannot read this file ({type(e).__name__}: {first})") from None
    return model


def analyse(model, text):
    """Yield progress, return the Trace."""
    from lstm_viz.core.trace import iter_trace

    return (yield from iter_trace(model, text))


def open_model(path, text="", text_path=None, text_given=False, **options):
    """Load a checkpoint and analyse ``text`` (or the file ``text_path``) with it; return an Opened.

    Nothing is shown until the window commits the result, so a question it still has to ask (the vocab) or
    a cancel leaves the window as it was."""
    from lstm_viz.core.cells import cell_type
    from lstm_viz.core.errors import CheckpointError, InputError, LstmVizError
    from lstm_viz.core.structure import cell_unit_to_show
    from lstm_viz.look import state_quantity

    from .worker import one_line

    model = yield from load(path, **options)
    if text_path is not None:
        text, text_given = read_text_file(text_path), True
        if not text:
            raise InputError(f"{text_path}: the text is empty: nothing to analyse")
    need = vocab_needed(model)
    if need:
        return Opened(model, text, None, vocab_size=need, text_given=text_given)
    if model.vocab is None:
        raise CheckpointError(f"{path}: this {cell_type(model.config.cell).title} reads {model.config.input_size}-wide input vectors, not text; "
                              "the app shows text (give it vectors with lstm_viz.trace in Python)")
    if not text:
        return Opened(model, "", None, text_given=text_given)
    try:
        trace = yield from analyse(model, text)
    except LstmVizError as e:
        return Opened(model, text, None, problem=one_line(e), text_given=text_given)
    state = state_quantity(trace.cell)  # c, or h for a cell without a cell state (GRU, RNN)
    units = {(layer, reverse): cell_unit_to_show(trace.get(state, layer, reverse))
             for layer in range(trace.num_layers) for reverse in ((False, True) if trace.bidirectional else (False,))}
    return Opened(model, text, trace, units=units, text_given=text_given)


def train(corpus_spec, config, out_path, size=None):
    """Load the corpus, train; yield Progress, return (TrainResult, a sample of the corpus to open it on)."""
    from lstm_viz.core import corpora, train as training

    corpus = corpora.load_corpus(corpus_spec, seed=config.seed, size=size)
    result = yield from training.train(corpus, config, out_path)
    return result, corpus_sample(corpus.text)


def corpus_sample(text: str, size: int = 2000) -> str:
    """About ``size`` characters from the held-out tail of a corpus, starting at a line."""
    tail = text[-max(size * 3, 1):]
    start = tail.find("\n", 0, len(tail) // 2)
    sample = tail[start + 1:] if start >= 0 else tail
    return sample[:size]
