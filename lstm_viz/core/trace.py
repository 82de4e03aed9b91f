"""A trace: everything a recurrent model computed while reading one text, behind one interface.

``TraceBase`` is what every feature reads: ``len(trace)``, ``trace.cell`` (a lstm_viz.core.cells.CellType),
``trace.quantities``, ``trace.window(quantity, layer, reverse, t0, t1, units)`` for a (t1 - t0, units) slice,
``trace.summary(...)`` per-unit mean/min/max per block of 2**level steps (zoomed-out drawing) and
``trace.stats(...)`` per-unit mean, variance, min and max. An implementation provides ``window`` (and may
answer ``summary`` / ``stats`` faster); ``Trace`` holds every array in memory (small texts, tests). A trace
recomputed from keyframes or read from a chunked file can sit behind the same interface.

Keys (the NPZ format, documented in the README): ``tokens``, ``token_ids``, and per layer l and quantity q of the
cell type ``{q}_l{l}`` (LSTM, peephole, CIFG: input_gate, forget_gate, candidate, output_gate, cell, hidden;
GRU: reset_gate, update_gate, new_gate, hidden; RNN: hidden), each (T, units) float32, with ``_reverse`` for the
backward direction; ``probs`` (T, V) and ``loss`` (T,) when the model has a decoder; ``cell_type`` and
``reads_backward`` (files without them: an LSTM, or the cell whose arrays they hold, reading left to right).

``probs[t]`` is the model's distribution over the token it reads after t; ``loss[t]`` is -ln of the probability
it gave to token t before reading it (nats), NaN for the first token read and for unknown tokens. Arrays are
always in the text's own order, also for a model that reads right to left (``reads_backward``): there the
"next" token is token t - 1.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .cells import ALL_QUANTITIES, CELLS, CellType, cell_type
from .checkpoint import atomic_write
from .errors import InputError
from .stats import Summary, UnitStats, block_summary, stats_of

NPZ_VERSION = 2  # 2: records the cell type and the reading direction
_KEY = re.compile(r"^(?P<q>[a-z_]+?)_l(?P<layer>\d+)(?P<rev>_reverse)?$")


def key(quantity: str, layer: int = 0, reverse: bool = False) -> str:
    """The array name of one quantity: ``key("forget_gate", 1, True) == "forget_gate_l1_reverse"``."""
    if quantity not in ALL_QUANTITIES:
        raise InputError(f"unknown quantity {quantity!r}; one of {', '.join(ALL_QUANTITIES)}")
    return f"{quantity}_l{layer}" + ("_reverse" if reverse else "")


def parse_key(name: str) -> tuple[str, int, bool] | None:
    """``"forget_gate_l1_reverse"`` -> ("forget_gate", 1, True); None for a name that is not such a key."""
    m = _KEY.match(name)
    if not m or m["q"] not in ALL_QUANTITIES:
        return None
    return m["q"], int(m["layer"]), bool(m["rev"])


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


class TraceBase:
    """The interface (see the module docstring). Subclasses set the attributes below and define ``window``."""

    tokens: tuple[str, ...]
    token_ids: np.ndarray | None
    num_layers: int
    bidirectional: bool
    probs: np.ndarray | None
    loss: np.ndarray | None
    vocab_tokens: tuple[str, ...] | None
    unknown: tuple[int, ...]
    model_name: str
    metadata: Mapping[str, object]
    cell: CellType
    reads_backward: bool

    holds_arrays = False  # True: every array sits in memory and a whole-text window is a free view
    SAMPLE_ROWS = 1024  # rows sample_rows returns by default

    SUMMARY_CHUNK = 1 << 16  # steps per window when a summary or statistics are built from windows
    min_summary_level = 0  # finer summary levels are built from windows (slow for a trace that does not hold arrays)

    # -- what an implementation provides -------------------------------------------------------------------
    def window(self, quantity: str, layer: int = 0, reverse: bool = False, t0: int = 0, t1: int | None = None,
               units: Sequence[int] | slice | None = None) -> np.ndarray:
        """(t1 - t0, n_units) float32: steps t0 <= t < t1 (t1 None: to the end), all units or ``units``."""
        raise NotImplementedError

    def units(self, layer: int = 0, quantity: str | None = None) -> int:
        """Units of ``quantity`` (default: the cell's first quantity) in ``layer``."""
        raise NotImplementedError

    # -- shared -----------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def quantities(self) -> tuple[str, ...]:
        return self.cell.quantities

    @property
    def directions(self) -> tuple[bool, ...]:
        return (False, True) if self.bidirectional else (False,)

    def check(self, quantity: str, layer: int = 0, reverse: bool = False) -> None:
        """One-line InputError unless this trace has ``quantity`` in ``layer`` and that direction."""
        if quantity not in ALL_QUANTITIES:
            raise InputError(f"unknown quantity {quantity!r}; one of {', '.join(self.quantities)}")
        self.cell.check(quantity)
        if not 0 <= layer < self.num_layers:
            raise InputError(f"layer {layer} does not exist; the model has {self.num_layers}")
        if reverse and not self.bidirectional:
            raise InputError("the model has no backward direction")

    def span(self, t0: int, t1: int | None) -> tuple[int, int]:
        """(t0, t1) checked against the trace's length; t1 None means the end."""
        T = len(self)
        t1 = T if t1 is None else int(t1)
        t0 = int(t0)
        if not 0 <= t0 <= t1 <= T:
            raise InputError(f"steps {t0}:{t1} lie outside the trace, which has {T} timesteps (0:{T})")
        return t0, t1

    def get(self, quantity: str, layer: int = 0, reverse: bool = False) -> np.ndarray:
        """(T, units) float32 array of one quantity: a window covering everything."""
        return self.window(quantity, layer, reverse)

    def keys(self) -> list[str]:
        names = ["tokens"] + (["token_ids"] if self.token_ids is not None else [])
        names += [key(q, layer, rev) for layer in range(self.num_layers) for rev in self.directions
                  for q in self.quantities]
        return names + [n for n in ("probs", "loss") if getattr(self, n) is not None]

    def __getitem__(self, name: str) -> np.ndarray:
        if name == "tokens":
            return np.array(self.tokens, dtype=str)
        extra = {"token_ids": self.token_ids, "probs": self.probs, "loss": self.loss}
        if extra.get(name) is not None:
            return extra[name]
        parsed = parse_key(name)
        if parsed is not None and name in self.keys():
            return self.get(*parsed)
        raise KeyError(f"no array {name!r} in this trace; it has {', '.join(self.keys())}")

    def summary(self, quantity: str, layer: int = 0, reverse: bool = False, level: int = 0) -> Summary:
        """Per-unit mean, min and max over blocks of 2**level steps, each (ceil(T / 2**level), units)."""
        self.check(quantity, layer, reverse)
        step = max(self.SUMMARY_CHUNK, 2 ** level)  # a multiple of the block: blocks never straddle two windows
        parts = [block_summary(self.window(quantity, layer, reverse, s, min(s + step, len(self))), level)
                 for s in range(0, len(self), step)]
        if not parts:
            return block_summary(np.zeros((0, self.units(layer, quantity)), np.float32), level)
        return Summary(level, *(np.concatenate([getattr(p, k) for p in parts]) for k in ("mean", "min", "max")))

    def stats(self, quantity: str, layer: int = 0, reverse: bool = False) -> UnitStats:
        """Per-unit count, mean, variance, min and max over the whole text."""
        self.check(quantity, layer, reverse)
        from .stats import RunningStats

        rs = RunningStats(self.units(layer, quantity))
        for s in range(0, len(self), self.SUMMARY_CHUNK):
            rs.add(self.window(quantity, layer, reverse, s, min(s + self.SUMMARY_CHUNK, len(self))))
        return rs.result()

    def stats_at_hand(self, quantity: str, layer: int = 0, reverse: bool = False) -> bool:
        """True when ``stats`` answers without reading the trace (kept by its pass, or computed before)."""
        return False

    def sample_rows(self, quantity: str, layer: int = 0, reverse: bool = False) -> np.ndarray:
        """(n, units): whole rows (every unit) spread evenly over the text, about SAMPLE_ROWS of them, for colour
        ranges. Here read as windows of one step; a lazy trace keeps them from its pass."""
        self.check(quantity, layer, reverse)
        T = len(self)
        every = max(1, -(-T // self.SAMPLE_ROWS))
        return np.concatenate([self.window(quantity, layer, reverse, t, t + 1) for t in range(0, T, every)]) \
            if T else np.zeros((0, self.units(layer, quantity)), np.float32)

    def structure_scores(self, layer: int = 0, reverse: bool = False) -> np.ndarray:
        """(units,) lstm_viz.core.structure.slow_structure of tanh(the cell's state: c, else h)."""
        from .structure import slow_structure

        q = "cell" if self.cell.has_cell_state else "hidden"
        return slow_structure(np.tanh(np.asarray(self.get(q, layer, reverse), dtype=np.float64)))

    # -- files ------------------------------------------------------------------------------------------------
    def save_npz(self, path: str | Path, extra: Mapping[str, np.ndarray] | None = None, compress: bool = False) -> None:
        """Write every array under its key (see module docstring), plus ``extra`` arrays; atomic. Uncompressed
        unless ``compress`` (zip deflate squeezes float32 noise by a few percent at many times the cost)."""
        data = {name: self[name] for name in self.keys()}
        data["npz_version"] = np.array(NPZ_VERSION)
        data["cell_type"] = np.array(self.cell.name)
        data["reads_backward"] = np.array(bool(self.reads_backward))
        if self.vocab_tokens is not None:
            data["vocab"] = np.array(self.vocab_tokens, dtype=str)
        if self.unknown:
            data["unknown"] = np.array(self.unknown, dtype=np.int64)
        data.update(extra or {})

        def write(tmp):
            with open(tmp, "wb") as f:
                (np.savez_compressed if compress else np.savez)(f, **data)

        atomic_write(path, write)


@dataclass(frozen=True, eq=False)
class Trace(TraceBase):
    """The in-memory trace: every array held, read-only."""

    holds_arrays = True

    tokens: tuple[str, ...]  # one per timestep, as read from the text
    token_ids: np.ndarray | None  # (T,) int64; None when the model read raw input vectors
    arrays: Mapping[str, np.ndarray]  # name -> (T, units) float32, see the module docstring
    num_layers: int
    bidirectional: bool = False
    probs: np.ndarray | None = None  # (T, V) float32
    loss: np.ndarray | None = None  # (T,) float32, nats
    vocab_tokens: tuple[str, ...] | None = None  # names of the V columns of probs
    unknown: tuple[int, ...] = ()  # positions of tokens not in the vocab (fed as the unknown token)
    model_name: str = ""
    metadata: Mapping[str, object] = field(default_factory=dict)
    cell: CellType | str = "lstm"  # a name is turned into its CellType
    reads_backward: bool = False  # the model read the text right to left (arrays are still in text order)
    unit_stats: Mapping[str, UnitStats] = field(default_factory=dict)  # key -> stats, when computed already
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "cell", cell_type(self.cell))
        for a in (*self.arrays.values(), self.token_ids, self.probs, self.loss):
            if a is not None:
                _frozen(a)

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self.arrays:
            return self.arrays[name]
        return super().__getitem__(name)

    def keys(self) -> list[str]:
        names = ["tokens"] + (["token_ids"] if self.token_ids is not None else []) + list(self.arrays)
        return names + [n for n in ("probs", "loss") if getattr(self, n) is not None]

    def _array(self, quantity: str, layer: int, reverse: bool) -> np.ndarray:
        self.check(quantity, layer, reverse)
        name = key(quantity, layer, reverse)
        if name not in self.arrays:
            raise KeyError(f"no array {name!r} in this trace; it has {', '.join(self.keys())}")
        return self.arrays[name]

    def get(self, quantity: str, layer: int = 0, reverse: bool = False) -> np.ndarray:
        return self._array(quantity, layer, reverse)

    def window(self, quantity: str, layer: int = 0, reverse: bool = False, t0: int = 0, t1: int | None = None,
               units: Sequence[int] | slice | None = None) -> np.ndarray:
        a = self._array(quantity, layer, reverse)
        t0, t1 = self.span(t0, t1)
        if units is None:
            return a[t0:t1]
        if not isinstance(units, slice):
            units = np.asarray(units, dtype=np.int64)
            if units.size and not (0 <= units.min() and units.max() < a.shape[1]):
                raise InputError(f"units {units.min()}..{units.max()} do not all exist; "
                                 f"{key(quantity, layer, reverse)} has {a.shape[1]} units")
        return a[t0:t1, units]

    def sample_rows(self, quantity: str, layer: int = 0, reverse: bool = False) -> np.ndarray:
        a = self._array(quantity, layer, reverse)
        return a[::max(1, -(-len(a) // self.SAMPLE_ROWS))]

    def units(self, layer: int = 0, quantity: str | None = None) -> int:
        return self._array(quantity or self.quantities[0], layer, False).shape[1]

    def summary(self, quantity: str, layer: int = 0, reverse: bool = False, level: int = 0) -> Summary:
        k = ("summary", key(quantity, layer, reverse), int(level))
        if k not in self._cache:
            self._cache[k] = block_summary(self._array(quantity, layer, reverse), int(level))
        return self._cache[k]

    def stats_at_hand(self, quantity: str, layer: int = 0, reverse: bool = False) -> bool:
        name = key(quantity, layer, reverse)
        return name in self.unit_stats or ("stats", name) in self._cache

    def stats(self, quantity: str, layer: int = 0, reverse: bool = False) -> UnitStats:
        name = key(quantity, layer, reverse)
        if name in self.unit_stats:
            return self.unit_stats[name]
        k = ("stats", name)
        if k not in self._cache:
            self._cache[k] = stats_of(self._array(quantity, layer, reverse))
        return self._cache[k]

    @classmethod
    def load_npz(cls, path: str | Path) -> "Trace":
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: not a readable lstm_viz trace ({e})") from None
        present = {p[0] for k in data if (p := parse_key(k)) is not None}
        try:
            if "cell_type" in data:
                cell = cell_type(str(data["cell_type"]))
            else:  # files from before the cell type was recorded held LSTMs; tell other cells by their arrays
                cell = next((c for c in CELLS.values() if set(c.quantities) == present), CELLS["lstm"])
        except InputError as e:
            raise InputError(f"{path}: {e}") from None
        arrays = {k: v for k, v in data.items() if (p := parse_key(k)) is not None and p[0] in cell.quantities}
        if "tokens" not in data or not arrays:
            raise InputError(f"{path}: not an lstm_viz trace (no tokens or no {cell.title} arrays)")
        missing = [q for q in cell.quantities if f"{q}_l0" not in arrays]
        if missing:
            raise InputError(f"{path}: {cell.a_title} trace without {', '.join(missing)}")
        layers = 1 + max(parse_key(k)[1] for k in arrays)
        return cls(tokens=tuple(str(t) for t in data["tokens"]), token_ids=data.get("token_ids"),
                   arrays=arrays, num_layers=layers, bidirectional=any(k.endswith("_reverse") for k in arrays),
                   probs=data.get("probs"), loss=data.get("loss"),
                   vocab_tokens=tuple(data["vocab"]) if "vocab" in data else None,
                   unknown=tuple(int(i) for i in data.get("unknown", ())), model_name=Path(path).stem,
                   cell=cell, reads_backward=bool(data.get("reads_backward", False)))


def iter_trace(loaded, x, chunk: int | None = None, state=None):
    """Run a model over ``x``, yielding progress; returns the Trace (lstm_viz.core.tracing.iter_trace)."""
    from .tracing import iter_trace as run

    return run(loaded, x, chunk, state)


def trace(loaded, x, chunk: int | None = None, state=None, lazy: bool = False) -> TraceBase:
    """Run a model over ``x`` and return its Trace (lstm_viz.core.tracing.trace). ``lazy``: a KeyframeTrace
    instead (lstm_viz.core.keyframes.keyframe_trace): sliced by time and unit without holding every array."""
    if lazy:
        from .keyframes import keyframe_trace

        return keyframe_trace(loaded, x, state)
    from .tracing import trace as run

    return run(loaded, x, chunk, state)
