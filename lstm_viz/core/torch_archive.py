"""Read files written by ``torch.save`` and ``torch.jit.save`` without running any of their code.

The two layouts ``torch.load`` knows (torch/serialization.py):
- zip (the default since PyTorch 1.6): ``<prefix>/data.pkl`` is the pickle; each storage is the record
  ``<prefix>/data/<key>``, named by the pickle's persistent id ``('storage', StorageType, key, location, numel)``;
  ``<prefix>/byteorder`` says little or big endian. TorchScript archives have the same shape plus
  ``constants.pkl`` and a ``code/`` folder (see lstm_viz.core.torchscript).
- legacy (``_use_new_zipfile_serialization=False``): pickles of the magic number, the protocol version and
  sys_info, then the object's pickle with persistent ids ``('storage', StorageType, key, location, numel, view)``,
  then a pickle of the storage keys, then each storage as an int64 element count and its raw bytes.

Pickles go through lstm_viz.core.safe_pickle. Storages are read lazily by key; a storage that declares more bytes
than the archive holds is refused before anything is allocated. Errors: CheckpointError naming the file.
"""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import torch

from . import safe_pickle
from .errors import CheckpointError
from .pickled import PickledGlobal
from .safe_pickle import PickleReadError

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER
PROTOCOL_VERSION = 1001  # torch.serialization.PROTOCOL_VERSION
_DEFLATE_MAX_RATIO = 1032  # deflate cannot expand data more than this; a larger claim is a lie


class _StorageType(PickledGlobal):
    """What GLOBAL torch.FloatStorage (and friends) stands for: a dtype, nothing importable. Left anywhere else
    in the data it is just a reference by name."""

    def __init__(self, name: str, dtype: torch.dtype):
        super().__init__(name)
        self.dtype = dtype


def storage_types(dotted: str) -> _StorageType | None:
    """torch.FloatStorage, torch.cuda.HalfStorage, torch.UntypedStorage ... -> a marker with the dtype."""
    module, _, name = dotted.rpartition(".")
    if module not in ("torch", "torch.cuda") or not name.endswith("Storage"):
        return None
    if name == "UntypedStorage":
        return _StorageType(dotted, torch.uint8)
    dtype = {v: k for k, v in torch.storage._dtype_to_storage_type_map().items()}.get(name)
    return _StorageType(dotted, dtype) if dtype is not None else None


def _typed(untyped: torch.UntypedStorage, dtype: torch.dtype) -> torch.storage.TypedStorage:
    return torch.storage.TypedStorage(wrap_storage=untyped, dtype=dtype, _internal=True)


def _storage_id(pid: Any, n_fields: int) -> tuple[_StorageType, str, int]:
    """Check a persistent id ``('storage', type, key, location, numel[, view])``; return (type, key, numel)."""
    if not isinstance(pid, tuple) or len(pid) != n_fields:
        raise PickleReadError("a persistent id that is not a storage reference")
    kind = pid[0].decode("ascii", "replace") if isinstance(pid[0], bytes) else pid[0]
    stype, key, numel = pid[1], pid[2], pid[4]
    if isinstance(key, bytes):
        key = key.decode("ascii", "replace")
    if kind != "storage" or not isinstance(stype, _StorageType) or not isinstance(key, (str, int)) \
            or type(numel) is not int or numel < 0:
        raise PickleReadError("a malformed storage reference")
    return stype, str(key), numel


# -- zip -------------------------------------------------------------------------------------------------------
class ZipArchive:
    """A torch zip archive opened with the standard library's zipfile (CRC-checked, nothing executed)."""

    def __init__(self, path: Path):
        self.path = path
        self.size = path.stat().st_size
        self.zf = zipfile.ZipFile(path)
        names = self.zf.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        self.prefix = pkl[0].split("/")[0] if pkl else (names[0].split("/")[0] if names else "")
        self.names = set(names)
        order = self.record("byteorder")
        self.swap = order is not None and order.strip() not in (sys.byteorder.encode(),)
        if order is not None and order.strip() not in (b"little", b"big"):
            raise PickleReadError(f"unknown byte order {order[:16]!r}")

    def has(self, name: str) -> bool:
        return f"{self.prefix}/{name}" in self.names

    def info(self, name: str) -> zipfile.ZipInfo:
        info = self.zf.getinfo(f"{self.prefix}/{name}")
        limit = self.size if info.compress_type == zipfile.ZIP_STORED else \
            _DEFLATE_MAX_RATIO * info.compress_size + 1024
        if info.file_size > limit:
            raise PickleReadError(f"the record {name} declares {info.file_size} bytes, more than the "
                                  f"{self.size}-byte file can hold")
        return info

    def record(self, name: str) -> bytes | None:
        return self.zf.read(self.info(name)) if self.has(name) else None

    def load_pickle(self, name: str, folder: str = "data") -> Any:
        """Read the pickle ``<prefix>/<name>``; its storages come from ``<prefix>/<folder>/<key>``."""
        loaded: dict[str, torch.storage.TypedStorage] = {}

        def persistent_load(pid: Any) -> torch.storage.TypedStorage:
            stype, key, numel = _storage_id(pid, 5)
            nbytes = numel * stype.dtype.itemsize
            if key not in loaded:
                loaded[key] = self.storage(folder, key, nbytes, stype.dtype)
            storage = loaded[key]
            if storage.dtype != stype.dtype:  # one storage seen as two dtypes: share the bytes as torch does
                storage = _typed(storage._untyped_storage, stype.dtype)
            if storage._untyped_storage.nbytes() < nbytes:
                raise PickleReadError(f"storage {key} is used with {nbytes} bytes but holds fewer")
            return storage

        data = self.record(name)
        if data is None:
            raise PickleReadError(f"no {name} in the archive")
        return safe_pickle.load(data, persistent_load, storage_types)

    def storage(self, folder: str, key: str, nbytes: int, dtype: torch.dtype) -> torch.storage.TypedStorage:
        if "/" in key or key in ("", ".", ".."):
            raise PickleReadError(f"a storage key {key[:40]!r} that is not a record name")
        name = f"{folder}/{key}"
        if not self.has(name):
            raise PickleReadError(f"storage {key} is missing from the archive (truncated?)")
        if nbytes > self.size:
            raise PickleReadError(f"storage {key} declares {nbytes} bytes, more than the {self.size}-byte file "
                                  f"holds")
        info = self.info(name)
        if info.file_size < nbytes:
            raise PickleReadError(f"storage {key} declares {nbytes} bytes but its record holds {info.file_size}")
        data = self.zf.read(info)
        untyped = torch.UntypedStorage.from_buffer(data, dtype=torch.uint8) if data else torch.UntypedStorage(0)
        if self.swap:
            untyped.byteswap(dtype)
        return _typed(untyped, dtype)


