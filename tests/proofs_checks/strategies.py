"""Hypothesis strategies for random (p, q, d) instances and a worst-slack log.

Instances come from :func:`proofs_checks.instances.random_instance` with parameters drawn by
hypothesis (alphabet 2–3, N ≤ 8, k ≤ 4, a seed), so a failure is reproducible from the
printed ``Instance(b=…, N=…, k=…, seed=…)``. :func:`record` keeps the worst (smallest)
slack = bound − measured seen per statement; ``tests/proofs_checks/conftest.py`` prints the
table at the end of the run (``pytest -rA`` or the terminal summary).
"""

from __future__ import annotations

from hypothesis import note
from hypothesis import strategies as st

from proofs_checks.instances import random_instance

WORST: dict[str, tuple[float, int]] = {}


def informative(inst) -> bool:
    """d depends on some window given its prefix (otherwise every A_j = 0 and the Lemma 1
    bounds and gain are all 0: the slack 0 says nothing)."""
    return any((inst.d.window(j).min(axis=1) != inst.d.window(j).max(axis=1)).any()
               for j in range(1, inst.N - inst.k + 2))


def record(name: str, slack) -> None:
    """Log slack (bound − measured; ≥ 0 means the statement held) for ``name``."""
    s = float(slack)
    worst, n = WORST.get(name, (float("inf"), 0))
    WORST[name] = (min(worst, s), n + 1)
    note(f"{name}: slack {s:.3e}")


@st.composite
def instances(draw, *, exact: bool = True, max_docs: int = 256, b=None, N=None, k=None,
              min_N: int = 1, zero_fraction=None, prefix_dependent=None, floor=None):
    """(p, q, d) with b ∈ {2, 3}, 1 ≤ k ≤ min(4, N) ≤ N ≤ 8 and b^N ≤ max_docs."""
    b = draw(st.integers(2, 3)) if b is None else b
    top = 8
    while b ** top > max_docs:
        top -= 1
    N = draw(st.integers(min(min_N, top), top)) if N is None else N
    k = draw(st.integers(1, min(4, N))) if k is None else k
    seed = draw(st.integers(0, 2 ** 32 - 1))
    zf = draw(st.sampled_from([0.0, 0.0, 0.3, 0.7])) if zero_fraction is None else zero_fraction
    pd = draw(st.booleans()) if prefix_dependent is None else prefix_dependent
    inst = random_instance(seed=seed, b=b, N=N, k=k, exact=exact, zero_fraction=zf,
                           prefix_dependent=pd, floor=floor)
    note(repr(inst) + f" zero_fraction={zf} prefix_dependent={pd}")
    return inst
