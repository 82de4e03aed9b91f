"""What the code-free checkpoint reader gives back for a Python object it will not build.

A whole pickled model (``torch.save(model)``) names classes such as ``model.RNNModel``. lstm_viz never imports
or calls them: each becomes a :class:`Pickled` placeholder that records the dotted class name and the state the
pickle gives it. A pickled ``nn.Module`` therefore becomes a tree of placeholders whose ``state`` dict holds
``_parameters``, ``_buffers`` and ``_modules`` (real tensors and further placeholders) next to plain attributes
such as ``hidden_size`` or ``is_forward_lm``.

The reader (lstm_viz.core.safe_pickle) makes these; the importer walks them like dicts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Pickled:
    name: str  # dotted name of the class or function the pickle asked for, e.g. "model.RNNModel"
    args: tuple = ()  # constructor / reduce arguments, as read
    state: Any = None  # what BUILD / __setstate__ received: usually a dict of attributes
    items: list = field(default_factory=list)  # APPENDS / APPEND for list-like objects
    dict_items: dict = field(default_factory=dict)  # SETITEMS / SETITEM for dict-like objects

    @property
    def attrs(self) -> dict[str, Any]:
        """The object's attributes: its state dict (a (dict, slots) state tuple merges both), else {}."""
        st = self.state
        if isinstance(st, dict):
            return st
        if isinstance(st, tuple) and len(st) == 2 and all(isinstance(s, (dict, type(None))) for s in st):
            return {**(st[0] or {}), **(st[1] or {})}
        return {}

    @property
    def is_module(self) -> bool:
        """True for a pickled torch.nn.Module (any class): its state has the Module bookkeeping dicts."""
        a = self.attrs
        return "_parameters" in a and "_modules" in a

    def get(self, name: str, default: Any = None) -> Any:
        """An attribute, a parameter, a buffer or a child module by name, as ``getattr`` on the module would."""
        a = self.attrs
        for holder in ("_parameters", "_buffers", "_modules"):
            d = a.get(holder)
            if isinstance(d, dict) and name in d:
                return d[name]
        return a.get(name, default)

    def state_dict(self, prefix: str = "") -> dict[str, Any]:
        """The tensors of a pickled module tree by dotted name, as ``module.state_dict()`` would list them
        (parameters and buffers, then child modules; a module reached twice is listed once, cycles end)."""
        out: dict[str, Any] = {}
        seen: set[int] = set()
        todo = [(prefix, self)]
        while todo:
            pre, mod = todo.pop()
            if id(mod) in seen:
                continue
            seen.add(id(mod))
            a = mod.attrs
            for holder in ("_parameters", "_buffers"):
                d = a.get(holder)
                if isinstance(d, dict):
                    out.update((pre + str(k), v) for k, v in d.items() if v is not None and _is_tensor(v))
            children = a.get("_modules")
            if isinstance(children, dict):
                todo.extend((f"{pre}{k}.", v) for k, v in reversed(list(children.items())) if isinstance(v, Pickled))
        return out

    def __repr__(self) -> str:
        return f"<pickled {self.name}, not run>"


class PickledGlobal(Pickled):
    """A reference to a class or function by its dotted name (e.g. a class stored as an attribute), never
    imported. The reader also uses it for the callable of a REDUCE before it becomes a :class:`Pickled`."""

    def __repr__(self) -> str:
        return f"<global {self.name}, not imported>"


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "shape") and hasattr(value, "dtype")


def walk(root: Any):
    """Every object reachable from ``root`` through containers and placeholders, each once (the reader's trees may
    share objects and hold cycles): dict values, list/tuple/set items, a placeholder's args, state and items."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, Pickled):
            todo.extend([*obj.args, obj.state, *obj.items, *obj.dict_items.values()])
        elif isinstance(obj, dict):
            todo.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            todo.extend(obj)