# -- legacy ----------------------------------------------------------------------------------------------------
def read_legacy(path: Path, f: BinaryIO) -> Any:
    """The pre-1.6 layout: header pickles, the object's pickle, storage keys, raw storages."""
    size = path.stat().st_size
    magic = safe_pickle.load(f)
    if magic != MAGIC_NUMBER:
        return ("plain", magic)
    version = safe_pickle.load(f)
    if version != PROTOCOL_VERSION:
        raise PickleReadError(f"unknown legacy format version {version!r}")
    sys_info = safe_pickle.load(f)
    little = not isinstance(sys_info, dict) or sys_info.get("little_endian", True) is not False
    roots: dict[str, torch.storage.TypedStorage] = {}
    views: dict[str, torch.storage.TypedStorage] = {}
    claimed = [0]

    def persistent_load(pid: Any) -> Any:
        if isinstance(pid, tuple) and pid and pid[0] in ("module", b"module") and len(pid) == 4:
            return pid[1]  # ('module', class, source file, source): the class, kept by name only
        stype, key, numel = _storage_id(pid, 6)
        dtype = stype.dtype
        nbytes = numel * dtype.itemsize
        if key not in roots:
            left = size - f.tell() - claimed[0]
            if nbytes > left:
                raise PickleReadError(f"storage {key} declares {nbytes} bytes, more than the {max(left, 0)} "
                                      f"bytes left in the file")
            claimed[0] += nbytes
            roots[key] = _typed(torch.UntypedStorage(nbytes), dtype)
        root = roots[key]
        view = pid[5]
        if view is None:
            return root if root.dtype == dtype else _typed(root._untyped_storage, dtype)
        if not (isinstance(view, tuple) and len(view) == 3 and all(type(v) is int and v >= 0 for v in view[1:])):
            raise PickleReadError("a malformed storage view")
        view_key, offset, view_size = str(view[0]), view[1] * dtype.itemsize, view[2] * dtype.itemsize
        if offset + view_size > root._untyped_storage.nbytes():
            raise PickleReadError(f"storage view {view_key} reaches past the end of storage {key}")
        if view_key not in views:
            views[view_key] = _typed(root._untyped_storage[offset:offset + view_size], dtype)
        return views[view_key]

    result = safe_pickle.load(f, persistent_load, storage_types)
    keys = safe_pickle.load(f)
    if not isinstance(keys, list) or any(str(k) not in roots for k in keys):
        raise PickleReadError("the list of storages does not match the pickle")
    order = "little" if little else "big"
    for key in keys:
        storage = roots[str(key)]
        head = f.read(8)
        if len(head) != 8:
            raise PickleReadError(f"storage {key} is missing (truncated file)")
        count = int.from_bytes(head, order, signed=True)
        nbytes = storage._untyped_storage.nbytes()
        if count * storage.dtype.itemsize != nbytes:
            raise PickleReadError(f"storage {key} holds {count} elements where the pickle declares "
                                  f"{nbytes // max(storage.dtype.itemsize, 1)}")
        data = f.read(nbytes)
        if len(data) != nbytes:
            raise PickleReadError(f"storage {key} is cut short (truncated file)")
        if nbytes:
            src = torch.UntypedStorage.from_buffer(data, dtype=torch.uint8)
            if order != sys.byteorder:
                src.byteswap(storage.dtype)
            storage._untyped_storage.copy_(src)
    return ("torch", result)


def open_zip(path: Path) -> ZipArchive:
    try:
        return ZipArchive(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError) as e:
        detail = str(e).splitlines()[0][:80] if str(e) else type(e).__name__
        raise CheckpointError(f"{path}: not a PyTorch checkpoint, or truncated or corrupt ({detail})") from None
