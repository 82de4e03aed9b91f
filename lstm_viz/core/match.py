"""LSTMVis' *match*: the other places in the whole text where the chosen units switch on together.

Each chosen unit (a SpanScore from lstm_viz.core.search) says when it is on: ``sign * (value - cut) >= 0``
(above the user's threshold, below its negative, or past the midpoint between its mean inside the span and
around it). A timestep matches when at least ``min_on`` of the units are on (default: all of them, as LSTMVis);
each run of matching timesteps is one match. Matches are ranked by ``on`` (the mean fraction of the units on
over the run) times the likeness of its length to the query's (shorter / longer), then by position.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .errors import InputError
from .search import SpanScore
from .stream import spans, window

CONTEXT = 20  # tokens of context on each side


@dataclass(frozen=True)
class Match:
    start: int  # first timestep of the run
    end: int  # one past its last timestep
    score: float  # on x length likeness, in (0, 1]
    on: float  # mean fraction of the chosen units on over the run
    before: str  # up to CONTEXT tokens before the run, as text
    inside: str  # the run's tokens
    after: str  # up to CONTEXT tokens after it

    def __len__(self) -> int:
        return self.end - self.start


def on_counts(trace, units: Sequence[SpanScore]) -> np.ndarray:
    """(T,) int32: how many of ``units`` are on at each timestep."""
    groups: dict[tuple, list[SpanScore]] = defaultdict(list)
    for s in units:
        groups[(s.quantity, s.layer, s.reverse)].append(s)
    counts = np.zeros(len(trace), np.int32)
    for (quantity, layer, reverse), chosen in groups.items():
        idx = [s.unit for s in chosen]
        sign = np.array([s.sign for s in chosen], np.float64)  # (n,)
        cut = np.array([s.cut for s in chosen], np.float64)  # (n,)
        for a, b in spans(0, len(trace)):
            v = window(trace, quantity, layer, reverse, a, b, idx)  # (K, n)
            counts[a:b] += (sign * (v - cut) >= 0).sum(axis=1, dtype=np.int32)
    return counts


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def word_level(tokens) -> bool:
    """Whether tokens are words (any longer than one character) rather than characters."""
    return any(len(t) > 1 for t in tokens)


def context(tokens, start: int, end: int, n: int = CONTEXT, words: bool | None = None) -> tuple[str, str, str]:
    """The text before, inside and after timesteps [start, end): characters joined as they are, words with
    spaces (``<eos>`` as a newline)."""
    sep = " " if (word_level(tokens) if words is None else words) else ""

    def join(a, b):
        return sep.join("\n" if t == "<eos>" else t for t in tokens[max(a, 0):max(b, 0)])

    return join(start - n, start), join(start, end), join(end, end + n)


def match(trace, units: Sequence[SpanScore], query: tuple[int, int] | None = None, min_on: int | None = None,
          limit: int | None = 50, context_tokens: int = CONTEXT, include_query: bool = False) -> list[Match]:
    """The runs where at least ``min_on`` of ``units`` (default: all) are on, best first, ``limit`` of them.

    ``query``: the span searched (start, end); runs overlapping it are left out unless ``include_query``,
    and its length is the one matches are compared with (without a query, length does not count)."""
    units = list(units)
    if not units:
        raise InputError("choose at least one unit to match")
    n = len(units)
    min_on = n if min_on is None else int(min_on)
    if not 1 <= min_on <= n:
        raise InputError(f"min_on must lie in 1..{n}, not {min_on}")
    counts = on_counts(trace, units)
    found = []
    for a, b in _runs(counts >= min_on):
        if query is not None and not include_query and a < query[1] and b > query[0]:
            continue
        on = float(counts[a:b].mean()) / n
        like = 1.0 if query is None else min(b - a, query[1] - query[0]) / max(b - a, query[1] - query[0])
        found.append((on * like, a, b, on))
    found.sort(key=lambda f: (-f[0], f[1]))
    if limit is not None:
        found = found[:limit]
    tokens = trace.tokens
    words = word_level(tokens)
    return [Match(a, b, score, on, *context(tokens, a, b, context_tokens, words)) for score, a, b, on in found]
