"""Recognise LSTM weights in checkpoints of other projects and rebuild them as an LSTMLanguageModel.

Real projects save their models in many ways; we recognise them by PyTorch's own parameter names and infer
the architecture from the shapes:

- ``nn.LSTM``: ``<prefix>weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``,
  ``weight_hr_l{k}`` (proj_size), each with ``_reverse`` for the backward direction. Hidden size = rows / 4.
- ``nn.LSTMCell``: ``<prefix>weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``; read as a 1-layer nn.LSTM.
- Wrappers: DataParallel's ``module.`` (and torch.compile's ``_orig_mod.``) prefixes; training dicts holding the
  weights under ``state_dict`` / ``model`` / ``model_state_dict`` / ``MODEL_STATE`` next to ``epoch``,
  ``optimizer`` ...; a whole pickled nn.Module (only when the user trusted the file).
- An embedding is a 2-D weight (V, input_size), a decoder a 2-D weight (V, D * output_size), as in
  pytorch/examples' word_language_model (``encoder.weight``, ``rnn.*``, ``decoder.weight/bias``, tied or not).

GRU and plain RNN weights have the same names with 3 or 1 blocks of rows instead of 4: they are named in the
error, never misread as an LSTM.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .errors import CheckpointError
from .model import LoadedModel, LSTMLanguageModel, ModelConfig, model_name
from .vocab import Vocab

WRAPPER_KEYS = ("state_dict", "model_state_dict", "model_state", "MODEL_STATE", "model", "net", "network",
                "weights", "params", "module")
VOCAB_KEYS = ("vocab", "vocabulary", "itos", "idx2word", "idx_to_token", "idx2char", "ix_to_char", "int2char",
              "chars", "tokens", "dictionary", "stoi", "word2idx", "token_to_idx", "char2idx", "char_to_ix")
SKIP_KEYS = ("optim", "sched", "scaler", "criterion", "loss_fn")  # hold tensors that are not the model's
STRIPPED_PREFIXES = {"module.": "DataParallel 'module.' prefix", "_orig_mod.": "torch.compile '_orig_mod.' prefix"}
PARTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")

_LAYERED = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<part>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                      r"_l(?P<layer>\d+)(?P<rev>_reverse)?(?P<raw>_raw)?$")
_CELL = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<part>weight_ih|weight_hh|bias_ih|bias_hh)$")


@dataclass
class _Group:
    """The recurrent weights under one prefix: {(part, layer, reverse): key}."""

    prefix: str
    cell: bool  # nn.LSTMCell-style names (no _l{k})
    keys: dict[tuple[str, int, bool], str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.prefix[:-1] if self.prefix else "(top level)"

    def kind(self, t: Mapping[str, torch.Tensor]) -> str:
        """"LSTM", "GRU", "RNN" or "unknown", from the rows of weight_hh per unit (4, 3, 1)."""
        if any(p == "weight_hr" for p, _, _ in self.keys):
            return "LSTM"
        hh = t.get(self.keys.get(("weight_hh", 0, False), ""))
        if hh is None or hh.ndim != 2 or hh.shape[1] == 0:
            return "unknown"
        return {4: "LSTM", 3: "GRU", 1: "RNN"}.get(hh.shape[0] / hh.shape[1], "unknown")


@dataclass(frozen=True)
class _Shape:
    """The architecture of one LSTM group, checked for consistency."""

    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    proj_size: int
    bias: bool
    dtype: torch.dtype

    @property
    def out(self) -> int:  # width of the last layer's output, all directions
        return (self.proj_size or self.hidden_size) * (2 if self.bidirectional else 1)

    def summary(self, cell: bool) -> str:
        what = "LSTMCell" if cell else f"{self.num_layers}-layer LSTM"
        extra = (", bidirectional" if self.bidirectional else "") + (f", proj {self.proj_size}" if self.proj_size else "")
        return f"{what}, {self.input_size} -> {self.hidden_size} units{extra}"


def import_checkpoint(obj: Any, *, path: str | Path = "", vocab: Vocab | None = None, module: str | None = None,
                      vocab_name: str = "the given vocab") -> LoadedModel:
    """Rebuild the LSTM held by ``obj`` (what torch.load returned) as a LoadedModel; CheckpointError if none."""
    where = f"{path}: " if str(path) else ""
    tensors, context, holders = _unwrap(obj, where)
    tensors, stripped = _strip_prefixes(tensors)
    context += stripped
    notes: list[str] = []
    groups = _find_groups(tensors)
    group = _choose(groups, tensors, module, where, notes)
    shape = _check_shape(group, tensors, where)
    used = set(group.keys.values())
    for g in groups:
        used.update(g.keys.values())
    emb_key = _find_embedding(tensors, used, shape.input_size, group.prefix)
    V = tensors[emb_key].shape[0] if emb_key else 0
    dec_key = _find_decoder(tensors, used | {emb_key}, shape.out, group.prefix, V)
    if dec_key and not V:
        V = tensors[dec_key].shape[0]
    dec_bias_key = _sibling(dec_key, "bias") if dec_key else None
    if dec_bias_key is not None and tuple(tensors.get(dec_bias_key, torch.empty(0)).shape) != (V,):
        dec_bias_key = None

    file_vocab = _vocab_in(holders)
    if vocab is not None and file_vocab is not None:
        notes.append(f"{vocab_name} replaces the vocab stored in the file")
    elif vocab is None and file_vocab is not None:
        vocab, vocab_name = file_vocab, "the file's vocab"
    if vocab is not None:
        if V and len(vocab) != V:
            what = f"the embedding {emb_key!r}" if emb_key else f"the decoder {dec_key!r}"
            raise CheckpointError(f"{where}{vocab_name} has {len(vocab)} tokens but {what} has {V} rows: "
                                  "they do not belong together")
        if not V:
            if len(vocab) != shape.input_size:
                raise CheckpointError(f"{where}{vocab_name} has {len(vocab)} tokens but the LSTM reads "
                                      f"{shape.input_size}-wide input vectors and the file has no embedding")
            V = len(vocab)
    embedding, decoder = emb_key is not None, dec_key is not None
    if not embedding and V and shape.input_size == V:
        notes.append(f"no embedding: tokens enter the LSTM as one-hot vectors of size {V}")
    elif not embedding:
        notes.append(f"no embedding: give input vectors of shape (T, {shape.input_size})")
    if V and vocab is None and (embedding or shape.input_size == V):
        notes.append(f"no vocab in the file: pass a vocab file (--vocab) with {V} tokens to read text; "
                     "token ids work as they are")

    dtype = shape.dtype
    if dtype not in (torch.float32, torch.float64):
        notes.append(f"{str(dtype).replace('torch.', '')} weights converted to float32")
        dtype = torch.float32
    config = ModelConfig(input_size=shape.input_size, hidden_size=shape.hidden_size, num_layers=shape.num_layers,
                         bidirectional=shape.bidirectional, proj_size=shape.proj_size, bias=shape.bias,
                         vocab_size=V, embedding=embedding, decoder=decoder, decoder_bias=dec_bias_key is not None)
    state = {f"rnn.{part}_l{layer}{'_reverse' if rev else ''}": tensors[k].detach().to(dtype)
             for (part, layer, rev), k in group.keys.items()}
    if emb_key:
        state["encoder.weight"] = tensors[emb_key].detach().to(dtype)
    if dec_key:
        state["decoder.weight"] = tensors[dec_key].detach().to(dtype)
        if dec_bias_key:
            state["decoder.bias"] = tensors[dec_bias_key].detach().to(dtype)
        if emb_key and _same(tensors[emb_key], tensors[dec_key]):
            notes.append(f"decoder weight {dec_key!r} is tied to the embedding {emb_key!r}")
    model = LSTMLanguageModel(config).to(dtype)
    try:
        model.load_state_dict(state)
    except RuntimeError as e:  # shapes were checked above; this is a last line of defence
        raise CheckpointError(f"{where}inconsistent weights ({str(e).strip().splitlines()[-1].strip()})") from None
    model.eval()

    layout = (f"nn.LSTMCell under {group.prefix!r}, read as a 1-layer nn.LSTM" if group.cell
              else f"nn.LSTM under {group.prefix!r}" if group.prefix else "nn.LSTM at the top level")
    if group.prefix == "rnn." and emb_key == "encoder.weight" and dec_key == "decoder.weight":
        layout += " (word_language_model)"
    parts = [f"embedding {emb_key!r}" if emb_key else "", f"decoder {dec_key!r}" if dec_key else ""]
    if any(parts):
        layout += " with " + " and ".join(p for p in parts if p)
    if any(raw for raw in group.keys.values() if raw.endswith("_raw")):
        notes.append("weights named '*_raw' (weight-dropped, AWD-LSTM style) read as the LSTM's weights")
    return LoadedModel(model=model, vocab=vocab, name=model_name(path) if str(path) else "model",
                       source=str(path), layout="; ".join([layout, *context]),
                       metadata=_metadata(holders), notes=tuple(notes))


# -- unwrapping -------------------------------------------------------------------------------------------------
def _unwrap(obj: Any, where: str) -> tuple[dict[str, torch.Tensor], list[str], list[Mapping]]:
    """-> (tensors by name, how we got to them, the dicts passed on the way: metadata and vocab live there)."""
    context: list[str] = []
    holders: list[Mapping] = []
    for _ in range(6):
        if isinstance(obj, nn.Module):
            context.append(f"whole pickled {type(obj).__name__} (trusted)")
            obj = obj.state_dict()
        if not isinstance(obj, Mapping):
            raise CheckpointError(f"{where}holds a {type(obj).__name__}, not model weights")
        tensors = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
        if tensors:
            return tensors, context, holders
        holders.append(obj)
        inner = next((k for k in WRAPPER_KEYS if isinstance(obj.get(k), (Mapping, nn.Module))), None)
        if inner is None:
            break
        others = [str(k) for k in obj if k != inner][:4]
        context.append(f"in {inner!r}" + (f" of a training dict (with {', '.join(map(repr, others))})"
                                          if others else ""))
        obj = obj[inner]
    flat = _flatten(holders[-1] if holders else obj, "")
    if flat:
        context.append("nested dicts flattened")
        return flat, context, holders
    keys = ", ".join(repr(k) for k in list(obj)[:6]) if isinstance(obj, Mapping) else ""
    raise CheckpointError(f"{where}holds no model weights" + (f" (keys {keys})" if keys else " (an empty dict)"))


def _flatten(obj: Any, prefix: str, depth: int = 0) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    if depth > 4:
        return out
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            if not isinstance(k, str) or any(s in k.lower() for s in SKIP_KEYS):
                continue
            if isinstance(v, torch.Tensor):
                out[prefix + k] = v
            else:
                out.update(_flatten(v, f"{prefix}{k}.", depth + 1))
    return out


def _strip_prefixes(tensors: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    stripped = []
    changed = True
    while changed:
        changed = False
        for p, what in STRIPPED_PREFIXES.items():
            if tensors and all(k.startswith(p) for k in tensors):
                tensors = {k[len(p):]: v for k, v in tensors.items()}
                stripped.append(what)
                changed = True
    return tensors, stripped


# -- finding and checking the LSTM -------------------------------------------------------------------------------
def _find_groups(tensors: Mapping[str, torch.Tensor]) -> list[_Group]:
    groups: dict[tuple[str, bool], _Group] = {}
    for k in tensors:
        m = _LAYERED.match(k)
        if m:
            g = groups.setdefault((m["prefix"], False), _Group(m["prefix"], cell=False))
            g.keys[(m["part"], int(m["layer"]), bool(m["rev"]))] = k
            continue
        m = _CELL.match(k)
        if m:
            g = groups.setdefault((m["prefix"], True), _Group(m["prefix"], cell=True))
            g.keys[(m["part"], 0, False)] = k
    return [g for g in groups.values() if any(p == "weight_hh" for p, _, _ in g.keys)]


def _choose(groups: list[_Group], tensors, module: str | None, where: str, notes: list[str]) -> _Group:
    kinds = {id(g): g.kind(tensors) for g in groups}
    lstms = [g for g in groups if kinds[id(g)] == "LSTM"]
    if module is not None:
        want = module.strip().rstrip(".")
        for p in STRIPPED_PREFIXES:
            want = want[len(p):] if want.startswith(p) else want
        found = [g for g in groups if g.prefix.rstrip(".") == want or (not want and not g.prefix)]
        if not found:
            names = ", ".join(repr(g.name) for g in lstms) or "none"
            raise CheckpointError(f"{where}no LSTM named {module!r} in the file; its LSTMs: {names}")
        chosen = found[0]
        if kinds[id(chosen)] != "LSTM":
            raise CheckpointError(f"{where}{_not_lstm(chosen, kinds[id(chosen)])}")
        if len(lstms) > 1:
            notes.append(f"picked {chosen.name!r} of {len(lstms)} LSTMs in the file")
        return chosen
    if len(lstms) == 1:
        for g in groups:
            if g is not lstms[0]:
                notes.append(f"ignored: {_not_lstm(g, kinds[id(g)]).split(':')[0]}")
        return lstms[0]
    if len(lstms) > 1:
        listed = "; ".join(f"{g.name!r} ({_describe(g, tensors)})" for g in lstms)
        raise CheckpointError(f"{where}holds {len(lstms)} LSTMs: {listed}; pick one with --module NAME "
                              f"(module= in Python)")
    if groups:
        raise CheckpointError(f"{where}{_not_lstm(groups[0], kinds[id(groups[0])])}")
    sample = ", ".join(repr(k) for k in list(tensors)[:4])
    raise CheckpointError(f"{where}no LSTM weights found among its {len(tensors)} tensors ({sample}"
                          f"{' ...' if len(tensors) > 4 else ''}); lstm_viz looks for nn.LSTM or nn.LSTMCell "
                          "parameter names such as 'weight_ih_l0'")


def _not_lstm(g: _Group, kind: str) -> str:
    if kind == "GRU":
        return f"found a GRU under {g.name!r}: not supported yet (lstm_viz explains LSTMs)"
    if kind == "RNN":
        return f"found a plain RNN (nn.RNN) under {g.name!r}: not supported yet (lstm_viz explains LSTMs)"
    return f"found recurrent weights under {g.name!r} that are not an LSTM's (weight_hh is not 4 blocks of rows)"


def _describe(g: _Group, tensors) -> str:
    try:
        return _check_shape(g, tensors, "").summary(g.cell)
    except CheckpointError:
        return "inconsistent shapes"


def _check_shape(g: _Group, t: Mapping[str, torch.Tensor], where: str) -> _Shape:
    """The architecture of an LSTM group, or CheckpointError naming the first weight that does not fit."""
    def bad(msg: str) -> CheckpointError:
        return CheckpointError(f"{where}inconsistent LSTM weights under {g.name!r}: {msg}")

    layers = sorted({layer for _, layer, _ in g.keys})
    if layers != list(range(len(layers))):
        raise bad(f"layers {layers} are not numbered 0..{len(layers) - 1}")
    directions = [False, True] if any(rev for _, _, rev in g.keys) else [False]
    bias = ("bias_ih", 0, False) in g.keys or ("bias_hh", 0, False) in g.keys
    proj = ("weight_hr", 0, False) in g.keys
    needed = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else []) + (["weight_hr"] if proj else [])
    expected_keys = {(p, layer, rev) for p in needed for layer in layers for rev in directions}
    missing = sorted(expected_keys - set(g.keys))
    extra = sorted(set(g.keys) - expected_keys)
    if missing or extra:
        p, layer, rev = (missing or extra)[0]
        name = f"{g.prefix}{p}" + ("" if g.cell else f"_l{layer}{'_reverse' if rev else ''}")
        raise bad(f"{name} is {'missing' if missing else 'unexpected'}")
    w_hh = t[g.keys[("weight_hh", 0, False)]]
    w_ih = t[g.keys[("weight_ih", 0, False)]]
    if w_hh.ndim != 2 or w_hh.shape[0] % 4 or w_ih.ndim != 2:
        raise bad(f"weight_hh has shape {tuple(w_hh.shape)}, not (4 * hidden, ...)")
    H = w_hh.shape[0] // 4
    P = t[g.keys[("weight_hr", 0, False)]].shape[0] if proj else 0
    Hout = P or H
    D = len(directions)
    dtype = w_hh.dtype
    if not dtype.is_floating_point:
        raise bad(f"weights are {dtype}, not floating point")
    for (p, layer, rev), k in sorted(g.keys.items()):
        want = {"weight_ih": (4 * H, w_ih.shape[1] if layer == 0 else D * Hout), "weight_hh": (4 * H, Hout),
                "bias_ih": (4 * H,), "bias_hh": (4 * H,), "weight_hr": (Hout, H)}[p]
        if tuple(t[k].shape) != want:
            raise bad(f"{k!r} has shape {tuple(t[k].shape)}, expected {want}")
        if t[k].dtype != dtype:
            raise bad(f"{k!r} is {t[k].dtype} but the other weights are {dtype}")
    if P and P >= H:
        raise bad(f"projection size {P} is not smaller than the hidden size {H}")
    return _Shape(input_size=w_ih.shape[1], hidden_size=H, num_layers=len(layers), bidirectional=D == 2,
                  proj_size=P, bias=bias, dtype=dtype)


# -- embedding, decoder, vocab, metadata --------------------------------------------------------------------------
_EMB_HINTS = ("emb", "encoder", "wte", "lookup", "tok")
_DEC_HINTS = ("decoder", "fc", "out", "linear", "head", "proj", "classifier", "logit", "dense", "lm", "vocab")


def _sibling(key: str, leaf: str) -> str:
    return key.rsplit(".", 1)[0] + "." + leaf if "." in key else leaf


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("."), b.split(".")):
        if x != y:
            break
        n += 1
    return n


def _find_embedding(t: Mapping[str, torch.Tensor], used: set, input_size: int, prefix: str) -> str | None:
    best, best_score = None, None
    for k, v in t.items():
        if k in used or v.ndim != 2 or v.shape[1] != input_size or v.shape[0] < 2 or not v.dtype.is_floating_point:
            continue
        name = k.lower()
        has_bias = _sibling(k, "bias") in t
        hint = 2 if any(h in name for h in _EMB_HINTS) else 0
        if has_bias and not hint:
            continue  # a linear layer, not an embedding
        score = (hint + (0 if has_bias else 1), _common(k, prefix))
        if best_score is None or score > best_score:
            best, best_score = k, score
    return best


def _find_decoder(t: Mapping[str, torch.Tensor], used: set, out: int, prefix: str, V: int) -> str | None:
    best, best_score = None, None
    for k, v in t.items():
        if k in used or v.ndim != 2 or v.shape[1] != out or not v.dtype.is_floating_point:
            continue
        if V and v.shape[0] != V:
            continue  # predicts something else (e.g. classes)
        name = k.lower()
        bias = t.get(_sibling(k, "bias"))
        hint = 2 if any(h in name for h in _DEC_HINTS) else 0
        fits_bias = bias is not None and tuple(bias.shape) == (v.shape[0],)
        if not hint and not fits_bias:
            continue
        score = (hint + fits_bias, _common(k, prefix))
        if best_score is None or score > best_score:
            best, best_score = k, score
    return best


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and (a.data_ptr() == b.data_ptr() or bool(torch.equal(a, b)))


def _vocab_in(holders: list[Mapping]) -> Vocab | None:
    for h in holders:
        for k in VOCAB_KEYS:
            if k in h:
                v = _as_vocab(h[k])
                if v is not None:
                    return v
    return None


def _as_vocab(value: Any) -> Vocab | None:
    if isinstance(value, Vocab):
        return value
    if hasattr(value, "idx2word") or hasattr(value, "itos"):  # a trusted word_language_model Dictionary, ...
        value = getattr(value, "idx2word", None) or getattr(value, "itos")
    if isinstance(value, str) and len(value) > 1:
        return Vocab.from_tokens(list(value), level="char")
    if isinstance(value, Mapping):
        if isinstance(value.get("tokens"), (list, tuple)):
            return Vocab.from_tokens(value["tokens"], value.get("level"))
        if isinstance(value.get("idx2word"), (list, tuple)):
            return _as_vocab(value["idx2word"])
        items = list(value.items())
        if items and all(isinstance(a, str) and isinstance(b, int) for a, b in items):
            items = [(b, a) for a, b in items]
        if items and all(isinstance(a, int) and isinstance(b, str) for a, b in items):
            if sorted(a for a, _ in items) == list(range(len(items))):
                return Vocab.from_tokens([b for _, b in sorted(items)])
        return None
    if isinstance(value, (list, tuple)) and value and all(isinstance(x, str) for x in value):
        return Vocab.from_tokens(value)
    return None


def _metadata(holders: list[Mapping]) -> dict[str, Any]:
    """Plain values stored next to the weights (epoch, loss, args ...)."""
    out: dict[str, Any] = {}
    for h in holders:
        for k, v in h.items():
            if not isinstance(k, str) or k in VOCAB_KEYS or k in WRAPPER_KEYS or k in out:
                continue
            if isinstance(v, (int, float, str, bool)) and len(str(v)) < 200:
                out[k] = v
            elif isinstance(v, (list, tuple)) and v and all(isinstance(x, (int, float)) for x in v):
                out[k] = list(v)
            elif isinstance(v, Mapping) and 0 < len(v) <= 20 and all(
                    isinstance(x, (int, float, str, bool)) or x is None for x in v.values()):
                out[k] = dict(v)
    return out
