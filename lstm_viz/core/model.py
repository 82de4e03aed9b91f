"""The language model lstm_viz explains: tokens -> embedding (or one-hot) -> recurrent module -> linear decoder.

The recurrent module is the one of ``ModelConfig.cell`` (lstm_viz.core.cells): nn.LSTM, nn.GRU, nn.RNN, or our
peephole / coupled-gate LSTM. Parameter names follow pytorch/examples' word_language_model (``encoder``, ``rnn``,
``decoder``), so its state_dicts load as they are. Foreign checkpoints without an embedding or decoder map onto
the same class with those parts left out. A model with ``reads_backward`` (e.g. flair's backward language
model) is given its text reversed by the tracer; ``forward`` itself reads the ids in the order given.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .cells import cell_type
from .errors import InputError
from .stack import LayerStack
from .vocab import Vocab


@dataclass(frozen=True)
class ModelConfig:
    input_size: int  # size of the vectors the LSTM reads (embedding size, or vocab size for one-hot)
    hidden_size: int  # units per layer and direction
    num_layers: int = 1
    bidirectional: bool = False
    proj_size: int = 0  # 0: no projection; else h_t is W_hr @ (o * tanh(c)), of this size
    bias: bool = True
    dropout: float = 0.0  # between layers, training only
    vocab_size: int = 0  # 0 when the model reads raw input vectors and predicts nothing
    embedding: bool = True  # token embedding (vocab_size, input_size) in front of the LSTM
    decoder: bool = True  # linear layer from the last layer's output to vocab_size logits
    decoder_bias: bool = True
    cell: str = "lstm"  # the cell type (lstm_viz.core.cells): lstm, gru, rnn, peephole, cifg
    nonlinearity: str = "tanh"  # plain RNN only: tanh or relu (not stored in an nn.RNN state_dict)
    reads_backward: bool = False  # the model reads its text right to left (e.g. flair's backward LM)
    layer_sizes: tuple[int, ...] = ()  # units of each layer when they differ (hidden_size is the first's); ()
    #                                    for the usual stack whose every layer has hidden_size units

    def __post_init__(self):
        for name in ("input_size", "hidden_size", "num_layers"):
            if int(getattr(self, name)) <= 0:
                raise InputError(f"{name} must be a positive integer, not {getattr(self, name)}")
        if self.proj_size < 0 or (self.proj_size and self.proj_size >= self.hidden_size):
            raise InputError(f"proj_size must be 0 or smaller than hidden_size, not {self.proj_size}")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"dropout must be in [0, 1), not {self.dropout}")
        if (self.embedding or self.decoder) and self.vocab_size <= 0:
            raise InputError("a model with an embedding or a decoder needs vocab_size > 0")
        object.__setattr__(self, "cell", cell_type(self.cell).name)  # InputError for an unknown cell type
        if self.proj_size and self.cell != "lstm":
            raise InputError(f"proj_size exists only for the plain LSTM, not cell type {self.cell!r}")
        if self.nonlinearity not in ("tanh", "relu"):
            raise InputError(f"nonlinearity must be tanh or relu, not {self.nonlinearity!r}")
        self._check_layer_sizes()

    def _check_layer_sizes(self) -> None:
        sizes = tuple(int(s) for s in self.layer_sizes or ())
        if sizes and (len(sizes) != self.num_layers or min(sizes) <= 0 or sizes[0] != self.hidden_size):
            raise InputError(f"layer_sizes {sizes} must give {self.num_layers} positive sizes, the first equal "
                             f"to hidden_size {self.hidden_size}")
        if sizes and len(set(sizes)) > 1 and self.proj_size:
            raise InputError("a stack whose layers differ in size has no projection (proj_size must be 0)")
        object.__setattr__(self, "layer_sizes", sizes if len(set(sizes)) > 1 else ())  # equal sizes: the usual

    @property
    def sizes(self) -> tuple[int, ...]:
        """Units of each layer (per direction, before any projection)."""
        return self.layer_sizes or (self.hidden_size,) * self.num_layers

    @property
    def output_size(self) -> int:
        """Size of the last layer's h_t per direction (the projection size when there is one)."""
        return self.proj_size or self.sizes[-1]

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def input_mode(self) -> str:
        """How tokens become LSTM inputs: "embedding", "one_hot", or "vectors" (the user gives them)."""
        if self.embedding:
            return "embedding"
        if self.vocab_size and self.input_size == self.vocab_size:
            return "one_hot"
        return "vectors"

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.layer_sizes:  # the usual uniform stack: the same dict as before layer_sizes existed
            del d["layer_sizes"]
        else:
            d["layer_sizes"] = list(self.layer_sizes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


class RNNLanguageModel(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        c = config
        self.encoder = nn.Embedding(c.vocab_size, c.input_size) if c.embedding else None
        self.drop = nn.Dropout(c.dropout)
        self.rnn = LayerStack(c.cell, c.input_size, c.layer_sizes, bias=c.bias, dropout=c.dropout,
                              bidirectional=c.bidirectional, nonlinearity=c.nonlinearity) if c.layer_sizes else \
            cell_type(c.cell).build(c.input_size, c.hidden_size, num_layers=c.num_layers, bias=c.bias,
                                           dropout=c.dropout if c.num_layers > 1 else 0.0,
                                           bidirectional=c.bidirectional, proj_size=c.proj_size,
                                           nonlinearity=c.nonlinearity)
        self.decoder = (nn.Linear(c.output_size * c.num_directions, c.vocab_size, bias=c.decoder_bias)
                        if c.decoder else None)

    def inputs(self, ids: torch.Tensor) -> torch.Tensor:
        """Token ids (T, ...) -> LSTM inputs (T, ..., input_size)."""
        if self.config.input_mode == "embedding":
            return self.encoder(ids)
        if self.config.input_mode == "one_hot":
            return nn.functional.one_hot(ids, self.config.vocab_size).to(self.rnn.weight_ih_l0.dtype)
        raise InputError("this model reads input vectors, not tokens: give a (T, input_size) array")

    def forward(self, ids: torch.Tensor, state=None):
        """ids (T, B) -> logits (T, B, V), state ((h_n, c_n) for LSTM-like cells, h_n for GRU / RNN).
        Training and plain inference; the gates come from lstm_viz.core.gates."""
        x = self.drop(self.inputs(ids))  # (T, B, input_size)
        y, state = self.rnn(x, state)  # (T, B, D*output_size)
        if self.decoder is None:
            return y, state
        return self.decoder(self.drop(y)), state

    def init_weights(self, generator: torch.Generator | None = None, forget_bias: float | None = None) -> None:
        """word_language_model's initialisation of the embedding and decoder; the recurrent module keeps
        PyTorch's, except that ``forget_bias`` (when given) sets the forget gate's total bias of an LSTM-like
        cell to it (``set_forget_bias``), so the gate starts at σ(forget_bias) and remembers by default
        (Jozefowicz et al. 2015 recommend 1). GRU and plain RNN are left as they are."""
        r = 0.1
        with torch.no_grad():
            if self.encoder is not None:
                self.encoder.weight.uniform_(-r, r, generator=generator)
            if self.decoder is not None:
                self.decoder.weight.uniform_(-r, r, generator=generator)
                if self.decoder.bias is not None:
                    self.decoder.bias.zero_()
            if forget_bias is not None:
                set_forget_bias(self.rnn, self.config.cell, float(forget_bias))


# Where the forget gate's rows start in the stacked gate weights, in units of hidden_size: nn.LSTM and the
# peephole LSTM stack (i, f, g, o), the coupled-gate LSTM (f, g, o).
FORGET_GATE_BLOCK = {"lstm": 1, "peephole": 1, "cifg": 0}


def set_forget_bias(rnn: nn.Module, cell: str, value: float) -> bool:
    """The one forget-gate bias of lstm_viz (the trainer's and the lab's ``forget_bias``): set the forget gate's
    total bias to ``value``, ``bias_ih`` to ``value`` and ``bias_hh`` to 0 in its rows, in every layer and
    direction of an LSTM-like module (torch's, ours, or a LayerStack whose layers differ in size), so that the
    gate starts at σ(value) whatever the input (Gers et al. 2000; Jozefowicz et al. 2015 recommend 1). It sets,
    never adds: calling it twice gives ``value`` again. Returns False (nothing changed) for a module without
    biases and for cells without a forget gate: a plain RNN, and a GRU, whose update gate z plays the keeping
    role (h_t = (1 - z) * n + z * h_{t-1}) but for which Jozefowicz et al. recommend no such start; it keeps
    PyTorch's."""
    block = FORGET_GATE_BLOCK.get(cell_type(cell).name)
    if block is None or not getattr(rnn, "bias", False):
        return False
    modules = list(rnn.layers) if isinstance(rnn, LayerStack) else [rnn]  # a LayerStack: each its own size
    with torch.no_grad():
        for m in modules:
            H = m.hidden_size
            rows = slice(block * H, (block + 1) * H)
            for name, p in m.named_parameters(recurse=False):
                if name.startswith("bias_ih"):
                    p[rows] = value  # (H,) of (4H,) or (3H,)
                elif name.startswith("bias_hh"):
                    p[rows] = 0.0
    return True


LSTMLanguageModel = RNNLanguageModel  # the former name, kept for callers and pickles


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model ready to explain: the module (in eval mode), its vocab, and what we know of where it came from."""

    model: RNNLanguageModel
    vocab: Vocab | None  # None for a model that reads raw input vectors
    name: str  # shown in titles: the file's stem, or "demo"
    source: str = ""  # the path it was loaded from
    layout: str = "lstm_viz"  # how the file was recognised, e.g. "lstm_viz checkpoint v1", "nn.LSTM under 'rnn.'"
    metadata: dict[str, Any] = field(default_factory=dict)  # training history, corpus, seed, ...
    notes: tuple[str, ...] = ()  # things the loader wants the user to know (e.g. which module was picked)

    @property
    def config(self) -> ModelConfig:
        return self.model.config

    @property
    def dtype(self) -> torch.dtype:
        return self.model.rnn.weight_ih_l0.dtype

    def describe(self) -> list[str]:
        """Lines for `lstm-viz info` and the app's model-info dialog."""
        c = self.config
        lines = [
            f"model: {self.name}",
            f"source: {self.source or '(in memory)'}",
            f"layout: {self.layout}",
            f"cell: {cell_type(c.cell).title}" + (f" ({c.nonlinearity})" if c.cell == "rnn" else "")
            + (", reads right to left" if c.reads_backward else ""),
            f"layers: {c.num_layers}",
            (f"hidden size: {c.hidden_size} units per layer and direction" if not c.layer_sizes else
             f"hidden sizes: {', '.join(map(str, c.layer_sizes))} units in layers 0 to {c.num_layers - 1} "
             "(per direction)"),
            f"direction: {'bidirectional' if c.bidirectional else 'forward'}",
            f"projection: {c.proj_size if c.proj_size else 'none'}",
            f"biases: {'yes' if c.bias else 'no'}",
            f"input: {c.input_mode} ({c.input_size} per step)",
            f"weights: {str(self.dtype).replace('torch.', '')}, "
            f"{sum(p.numel() for p in self.model.parameters()):,} parameters",
        ]
        if self.vocab is not None:
            lines.append(f"vocab: {len(self.vocab)} {self.vocab.level} tokens"
                         f"{'' if self.vocab.unk else ', no unknown token'}")
        else:
            lines.append("vocab: none")
        lines.append(f"embedding: {'yes' if c.embedding else 'no'}; decoder: {'yes' if c.decoder else 'no'}")
        for k, v in self.metadata.items():
            if isinstance(v, (list, tuple)) and len(v) > 8:
                v = f"[{len(v)} values, last {v[-1]!r}]"
            lines.append(f"{k}: {v}")
        lines.extend(f"note: {n}" for n in self.notes)
        return lines


def model_name(path: str | Path) -> str:
    return Path(path).stem
