"""Tiny models with the class shapes of public projects, and the ways those projects save them.

Each class carries the module and class name the project's pickles name (``model.RNNModel``,
``flair.models.language_model.LanguageModel`` ...), so a whole pickle of it looks like the real thing. Saving
such a pickle needs the module importable for a moment (:func:`fake_modules`); loading it back must not.
:func:`to_pickled` turns a real object into the tree of placeholders the code-free reader makes of its pickle.
"""
from __future__ import annotations

import contextlib
import sys
import types
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from lstm_viz.core.pickled import Pickled

ATOL = 1e-5
WORDS = ["<unk>", "<eos>", "the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far"]


def _named(module: str, name: str):
    def deco(cls):
        cls.__module__, cls.__qualname__, cls.__name__ = module, name, name
        return cls
    return deco


@contextlib.contextmanager
def fake_modules(*classes):
    """Make the classes importable under their project module names while saving; gone afterwards."""
    added = []
    for cls in classes:
        parts = cls.__module__.split(".")
        for k in range(1, len(parts) + 1):
            name = ".".join(parts[:k])
            if name not in sys.modules:
                sys.modules[name] = types.ModuleType(name)
                added.append(name)
        setattr(sys.modules[cls.__module__], cls.__qualname__, cls)
    try:
        yield
    finally:
        for name in added:
            del sys.modules[name]


