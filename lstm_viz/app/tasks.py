"""What the worker runs: plain generators over the core. torch is imported here, on the worker thread."""
from __future__ import annotations

from lstm_viz.core.textfile import read_text_file


def load(path, vocab=None, module=None, trust=False):
    """Yield 0 (torch is being imported), return the LoadedModel."""
    yield 0.0
    from lstm_viz.core.errors import CheckpointError, LstmVizError
    from lstm_viz.core.loading import load_model

    try:
        return load_model(path, vocab=vocab, module=module, trust=trust)
    except LstmVizError:
        raise
    except Exception as e:  # noqa: BLE001 - a file the loader did not foresee still gets a one-line reason
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise CheckpointError(f"{path}: cannot read this file ({type(e).__name__}: {first})") from None


def analyse(model, text):
    """Yield progress, return the Trace."""
    from lstm_viz.core.trace import iter_trace

    return (yield from iter_trace(model, text))


def open_all(checkpoint, text_path=None, text=None):
    """Start-up: load the model and the text, analyse; return (model, text, trace)."""
    model = yield from load(checkpoint)
    if text is None:
        text = read_text_file(text_path)
    if not text:
        from lstm_viz.core.errors import InputError

        raise InputError(f"{text_path}: the text is empty: nothing to analyse")
    trace = yield from analyse(model, text)
    return model, text, trace


def train(corpus_spec, config, out_path, size=None):
    """Load the corpus, train; yield Progress, return TrainResult."""
    from lstm_viz.core import corpora, train as training

    corpus = corpora.load_corpus(corpus_spec, seed=config.seed, size=size)
    return (yield from training.train(corpus, config, out_path))
