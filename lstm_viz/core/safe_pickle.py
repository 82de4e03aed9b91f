"""A pickle reader that never imports, calls or evaluates anything named in the file.

``torch.save`` writes pickles; ``pickle.load`` would import every class the file names and call whatever
``__reduce__`` target it asks for, which is how a checkpoint can run code. This module walks the opcodes itself
(decoded by the standard library's ``pickletools.genops``, which only parses) and builds:

- plain containers and scalars as themselves (dict, OrderedDict, list, tuple, set, frozenset, str, bytes,
  bytearray, int, float, complex, bool, None);
- tensors and parameters, only through torch's own rebuild functions matched by exact dotted name, from storages
  handed over by the caller's ``persistent_load`` (lstm_viz.core.torch_archive reads them from the archive);
- ``torch.Size``, ``torch.device``, torch dtypes, numpy scalars of plain numeric types;
- everything else as an inert :class:`~lstm_viz.core.pickled.Pickled` placeholder that records the dotted name
  and the arguments, state and items the pickle gives it. A reference to a class or function by itself is a
  :class:`~lstm_viz.core.pickled.PickledGlobal`.

Same idea as torch's ``weights_only`` unpickler (``torch/_weights_only_unpickler.py``), with one difference:
where torch refuses an unknown global, this reader keeps its name and state, so a whole pickled model becomes a
readable tree. Any malformed input raises :class:`PickleReadError` with a one-line message.
"""
from __future__ import annotations

import _compat_pickle
import io
import pickletools
from collections import Counter, OrderedDict
from typing import Any, BinaryIO, Callable

import torch

from .pickled import Pickled, PickledGlobal

MAX_NESTING = 200  # containers nested deeper than this are refused (keeps every later walk far from recursion limits)
_BIG_VIEW = 1 << 26  # a tensor may show more elements than its storage holds (stride 0) only below this size

_TENSOR_TYPES = {"torch.Tensor", "torch._tensor.Tensor", "torch.nn.parameter.Parameter"}
_IDENTITY_JIT = {  # TorchScript's pickler tags lists and values with their static type; the value is the data
    "torch.jit._pickle.build_tensorlist", "torch.jit._pickle.build_intlist", "torch.jit._pickle.build_doublelist",
    "torch.jit._pickle.build_boollist",
}
_REBUILD_FUNCTIONS = {  # exact dotted names of the functions this reader applies itself (all others: placeholders)
    "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2", "torch._tensor._rebuild_from_type",
    "collections.OrderedDict", "collections.Counter", "collections.defaultdict",
    "builtins.set", "builtins.frozenset", "builtins.bytearray", "builtins.bytes", "builtins.complex",
    "builtins.list", "builtins.tuple", "builtins.dict", "_codecs.encode", "copyreg._reconstructor",
    "copyreg.__newobj__", "torch.Size", "torch.device", "torch.jit._pickle.restore_type_tag",
    "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
    *_IDENTITY_JIT,
}


class PickleReadError(Exception):
    """The data is not a pickle this reader can read; ``str(err)`` is one line without the file name."""


def torch_dtypes() -> dict[str, torch.dtype]:
    """torch's dtypes by the name a pickle uses for them (``torch.float32`` pickles as GLOBAL torch float32)."""
    return {name: obj for name in dir(torch) if isinstance(obj := getattr(torch, name), torch.dtype)}


class _Mark:
    """The MARK opcode's stack marker."""


def load(data: bytes | BinaryIO, persistent_load: Callable[[Any], Any] | None = None,
         storage_types: Callable[[str], Any] | None = None) -> Any:
    """Read one pickle (up to its STOP) from ``data``. ``persistent_load(pid)`` turns a persistent id into a
    storage; ``storage_types(dotted_name)`` returns a marker for a storage class name or None. A file object is
    left just after the pickle's STOP opcode."""
    f = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    return _Reader(persistent_load, storage_types).run(f)


