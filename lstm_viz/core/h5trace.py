"""Traces too big for memory, as HDF5 files read in slices: written while streaming, opened lazily.

    write_h5(loaded, text, "big.h5")        # one pass (lstm_viz.core.keyframes), chunk by chunk to the file
    tr = H5Trace("big.h5")                  # or open_trace(path) for .npz and .h5 alike
    tr.window("cell", 0, False, 10_000, 12_000)   # reads only the file chunks that cover those steps

Why HDF5 (h5py) rather than zarr: one self-contained file (a zarr store is a folder of many small files, awkward
to copy, mail and attach), a single binary wheel with the HDF5 library inside, readable from MATLAB, Julia, R
and ``h5dump`` without Python, and the format LSTMVis reads. We need nothing zarr adds (cloud object stores,
concurrent writers).

Layout (``format`` attribute "lstm_viz trace", ``version`` 1): ``arrays/{key}`` (T, units) float32 per
quantity, layer and direction (keys as in lstm_viz.core.trace), chunked by time; ``probs`` (T, V) float32 and
``loss`` (T,) float32 when the model has a decoder; ``token_ids`` (T,) int64; ``tokens``: the tokens joined
as UTF-8 (``tokens_utf8``, uint8) with ``token_offsets`` (T + 1,) into the joined text (characters), and the
same for ``vocab``; ``unknown`` positions; ``summaries/{key}/L{k}`` (3, ceil(T / 2**k), units): mean, min, max
per block of 2**k steps for every k >= the ``min_summary_level`` attribute; ``stats/{key}`` (5, units)
float64: count, mean, variance, min, max. Attributes: cell, reads_backward, num_layers, bidirectional,
model_name, metadata (JSON).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Generator, Sequence

import numpy as np

from .cells import cell_type
from .checkpoint import atomic_path
from .errors import InputError
from .stats import Summary, UnitStats
from .trace import TraceBase, key

FORMAT, VERSION = "lstm_viz trace", 1
H5_SUFFIXES = (".h5", ".hdf5")
FILE_FINEST_SUMMARY = 7  # blocks of 128 steps (3 % of the arrays' size); finer ones are read from the arrays


def _strings(group, name: str, values: Sequence[str]) -> None:
    offsets = np.zeros(len(values) + 1, np.int64)
    np.cumsum([len(v) for v in values], out=offsets[1:])
    group.create_dataset(f"{name}_utf8", data=np.frombuffer("".join(values).encode("utf-8"), np.uint8))
    group.create_dataset(f"{name}_offsets", data=offsets)


def _read_strings(group, name: str) -> tuple[str, ...]:
    text = group[f"{name}_utf8"][()].tobytes().decode("utf-8")
    offsets = group[f"{name}_offsets"][()]
    return tuple(text[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist()))


def iter_write_h5(loaded, x, path: str | Path, state=None, compress: bool = False, keyframe_every: int | None = None
                  ) -> Generator[float, None, "H5Trace"]:
    """Yield progress in [0, 1]; return the written file opened as an H5Trace. Streams: memory stays that of a
    KeyframeTrace (no (T, units) array is held). The file appears whole or not at all (written beside it,
    then renamed); closing the generator leaves nothing behind."""
    import h5py

    from .keyframes import KEYFRAME_EVERY, iter_keyframe_trace

    path = Path(path)
    K = int(keyframe_every or KEYFRAME_EVERY)
    options = dict(compression="gzip", compression_opts=1, shuffle=True) if compress else {}
    with atomic_path(path) as tmp:  # appears whole or not at all, with the umask's mode
        with h5py.File(tmp, "w") as f:
            arrays = f.create_group("arrays")
            datasets = {}

            def sink(name: str, s: int, rows: np.ndarray, T: int) -> None:
                ds = datasets.get(name)
                if ds is None:  # created at its first chunk
                    shape = (T, rows.shape[1])
                    where = f if name == "probs" else arrays
                    ds = datasets[name] = where.create_dataset(name, shape=shape, dtype=np.float32,
                                                               chunks=(min(K, T), rows.shape[1]), **options)
                ds[s:s + len(rows)] = rows

            tr = yield from iter_keyframe_trace(loaded, x, state, K, sink=sink, finest_summary=FILE_FINEST_SUMMARY)
            _strings(f, "tokens", tr.tokens)
            if tr.token_ids is not None:
                f.create_dataset("token_ids", data=tr.token_ids)
            if tr.loss is not None:
                f.create_dataset("loss", data=tr.loss)
            if tr.vocab_tokens is not None:
                _strings(f, "vocab", tr.vocab_tokens)
            f.create_dataset("unknown", data=np.asarray(tr.unknown, np.int64))
            summaries, stats = f.create_group("summaries"), f.create_group("stats")
            for layer in range(tr.num_layers):
                for rev in tr.directions:
                    for q in tr.quantities:
                        k = key(q, layer, rev)
                        g = summaries.create_group(k)
                        for level, s in tr._summaries[k].items():
                            g.create_dataset(f"L{level}", data=np.stack([s.mean, s.min, s.max]))
                        st = tr.stats(q, layer, rev)
                        stats.create_dataset(k, data=np.stack([st.count, st.mean, st.var, st.min, st.max]))
            f.attrs.update(format=FORMAT, version=VERSION, cell=tr.cell.name, reads_backward=tr.reads_backward,
                           num_layers=tr.num_layers, bidirectional=tr.bidirectional, model_name=tr.model_name,
                           min_summary_level=tr.min_summary_level, metadata=json.dumps(tr.metadata))
    return H5Trace(path)


def write_h5(loaded, x, path: str | Path, state=None, compress: bool = False,
             keyframe_every: int | None = None) -> "H5Trace":
    """Run the model over ``x`` and write every quantity to an HDF5 file (see iter_write_h5)."""
    gen = iter_write_h5(loaded, x, path, state, compress, keyframe_every)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


class _Rows:
    """An HDF5 dataset indexed like a numpy array along its first axis (int, slice, or an int array in any order)."""

    def __init__(self, ds):
        self._ds, self.shape, self.dtype, self.ndim = ds, ds.shape, ds.dtype, ds.ndim

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer, slice)):
            return self._ds[index]
        rows = np.arange(self.shape[0])[index]
        wanted, where = np.unique(rows, return_inverse=True)
        return self._ds[wanted][where.reshape(np.shape(rows))] if len(wanted) else np.zeros(
            np.shape(rows) + self.shape[1:], self.dtype)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._ds[()], dtype=dtype)


class H5Trace(TraceBase):
    """A trace in an HDF5 file written by write_h5, opened lazily: windows read only the chunks they cover."""

    def __init__(self, path: str | Path):
        import h5py

        self.path = Path(path)
        try:
            self._file = h5py.File(self.path, "r")
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: not a readable HDF5 file ({e})") from None
        f = self._file
        if f.attrs.get("format") != FORMAT:
            f.close()
            raise InputError(f"{path}: not an lstm_viz trace (an HDF5 file without format {FORMAT!r})")
        if int(f.attrs["version"]) > VERSION:
            f.close()
            raise InputError(f"{path}: written by a newer lstm_viz (trace file version {f.attrs['version']})")
        self.cell = cell_type(str(f.attrs["cell"]))
        self.reads_backward = bool(f.attrs["reads_backward"])
        self.num_layers, self.bidirectional = int(f.attrs["num_layers"]), bool(f.attrs["bidirectional"])
        self.model_name = str(f.attrs["model_name"])
        self.metadata = json.loads(f.attrs["metadata"])
        self.min_summary_level = int(f.attrs["min_summary_level"])
        self.tokens = _read_strings(f, "tokens")
        self.token_ids = f["token_ids"][()] if "token_ids" in f else None
        self.loss = f["loss"][()] if "loss" in f else None
        self.probs = _Rows(f["probs"]) if "probs" in f else None
        self.vocab_tokens = _read_strings(f, "vocab") if "vocab_utf8" in f else None
        self.unknown = tuple(int(i) for i in f["unknown"][()])
        self._summaries: dict = {}

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _dataset(self, quantity: str, layer: int, reverse: bool):
        self.check(quantity, layer, reverse)
        return self._file["arrays"][key(quantity, layer, reverse)]

    def units(self, layer: int = 0, quantity: str | None = None) -> int:
        return self._dataset(quantity or self.quantities[0], layer, False).shape[1]

    def window(self, quantity: str, layer: int = 0, reverse: bool = False, t0: int = 0, t1: int | None = None,
               units: Sequence[int] | slice | None = None) -> np.ndarray:
        from .keyframes import _columns

        ds = self._dataset(quantity, layer, reverse)
        t0, t1 = self.span(t0, t1)
        cols = _columns(units, ds.shape[1], key(quantity, layer, reverse))
        a = ds[t0:t1]  # (t1 - t0, units): only the chunks covering the steps
        return a if isinstance(cols, slice) and cols == slice(None) else a[:, cols]

    def summary(self, quantity: str, layer: int = 0, reverse: bool = False, level: int = 0) -> Summary:
        """Read from the file for levels >= min_summary_level; finer levels are computed from windows."""
        self.check(quantity, layer, reverse)
        if level < self.min_summary_level:
            return super().summary(quantity, layer, reverse, level)
        g = self._file["summaries"][key(quantity, layer, reverse)]
        top = max(int(n[1:]) for n in g)
        k = (key(quantity, layer, reverse), min(level, top))
        if k not in self._summaries:
            self._summaries[k] = g[f"L{k[1]}"][()]
        mean, lo, hi = self._summaries[k]
        return Summary(level, mean, lo, hi)

    def stats(self, quantity: str, layer: int = 0, reverse: bool = False) -> UnitStats:
        self.check(quantity, layer, reverse)
        return UnitStats(*self._file["stats"][key(quantity, layer, reverse)][()])


def open_trace(path: str | Path) -> TraceBase:
    """A trace file: .h5 / .hdf5 opened lazily (H5Trace), anything else read as NPZ (Trace.load_npz)."""
    if Path(path).suffix.lower() in H5_SUFFIXES:
        return H5Trace(path)
    from .trace import Trace

    return Trace.load_npz(path)
