"""Unit statistics gathered in the keyframe pass (lstm_viz.core.keyframes), so that the feature table, a regex
search and gate saturation never read a long trace again.

    sums = trace.unit_sums                       # None unless the pass read a text
    sums.r("bracket_depth", 0, False)            # (U,) Pearson r of the state with a built-in feature
    sums.state[(0, False)]                       # count, per-unit mean and centred sum of squares
    sums.saturation[("forget_gate", 0, False)]   # (left, right, steps): timesteps < LOW and > HIGH per unit

For the state each cell carries (c of an LSTM, else h; lstm_viz.look.state_quantity) of every layer and
direction: the count, per-unit mean and centred sum of squares, and for every built-in feature of the text
(lstm_viz.core.features.token_features) its mean, centred sum of squares and centred co-moment with every unit.
Chunks are merged with Chan et al.'s pairwise update, as lstm_viz.core.correlation merges windows, so r equals
``correlation`` up to float rounding. For every gate: per unit, the timesteps below LOW and above HIGH
(lstm_viz.core.saturation), exact counts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import InputError

LOW, HIGH = 0.1, 0.9  # lstm_viz.core.saturation's defaults (that module checks they agree)


def pearson(cvy: np.ndarray, m2v: np.ndarray, m2y) -> np.ndarray:
    """r from centred sums: co-moment (..., U), unit sums of squares (U,), label sums of squares (scalar or
    (..., 1)). NaN where the unit or the label is constant (the rule lstm_viz.core.correlation applies)."""
    den = np.sqrt(m2v * m2y)  # (..., U)
    tiny = 1e-12 * np.maximum(1.0, np.abs(cvy).max(axis=-1, initial=0.0, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > tiny, cvy / den, np.nan)
    return np.clip(r, -1.0, 1.0)


@dataclass(frozen=True, eq=False)
class StateSums:
    """One layer and direction of the state quantity, over ``n`` timesteps."""

    quantity: str
    n: int
    mean: np.ndarray  # (U,) float64
    m2: np.ndarray  # (U,) centred sum of squares
    feature_mean: np.ndarray  # (F,) per feature
    feature_m2: np.ndarray  # (F,)
    co: np.ndarray  # (F, U) centred co-moment of each feature with each unit


@dataclass(frozen=True, eq=False)
class UnitSums:
    """What the keyframe pass summed for the text it read (module docstring)."""

    text: str  # the text read, to check a caller asks about the same one
    features: tuple[str, ...]  # names, in lstm_viz.core.features.FEATURES order
    state: dict = field(default_factory=dict)  # (layer, reverse) -> StateSums
    saturation: dict = field(default_factory=dict)  # (gate, layer, reverse) -> (left (U,), right (U,), steps)

    @property
    def quantity(self) -> str:
        return next(iter(self.state.values())).quantity

    def covers(self, text: str, quantity: str) -> bool:
        """These sums answer for ``quantity`` over ``text`` (the text the trace read)."""
        return bool(self.state) and quantity == self.quantity and (text is self.text or text == self.text)

    def constant(self, feature: str) -> bool:
        """The feature has one value at every token of the text."""
        return not next(iter(self.state.values())).feature_m2[self.features.index(feature)] > 0

    def r(self, feature: str, layer: int, reverse: bool) -> np.ndarray:
        """(U,) Pearson r of every unit of the state with a built-in feature."""
        s = self.state[(layer, bool(reverse))]
        f = self.features.index(feature)
        if s.n < 2:
            raise InputError(f"the labels have {s.n} finite value(s): nothing to correlate with")
        return pearson(s.co[f], s.m2, s.feature_m2[f])


class _StateMoments:
    """Count, unit means and centred sums, feature means, centred sums and co-moments, merged chunk by chunk."""

    def __init__(self, units: int, features: int):
        self.n = 0
        self.mv, self.m2v = np.zeros(units), np.zeros(units)
        self.my, self.m2y = np.zeros(features), np.zeros(features)
        self.cvy = np.zeros((features, units))

    def add(self, v: np.ndarray, y: np.ndarray) -> None:
        """v (k, U) float32, y (k, F) float64, the same timesteps."""
        k = len(v)
        if k == 0:
            return
        mv = v.mean(axis=0, dtype=np.float64)  # (U,)
        dv = (v - mv.astype(v.dtype)).astype(np.float64)  # (k, U), centred in v's own precision
        off = dv.mean(axis=0)  # (U,): what rounding the mean to v's precision left
        m2v = np.einsum("ku,ku->u", dv, dv) - k * off * off  # (U,)
        my = y.mean(axis=0)  # (F,)
        dy = y - my  # (k, F)
        m2y = np.einsum("kf,kf->f", dy, dy)  # (F,)
        cvy = np.einsum("kf,ku->fu", dy, dv)  # (F, U); not BLAS: its threads only thrash at this size
        if self.n == 0:
            self.n, self.mv, self.m2v, self.my, self.m2y, self.cvy = k, mv, m2v, my, m2y, cvy
            return
        n = self.n + k
        w = self.n * k / n
        delta_v, delta_y = mv - self.mv, my - self.my  # (U,), (F,)
        self.m2v = self.m2v + m2v + delta_v * delta_v * w
        self.cvy = self.cvy + cvy + np.outer(delta_y, delta_v) * w
        self.m2y = self.m2y + m2y + delta_y * delta_y * w
        self.mv = self.mv + delta_v * k / n
        self.my = self.my + delta_y * k / n
        self.n = n


class UnitSumsBuilder:
    """Fed every chunk of every quantity by the keyframe pass (``add``); ``finish`` returns the UnitSums."""

    def __init__(self, text: str, names: tuple[str, ...], labels: np.ndarray, state_quantity: str,
                 gates: tuple[str, ...]):
        """``labels`` (F, T): the features per token."""
        self.text, self.names, self.labels = text, names, labels
        self.state_q, self.gates = state_quantity, gates
        self.moments: dict[tuple[int, bool], _StateMoments] = {}
        self.counts: dict[tuple[str, int, bool], list] = {}

    @classmethod
    def for_text(cls, text, tokens, state_quantity: str, gates: tuple[str, ...]) -> "UnitSumsBuilder | None":
        """A builder for the built-in features of ``text`` read as ``tokens``; None when the tokens were not read
        from it (the callers then read the trace as before)."""
        from .features import FEATURES, token_features

        if not isinstance(text, str):
            return None
        try:
            values = token_features(text, tokens)
        except InputError:
            return None
        names = tuple(FEATURES)
        labels = np.empty((len(names), len(tokens)), np.int32)  # (F, T): a quarter of float64
        for f, name in enumerate(names):
            labels[f] = values.pop(name)
        return cls(text, names, labels, state_quantity, tuple(gates))

    def add(self, quantity: str, layer: int, reverse: bool, s: int, a: np.ndarray) -> None:
        """Rows a (n, U) of ``quantity`` at timesteps s, s + 1, ..."""
        if quantity == self.state_q:
            m = self.moments.get((layer, reverse))
            if m is None:
                m = self.moments[(layer, reverse)] = _StateMoments(a.shape[1], len(self.names))
            m.add(a, self.labels[:, s:s + len(a)].T.astype(np.float64))  # (n, U), (n, F)
        if quantity in self.gates:
            c = self.counts.setdefault((quantity, layer, reverse), [np.int64(0), np.int64(0), 0])
            c[0] = c[0] + (a < LOW).view(np.uint8).sum(axis=0, dtype=np.int32)  # (U,); bytes sum 3x faster
            c[1] = c[1] + (a > HIGH).view(np.uint8).sum(axis=0, dtype=np.int32)  # than bools
            c[2] += len(a)

    def finish(self) -> UnitSums:
        state = {k: StateSums(self.state_q, m.n, m.mv, m.m2v, m.my, m.m2y, m.cvy) for k, m in self.moments.items()}
        saturation = {k: (np.asarray(c[0], np.int64), np.asarray(c[1], np.int64), c[2])
                      for k, c in self.counts.items()}
        return UnitSums(self.text, self.names, state, saturation)
