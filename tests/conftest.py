"""Shared pytest setup: hypothesis profiles, and compiled kernels loaded before timing.

``tests/`` is a package (tests/__init__.py), so pytest puts the repository root — not
``tests/`` — on sys.path: a directory ``tests/rnnsim`` on sys.path would otherwise shadow
the real ``rnnsim`` package as a namespace package. Shared helpers are imported as
``from tests.strategies import networks``.

Profiles (select with HYPOTHESIS_PROFILE=…):

* ``ci`` — the default: derandomized (the same examples every run, no example database),
  with a per-example deadline of :data:`CI_DEADLINE`, so every run of the suite is
  bounded and reproducible. Together with the bounded generators (tests/strategies.py)
  and the exact size limit of the engines, no example can run away.
* ``random`` — fresh random examples every run (bug hunting, the 20-seed soak), no deadline;
* ``thorough`` — 10× more examples (``pytest -m slow`` sessions), no deadline.

The numba kernels are loaded (or compiled, ~30 s on a cold cache) by an autouse fixture
before the first test of an engine module, so a deadline never counts compilation.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings

CI_DEADLINE = timedelta(seconds=20)

_common = dict(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", derandomize=True, database=None, deadline=CI_DEADLINE, **_common)
settings.register_profile("random", deadline=None, **_common)
settings.register_profile("thorough", max_examples=1000, deadline=None, **_common)
settings.register_profile("default", deadline=None, **_common)     # the old name of "random"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_KERNELS_LOADED = False


@pytest.fixture(autouse=True)
def _compiled_kernels_loaded(request):
    """Load the numba kernels once, before the first test of a module that uses them."""
    global _KERNELS_LOADED
    if not _KERNELS_LOADED and ("engines" in request.node.nodeid or "catalog" in request.node.nodeid):
        _KERNELS_LOADED = True
        import rnnsim

        b = rnnsim.Builder("warm")
        x = b.input("x")
        y = b.node("y", init=1)
        b.update(y, rnnsim.recip(rnnsim.relu(y) + 1) * x + y * y)     # every kernel op kind
        b.output(y)
        net = b.build()
        for fmt in ("float64", "fixed:4:8"):
            rnnsim.simulate_batch(net, [[1, 0]], fmt, engine="numba")
    yield