class _Reader:
    def __init__(self, persistent_load, storage_types):
        self.persistent_load = persistent_load
        self.storage_types = storage_types or (lambda name: None)
        self.dtypes = torch_dtypes()

    # -- the opcode loop ---------------------------------------------------------------------------------------
    def run(self, f: BinaryIO) -> Any:
        stack: list = []
        memo: dict = {}
        pos = 0
        try:
            for op, arg, pos in pickletools.genops(f):
                name = op.name
                if name == "STOP":
                    if len(stack) != 1 or stack[0] is _Mark:
                        raise PickleReadError("the pickle ends with a malformed stack")
                    result = stack[0]
                    _check_nesting(result)
                    return result
                self.step(name, arg, stack, memo)
        except PickleReadError:
            raise
        except RecursionError:
            raise PickleReadError("unreadable pickle data (nested too deeply)") from None
        except MemoryError:
            raise PickleReadError("unreadable pickle data (too large to hold in memory)") from None
        except Exception as e:  # noqa: BLE001 - any malformed stream ends in one line, never a traceback
            detail = str(e).splitlines()[0][:80] if str(e) else type(e).__name__
            raise PickleReadError(f"unreadable pickle data near byte {pos or 0} ({detail})") from None
        raise PickleReadError("the pickle data ends before its STOP opcode (truncated)")

    def step(self, name: str, arg: Any, stack: list, memo: dict) -> None:  # noqa: C901 - one branch per opcode
        if name in ("PROTO", "FRAME"):
            return
        if name in ("INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
                    "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
                    "BINUNICODE8", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8"):
            stack.append(arg)  # genops already decoded the value (INT "01"/"00" are protocol 0's booleans)
        elif name == "BYTEARRAY8":
            stack.append(bytearray(arg))
        elif name == "NONE":
            stack.append(None)
        elif name in ("NEWTRUE", "NEWFALSE"):
            stack.append(name == "NEWTRUE")
        elif name == "MARK":
            stack.append(_Mark)
        elif name == "POP":
            _pop(stack) if stack and stack[-1] is not _Mark else _pop_mark(stack)
        elif name == "POP_MARK":
            _pop_mark(stack)
        elif name == "DUP":
            stack.append(_top(stack))
        elif name in ("EMPTY_LIST",):
            stack.append([])
        elif name == "EMPTY_DICT":
            stack.append({})
        elif name == "EMPTY_TUPLE":
            stack.append(())
        elif name == "EMPTY_SET":
            stack.append(set())
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = tuple(stack[-n:])
            if len(items) != n or _Mark in items:
                raise PickleReadError(f"{name} on a short stack")
            del stack[-n:]
            stack.append(items)
        elif name == "TUPLE":
            stack.append(tuple(_pop_mark(stack)))
        elif name == "LIST":
            stack.append(list(_pop_mark(stack)))
        elif name == "DICT":
            items = _pop_mark(stack)
            stack.append(_pairs_to_dict(items))
        elif name == "FROZENSET":
            stack.append(frozenset(_pop_mark(stack)))
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = _top(stack)
        elif name == "MEMOIZE":
            memo[len(memo)] = _top(stack)
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            if arg not in memo:
                raise PickleReadError(f"memo key {arg} used before it was set")
            stack.append(memo[arg])
        elif name == "APPEND":
            value = _pop(stack)
            _extend(_top(stack), [value])
        elif name == "APPENDS":
            items = _pop_mark(stack)
            _extend(_top(stack), items)
        elif name == "SETITEM":
            value, key = _pop(stack), _pop(stack)
            _set_items(_top(stack), [key, value])
        elif name == "SETITEMS":
            items = _pop_mark(stack)
            _set_items(_top(stack), items)
        elif name == "ADDITEMS":
            items = _pop_mark(stack)
            target = _top(stack)
            if not isinstance(target, set):
                raise PickleReadError("ADDITEMS on something that is not a set")
            target.update(items)
        elif name == "GLOBAL":
            module, _, attr = arg.partition(" ")
            stack.append(self.find_global(module, attr))
        elif name == "STACK_GLOBAL":
            attr, module = _pop(stack), _pop(stack)
            if not isinstance(module, str) or not isinstance(attr, str):
                raise PickleReadError("STACK_GLOBAL with names that are not strings")
            stack.append(self.find_global(module, attr))
        elif name in ("EXT1", "EXT2", "EXT4"):
            stack.append(PickledGlobal(f"<extension code {arg}>"))
        elif name == "REDUCE":
            args, func = _pop(stack), _pop(stack)
            stack.append(self.call(func, args))
        elif name == "NEWOBJ":
            args, cls = _pop(stack), _pop(stack)
            stack.append(self.new_object(cls, args, {}))
        elif name == "NEWOBJ_EX":
            kwargs, args, cls = _pop(stack), _pop(stack), _pop(stack)
            stack.append(self.new_object(cls, args, kwargs))
        elif name == "INST":
            module, _, attr = arg.partition(" ")
            stack.append(self.new_object(self.find_global(module, attr), tuple(_pop_mark(stack)), {}))
        elif name == "OBJ":
            items = _pop_mark(stack)
            if not items:
                raise PickleReadError("OBJ without a class")
            stack.append(self.new_object(items[0], tuple(items[1:]), {}))
        elif name == "BUILD":
            state = _pop(stack)
            _build(_top(stack), state)
        elif name in ("PERSID", "BINPERSID"):
            pid = arg if name == "PERSID" else _pop(stack)
            if self.persistent_load is None:
                raise PickleReadError("refers to external data (a persistent id) where none is expected")
            stack.append(self.persistent_load(pid))
        elif name in ("NEXT_BUFFER", "READONLY_BUFFER"):
            raise PickleReadError("uses out-of-band buffers, which a checkpoint file cannot carry")
        else:
            raise PickleReadError(f"unknown pickle opcode {name}")

    # -- globals -----------------------------------------------------------------------------------------------
    def find_global(self, module: str, attr: str) -> Any:
        """A dtype or storage marker for torch's own names, else a PickledGlobal: nothing is imported."""
        if not isinstance(module, str) or not isinstance(attr, str):
            raise PickleReadError("a global whose name is not text")
        module, attr = _compat_pickle.NAME_MAPPING.get((module, attr), (module, attr))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        dotted = f"{module}.{attr}"
        if module == "torch" and attr in self.dtypes:
            return self.dtypes[attr]
        storage = self.storage_types(dotted)
        if storage is not None:
            return storage
        return PickledGlobal(dotted)

    def new_object(self, cls: Any, args: Any, kwargs: Any) -> Any:
        """NEWOBJ: ``cls.__new__(cls, *args)``: containers for the plain types, else a placeholder."""
        if not isinstance(args, tuple):
            raise PickleReadError("NEWOBJ with arguments that are not a tuple")
        if isinstance(cls, PickledGlobal):
            plain = {"collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
                     "collections.defaultdict": dict, "builtins.dict": dict, "builtins.list": list,
                     "builtins.set": set}.get(cls.name)
            if plain is not None:
                return plain()
            obj = Pickled(cls.name, args=args)
            if kwargs:
                obj.state = {"__newobj_kwargs__": kwargs}
            return obj
        raise PickleReadError(f"NEWOBJ of something that is not a class ({type(cls).__name__})")

    def call(self, func: Any, args: Any) -> Any:
        """REDUCE: apply an allow-listed rebuild function; record anything else as a placeholder."""
        if not isinstance(args, tuple):
            raise PickleReadError("REDUCE with arguments that are not a tuple")
        if isinstance(func, Pickled) and not isinstance(func, PickledGlobal):
            return Pickled(func.name, args=args)  # calling an object the file built: recorded, not called
        if not isinstance(func, PickledGlobal):
            raise PickleReadError(f"REDUCE of something that cannot be called ({type(func).__name__})")
        name = func.name
        if name not in _REBUILD_FUNCTIONS:
            return Pickled(name, args=args)
        from . import safe_rebuild  # the rebuild functions, kept apart from the opcode loop

        return safe_rebuild.apply(name, args, self)


def _top(stack: list) -> Any:
    if not stack or stack[-1] is _Mark:
        raise PickleReadError("an opcode needs a value on an empty stack")
    return stack[-1]


def _pop(stack: list) -> Any:
    _top(stack)  # refuses an empty stack and a MARK
    return stack.pop()


def _pop_mark(stack: list) -> list:
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is _Mark:
            items = stack[i + 1:]
            del stack[i:]
            return items
    raise PickleReadError("MARK missing")


def _pairs_to_dict(items: list) -> dict:
    if len(items) % 2:
        raise PickleReadError("odd number of dict items")
    return dict(zip(items[0::2], items[1::2]))


def _extend(target: Any, items: list) -> None:
    if isinstance(target, list):
        target.extend(items)
    elif isinstance(target, Pickled) and not isinstance(target, PickledGlobal):
        target.items.extend(items)
    elif isinstance(target, set):  # sets of older protocols arrive through their reduce args; be lenient
        target.update(items)
    else:
        raise PickleReadError(f"APPEND to a {type(target).__name__}")


def _set_items(target: Any, items: list) -> None:
    if len(items) % 2:
        raise PickleReadError("odd number of dict items")
    if isinstance(target, dict):
        target.update(zip(items[0::2], items[1::2]))
    elif isinstance(target, Pickled) and not isinstance(target, PickledGlobal):
        target.dict_items.update(zip(items[0::2], items[1::2]))
    else:
        raise PickleReadError(f"SETITEM on a {type(target).__name__}")


def _build(target: Any, state: Any) -> None:
    """BUILD: what ``__setstate__`` would receive is recorded on placeholders; plain objects take none."""
    if isinstance(target, Pickled) and not isinstance(target, PickledGlobal):
        if isinstance(target.state, dict) and isinstance(state, dict):
            target.state.update(state)
        else:
            target.state = state
    elif isinstance(target, torch.Tensor):
        pass  # old pickles BUILD extra Python attributes onto tensors; the numbers do not depend on them
    elif isinstance(target, OrderedDict) and isinstance(state, dict):
        # a state_dict's OrderedDict carries `_metadata` (versions per module) as an attribute, as torch sets it
        target.__dict__.update((k, v) for k, v in state.items() if isinstance(k, str) and not k.startswith("__"))
    elif isinstance(target, dict) and (state is None or state == {}):
        pass
    else:
        raise PickleReadError(f"BUILD on a {type(target).__name__}")


def _check_nesting(root: Any) -> None:
    """Refuse data nested deeper than MAX_NESTING (counting each shared object once; cycles are allowed)."""
    height: dict[int, int] = {}
    on_path: set[int] = set()
    todo: list = [(root, False)]
    while todo:
        obj, done = todo.pop()
        children = _children(obj)
        if children is None:
            continue
        key = id(obj)
        if done:
            on_path.discard(key)
            height[key] = 1 + max((height.get(id(c), 0) for c in children if id(c) not in on_path), default=0)
            if height[key] > MAX_NESTING:
                raise PickleReadError(f"data nested more than {MAX_NESTING} levels deep")
            continue
        if key in height or key in on_path:
            continue
        on_path.add(key)
        todo.append((obj, True))
        todo.extend((c, False) for c in children)


def _children(obj: Any) -> list | None:
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, dict):
        return [*obj.keys(), *obj.values()]
    if isinstance(obj, Pickled):
        return [*obj.args, obj.state, *obj.items, *obj.dict_items.keys(), *obj.dict_items.values()]
    return None