def to_pickled(obj):
    """What the code-free reader gives for a pickle of ``obj``: containers and tensors as themselves, every
    other object a Pickled placeholder with its pickled state."""
    if isinstance(obj, torch.Tensor) or obj is None or isinstance(obj, (str, bytes, int, float, bool)):
        return obj
    if isinstance(obj, OrderedDict):
        return OrderedDict((k, to_pickled(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: to_pickled(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return type(obj)(to_pickled(v) for v in obj)
    t = type(obj)
    state = obj.__getstate__() if hasattr(obj, "__getstate__") else getattr(obj, "__dict__", None)
    if isinstance(state, dict) and isinstance(obj, nn.Module):  # what pickle stores: bookkeeping dicts too
        state = dict(state)
    return Pickled(f"{t.__module__}.{t.__qualname__}", state=to_pickled(state) if isinstance(state, dict) else None)


# -- pytorch/examples word_language_model (model.py) ------------------------------------------------------------
@_named("model", "RNNModel")
class WordRNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ("LSTM", "GRU"):
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def forward(self, input, hidden=None):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(output)), hidden


# -- salesforce/awd-lstm-lm (model.py, weight_drop.py, locked_dropout.py, splitcross.py) --------------------------
@_named("locked_dropout", "LockedDropout")
class LockedDropout(nn.Module):
    def forward(self, x, dropout=0.5):
        return x  # eval-mode behaviour: identity


@_named("weight_drop", "WeightDrop")
class WeightDrop(nn.Module):
    def __init__(self, module, weights, dropout=0.0):
        super().__init__()
        self.module, self.weights, self.dropout, self.variational = module, weights, dropout, False
        for name_w in weights:
            w = getattr(module, name_w)
            del module._parameters[name_w]
            module.register_parameter(name_w + "_raw", nn.Parameter(w.data))

    def _setweights(self):
        for name_w in self.weights:
            raw_w = getattr(self.module, name_w + "_raw")
            w = nn.functional.dropout(raw_w, p=self.dropout, training=self.training)
            setattr(self.module, name_w, nn.Parameter(w))

    def forward(self, *args):
        self._setweights()
        return self.module.forward(*args)


@_named("model", "RNNModel")
class AwdRNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, dropouth=0.5, dropouti=0.5,
                 dropoute=0.1, wdrop=0, tie_weights=False):
        super().__init__()
        self.lockdrop = LockedDropout()
        self.idrop, self.hdrop, self.drop = nn.Dropout(dropouti), nn.Dropout(dropouth), nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnns = [nn.LSTM(ninp if l == 0 else nhid, nhid if l != nlayers - 1 else ninp, 1, dropout=0)
                     for l in range(nlayers)]
        if wdrop:
            self.rnns = [WeightDrop(rnn, ["weight_hh_l0"], dropout=wdrop) for rnn in self.rnns]
        self.rnns = nn.ModuleList(self.rnns)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.ninp, self.nhid, self.nlayers = rnn_type, ninp, nhid, nlayers
        self.dropout, self.dropouti, self.dropouth, self.dropoute = dropout, dropouti, dropouth, dropoute

    def forward(self, input, hidden=None):
        raw_output = self.lockdrop(self.encoder(input), self.dropouti)
        new_hidden = []
        for l, rnn in enumerate(self.rnns):
            raw_output, new_h = rnn(raw_output, None if hidden is None else hidden[l])
            new_hidden.append(new_h)
        output = self.lockdrop(raw_output, self.dropout)
        return self.decoder(output), new_hidden


@_named("splitcross", "SplitCrossEntropyLoss")
class SplitCrossEntropyLoss(nn.Module):
    def __init__(self, hidden_size, splits):
        super().__init__()
        self.hidden_size, self.splits, self.nsplits = hidden_size, [0] + splits + [100 * 1000000], len(splits) + 1
        if self.nsplits > 1:
            self.tail_vectors = nn.Parameter(torch.zeros(self.nsplits - 1, hidden_size))
            self.tail_bias = nn.Parameter(torch.zeros(self.nsplits - 1))


# -- spro/char-rnn.pytorch (model.py) ------------------------------------------------------------------------------
@_named("model", "CharRNN")
class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size, model="gru", n_layers=1):
        super().__init__()
        self.model = model.lower()
        self.input_size, self.hidden_size, self.output_size, self.n_layers = (input_size, hidden_size,
                                                                             output_size, n_layers)
        self.encoder = nn.Embedding(input_size, hidden_size)
        if self.model == "gru":
            self.rnn = nn.GRU(hidden_size, hidden_size, n_layers)
        elif self.model == "lstm":
            self.rnn = nn.LSTM(hidden_size, hidden_size, n_layers)
        self.decoder = nn.Linear(hidden_size, output_size)

    def forward(self, input, hidden):
        batch_size = input.size(0)
        encoded = self.encoder(input)
        output, hidden = self.rnn(encoded.view(1, batch_size, -1), hidden)
        return self.decoder(output.view(batch_size, -1)), hidden


# -- flairNLP/flair (flair/data.py Dictionary, flair/models/language_model.py LanguageModel) ------------------------
@_named("flair.data", "Dictionary")
class Dictionary:
    def __init__(self, add_unk=True):
        self.item2idx: dict[bytes, int] = {}
        self.idx2item: list[bytes] = []
        self.add_unk = add_unk
        self.multi_label = False
        self.span_labels = False
        if add_unk:
            self.add_item("<unk>")

    def add_item(self, item: str) -> int:
        bytes_item = item.encode("utf-8")
        if bytes_item not in self.item2idx:
            self.idx2item.append(bytes_item)
            self.item2idx[bytes_item] = len(self.idx2item) - 1
        return self.item2idx[bytes_item]

    def __len__(self):
        return len(self.idx2item)


@_named("flair.models.language_model", "LanguageModel")
class LanguageModel(nn.Module):
    def __init__(self, dictionary, is_forward_lm, hidden_size, nlayers, embedding_size=100, nout=None, dropout=0.1):
        super().__init__()
        self.dictionary, self.document_delimiter, self.is_forward_lm = dictionary, "\n", is_forward_lm
        self.dropout, self.hidden_size, self.embedding_size, self.nlayers = dropout, hidden_size, embedding_size, nlayers
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(len(dictionary), embedding_size)
        self.rnn = nn.LSTM(embedding_size, hidden_size, nlayers, dropout=dropout if nlayers > 1 else 0)
        self.hidden = None
        self.nout = nout
        if nout is not None:
            self.proj = nn.Linear(hidden_size, nout)
            hidden_size = nout
        else:
            self.proj = None
        self.decoder = nn.Linear(hidden_size, len(dictionary))

    def forward(self, input, hidden=None):
        output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
        if self.proj is not None:
            output = self.proj(output)
        return self.decoder(self.drop(output)), output, hidden

    def _model_state(self):
        return {"state_dict": self.state_dict(), "dictionary": self.dictionary, "is_forward_lm": self.is_forward_lm,
                "hidden_size": self.hidden_size, "nlayers": self.nlayers, "embedding_size": self.embedding_size,
                "nout": self.nout, "document_delimiter": self.document_delimiter, "dropout": self.dropout}

    def save(self, file):
        torch.save(self._model_state(), str(file), pickle_protocol=4)

    def __getstate__(self):  # flair pickles a LanguageModel as its constructor arguments and state_dict
        return self._model_state()


# -- image captioning (a dict of whole encoder / decoder modules, an LSTMCell decoder with attention) ---------------
@_named("models", "Encoder")
class Encoder(nn.Module):
    def __init__(self, encoded_image_size=2, encoder_dim=6):
        super().__init__()
        self.enc_image_size = encoded_image_size
        self.resnet = nn.Sequential(nn.Conv2d(3, encoder_dim, 3, padding=1), nn.ReLU())
        self.adaptive_pool = nn.AdaptiveAvgPool2d((encoded_image_size, encoded_image_size))


@_named("models", "Attention")
class Attention(nn.Module):
    def __init__(self, encoder_dim, decoder_dim, attention_dim):
        super().__init__()
        self.encoder_att = nn.Linear(encoder_dim, attention_dim)
        self.decoder_att = nn.Linear(decoder_dim, attention_dim)
        self.full_att = nn.Linear(attention_dim, 1)
        self.relu, self.softmax = nn.ReLU(), nn.Softmax(dim=1)


@_named("models", "DecoderWithAttention")
class DecoderWithAttention(nn.Module):
    def __init__(self, attention_dim, embed_dim, decoder_dim, vocab_size, encoder_dim=6, dropout=0.5):
        super().__init__()
        self.encoder_dim, self.attention_dim, self.embed_dim = encoder_dim, attention_dim, embed_dim
        self.decoder_dim, self.vocab_size, self.dropout = decoder_dim, vocab_size, dropout
        self.attention = Attention(encoder_dim, decoder_dim, attention_dim)
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.dropout = nn.Dropout(p=self.dropout)
        self.decode_step = nn.LSTMCell(embed_dim + encoder_dim, decoder_dim, bias=True)
        self.init_h = nn.Linear(encoder_dim, decoder_dim)
        self.init_c = nn.Linear(encoder_dim, decoder_dim)
        self.f_beta = nn.Linear(decoder_dim, encoder_dim)
        self.sigmoid = nn.Sigmoid()
        self.fc = nn.Linear(decoder_dim, vocab_size)


# -- checking a trace against the model ------------------------------------------------------------------------
def reference(lstm_weights: dict, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Every quantity of one LSTM layer by a float64 loop of its equations (PyTorch's order i, f, g, o)."""
    w_ih, w_hh = lstm_weights["weight_ih"].double(), lstm_weights["weight_hh"].double()
    b = (lstm_weights["bias_ih"] + lstm_weights["bias_hh"]).double() if "bias_ih" in lstm_weights else 0
    H = w_hh.shape[1]
    h, c = torch.zeros(H, dtype=torch.float64), torch.zeros(H, dtype=torch.float64)
    out = {k: [] for k in ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")}
    for x_t in x.double():
        pre = w_ih @ x_t + w_hh @ h + b
        i, f, g, o = torch.sigmoid(pre[:H]), torch.sigmoid(pre[H:2 * H]), torch.tanh(pre[2 * H:3 * H]), \
            torch.sigmoid(pre[3 * H:])
        c = f * c + i * g
        h = o * torch.tanh(c)
        for k, v in zip(out, (i, f, g, o, c, h)):
            out[k].append(v.numpy())
    return {k: np.array(v) for k, v in out.items()}


def weights_of(lstm: nn.Module, layer: int = 0, cell: bool = False) -> dict:
    sfx = "" if cell else f"_l{layer}"
    out = {}
    for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        w = lstm._parameters.get(p + sfx + "_raw", lstm._parameters.get(p + sfx))
        if w is not None:
            out[p] = w.detach()
    return out


def check_stack(tr, lstms: list[nn.LSTM], x: torch.Tensor) -> None:
    """lstms are applied in turn to x (T, in); each layer's six quantities, output and final states match."""
    layer = 0
    with torch.no_grad():
        for lstm in lstms:
            inner = lstm.module if hasattr(lstm, "module") else lstm
            y, (h_n, c_n) = lstm(x[:, None])  # (T, 1, H): the module's own forward
            y = y[:, 0]
            layer_in = x
            for k in range(inner.num_layers):
                ref = reference(weights_of(inner, k), layer_in)
                for q, v in ref.items():
                    np.testing.assert_allclose(tr.get(q, layer + k), v, atol=ATOL, err_msg=f"{q} of layer {layer + k}")
                np.testing.assert_allclose(tr.get("hidden", layer + k)[-1], h_n[k, 0].numpy(), atol=ATOL)
                np.testing.assert_allclose(tr.get("cell", layer + k)[-1], c_n[k, 0].numpy(), atol=ATOL)
                layer_in = torch.from_numpy(ref["hidden"]).float()
            np.testing.assert_allclose(tr.get("hidden", layer + inner.num_layers - 1), y.numpy(), atol=ATOL)
            layer += inner.num_layers
            x = y


def check_probs(tr, logits: torch.Tensor) -> None:
    np.testing.assert_allclose(tr["probs"], torch.softmax(logits.reshape(len(tr), -1), -1).numpy(), atol=ATOL)


def ids_of(tokens, vocab) -> torch.Tensor:
    return torch.tensor([vocab.index(t) for t in tokens])


def flair_model(is_forward_lm=True, nout=None):
    torch.manual_seed(3)
    d = Dictionary()
    for ch in "abcdefgh éü\n":
        d.add_item(ch)
    return LanguageModel(d, is_forward_lm, hidden_size=7, nlayers=1, embedding_size=5, nout=nout).eval()
