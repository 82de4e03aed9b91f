"""Work-arounds for the Qt binding, applied by every package that draws with Qt (lstm_viz.app, lstm_viz.figures).

PySide6 6.12 on Python 3.11 gives back None, True or False from some calls (QGraphicsItem.setPos, signal
emission, ...) without taking a reference: 300 setPos calls drop None's reference count by 300. A long session
or a test suite then drives the count to zero and CPython aborts with "none_dealloc: deallocating None".
Python 3.12 made these objects immortal; on 3.11 we do the same by giving each a reference count no program can
use up (CPython keeps the count in the object's first field). Importing this module applies it once.
"""
import sys
from contextlib import contextmanager


def immortal_singletons() -> None:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    for obj in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(obj))
        if count.value < 1 << 40:
            count.value += 1 << 40


immortal_singletons()


@contextmanager
def blocked(*objects):
    """Block the objects' signals while the state updates a control (no feedback loop). Not
    QtCore.QSignalBlocker: as a context manager in PySide6 6.12 it under-counts references to None and
    eventually aborts the interpreter."""
    old = [o.blockSignals(True) for o in objects]
    try:
        yield
    finally:
        for o, was in zip(objects, old):
            o.blockSignals(was)
