"""Walk whatever a checkpoint file held down to its tensors, by attribute path.

The object may be a state_dict, a training dict wrapping one, a list such as awd-lstm-lm's
``[model, criterion, optimizer]``, a dict of whole modules (image captioning), a whole pickled module read by
the code-free reader (a tree of :class:`~lstm_viz.core.pickled.Pickled` placeholders) or, when the user trusted
the file, a real ``nn.Module``. Every path is named as ``state_dict()`` would name it (``rnns.0.module.
weight_hh_l0_raw``), so a layout that works as a state_dict works the same as a whole pickle. Plain attributes
of modules (``rnn_type``, ``nonlinearity``, ``is_forward_lm``, ``dictionary`` ...) are kept as hints.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..errors import CheckpointError
from ..pickled import Pickled

WRAPPER_KEYS = ("state_dict", "model_state_dict", "model_state", "MODEL_STATE", "model", "net", "network",
                "weights", "params", "module")
SKIP_KEYS = ("optim", "sched", "scaler", "criterion", "loss_fn", "callbacks", "loops")  # not the model's tensors
STRIPPED_PREFIXES = {"module.": "DataParallel 'module.' prefix", "_orig_mod.": "torch.compile '_orig_mod.' prefix"}
RECURRENT = re.compile(r"(?:^|\.)(?:weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)(?:_l\d+(?:_reverse)?)?(?:_raw)?$")
MAX_DEPTH = 16


@dataclass
class ModuleInfo:
    """One module of a whole pickled model: its dotted class name and its plain attributes."""

    cls: str  # e.g. "model.RNNModel", "torch.nn.modules.rnn.LSTM"
    attrs: dict[str, Any]  # attributes that are not parameters, buffers or submodules

    @property
    def short(self) -> str:
        return self.cls.rsplit(".", 1)[-1]


@dataclass
class Tree:
    """The tensors of a checkpoint by path, the modules they sit in, and the dicts passed on the way."""

    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    modules: dict[str, ModuleInfo] = field(default_factory=dict)  # by path ("" for the root module)
    holders: list[Mapping] = field(default_factory=list)  # plain dicts around the weights, outermost first
    context: list[str] = field(default_factory=list)  # how we got to the weights, for the layout line
    whole: str = ""  # class of the whole pickled model, if the file held one

    def module_at(self, path: str) -> ModuleInfo | None:
        return self.modules.get(path.rstrip("."))


def class_name(obj: Any) -> str:
    if isinstance(obj, Pickled):
        return obj.name
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def is_module(obj: Any) -> bool:
    return isinstance(obj, nn.Module) or (isinstance(obj, Pickled) and obj.is_module)


def is_optimizer(obj: Any) -> bool:
    if isinstance(obj, torch.optim.Optimizer):
        return True
    return isinstance(obj, Pickled) and (obj.name.startswith("torch.optim.") or "param_groups" in obj.attrs)


def as_mapping(obj: Any) -> Mapping | None:
    """A dict, or the attributes / dict items of a placeholder that is not a module (flair's LanguageModel
    pickles itself as a dict with "state_dict"; a Dictionary as its attributes)."""
    if isinstance(obj, Mapping):
        return obj
    if isinstance(obj, Pickled) and not obj.is_module:
        if obj.dict_items:
            return obj.dict_items
        return obj.attrs or None
    return None


def _module_parts(obj: Any) -> tuple[Mapping, Mapping, Mapping, dict]:
    """(parameters, buffers, submodules, plain attributes) of a real or pickled module."""
    a = obj.attrs if isinstance(obj, Pickled) else vars(obj)
    parts = [a.get(k) if isinstance(a.get(k), Mapping) else {} for k in ("_parameters", "_buffers", "_modules")]
    plain = {k: v for k, v in a.items() if isinstance(k, str) and not k.startswith("_") and k != "training"}
    return parts[0], parts[1], parts[2], plain


def _walk_module(obj: Any, path: str, tree: Tree, depth: int, above: frozenset = frozenset()) -> None:
    if depth > MAX_DEPTH or id(obj) in above:
        return
    above = above | {id(obj)}
    params, buffers, children, plain = _module_parts(obj)
    tree.modules[path] = ModuleInfo(class_name(obj), plain)
    dot = path + "." if path else ""
    for d in (params, buffers):
        for k, v in d.items():
            if isinstance(k, str) and isinstance(v, torch.Tensor):
                tree.tensors[dot + k] = v
    for k, child in children.items():
        if isinstance(k, str) and is_module(child):
            _walk_module(child, dot + k, tree, depth + 1, above)


def _walk_any(obj: Any, path: str, tree: Tree, depth: int, above: frozenset = frozenset()) -> None:
    """Everything below ``obj``: modules as state_dict() names them, nested dicts by key; no lists, optimizers.
    ``above``: ids of the objects on the way here, so that a pickle referring to itself ends."""
    if depth > MAX_DEPTH or is_optimizer(obj) or id(obj) in above:
        return
    if isinstance(obj, torch.Tensor):
        if path:
            tree.tensors[path] = obj
        return
    if is_module(obj):
        _walk_module(obj, path, tree, depth, above)
        return
    m = as_mapping(obj)
    if m is None:
        return
    dot = path + "." if path else ""
    above = above | {id(obj)}
    for k, v in m.items():
        if isinstance(k, str) and not any(s in k.lower() for s in SKIP_KEYS):
            _walk_any(v, dot + k, tree, depth + 1, above)


def _has_recurrent(obj: Any) -> bool:
    probe = Tree()
    _walk_any(obj, "", probe, 0)
    return any(RECURRENT.search(k) for k in probe.tensors)


def walk(obj: Any, where: str) -> Tree:
    """The Tree of a checkpoint object; CheckpointError (one line) when it holds no tensors at all."""
    tree = Tree()
    for _ in range(MAX_DEPTH):
        if is_module(obj):
            what = class_name(obj) if isinstance(obj, Pickled) else type(obj).__name__
            tree.whole = what
            tree.context.append(f"whole pickled model {what}, read without running its code"
                                if isinstance(obj, Pickled) else f"whole pickled {what} (trusted)")
            _walk_module(obj, "", tree, 0)
            break
        if isinstance(obj, (list, tuple)) or (isinstance(obj, Pickled) and obj.items and not obj.attrs):
            seq = list(obj.items if isinstance(obj, Pickled) else obj)
            models = [i for i, e in enumerate(seq) if not is_optimizer(e) and _has_recurrent(e)]
            if len(models) != 1:
                for i, e in enumerate(seq):
                    _walk_any(e, str(i), tree, 1)
                tree.context.append(f"items of a list of {len(seq)}")
                break
            i = models[0]
            kinds = ", ".join(class_name(e).rsplit(".", 1)[-1] for e in seq)
            tree.context.append(f"item {i} of a list of {len(seq)} ({kinds})")
            obj = seq[i]
            continue
        m = as_mapping(obj)
        if m is None:
            what = f"pickled {obj.name} object" if isinstance(obj, Pickled) else type(obj).__name__
            raise CheckpointError(f"{where}holds a {what}, not model weights")
        direct = {k: v for k, v in m.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
        if direct:
            tree.tensors.update(direct)
            break
        tree.holders.append(m)
        inner = next((k for k in WRAPPER_KEYS if k in m and (as_mapping(m[k]) is not None or is_module(m[k])
                                                              or isinstance(m[k], (list, tuple)))), None)
        if inner is None:
            _walk_any(m, "", tree, 0)
            mods = [repr(k) for k, v in m.items() if is_module(v) and not is_optimizer(v)]
            if mods:
                tree.context.append(f"modules {', '.join(mods)} of a dict")
            elif tree.tensors:
                tree.context.append("nested dicts flattened")
            break
        if "pytorch-lightning_version" in m:
            tree.context.append(f"PyTorch Lightning checkpoint {m['pytorch-lightning_version']}")
        others = [str(k) for k in m if k != inner][:4]
        tree.context.append(f"in {inner!r}" + (f" of a training dict (with {', '.join(map(repr, others))})"
                                               if others else ""))
        obj = m[inner]
    if not tree.tensors:
        m = as_mapping(obj)
        keys = ", ".join(repr(k) for k in list(m)[:6]) if m else ""
        what = (f" (keys {keys})" if keys else " (an empty dict)" if m is not None
                else f" (a list of {len(obj)} items)" if isinstance(obj, (list, tuple)) else "")
        raise CheckpointError(f"{where}holds no model weights{what}")
    _strip_prefixes(tree)
    return tree


def _strip_prefixes(tree: Tree) -> None:
    changed = True
    while changed:
        changed = False
        for p, what in STRIPPED_PREFIXES.items():
            if tree.tensors and all(k.startswith(p) for k in tree.tensors):
                tree.tensors = {k[len(p):]: v for k, v in tree.tensors.items()}
                modules = {"" if k == p[:-1] else k[len(p):]: v for k, v in tree.modules.items()
                           if k == p[:-1] or k.startswith(p)}  # the wrapper's child becomes the root
                tree.modules = modules
                tree.context.append(what)
                changed = True
