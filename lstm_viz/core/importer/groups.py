"""Find the recurrent modules among a checkpoint's tensors, check their shapes, and chain them into stacks.

- ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``: ``<prefix>weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
  ``bias_hh_l{k}``, ``weight_hr_l{k}`` (LSTM proj_size), each with ``_reverse`` for the backward direction.
  The kind follows from the rows of weight_hh per unit: 4 (LSTM), 3 (GRU), 1 (RNN).
- ``nn.LSTMCell`` & co: ``<prefix>weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``: a 1-layer module.
- WeightDrop (awd-lstm-lm, fastai): ``weight_hh_l0_raw`` is the recurrent weight, on the LSTM itself
  (``rnns.0.module.weight_hh_l0_raw``) or on the wrapper (``rnns.0.weight_hh_l0_raw`` next to ``rnns.0.module.*``).
  When the plain copy exists too (set by the last forward, dropped out in training) the raw one is used.
- A chain: separate one-stack modules named like layers (``rnns.0``, ``rnns.1`` ...; ``lstm1``, ``lstm2``)
  whose sizes connect (each reads the previous one's output) form one stack of layers, each with its own size
  (awd-lstm-lm's 400 -> 1150 -> 1150 -> 400) when they have no projection and share directions, biases and dtype.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from ..errors import CheckpointError
from .walk import Tree

_LAYERED = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<part>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                      r"_l(?P<layer>\d+)(?P<rev>_reverse)?(?P<raw>_raw)?$")
_CELL = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<part>weight_ih|weight_hh|bias_ih|bias_hh)(?P<raw>_raw)?$")
BLOCKS = {"lstm": 4, "gru": 3, "rnn": 1}  # rows of weight_hh per unit
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "plain RNN (nn.RNN)"}


@dataclass
class Group:
    """The recurrent weights of one module: {(part, layer, reverse): key}."""

    prefix: str  # "rnn." ("" at the top level)
    cell: bool  # nn.LSTMCell-style names (no _l{k})
    keys: dict[tuple[str, int, bool], str] = field(default_factory=dict)
    raw: set[str] = field(default_factory=set)  # keys that are WeightDrop's *_raw weights

    @property
    def name(self) -> str:
        """The module's name as the user knows it: a WeightDrop wrapper ``rnns.0``, not ``rnns.0.module``."""
        name = self.prefix[:-1]
        if self.raw and name.endswith(".module"):
            name = name[:-len(".module")]
        return name or "(top level)"

    def names(self) -> set[str]:
        """Every name --module accepts for this module."""
        return {self.name, self.prefix[:-1]} if self.prefix else {"", "(top level)"}


@dataclass(frozen=True)
class Shape:
    """The architecture of one recurrent module, checked for consistency."""

    kind: str  # "lstm", "gru", "rnn"
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
        k = CELL_NAMES[self.kind].split(" ")[-1] if self.kind != "rnn" else "RNN"
        what = f"{k}Cell" if cell else f"{self.num_layers}-layer {k}"
        extra = (", bidirectional" if self.bidirectional else "") + (f", proj {self.proj_size}" if self.proj_size else "")
        return f"{what}, {self.input_size} -> {self.hidden_size} units{extra}"


def find_groups(tree: Tree, where: str) -> list[Group]:
    t = tree.tensors
    groups: dict[tuple[str, bool], Group] = {}
    raw_keys: list[tuple[str, bool, tuple, str]] = []
    for k in t:
        m = _LAYERED.match(k) or _CELL.match(k)
        if not m:
            continue
        cell = "layer" not in m.groupdict()
        slot = (m["part"], 0 if cell else int(m["layer"]), False if cell else bool(m["rev"]))
        if m["raw"]:
            raw_keys.append((m["prefix"], cell, slot, k))
            continue
        groups.setdefault((m["prefix"], cell), Group(m["prefix"], cell)).keys[slot] = k
    for prefix, cell, slot, k in raw_keys:  # WeightDrop: on the module itself, or on its wrapper
        g = groups.get((prefix, cell)) or groups.get((prefix + "module.", cell))
        if g is None:
            g = groups.setdefault((prefix, cell), Group(prefix, cell))
        plain = g.keys.get(slot)
        if plain is not None and (t[plain].shape != t[k].shape or t[plain].dtype != t[k].dtype):
            raise CheckpointError(f"{where}{k!r} ({tuple(t[k].shape)}, {_dt(t[k])}) and {plain!r} "
                                  f"({tuple(t[plain].shape)}, {_dt(t[plain])}) should be the same weight "
                                  "(raw and weight-dropped) but differ")
        g.keys[slot] = k
        g.raw.add(k)
    return [g for g in groups.values() if any(p == "weight_hh" for p, _, _ in g.keys)]


