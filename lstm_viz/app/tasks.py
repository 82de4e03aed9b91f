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
    rest: bool = False  # a long text: ``trace`` is its first tokens (or None); the whole is analysed next



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
    from .warmup import preload_torch_library

    preload_torch_library()  # an open before the warm-up: torch's library loaded without holding the lock
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


MEMORY_BUDGET = 400 * 2 ** 20  # bytes: a text whose in-memory trace would be larger gets a keyframe trace
PREFIX_TOKENS = 4096  # a long text shows its first tokens (an exact in-memory trace) while the rest is analysed
PREFIX_VALUES = 4096 * 1536  # ... at most this many values (steps x columns): the demo's 4,096 steps, fewer for
# a big model (2 x 512 LSTM: 1,024), so that its first picture comes as soon as the demo's
PREFIX_LEAST = 1024  # steps: never fewer (the first screen shows ~150 and picks its unit from these)
APP_KEYFRAME_EVERY = 1024  # steps between keyframes (fewer, longer chunks: torch's per-call cost is paid less)
APP_CACHE_CHUNKS = 24  # recomputed chunks kept: the heatmaps' exact windows (8,192 steps) and the traces' together


@dataclass
class Partial:
    """Progress that shows something: the exact trace of the first tokens of a long text."""

    trace: object  # Trace of the first tokens
    units: dict  # as Opened.units
    total: int  # characters in the whole text


def trace_bytes(model, steps: int) -> int:
    """Bytes an in-memory trace of ``steps`` steps would hold (every quantity, layer and direction, float32)."""
    from lstm_viz.core.cell_compute import cell_of, units_of

    rnn = model.model.rnn
    dirs = 2 if rnn.bidirectional else 1
    columns = sum(units_of(rnn, q, layer) for layer in range(rnn.num_layers) for q in cell_of(rnn).quantities)
    return 4 * steps * columns * dirs


def is_long(model, text: str) -> bool:
    """The text is too long for an in-memory trace (its length in characters bounds its tokens)."""
    return trace_bytes(model, len(text)) > MEMORY_BUDGET


def can_show_prefix(model) -> bool:
    """The trace of the first tokens is exactly the start of the whole trace: the model reads left to right."""
    return not (model.model.rnn.bidirectional or model.config.reads_backward)


def units_to_show(trace) -> dict:
    """{(layer, reverse): the state unit (c, else h) with the most slow structure} (lstm_viz.core.structure)."""
    import numpy as np

    return {(layer, rev): int(np.argmax(trace.structure_scores(layer, rev)))
            for layer in range(trace.num_layers) for rev in trace.directions
            if trace.units(layer, "cell" if trace.cell.has_cell_state else "hidden")}


def prefix_of(text: str, tokens: int | None = None) -> str:
    """About the first ``tokens`` (default PREFIX_TOKENS) characters of ``text``, cut at whitespace (a word
    vocab splits there too)."""
    tokens = PREFIX_TOKENS if tokens is None else tokens
    if len(text) <= tokens:
        return text
    cut = max(text.rfind(c, 0, tokens) for c in " \n\t")
    return text[:cut + 1] if cut > 0 else text[:tokens]


def prefix_tokens(model) -> int:
    """How many first tokens of a long text the first picture traces: PREFIX_TOKENS, fewer for a big model."""
    per_step = trace_bytes(model, 1) // 4  # values per step: every quantity, layer and direction
    return min(PREFIX_TOKENS, max(PREFIX_LEAST, PREFIX_VALUES // max(per_step, 1)))


def prefix_trace(model, text):
    """Yield 0 while tracing the first tokens; return the in-memory Trace of the prefix."""
    from lstm_viz.core.trace import iter_trace

    gen = iter_trace(model, prefix_of(text, prefix_tokens(model)))
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return with_stats(stop.value)
        yield 0.0


def with_stats(trace):
    """``trace``, its per-unit statistics of every quantity computed now, on the worker: the views order rows by
    them, and an in-memory trace would otherwise compute them on the GUI thread when first drawn (up to ~50 ms
    at 65,000 steps of 256 units). A keyframe trace kept them from its pass."""
    for layer in range(trace.num_layers):
        for reverse in trace.directions:
            for q in trace.quantities:
                trace.stats(q, layer, reverse)
    return trace


def analyse(model, text, prefix_shown: bool = False):
    """Yield progress, return the Trace: in memory for a short text; for a long one a KeyframeTrace, after
    yielding a Partial with the first tokens (unless ``prefix_shown`` or the model does not read left to right)."""
    from lstm_viz.core.trace import iter_trace

    if not is_long(model, text):
        return with_stats((yield from iter_trace(model, text)))
    from lstm_viz.core.keyframes import iter_keyframe_trace

    if not prefix_shown and can_show_prefix(model):
        first = yield from prefix_trace(model, text)
        yield Partial(first, units_to_show(first), len(text))
    return (yield from iter_keyframe_trace(model, text, keyframe_every=APP_KEYFRAME_EVERY,
                                           cache_chunks=APP_CACHE_CHUNKS))


def open_model(path, text="", text_path=None, text_given=False, **options):
    """Load a checkpoint and analyse ``text`` (or the file ``text_path``) with it; return an Opened.

    Nothing is shown until the window commits the result, so a question it still has to ask (the vocab) or
    a cancel leaves the window as it was."""
    from lstm_viz.core.cells import cell_type
    from lstm_viz.core.errors import CheckpointError, InputError, LstmVizError
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
    long = is_long(model, text)
    try:
        if long:  # the first tokens now (or nothing yet); the rest is analysed once the model is shown
            trace = (yield from prefix_trace(model, text)) if can_show_prefix(model) else None
        else:
            trace = yield from analyse(model, text)
    except LstmVizError as e:
        return Opened(model, text, None, problem=one_line(e), text_given=text_given)
    units = units_to_show(trace) if trace is not None else None
    return Opened(model, text, trace, units=units, text_given=text_given, rest=long)


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
