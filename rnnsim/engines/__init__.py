"""Engine registry: ``reference`` (exact Python), ``numba`` (compiled CPU), ``cupy`` (GPU),
``native`` (per-network C for small float64 batches; chosen by name only, never by "auto").

``select_engine(program, arith, "auto")`` picks the fastest engine that is available on
this machine and runs the arithmetic exactly; naming an engine that cannot do so raises
:class:`~rnnsim.errors.UnsupportedFormat` — nothing silently falls back.

The "auto" policy: ``exact`` → reference (the only exact engine); small jobs (fewer than
``AUTO_MIN_WORK`` node-updates, where the reference finishes in a few seconds and loading
the compiled kernel would dominate) → reference; batches of ≥ ``AUTO_GPU_BATCH`` runs → cupy
when a GPU is usable and the format is accepted; otherwise numba when it accepts the
format (a fixed format too wide for it goes to the reference, which is exact — "auto"
chooses, it never computes less exactly); otherwise the reference.
"""

from __future__ import annotations

import importlib

from ..arith import Exact
from ..errors import UnsupportedFormat
from .base import Engine, Executor

_ENGINES = {
    "reference": ("rnnsim.engines.reference", "ReferenceEngine"),
    "numba": ("rnnsim.engines.numba_engine", "NumbaEngine"),
    "cupy": ("rnnsim.engines.cupy_engine", "CupyEngine"),
    "native": ("rnnsim.engines.native_engine", "NativeEngine"),
}
_cache: dict[str, Engine] = {}


def get_engine(name: str) -> Engine:
    if name not in _ENGINES:
        raise UnsupportedFormat(f"unknown engine {name!r}; choose one of {', '.join(_ENGINES)} or 'auto'")
    if name not in _cache:
        mod, cls = _ENGINES[name]
        try:
            _cache[name] = getattr(importlib.import_module(mod), cls)()
        except ImportError as e:
            raise UnsupportedFormat(f"engine {name!r} is not installed here: {e}") from None
    return _cache[name]


def available_engines() -> dict[str, str | None]:
    """name → None if usable here, else the reason."""
    out = {}
    for name in _ENGINES:
        try:
            out[name] = get_engine(name).available()
        except UnsupportedFormat as e:
            out[name] = str(e)
    return out


AUTO_MIN_WORK = 1_000_000       # node-updates (size × steps × batch); the reference does ~3e6/s (float64), ~3e5/s (fixed)
AUTO_GPU_BATCH = 4096


def select_engine(program, arith, engine: str = "auto", *, batch: int = 1, work: int | None = None) -> Engine:
    """The engine to run ``program`` in ``arith``; ``work`` = expected node-updates (None:
    unknown, treated as large)."""
    if engine != "auto":
        eng = get_engine(engine)
        why = eng.available()
        if why:
            raise UnsupportedFormat(f"engine {engine!r} is not available here: {why}")
        eng.check(program, arith)
        return eng
    if isinstance(arith, Exact) or (work is not None and 0 < work < AUTO_MIN_WORK):
        return get_engine("reference")
    order = ["cupy", "numba"] if batch >= AUTO_GPU_BATCH else ["numba"]
    for name in order:
        try:
            eng = get_engine(name)
        except UnsupportedFormat:
            continue
        if eng.available():
            continue
        try:
            eng.check(program, arith)
        except UnsupportedFormat:
            continue
        return eng
    return get_engine("reference")


__all__ = ["Engine", "Executor", "get_engine", "select_engine", "available_engines"]