def _dt(x: torch.Tensor) -> str:
    return str(x.dtype).replace("torch.", "")


def kind_of(g: Group, tree: Tree) -> str:
    """"lstm", "gru", "rnn" or "unknown", from the rows of weight_hh per unit (4, 3, 1)."""
    t = tree.tensors
    if any(p == "weight_hr" for p, _, _ in g.keys):
        return "lstm"
    hh = t.get(g.keys.get(("weight_hh", 0, False), ""))
    if hh is None or hh.ndim != 2 or hh.shape[1] == 0:
        return "unknown"
    return {4: "lstm", 3: "gru", 1: "rnn"}.get(hh.shape[0] / hh.shape[1], "unknown")


def nonlinearity_of(g: Group, tree: Tree) -> str | None:
    """A plain RNN's nonlinearity as its pickled module (or the model's rnn_type) says; None if not stored."""
    info = tree.module_at(g.prefix)
    if info is not None:
        v = info.attrs.get("nonlinearity")
        if v in ("tanh", "relu"):
            return v
        mode = str(info.attrs.get("mode", ""))
        if mode in ("RNN_TANH", "RNN_RELU"):
            return mode[4:].lower()
    root = tree.modules.get("")
    mode = str(root.attrs.get("rnn_type", "")) if root is not None else ""
    return mode[4:].lower() if mode in ("RNN_TANH", "RNN_RELU") else None


def check_shape(g: Group, tree: Tree, where: str, kind: str) -> Shape:
    """The architecture of a group, or CheckpointError naming the first weight that does not fit."""
    t = tree.tensors

    def bad(msg: str) -> CheckpointError:
        return CheckpointError(f"{where}inconsistent {CELL_NAMES.get(kind, 'recurrent')} weights under "
                               f"{g.name!r}: {msg}")

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
    nb = BLOCKS.get(kind, 4)
    w_hh = t[g.keys[("weight_hh", 0, False)]]
    w_ih = t[g.keys[("weight_ih", 0, False)]]
    if w_hh.ndim != 2 or w_hh.shape[0] % nb or w_ih.ndim != 2:
        raise bad(f"weight_hh has shape {tuple(w_hh.shape)}, not ({nb} * hidden, ...)")
    H = w_hh.shape[0] // nb
    w_hr = t[g.keys[("weight_hr", 0, False)]] if proj else None
    if w_hr is not None and w_hr.ndim != 2:  # (a 0-d weight_hr, found by fuzzing, has no rows to count)
        raise bad(f"weight_hr has shape {tuple(w_hr.shape)}, not (proj, hidden)")
    P = w_hr.shape[0] if proj else 0
    Hout = P or H
    D = len(directions)
    dtype = w_hh.dtype
    if not dtype.is_floating_point:
        raise bad(f"weights are {dtype}, not floating point")
    for (p, layer, rev), k in sorted(g.keys.items()):
        want = {"weight_ih": (nb * H, w_ih.shape[1] if layer == 0 else D * Hout), "weight_hh": (nb * H, Hout),
                "bias_ih": (nb * H,), "bias_hh": (nb * H,), "weight_hr": (Hout, H)}[p]
        if tuple(t[k].shape) != want:
            raise bad(f"{k!r} has shape {tuple(t[k].shape)}, expected {want}")
        if t[k].dtype != dtype:
            raise bad(f"{k!r} is {t[k].dtype} but the other weights are {dtype}")
    if P and P >= H:
        raise bad(f"projection size {P} is not smaller than the hidden size {H}")
    return Shape(kind=kind, input_size=w_ih.shape[1], hidden_size=H, num_layers=len(layers),
                 bidirectional=D == 2, proj_size=P, bias=bias, dtype=dtype)


