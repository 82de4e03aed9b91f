"""The Qt face of lstm_viz: views render core results; a worker runs core functions off the GUI thread."""
import sys


def _immortal_singletons() -> None:
    """Work around a reference-count bug in PySide6 6.12 on Python 3.11.

    Some PySide6 calls (QGraphicsItem.setPos, signal emission, ...) give back None, True or False without
    taking a reference. A long session (or a test suite) then drives their count to zero and CPython aborts
    with "none_dealloc: deallocating None". Python 3.12 made these objects immortal; on 3.11 we do the same by
    giving each a reference count no program can use up. CPython keeps the count in the object's first field.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    for obj in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(obj))
        if count.value < 1 << 40:
            count.value += 1 << 40


_immortal_singletons()
