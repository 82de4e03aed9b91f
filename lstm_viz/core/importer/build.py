"""Rebuild the recurrent model a foreign checkpoint holds as an LSTMLanguageModel (see the package docstring)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..errors import CheckpointError, InputError, ModuleChoiceError, UnsupportedCellError, VocabSizeError
from ..model import LoadedModel, LSTMLanguageModel, ModelConfig, model_name
from ..vocab import Vocab
from .filevocab import find_vocab, plain_hints, reads_backward
from .groups import CELL_NAMES, Group, Shape, Unit, check_shape, find_groups, kind_of, nonlinearity_of, units
from .groups import chain_name, strip_module_arg
from .parts import find_decoder, find_embedding, partial_embeddings, same
from .walk import STRIPPED_PREFIXES, Tree, walk

TRACEABLE = {"lstm", "gru", "rnn"}  # cell kinds the core traces (lstm_viz.core.cells)


def import_checkpoint(obj: Any, *, path: str | Path = "", vocab: Vocab | None = None, module: str | None = None,
                      vocab_name: str = "the given vocab", nonlinearity: str | None = None) -> LoadedModel:
    """Rebuild the LSTM held by ``obj`` (what the checkpoint reader returned) as a LoadedModel.

    ``module``: the name of the recurrent module (or stack) to use when the file holds several.
    ``nonlinearity``: "tanh" or "relu" for a plain RNN, whose state_dict does not store it.
    CheckpointError (or one of its structured subclasses) when there is nothing we can explain."""
    where = f"{path}: " if str(path) else ""
    if nonlinearity not in (None, "tanh", "relu"):
        raise InputError(f"nonlinearity must be 'tanh' or 'relu', not {nonlinearity!r}")
    tree = walk(obj, where)
    notes: list[str] = []
    groups = find_groups(tree, where)
    if not groups:
        sample = ", ".join(repr(k) for k in list(tree.tensors)[:4])
        raise CheckpointError(f"{where}no LSTM weights found among its {len(tree.tensors)} tensors ({sample}"
                              f"{' ...' if len(tree.tensors) > 4 else ''}); lstm_viz looks for nn.LSTM or "
                              "nn.LSTMCell parameter names such as 'weight_ih_l0'")
    kinds = {id(g): kind_of(g, tree) for g in groups}
    shapes: dict[int, Shape] = {}
    for g in groups:
        if kinds[id(g)] != "unknown":
            try:
                shapes[id(g)] = check_shape(g, tree, where, kinds[id(g)])
            except CheckpointError:
                if kinds[id(g)] == "lstm":
                    raise
                kinds[id(g)] = "unknown"
    known = [g for g in groups if id(g) in shapes]
    offered, chains = units(known, shapes)
    unit = _choose(offered, groups, kinds, tree, module, where, notes, nonlinearity)
    shape = unit.shape
    if nonlinearity is not None and shape.kind != "rnn":
        raise InputError(f"{where}--nonlinearity applies to plain RNNs (nn.RNN); this file holds an "
                         f"{CELL_NAMES[shape.kind]}")
    if len(unit.groups) > 1:
        notes.append(f"{', '.join(repr(g.name) for g in unit.groups)} read as one {shape.num_layers}-layer stack "
                     "(each reads the previous one's output)")
    if unit.chain and len(unit.groups) == 1 and len(unit.chain) > 1:
        k = unit.chain.index(unit.groups[0])
        notes.append(f"{unit.name!r} is layer {k + 1} of the stack {', '.join(repr(g.name) for g in unit.chain)}: "
                     "lstm_viz shows that layer alone"
                     + ("" if k == 0 else f"; it reads layer {k}'s output, so give input vectors "
                                          f"(T, {shape.input_size})"))

    # -- embedding, decoder, vocab ------------------------------------------------------------------------------
    near = unit.groups[0].prefix
    emb_key = find_embedding(tree, shape.input_size, near, notes) if unit.first else None
    V = tree.tensors[emb_key].shape[0] if emb_key else 0
    file_vocab, vocab_where = find_vocab(tree, V)
    partial = partial_embeddings(tree) if unit.first and not emb_key else {}
    if not V:
        rows = {r for r, _ in partial.values()}
        V_hint = file_vocab is not None and len(file_vocab) or (rows.pop() if len(rows) == 1 else 0)
    else:
        V_hint = V
    taken = {emb_key} if emb_key else set()
    dec = find_decoder(tree, unit.out, unit.groups[-1].prefix, V_hint, taken, notes) if unit.last else None
    if dec is not None and not V:
        V = dec.weight.shape[0]
    if not unit.last:
        notes.append(f"no decoder: the decoder reads the output of the stack's last layer {unit.chain[-1].name!r}")

    if vocab is not None and file_vocab is not None:
        notes.append(f"{vocab_name} replaces the vocab stored in the file")
    elif vocab is None and file_vocab is not None:
        vocab, vocab_name = file_vocab, "the file's vocab"
        notes.append(f"vocab of {len(vocab)} tokens from {vocab_where}")
    if vocab is not None:
        if V and len(vocab) != V:
            what = f"the embedding {emb_key!r}" if emb_key else f"the decoder {dec.key!r}"
            raise VocabSizeError(f"{where}{vocab_name} has {len(vocab)} tokens but {what} has {V} rows: "
                                 "they do not belong together", len(vocab), V)
        if not V:
            if len(vocab) != shape.input_size or not unit.first:
                raise VocabSizeError(f"{where}{vocab_name} has {len(vocab)} tokens but the LSTM reads "
                                     f"{shape.input_size}-wide input vectors and the file has no embedding",
                                     len(vocab), shape.input_size)
            V = len(vocab)
    embedding, decoder = emb_key is not None, dec is not None
    one_hot = not embedding and V and shape.input_size == V and unit.first
    if one_hot:
        notes.append(f"no embedding: tokens enter the LSTM as one-hot vectors of size {V}")
    elif not embedding:
        notes.append(f"no embedding: give input vectors of shape (T, {shape.input_size})")
        for k, (rows, width) in partial.items():
            if width < shape.input_size:
                notes.append(f"the embedding {k!r} ({rows}, {width}) is only part of the LSTM's "
                             f"{shape.input_size}-wide input (the rest comes from elsewhere, e.g. attention)")
        if not decoder:
            V = 0
    if V and vocab is None and (embedding or one_hot):
        hint = (" (spro/char-rnn.pytorch models use Python's string.printable)"
                if tree.whole.endswith("CharRNN") and V == 100 else "")
        notes.append(f"no vocab in the file: pass a vocab file (--vocab) with {V} tokens to read text{hint}; "
                     "token ids work as they are")

    # -- the model ------------------------------------------------------------------------------------------------
    hints = plain_hints(tree)
    whole = {"_whole": tree.whole}
    backward = reads_backward(hints)
    if backward:
        notes.append("a backward language model (is_forward_lm False): it reads the text right to left")
    dtype = shape.dtype
    if dtype not in (torch.float32, torch.float64):
        notes.append(f"{str(dtype).replace('torch.', '')} weights converted to float32")
        dtype = torch.float32
    config = ModelConfig(input_size=shape.input_size, hidden_size=shape.hidden_size, num_layers=shape.num_layers,
                         bidirectional=shape.bidirectional, proj_size=shape.proj_size, bias=shape.bias,
                         vocab_size=V, embedding=embedding, decoder=decoder,
                         decoder_bias=dec is not None and dec.bias is not None, cell=shape.kind,
                         nonlinearity=_nonlinearity(unit, tree, nonlinearity), reads_backward=backward,
                         layer_sizes=unit.layer_sizes)
    t = tree.tensors
    name = ("rnn.layers.{layer}.{part}_l0{rev}" if config.layer_sizes  # a LayerStack: one module per layer
            else "rnn.{part}_l{layer}{rev}")
    state = {name.format(part=part, layer=layer, rev="_reverse" if rev else ""): t[k].detach().to(dtype)
             for (part, layer, rev), k in unit.layer_keys().items()}
    if emb_key:
        state["encoder.weight"] = t[emb_key].detach().to(dtype)
    if dec is not None:
        state["decoder.weight"] = dec.weight.detach().to(dtype)
        if dec.bias is not None:
            state["decoder.bias"] = dec.bias.detach().to(dtype)
        if dec.projection:
            notes.append(f"the projection {dec.projection.rsplit('.', 1)[0]!r} "
                         f"({t[dec.projection].shape[1]} -> {t[dec.projection].shape[0]}) between the LSTM and "
                         f"the decoder {dec.key.rsplit('.', 1)[0]!r} is folded into the decoder (exact: both are "
                         "linear)")
        elif emb_key and same(t[emb_key], t[dec.key]):
            notes.append(f"decoder weight {dec.key!r} is tied to the embedding {emb_key!r}")
    model = LSTMLanguageModel(config).to(dtype)
    try:
        model.load_state_dict(state)
    except RuntimeError as e:  # shapes were checked above; this is a last line of defence
        raise CheckpointError(f"{where}inconsistent weights ({str(e).strip().splitlines()[-1].strip()})") from None
    model.eval()
    if any(g.raw for g in unit.groups):
        notes.append("weights named '*_raw' (weight-dropped, AWD-LSTM style) read as the LSTM's weights")
    return LoadedModel(model=model, vocab=vocab, name=model_name(path) if str(path) else "model",
                       source=str(path), layout="; ".join([_layout(unit, emb_key, dec, hints | whole), *tree.context]),
                       metadata=hints, notes=tuple(notes))


def _nonlinearity(unit: Unit, tree: Tree, given: str | None) -> str:
    return given or nonlinearity_of(unit.groups[0], tree) or "tanh"


def _layout(unit: Unit, emb_key: str | None, dec, hints: dict) -> str:
    g = unit.groups[0]
    mod = "nn." + {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[unit.shapes[0].kind]  # the module's own class name
    if len(unit.groups) > 1:
        layout = f"{len(unit.groups)} {mod} modules {', '.join(repr(x.name) for x in unit.groups)} as one stack"
    elif g.cell:
        layout = f"{mod}Cell under {g.prefix!r}, read as a 1-layer {mod}"
    else:
        layout = f"{mod} under {g.prefix!r}" if g.prefix else f"{mod} at the top level"
    if g.prefix == "rnn." and emb_key == "encoder.weight" and dec is not None and dec.key == "decoder.weight":
        if "is_forward_lm" in hints:
            layout += " (flair LanguageModel)"
        elif not hints.get("_whole") or hints["_whole"].endswith(".RNNModel"):
            layout += " (word_language_model)"
    parts = [f"embedding {emb_key!r}" if emb_key else "", f"decoder {dec.key!r}" if dec is not None else ""]
    if any(parts):
        layout += " with " + " and ".join(p for p in parts if p)
    return layout


def _choose(offered: list[Unit], groups: list[Group], kinds: dict, tree: Tree, module: str | None, where: str,
            notes: list[str], nonlinearity: str | None) -> Unit:
    lstm_units = [u for u in offered if u.shapes[0].kind == "lstm"]
    if module is not None:
        want = strip_module_arg(module, STRIPPED_PREFIXES)
        found = [u for u in offered if want == u.name or (len(u.groups) == 1 and want in u.groups[0].names())]
        if not found:  # one layer of a stackable chain
            found = [Unit([g], [u.shapes[k]], u.chain) for u in offered for k, g in enumerate(u.groups)
                     if len(u.groups) > 1 and want in g.names()]
        if not found:
            uneven = [u.chain for u in offered if len(u.chain) > 1 and chain_name(u.chain) == want]
            if uneven:
                shown = [u for u in offered if u.chain == uneven[0]]
                raise ModuleChoiceError(
                    f"{where}{want!r} is a stack of LSTMs whose layers differ in biases, directions, projections "
                    f"or precision, which lstm_viz cannot trace as one model yet: {'; '.join(f'{u.name!r} ({u.describe()})' for u in shown)}; "
                    "pick one with --module NAME (module= in Python)", tuple(u.name for u in shown),
                    tuple(u.describe() for u in shown), chain=True)
            other = [g for g in groups if want in g.names()]
            if other:
                _refuse(other[0], kinds[id(other[0])], tree, where, nonlinearity)
            names = ", ".join(repr(u.name) for u in lstm_units) or "none"
            raise CheckpointError(f"{where}no LSTM named {module!r} in the file; its LSTMs: {names}")
        chosen = found[0]
        if chosen.shapes[0].kind not in TRACEABLE:
            _refuse(chosen.groups[0], chosen.shapes[0].kind, tree, where, nonlinearity)
        if len(lstm_units) > 1:
            notes.append(f"picked {chosen.name!r} of {len(lstm_units)} LSTMs in the file")
        return chosen
    usable = [u for u in offered if u.shapes[0].kind in TRACEABLE]
    if len(usable) == 1:
        for g in groups:
            if all(g is not x for x in usable[0].groups):
                notes.append(f"ignored: {_not_traceable(g, kinds[id(g)], tree, nonlinearity).split(':')[0]}")
        return usable[0]
    if len(usable) > 1:
        listed = "; ".join(f"{u.name!r} ({u.describe()})" for u in usable)
        chain = bool(usable[0].chain) and all(u.chain is not None and u.chain == usable[0].chain for u in usable)
        extra = ("; they form one stack whose layers differ in biases, directions, projections or precision, which "
                 "lstm_viz cannot trace as one model yet"
                 if chain else "")
        raise ModuleChoiceError(f"{where}holds {len(usable)} LSTMs: {listed}; pick one with --module NAME "
                                f"(module= in Python){extra}", tuple(u.name for u in usable),
                                tuple(u.describe() for u in usable), chain=chain)
    _refuse(groups[0], kinds[id(groups[0])], tree, where, nonlinearity)


def _not_traceable(g: Group, kind: str, tree: Tree, nonlinearity: str | None) -> str:
    return unsupported_message(kind, g.name, nonlinearity or (nonlinearity_of(g, tree) if kind == "rnn" else None))


def unsupported_message(kind: str, module: str, nonlinearity: str | None = None, where: str = "") -> str:
    """The one line naming recurrent weights lstm_viz cannot trace yet."""
    if kind == "gru":
        return f"{where}found a GRU under {module!r}: not supported yet (lstm_viz explains LSTMs)"
    if kind == "rnn":
        how = nonlinearity or "tanh unless --nonlinearity relu"
        return f"{where}found a plain RNN (nn.RNN, {how}) under {module!r}: not supported yet (lstm_viz explains LSTMs)"
    return f"{where}found recurrent weights under {module!r} that are not an LSTM's (weight_hh is not 4 blocks of rows)"


def _refuse(g: Group, kind: str, tree: Tree, where: str, nonlinearity: str | None):
    nl = (nonlinearity or nonlinearity_of(g, tree) or "tanh") if kind == "rnn" else None
    raise UnsupportedCellError(f"{where}{_not_traceable(g, kind, tree, nonlinearity)}", kind, g.name, nl)
