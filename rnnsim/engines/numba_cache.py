"""numba's on-disk cache of rnnsim's kernels, made robust (the compiled CPU engine must
never be broken for good by its cache).

numba compiles the kernels once per machine and keeps them on disk (next to the source,
or in ``NUMBA_CACHE_DIR``); the first call in a process loads them. Three failures are
handled here, each with a :class:`KernelCacheWarning`:

* no cache location numba can write (``cannot cache function …: no locator
  available``): :func:`jit` compiles the kernel in memory instead (every process then
  pays the compilation, ~1 min);
* a cache of another version of the kernels: numba keys its cache by the source file's
  time stamp and size only, and does not see a change of an inlined helper in another
  file — :func:`ensure_fresh` keeps a hash of the kernel sources beside the cache and
  flushes every kernel's cache when it differs (before the first call in a process);
* a corrupted or unreadable cache (truncated or garbage index or data files, entries of
  another version of a kernel — EOFError, UnpicklingError, "expected N arguments", …):
  :func:`call` catches the failure of a kernel's first call in the process, flushes
  the cache of every kernel and helper (the index is rewritten empty, so they are
  recompiled and saved again) and retries; if that fails too, caching is bypassed
  (in-memory compilation) and the call retried once more;
* if even that fails, :class:`~rnnsim.errors.EngineUnavailable` is raised, and
  ``engine="auto"`` runs the job on the reference engine.

Concurrent first use by several processes is numba's own business (it writes cache files
atomically, and a reader that meets a half-written file takes the second path above).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import warnings

from numba import njit
from numba.core.caching import NullCache
from numba.core.dispatcher import Dispatcher

from ..errors import EngineUnavailable

KERNEL_MODULES = ("rnnsim.engines.wide", "rnnsim.engines.numba_kernels")
_verified: set = set()


class KernelCacheWarning(RuntimeWarning):
    """numba's cache of rnnsim's kernels could not be used; they are rebuilt or compiled in memory."""


def _warn(msg: str) -> None:
    warnings.warn(msg, KernelCacheWarning, stacklevel=3)


def jit(**opts):
    """``numba.njit(**opts)``; with ``cache=True`` and no cache location numba can use, the
    function is compiled in memory instead (with a warning)."""
    def deco(fn):
        try:
            return njit(**opts)(fn)
        except RuntimeError as e:
            if not opts.get("cache") or "cannot cache" not in str(e):
                raise
            _warn(f"numba cannot cache {fn.__qualname__} ({e}); rnnsim compiles its kernels in memory "
                  "(set NUMBA_CACHE_DIR to a writable directory to keep them)")
            return njit(**{**opts, "cache": False})(fn)
    return deco


def dispatchers(modules=KERNEL_MODULES):
    """Every numba dispatcher defined in ``modules``."""
    for name in modules:
        for v in vars(importlib.import_module(name)).values():
            if isinstance(v, Dispatcher):
                yield v


def flush(modules=KERNEL_MODULES) -> None:
    """Empty the cache index of every kernel (their next compilation is saved anew)."""
    for d in dispatchers(modules):
        try:
            d._cache.flush()
        except Exception:  # noqa: BLE001 - an index that cannot even be rewritten
            d._cache = NullCache()


def bypass(modules=KERNEL_MODULES) -> None:
    """Stop loading from or saving to the cache: compile in memory."""
    for d in dispatchers(modules):
        d._cache = NullCache()


_fresh: set = set()
HASH_FILE = "rnnsim-kernel-sources.sha256"


def ensure_fresh(modules=KERNEL_MODULES) -> None:
    """Flush every kernel's cache when the kernel sources differ from those it was built
    from (a hash of the modules' files, kept in the cache directory)."""
    key = tuple(modules)
    if key in _fresh:
        return
    _fresh.add(key)
    h = hashlib.sha256()
    for name in modules:
        with open(importlib.import_module(name).__file__, "rb") as fh:
            h.update(fh.read())
    digest = h.hexdigest()
    paths = {getattr(d._cache, "_cache_path", None) for d in dispatchers(modules)} - {None}
    for path in paths:
        stamp = os.path.join(path, HASH_FILE)
        try:
            with open(stamp) as fh:
                if fh.read().strip() == digest:
                    continue
        except OSError:
            pass
        flush(modules)
        try:
            os.makedirs(path, exist_ok=True)
            with open(stamp, "w") as fh:
                fh.write(digest + "\n")
        except OSError:
            pass


def call(kernel, *args, modules=KERNEL_MODULES):
    """``kernel(*args)``, repairing a cache that fails on the kernel's first call in this
    process (see the module docstring)."""
    if kernel in _verified:
        return kernel(*args)
    try:
        ensure_fresh(modules)
    except Exception:  # noqa: BLE001 - an unreadable cache directory: the guard below still applies
        pass
    try:
        out = kernel(*args)
    except Exception as e:  # noqa: BLE001 - a broken cache raises many kinds
        _warn(f"numba's cache of {getattr(kernel, '__name__', kernel)} could not be used "
              f"({type(e).__name__}: {e}); rebuilding it")
        flush(modules)
        try:
            out = kernel(*args)
        except Exception as e2:  # noqa: BLE001
            _warn(f"rebuilding numba's cache failed ({type(e2).__name__}: {e2}); compiling in memory")
            bypass(modules)
            try:
                out = kernel(*args)
            except Exception as e3:  # noqa: BLE001
                raise EngineUnavailable(
                    f"engine 'numba' could not compile its kernels ({type(e3).__name__}: {e3}); "
                    "use engine='reference' (engine='auto' does)") from e3
    _verified.add(kernel)
    return out