@dataclass
class Unit:
    """What can be explained as one model: one module, or a chain of modules read as one stack of layers."""

    groups: list[Group]  # in the order the input flows through them
    shapes: list[Shape]
    chain: list[Group] = field(default_factory=list)  # the whole chain this unit is part of (itself if whole)

    @property
    def name(self) -> str:
        if len(self.groups) == 1:
            return self.groups[0].name
        return chain_name(self.groups)

    @property
    def first(self) -> bool:  # reads the model's input (not another layer's output)
        return not self.chain or self.chain[0] is self.groups[0]

    @property
    def last(self) -> bool:  # its output is the model's (what a decoder reads)
        return not self.chain or self.chain[-1] is self.groups[-1]

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Units of each layer of the stack, in flow order."""
        return tuple(s.hidden_size for s in self.shapes for _ in range(s.num_layers))

    @property
    def out(self) -> int:
        """Width of the last layer's output, all directions (what a decoder reads)."""
        return self.shapes[-1].out

    @property
    def shape(self) -> Shape:
        """The combined architecture; its hidden_size is the first layer's (see layer_sizes for the others)."""
        s = self.shapes
        return Shape(kind=s[0].kind, input_size=s[0].input_size, hidden_size=s[0].hidden_size,
                     num_layers=sum(x.num_layers for x in s), bidirectional=s[0].bidirectional,
                     proj_size=s[0].proj_size, bias=s[0].bias, dtype=s[0].dtype)

    def layer_keys(self) -> dict[tuple[str, int, bool], str]:
        """{(part, layer, reverse): key} with layers numbered through the whole stack."""
        out, offset = {}, 0
        for g, s in zip(self.groups, self.shapes):
            for (p, layer, rev), k in g.keys.items():
                out[(p, offset + layer, rev)] = k
            offset += s.num_layers
        return out

    def describe(self) -> str:
        if len(self.groups) == 1:
            return self.shapes[0].summary(self.groups[0].cell)
        sizes = " -> ".join([str(self.shapes[0].input_size)] + [str(s.hidden_size) for s in self.shapes])
        return f"stack of {len(self.groups)} {CELL_NAMES[self.shapes[0].kind]}s, {sizes} units"


def _chain_base(g: Group) -> tuple[str, int] | tuple[str, None]:
    """("rnns.#", 0) for rnns.0, ("lstm#", 1) for lstm1, ("layers.#.lstm", 2) for layers.2.lstm."""
    m = re.match(r"^(.*?)(\d+)(\D*)$", g.name)
    return (f"{m[1]}#{m[3]}", int(m[2])) if m else (g.name, None)


def chain_name(groups: list[Group]) -> str:
    """The name --module takes for a whole chain: rnns, lstm, layers.lstm."""
    base = _chain_base(groups[0])[0]
    head, _, tail = base.partition("#")
    return (head.rstrip("._") + ("." + tail.lstrip("._") if tail.strip("._") else "")).strip(".") or groups[0].name


def _stackable(shapes: list[Shape]) -> bool:
    """One nn.LSTM can hold these layers: same hidden size, projection, directions, biases and dtype."""
    a = shapes[0]
    return all((s.kind, s.hidden_size, s.proj_size, s.bidirectional, s.bias, s.dtype)
               == (a.kind, a.hidden_size, a.proj_size, a.bidirectional, a.bias, a.dtype) for s in shapes)


def _stackable_sizes(shapes: list[Shape]) -> bool:
    """A LayerStack can hold these layers: sizes differ, but no projection, and the same directions, biases and
    dtype."""
    a = shapes[0]
    return all(not s.proj_size and (s.kind, s.bidirectional, s.bias, s.dtype) == (a.kind, a.bidirectional, a.bias,
                                                                                   a.dtype) for s in shapes)


def units(groups: list[Group], shapes: dict[int, Shape]) -> tuple[list[Unit], list[list[Group]]]:
    """Units to offer (a chain whose layers can be one stack, of one size or each its own, is one unit; any other
    chain offers each of its links), and the chains found, in flow order."""
    by_base: dict[str, list[tuple[int, Group]]] = {}
    for g in groups:
        base, idx = _chain_base(g)
        if idx is not None:
            by_base.setdefault(base, []).append((idx, g))
    chains: list[list[Group]] = []
    for base, members in by_base.items():
        members.sort(key=lambda x: x[0])
        idxs = [i for i, _ in members]
        links = [g for _, g in members]
        if len(links) < 2 or idxs != list(range(idxs[0], idxs[0] + len(idxs))):
            continue
        ss = [shapes[id(g)] for g in links]
        if all(b.input_size == a.out and b.kind == a.kind for a, b in zip(ss, ss[1:])):
            chains.append(links)
    in_chain = {id(g): c for c in chains for g in c}
    out: list[Unit] = []
    done: set[int] = set()
    for g in groups:
        if id(g) in done:
            continue
        c = in_chain.get(id(g))
        if c is not None and (_stackable([shapes[id(x)] for x in c]) or _stackable_sizes([shapes[id(x)] for x in c])):
            out.append(Unit(list(c), [shapes[id(x)] for x in c], list(c)))
            done.update(id(x) for x in c)
        else:
            out.append(Unit([g], [shapes[id(g)]], list(c) if c else []))
            done.add(id(g))
    return out, chains


def strip_module_arg(module: str, prefixes: Mapping[str, str]) -> str:
    want = module.strip().rstrip(".")
    for p in prefixes:
        want = want[len(p):] if want.startswith(p) else want
    return want
