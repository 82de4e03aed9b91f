"""Driving the core's progress generators (they yield progress and return their result) without a GUI, and
nesting one inside another's progress."""
from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

R = TypeVar("R")


def run_to_end(gen: Generator[object, None, R]) -> R:
    """Run a generator to its end, dropping what it yields; return what it returns."""
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def scaled(gen: Generator[float, None, R], lo: float, hi: float) -> Generator[float, None, R]:
    """Delegate to ``gen``, mapping its progress in [0, 1] onto [lo, hi] (a part of a longer job's progress);
    return what it returns (``yield from scaled(...)``). Closing it closes ``gen``."""
    try:
        while True:
            try:
                p = next(gen)
            except StopIteration as stop:
                return stop.value
            yield lo + (hi - lo) * float(p)
    finally:
        gen.close()
