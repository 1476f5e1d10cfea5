"""Shared pytest setup: hypothesis profiles.

``tests/`` is a package (tests/__init__.py), so pytest puts the repository root — not
``tests/`` — on sys.path: a directory ``tests/rnnsim`` on sys.path would otherwise shadow
the real ``rnnsim`` package as a namespace package. Shared helpers are imported as
``from tests.strategies import networks``.

Profiles (select with HYPOTHESIS_PROFILE=…): ``default`` (no deadline: the first call of a
compiled engine may take seconds), ``ci`` (derandomized, same examples every run) and
``thorough`` (10× more examples, for ``pytest -m slow`` sessions or bug hunting).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("default", **_common)
settings.register_profile("ci", derandomize=True, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
