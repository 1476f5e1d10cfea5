"""Building large acyclic structures with Python's cyclic garbage collector paused.

Expressions (THEORY §2.2), Programs and kernel plans are trees and tables of immutable
objects without reference cycles: reference counting frees them, and the cyclic collector
finds nothing in them. While one is built, though, every few hundred allocations start a
collection, and the full collections walk every object alive — on a 10^5-node network
(millions of expression objects) about half of build + lower + plan went into them.
:func:`gc_paused` switches the collector off for such a build and back on after (only if
it was on: nesting and a caller that turned it off are respected). The first collection
after the pause scans every object made during it that is still alive, so a build drops
its intermediate objects before the block ends (``gc.freeze()`` would skip the scan but
is not for a library: it takes every object of the process, the caller's too, out of
collection).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector for the ``with`` block (reference counting still
    frees everything that is not in a cycle)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


__all__ = ["gc_paused"]
