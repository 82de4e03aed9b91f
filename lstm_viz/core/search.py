"""Find the units that mean something: search by feature and search by example (LSTMVis' hypothesis).

- ``search_feature``: rank units by Pearson r with a per-token feature (|r|, sign kept) and, for a yes/no
  feature, by AUC (how well the unit's value separates yes-tokens from no-tokens).
- ``search_span``: given a span of timesteps [s, e), rank units by how well they are "on" inside it and "off"
  in the flanks just before and after it (each as long as the span, cut at the text's ends): the fraction of
  the span's timesteps where the unit is on minus that fraction in the flanks, in [-1, 1]. With a threshold
  (LSTMVis), on means value >= threshold, or value <= -threshold for a unit whose negative switches on
  (scored with a minus sign, as is a unit that is off inside and on around). Without one, each unit's own
  mean over the text is its threshold (+: above it inside, -: below). Ties are broken by the effect size,
  (mean inside - mean in the flanks) / the unit's standard deviation over the text, which every result carries.
  Ranking by the effect size alone favours units that ramp up through the span (counters) over units that
  switch: on a quotes model it put the quote cell in the top 3 for 15 of 34 quoted passages, the fraction
  above the mean for 30 of 34 (tests/test_search.py keeps this honest).
- The *match* (the other places where the chosen units switch on together) is in lstm_viz.core.match.

Any quantity, layer and direction; every statistic is computed window by window (lstm_viz.core.stream). A
keyframe trace of a text kept sums in its pass (lstm_viz.core.unit_sums): the feature table reads no window, a
feature search (a regex) reads only the chunks where the feature is not zero, a span search only the span and
its flanks. ``iter_search_feature`` and ``iter_feature_table`` yield their progress after each window they read,
so the app can show it and stop them there (by closing the generator); ``search_feature`` runs the first to
its end.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generator, Sequence

import numpy as np

from .errors import InputError
from .correlation import iter_auc, iter_correlation, iter_sparse_correlation, unit_stats
from .generators import run_to_end, scaled
from .stream import check_quantity, targets, window


@dataclass(frozen=True)
class UnitScore:
    """A unit and how well it follows a feature."""

    layer: int
    unit: int
    r: float  # Pearson correlation with the feature (sign kept)
    quantity: str = "cell"
    reverse: bool = False  # the backward direction of a bidirectional LSTM
    auc: float | None = None  # yes/no features: P(value at a yes-token > value at a no-token); 0.5 = chance

    @property
    def direction(self) -> str:
        return "backward" if self.reverse else "forward"


@dataclass(frozen=True)
class SpanScore:
    """A unit and how well it is on inside a span and off around it."""

    layer: int
    unit: int
    score: float  # in [-1, 1], sign kept: + the unit is high inside the span, - it is low (module docstring)
    quantity: str = "cell"
    reverse: bool = False
    cut: float = 0.0  # the value the unit crosses to be on: on <=> sign * (value - cut) >= 0
    threshold: float | None = None  # the user's threshold; None: each unit's mean
    effect: float = 0.0  # (mean inside - mean in the flanks) / the unit's standard deviation over the text

    @property
    def sign(self) -> int:
        return -1 if self.score < 0 else 1

    @property
    def direction(self) -> str:
        return "backward" if self.reverse else "forward"

    def on(self, values: np.ndarray) -> np.ndarray:
        """Where ``values`` of this unit count as on (bool, same shape)."""
        return self.sign * (values - self.cut) >= 0


def is_binary(labels) -> bool:
    y = np.asarray(labels, dtype=np.float64)
    y = y[np.isfinite(y)]
    return bool(y.size) and bool(np.isin(y, (0.0, 1.0)).all()) and 0 < int(y.sum()) < y.size


def search_feature(trace, feature, quantity: str = "cell", layers: Sequence[int] | int | None = None,
                   directions: Sequence[bool] | bool | None = None, k: int | None = None, by: str = "r",
                   with_auc: bool | None = None) -> list[UnitScore]:
    """Units ranked by how well ``quantity`` follows ``feature`` (T,), best first; ``k`` of them (None: all).

    ``layers`` / ``directions``: None searches them all. ``by="r"`` ranks by |r|; ``by="auc"`` by |AUC - 0.5|
    (yes/no features only). ``with_auc`` (default: when the feature is yes/no) adds each unit's AUC, one
    more pass over the trace. Units with an undefined r (constant) are left out. Without AUC, a keyframe trace of a
    text reads only the chunks where the feature is not zero (lstm_viz.core.correlation.sparse_correlation)."""
    return run_to_end(iter_search_feature(trace, feature, quantity, layers, directions, k, by, with_auc))


def iter_search_feature(trace, feature, quantity: str = "cell", layers: Sequence[int] | int | None = None,
                        directions: Sequence[bool] | bool | None = None, k: int | None = None, by: str = "r",
                        with_auc: bool | None = None) -> Generator[float, None, list[UnitScore]]:
    """``search_feature``, yielding progress in (0, 1] after each window it reads (close it to stop there)."""
    check_quantity(trace, quantity)
    if by not in ("r", "auc"):
        raise InputError(f"rank by 'r' or 'auc', not {by!r}")
    y = np.asarray(feature, dtype=np.float64)
    finite = y[np.isfinite(y)] if y.ndim == 1 else y
    if y.ndim == 1 and finite.size and np.all(finite == finite[0]):
        raise InputError(f"the feature is {finite[0]:g} at every token of this text: nothing to correlate with")
    binary = is_binary(feature)
    with_auc = binary if with_auc is None else with_auc
    if (by == "auc" or with_auc) and not binary:
        raise InputError("AUC needs a yes/no feature (values 0 and 1, both present)")
    sums = getattr(trace, "unit_sums", None)  # kept by a keyframe pass: read only where the feature is not 0
    sparse = sums is not None and not with_auc and y.ndim == 1 and sums.quantity == quantity \
        and bool(np.isfinite(y).all())
    scores: list[UnitScore] = []
    where = targets(trace, layers, directions)
    for n, (layer, reverse) in enumerate(where):
        lo, hi = n / len(where), (n + 1) / len(where)
        if sparse:
            r = yield from scaled(iter_sparse_correlation(trace, y, quantity, layer, reverse,
                                                          sums.state[(layer, reverse)]), lo, hi)
            a = None
        else:
            mid = (lo + hi) / 2 if with_auc else hi  # the AUC is a second pass
            r, stats = yield from scaled(iter_correlation(trace, feature, quantity, layer, reverse), lo, mid)
            a = (yield from scaled(iter_auc(trace, feature, quantity, layer, reverse, stats), mid, hi)) \
                if with_auc else None
        for u in np.flatnonzero(np.isfinite(r)):
            scores.append(UnitScore(layer, int(u), float(r[u]), quantity, reverse,
                                    None if a is None else float(a[u])))
    if by == "auc":
        scores.sort(key=lambda s: (-abs(s.auc - 0.5), s.layer, s.reverse, s.unit))
        return scores if k is None else scores[:k]
    return _ranked(scores, k)


def iter_feature_table(trace, text: str, quantity: str = "cell", k: int = 3, names: Sequence[str] | None = None,
                       layers=None, directions=None, with_auc: bool = False
                       ) -> Generator[float, None, dict[str, list[UnitScore]]]:
    """The top ``k`` units for each built-in feature of ``text`` (the units panel): yields progress in [0, 1]
    (features done + the share of the current one) after each feature and each window read (close the generator
    to cancel) and returns {feature name: [UnitScore, ...]}, in the order of lstm_viz.core.features.FEATURES. A
    feature that is constant in this text gets an empty list.

    A keyframe trace of this text answers from the sums its pass kept (lstm_viz.core.unit_sums), reading no
    window (with_auc, for a yes/no feature, still reads the trace)."""
    from .features import FEATURES, token_features

    check_quantity(trace, quantity)
    names = list(FEATURES) if names is None else list(names)
    sums = getattr(trace, "unit_sums", None)
    table: dict[str, list[UnitScore]] = {}
    if sums is not None and sums.covers(text, quantity) and not with_auc:
        for name in names:
            if name not in sums.features:
                raise InputError(f"unknown feature {name!r}; one of {', '.join(FEATURES)}")
        where = targets(trace, layers, directions)
        for n, name in enumerate(names):
            table[name] = [] if sums.constant(name) else _ranked(
                [UnitScore(layer, int(u), float(r[u]), quantity, reverse) for layer, reverse in where
                 for r in (sums.r(name, layer, reverse),) for u in np.flatnonzero(np.isfinite(r))], k)
            yield (n + 1) / len(names)
        return table
    values = token_features(text, trace.tokens, names)
    for n, name in enumerate(names):
        y = values[name]
        table[name] = [] if np.all(y == y[0]) else (yield from scaled(iter_search_feature(
            trace, y, quantity, layers, directions, k=k, with_auc=with_auc and is_binary(y)),
            n / len(names), (n + 1) / len(names)))
        yield (n + 1) / len(names)
    return table


def _ranked(scores: list[UnitScore], k: int | None) -> list[UnitScore]:
    """Best |r| first (ties: layer, direction, unit), ``k`` of them (None: all)."""
    scores.sort(key=lambda s: (-abs(s.r), s.layer, s.reverse, s.unit))
    return scores if k is None else scores[:k]


def flanks(T: int, start: int, end: int) -> tuple[int, int]:
    """The window [a, b) around the span [start, end): a flank as long as the span on each side, cut at the
    text's ends. InputError when the span is empty, outside the text, or leaves no flank."""
    if not 0 <= start < end <= T:
        raise InputError(f"span {start}:{end} does not lie in the text's 0:{T} (START:END, END excluded, "
                         "START < END)")
    n = end - start
    a, b = max(0, start - n), min(T, end + n)
    if a == start and b == end:
        raise InputError(f"span {start}:{end} covers the whole text: nothing around it to compare with")
    return a, b


