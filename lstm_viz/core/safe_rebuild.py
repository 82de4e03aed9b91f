"""The fixed allow-list of functions the code-free pickle reader applies (lstm_viz.core.safe_pickle).

Each entry checks its arguments' types before it builds anything: tensors only from storages the archive reader
handed over and only inside them, containers only from plain data. torch's rebuild functions are called by
exact name with backward hooks replaced by an empty OrderedDict (hooks from a file are never installed) and
tensor-subclass state dropped (it does not change the numbers).
"""
from __future__ import annotations

import math
from collections import Counter, OrderedDict
from typing import Any

import numpy as np
import torch

from .pickled import Pickled, PickledGlobal
from .safe_pickle import _BIG_VIEW, _IDENTITY_JIT, _TENSOR_TYPES, PickleReadError

_NUMPY_SCALAR_CODES = {"f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1", "c8", "c16"}
_LATIN1 = {"latin1", "latin-1", "latin_1", "iso-8859-1", "iso8859-1"}


def apply(name: str, args: tuple, reader) -> Any:
    """Apply the allow-listed function ``name`` (a dotted name) to ``args`` as read from the pickle."""
    if name in _TENSOR_FUNCTIONS:
        return _TENSOR_FUNCTIONS[name](args, reader)
    if name in _IDENTITY_JIT:
        _need(args, 1, name)
        return args[0]
    return _PLAIN_FUNCTIONS[name](args, reader)


def _need(args: tuple, n: int | tuple[int, ...], name: str) -> None:
    allowed = (n,) if isinstance(n, int) else n
    if len(args) not in allowed:
        raise PickleReadError(f"{name} with {len(args)} arguments")


# -- tensors ---------------------------------------------------------------------------------------------------
def _ints(value: Any, what: str) -> tuple[int, ...]:
    if isinstance(value, (tuple, list, torch.Size)) and all(type(v) is int for v in value):
        return tuple(value)
    raise PickleReadError(f"a tensor's {what} is not a tuple of integers")


def _storage_view(storage: Any, offset: Any, size: Any, stride: Any, dtype: torch.dtype):
    """Check that a tensor of this size and stride lies inside its storage; return (offset, size, stride)."""
    if not isinstance(storage, torch.storage.TypedStorage):
        raise PickleReadError("a tensor rebuilt from something that is not a storage of this file")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if type(offset) is not int or offset < 0 or len(size) != len(stride) or len(size) > 64:
        raise PickleReadError("a tensor with a malformed offset, size or stride")
    if any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise PickleReadError(f"a tensor with a negative size or stride {size} {stride}")
    numel = math.prod(size)
    itemsize = torch.empty((), dtype=dtype).element_size()
    available = storage._untyped_storage.nbytes() // itemsize
    if numel:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= available:
            raise PickleReadError(f"a tensor of shape {tuple(size)} reaches past the end of its storage "
                                  f"({available} elements)")
        if numel > max(available, _BIG_VIEW):
            raise PickleReadError(f"a tensor of {numel} elements repeats a storage of {available} elements")
    return offset, size, stride


def _tensor_v1(args: tuple, reader) -> torch.Tensor:
    _need(args, 4, "_rebuild_tensor")
    storage = args[0]
    offset, size, stride = _storage_view(storage, *args[1:4], dtype=getattr(storage, "dtype", torch.uint8))
    return torch._utils._rebuild_tensor(storage, offset, size, stride)


def _tensor_v2(args: tuple, reader) -> torch.Tensor:
    _need(args, (6, 7), "_rebuild_tensor_v2")  # (storage, offset, size, stride, requires_grad, hooks[, metadata])
    return _tensor_v1(args[:4], reader)


