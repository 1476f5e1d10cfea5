"""Digests of everything a network build produces, to pin that speed work changes none of it.

For a network: its saved JSON (``rnnsim.io.dumps``: every transition, weight and initial
value), its lowered Program (every array with dtype and shape, the constant pool and the
initial values with their Python types) and its KernelPlans (every table) for float64 and
one fixed format, fused and unfused. The expected digests in
``tests/rnnsim/test_build_identity.py`` were computed by running this file as a script
against the code of an earlier revision (``git archive <rev> | tar -x -C DIR``;
``PYTHONPATH=DIR python tests/rnnsim/build_identity.py``), not by the code under test.
This module imports only names that revision has.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import fields

import numpy as np

FORMATS = (("float64", True), ("float64", False))


def _feed(h, value) -> None:
    if isinstance(value, np.ndarray):
        h.update(f"{value.dtype.str}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    else:
        h.update(repr(value).encode())   # ints and Fractions differ in repr: types are pinned
    h.update(b"|")


def program_digest(prog) -> str:
    h = hashlib.sha256()
    for f in fields(prog):
        h.update(f.name.encode())
        _feed(h, getattr(prog, f.name))
    return h.hexdigest()[:20]


def plan_digest(plan) -> str:
    h = hashlib.sha256()
    for f in fields(plan):
        h.update(f.name.encode())
        v = getattr(plan, f.name)
        _feed(h, sorted(v.items()) if isinstance(v, dict) else v)
    return h.hexdigest()[:20]


def network_digests(net, fixed: str) -> dict:
    import rnnsim
    from rnnsim.engines.kernel_plan import build_plan
    from rnnsim.io import dumps

    out = {"json": hashlib.sha256(dumps(net).encode()).hexdigest()[:20],
           "program": program_digest(net.program)}
    for fmt, fuse in FORMATS + ((fixed, True), (fixed, False)):
        plan = build_plan(net.program, rnnsim.parse_arithmetic(fmt), engine="numba", fuse=fuse)
        out[f"plan {fmt} {'fused' if fuse else 'unfused'}"] = plan_digest(plan)
    out["depth"] = net.depth
    return out


# (name, thunk building the network, fixed format for its plans)
def random_cases():
    from rnnsim.bench import netgen

    return {
        "random60": (lambda: netgen.random_network(60), "fixed:2:16"),
        "random400_seed3": (lambda: netgen.random_network(400, seed=3), "fixed:2:16"),
        "random3000_seed1_fan5": (lambda: netgen.random_network(3000, seed=1, fan_in=5, mix=(0.3, 0.3, 0.3, 0.1)),
                                  "fixed:2:20"),
        "deep_tau4_500": (lambda: netgen.deep_tau_gated(500, 4, seed=2), "fixed:2:16"),
    }


def catalogue_cases():
    from tests import catalog

    return {f"catalogue {name}": ((lambda name=name: catalog.build(name)), case.fixed)
            for name, case in catalog.CASES.items()}


def iterate_cases():
    import os

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "benchmarks"))
    from verify_cases import iterate_case

    return {"iterate k=2 round 3": ((lambda: iterate_case(3)[0]), "fixed:8:40")}


def big_cases():
    from rnnsim.bench import netgen

    return {"random100000": (lambda: netgen.random_network(100_000), "fixed:2:16")}


def all_digests(groups) -> dict:
    out = {}
    for group in groups:
        for name, (thunk, fixed) in group().items():
            out[name] = network_digests(thunk(), fixed)
    return out


if __name__ == "__main__":   # print the digests of the code on PYTHONPATH (see the module docstring)
    groups = [random_cases, catalogue_cases, iterate_cases] + ([big_cases] if "--big" in sys.argv else [])
    print(json.dumps(all_digests(groups), indent=1, sort_keys=True))
