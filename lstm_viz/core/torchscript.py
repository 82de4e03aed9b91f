"""Weights of a TorchScript archive (``torch.jit.save``), read without running or compiling any of it.

The archive is a torch zip whose ``data.pkl`` pickles the module tree: one object per module, named
``__torch__.<qualified class>``, whose state is a dict of attributes, parameters and submodules side by side;
``constants.pkl`` pickles the tensors the code uses as constants; ``code/`` holds the TorchScript source. That
source is never executed: it is only parsed (``ast.parse``, which evaluates nothing) for what the pickle leaves
out: each class's ``__parameters__`` and ``__buffers__`` lists and its ``Final`` constants (an ``nn.LSTM``'s
``hidden_size``, ``num_layers``, ``bidirectional``, an ``nn.RNN``'s ``nonlinearity`` ...).

Each module becomes a Pickled placeholder shaped like a pickled ``nn.Module`` (``_parameters``, ``_buffers``,
``_modules`` and plain attributes), named without the ``__torch__.`` prefix, so the importer walks it as it walks
a whole pickled model.
"""
from __future__ import annotations

import ast
import re
from typing import Any

from .pickled import Pickled, PickledGlobal

_MAX_CODE_FILE = 10_000_000
_MANGLE = re.compile(r"\.___torch_mangle_\d+")


def read_torchscript(archive):
    from .file_formats import ReadResult

    root = archive.load_pickle("data.pkl", folder="data")
    constants = archive.load_pickle("constants.pkl", folder="constants") if archive.has("constants.pkl") else ()
    classes = _classes_in_code(archive)
    _as_modules(root, classes)
    if isinstance(root, Pickled):
        if isinstance(root.state, dict):
            root.state["__constants__"] = constants
        note = f"TorchScript archive of {root.name}, weights read without running its code"
    else:
        note = "TorchScript archive, read without running its code"
    return ReadResult(root, "torchscript", note)


def _classes_in_code(archive) -> dict[str, dict[str, Any]]:
    """{'__torch__.torch.nn.modules.rnn.LSTM': {'__parameters__': [...], '__buffers__': [...], 'hidden_size': 4}}."""
    classes: dict[str, dict[str, Any]] = {}
    start = f"{archive.prefix}/code/"
    for name in sorted(archive.names):
        if not (name.startswith(start) and name.endswith(".py")):
            continue
        info = archive.info(name[len(archive.prefix) + 1:])
        if info.file_size > _MAX_CODE_FILE:
            continue
        try:
            tree = ast.parse(archive.zf.read(info).decode("utf-8"))
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            continue  # the weights do not depend on the code; an unreadable file only costs its constants
        module = name[len(start):-3].replace("/", ".")
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                classes[_MANGLE.sub("", f"{module}.{node.name}")] = _class_facts(node)
    return classes


def _class_facts(node: ast.ClassDef) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for stmt in node.body:
        target, value = None, None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
            if target not in ("__parameters__", "__buffers__"):
                continue
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None \
                and "Final" in ast.unparse(stmt.annotation):
            target, value = stmt.target.id, stmt.value
        if target is None:
            continue
        try:
            facts[target] = ast.literal_eval(value)  # literals only: evaluates no names, calls nothing
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            continue
    return facts


def _as_modules(root: Any, classes: dict[str, dict[str, Any]]) -> None:
    """Reshape every ``__torch__.*`` placeholder in place into the layout of a pickled nn.Module."""
    seen: set[int] = set()
    modules: set[int] = set()  # ids of placeholders already reshaped (and renamed)
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            todo.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            todo.extend(obj)
        if not isinstance(obj, Pickled) or isinstance(obj, PickledGlobal):
            continue
        todo.extend([*obj.args, *obj.items, *obj.dict_items.values()])
        state = obj.state
        if not obj.name.startswith("__torch__.") or not isinstance(state, dict):
            todo.append(state)
            continue
        todo.extend(state.values())
        facts = classes.get(_MANGLE.sub("", obj.name), {})
        tensors = [k for k, v in state.items() if _is_tensor(v)]
        params = facts.get("__parameters__", tensors)
        buffers = facts.get("__buffers__", [])
        children = {k: v for k, v in state.items() if isinstance(v, Pickled)
                    and (v.name.startswith("__torch__.") or id(v) in modules)}
        kept = set(params) | set(buffers) | set(children)
        obj.state = {
            "_parameters": {k: state[k] for k in params if k in state},
            "_buffers": {k: state[k] for k in buffers if k in state},
            "_modules": children,
            **{k: v for k, v in facts.items() if k not in ("__parameters__", "__buffers__")},
            **{k: v for k, v in state.items() if k not in kept},
        }
        obj.name = _MANGLE.sub("", obj.name)[len("__torch__."):]
        modules.add(id(obj))


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "shape") and hasattr(value, "dtype")
