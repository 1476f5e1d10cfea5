"""Running a batch's parts at once on Python threads (THEORY §8: the compiled engines share
one step's work for a batch between the cores).

Statement: ``run_parts(fn, n, parts)`` calls ``fn(lo, hi)`` on ``parts`` contiguous pieces
of ``0 … n − 1`` (as equal as integers allow), the first on the calling thread and the
others on one shared thread pool, waits for all of them and re-raises the first error.
The compiled kernels release the GIL and write disjoint runs, so the pieces run in
parallel and the result does not depend on ``parts``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["run_parts"]

_POOL: ThreadPoolExecutor | None = None
_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    global _POOL
    with _LOCK:
        if _POOL is None or _POOL._max_workers < workers:
            old, _POOL = _POOL, ThreadPoolExecutor(workers, thread_name_prefix="rnnsim-engine")
            if old is not None:
                old.shutdown(wait=False)
        return _POOL


def run_parts(fn, n: int, parts: int) -> None:
    """``fn(lo, hi)`` over ``0 … n − 1`` in up to ``parts`` contiguous pieces at once."""
    parts = max(1, min(int(parts), int(n)))
    if parts == 1:
        fn(0, n)
        return
    cut = [n * i // parts for i in range(parts + 1)]
    futures = [_pool(parts - 1).submit(fn, cut[i], cut[i + 1]) for i in range(1, parts)]
    try:
        fn(cut[0], cut[1])
    finally:
        for fu in futures:
            fu.result()
