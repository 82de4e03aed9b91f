"""Driving the core's progress generators (they yield progress and return their result) without a GUI."""
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