def _tensor_v3(args: tuple, reader) -> torch.Tensor:
    _need(args, (7, 8), "_rebuild_tensor_v3")  # (..., requires_grad, hooks, dtype[, metadata])
    storage, dtype = args[0], args[6]
    if not isinstance(dtype, torch.dtype):
        raise PickleReadError("_rebuild_tensor_v3 without a dtype")
    offset, size, stride = _storage_view(storage, *args[1:4], dtype=dtype)
    return torch._utils._rebuild_tensor_v3(storage, offset, size, stride, False, OrderedDict(), dtype)


def _parameter(args: tuple, reader) -> torch.Tensor:
    _need(args, (3, 4), "_rebuild_parameter")  # (data, requires_grad, hooks[, state])
    data, requires_grad = args[0], args[1]
    if not isinstance(data, torch.Tensor) or not isinstance(requires_grad, bool):
        raise PickleReadError("a parameter rebuilt from something that is not a tensor")
    requires_grad = requires_grad and (data.is_floating_point() or data.is_complex())
    return torch._utils._rebuild_parameter(data, requires_grad, OrderedDict())


def _from_type(args: tuple, reader) -> Any:
    _need(args, 4, "_rebuild_from_type_v2")  # (func, new_type, args, state)
    func, new_type, func_args, state = args
    tensor = reader.call(func, func_args)
    if not isinstance(tensor, torch.Tensor):
        return Pickled(getattr(new_type, "name", "?"), args=(tensor,), state=state)
    if not isinstance(new_type, PickledGlobal) or new_type.name not in _TENSOR_TYPES:
        # A tensor subclass of the project's own code: keep its name, hand the numbers over inside it.
        return Pickled(getattr(new_type, "name", "?"), args=(tensor,), state=state)
    if new_type.name.endswith("Parameter") and not isinstance(tensor, torch.nn.Parameter):
        return _parameter((tensor, False, None), reader)
    return tensor


_TENSOR_FUNCTIONS = {
    "torch._utils._rebuild_tensor": _tensor_v1,
    "torch._utils._rebuild_tensor_v2": _tensor_v2,
    "torch._utils._rebuild_tensor_v3": _tensor_v3,
    "torch._utils._rebuild_parameter": _parameter,
    "torch._utils._rebuild_parameter_with_state": _parameter,
    "torch._tensor._rebuild_from_type_v2": _from_type,
    "torch._tensor._rebuild_from_type": _from_type,
}


# -- plain data ------------------------------------------------------------------------------------------------
def _plain_iterable(value: Any, name: str) -> list:
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if isinstance(value, dict):
        return list(value)
    raise PickleReadError(f"{name} from a {type(value).__name__}")


def _pairs(value: Any, name: str) -> list:
    if isinstance(value, dict):
        return list(value.items())
    items = _plain_iterable(value, name)
    if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in items):
        raise PickleReadError(f"{name} from items that are not pairs")
    return [tuple(p) for p in items]


def _ordered_dict(args, reader):
    _need(args, (0, 1), "OrderedDict")
    return OrderedDict(_pairs(args[0], "OrderedDict") if args else [])


def _counter(args, reader):
    _need(args, (0, 1), "Counter")
    return Counter(dict(_pairs(args[0], "Counter")) if args else {})


def _defaultdict(args, reader):
    # defaultdict(factory): its items follow as SETITEMS; the factory is irrelevant to reading, so a plain dict.
    return {}


def _container(kind):
    def build(args, reader):
        _need(args, (0, 1), kind.__name__)
        if kind is dict:
            return dict(_pairs(args[0], "dict")) if args else {}
        return kind(_plain_iterable(args[0], kind.__name__)) if args else kind()
    return build


def _bytes(kind):
    def build(args, reader):
        _need(args, (0, 1, 2), kind.__name__)
        if not args:
            return kind()
        data = args[0]
        if isinstance(data, str) and (len(args) == 1 or (isinstance(args[1], str) and args[1].lower() in _LATIN1)):
            return kind(data.encode("latin-1" if len(args) == 2 else "utf-8"))
        if isinstance(data, (bytes, bytearray)) and len(args) == 1:
            return kind(data)
        if isinstance(data, list) and len(args) == 1 and all(type(b) is int and 0 <= b < 256 for b in data):
            return kind(data)
        raise PickleReadError(f"{kind.__name__} from {type(data).__name__}")
    return build