def search_span(trace, start: int, end: int, quantity: str = "cell", layers: Sequence[int] | int | None = None,
                directions: Sequence[bool] | bool | None = None, threshold: float | None = None,
                k: int | None = None, stats: dict | None = None) -> list[SpanScore]:
    """Units ranked by how well they are on inside timesteps [start, end) and off around them, best first.

    ``threshold``: LSTMVis' on/off threshold; None: each unit's mean (see the module docstring).
    ``stats``: {(layer, reverse): SpreadStats} of ``quantity`` over the whole text (lstm_viz.core.correlation.unit_stats;
    computed when missing, one pass over the text; the app keeps them between searches)."""
    check_quantity(trace, quantity)
    if threshold is not None and not np.isfinite(threshold):
        raise InputError(f"threshold must be a number, not {threshold}")
    a, b = flanks(len(trace), start, end)
    scores: list[SpanScore] = []
    for layer, reverse in targets(trace, layers, directions):
        v = window(trace, quantity, layer, reverse, a, b).astype(np.float64)  # (b - a, U)
        inside = np.zeros(b - a, bool)
        inside[start - a:end - a] = True
        v_in, v_out = v[inside], v[~inside]  # (n, U), (m, U)
        st = (stats or {}).get((layer, reverse)) or unit_stats(trace, quantity, layer, reverse)
        tiny = 1e-6 * max(1.0, float(np.abs(st.mean).max(initial=0.0)))
        with np.errstate(invalid="ignore", divide="ignore"):
            effect = np.where(st.std > tiny, (v_in.mean(axis=0) - v_out.mean(axis=0)) / st.std, np.nan)  # (U,)
        if threshold is None:
            score = (v_in >= st.mean).mean(axis=0) - (v_out >= st.mean).mean(axis=0)  # (U,)
            cut = st.mean
        else:
            score, cut = _threshold_score(v_in, v_out, float(threshold))
        for u in np.flatnonzero(np.isfinite(effect)):
            scores.append(SpanScore(layer, int(u), float(score[u]), quantity, reverse, float(cut[u]),
                                    None if threshold is None else float(threshold), float(effect[u])))
    scores.sort(key=lambda s: (-abs(s.score), -abs(s.effect), s.layer, s.reverse, s.unit))
    return scores if k is None else scores[:k]


def _threshold_score(v_in: np.ndarray, v_out: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    up = (v_in >= threshold).mean(axis=0) - (v_out >= threshold).mean(axis=0)  # (U,): high inside
    down = (v_in <= -threshold).mean(axis=0) - (v_out <= -threshold).mean(axis=0)  # (U,): negative inside
    use_down = down > np.abs(up)  # a unit whose negative switches on inside
    score = np.where(use_down, -down, up)
    cut = np.where(use_down, -threshold, threshold)
    return score, cut.astype(np.float64)