def _codecs_encode(args, reader):
    _need(args, (1, 2), "_codecs.encode")
    if not isinstance(args[0], str) or (len(args) == 2 and str(args[1]).lower() not in _LATIN1 | {"utf-8", "utf8"}):
        raise PickleReadError("_codecs.encode with arguments other than text and latin-1")
    return args[0].encode(args[1] if len(args) == 2 else "utf-8")


def _complex(args, reader):
    _need(args, (1, 2), "complex")
    if not all(type(a) in (int, float) for a in args):
        raise PickleReadError("complex from values that are not numbers")
    return complex(*args)


def _reconstructor(args, reader):
    _need(args, 3, "copyreg._reconstructor")  # (cls, base, state): protocol 0/1's way to make an instance
    cls, _base, state = args
    if not isinstance(cls, PickledGlobal):
        raise PickleReadError("copyreg._reconstructor of something that is not a class")
    plain = reader.new_object(cls, (), {})
    if isinstance(plain, Pickled) and state is not None:
        plain.args = (state,)
    return plain


def _newobj(args, reader):
    if not args:
        raise PickleReadError("copyreg.__newobj__ without a class")
    return reader.new_object(args[0], tuple(args[1:]), {})


def _size(args, reader):
    _need(args, (0, 1), "torch.Size")
    return torch.Size(_ints(args[0], "torch.Size") if args else ())


def _device(args, reader):
    _need(args, (1, 2), "torch.device")
    if not isinstance(args[0], str) or len(args[0]) > 64 or (len(args) == 2 and type(args[1]) is not int):
        raise PickleReadError("torch.device from values that are not a device name")
    return torch.device(*args)


def _restore_type_tag(args, reader):
    _need(args, 2, "restore_type_tag")  # (value, "List[str]"): TorchScript's static type of a value
    return args[0]


def _numpy_scalar(args, reader):
    """numpy's ``scalar(dtype, bytes)`` for plain numeric dtypes -> a Python number; others stay placeholders."""
    if len(args) == 2 and isinstance(args[0], Pickled) and args[0].name.endswith("numpy.dtype") \
            and isinstance(args[1], bytes) and args[0].args and args[0].args[0] in _NUMPY_SCALAR_CODES:
        order = args[0].state[1] if isinstance(args[0].state, tuple) and len(args[0].state) > 1 else "|"
        dtype = np.dtype(("<" if order in ("|", "=") else order if order in "<>" else "<") + args[0].args[0])
        if len(args[1]) == dtype.itemsize:
            return np.frombuffer(args[1], dtype=dtype)[0].item()
    return Pickled("numpy.core.multiarray.scalar", args=args)


_PLAIN_FUNCTIONS = {
    "collections.OrderedDict": _ordered_dict,
    "collections.Counter": _counter,
    "collections.defaultdict": _defaultdict,
    "builtins.set": _container(set),
    "builtins.frozenset": _container(frozenset),
    "builtins.list": _container(list),
    "builtins.tuple": _container(tuple),
    "builtins.dict": _container(dict),
    "builtins.bytearray": _bytes(bytearray),
    "builtins.bytes": _bytes(bytes),
    "builtins.complex": _complex,
    "_codecs.encode": _codecs_encode,
    "copyreg._reconstructor": _reconstructor,
    "copyreg.__newobj__": _newobj,
    "torch.Size": _size,
    "torch.device": _device,
    "torch.jit._pickle.restore_type_tag": _restore_type_tag,
    "numpy.core.multiarray.scalar": _numpy_scalar,
    "numpy._core.multiarray.scalar": _numpy_scalar,
}
