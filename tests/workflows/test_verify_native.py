"""When verification runs the prefix tree on the native engine (workflows.verify,
``tree_wants_native``): under engine="auto", float64, a C compiler, and levels that numba would
spend in per-operation dispatch (long steps, few runs); the report is the same as numba's,
and a compiler that fails hands the work back to numba with a warning."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rnnsim import EngineUnavailable
from rnnsim.arith import parse_arithmetic
from rnnsim import engines
from rnnsim.engines import available_engines, native_engine
from tests import catalog
from workflows import verify as V

pytestmark = [pytest.mark.lemma("Lemma 2", "Lemma 3"),
              pytest.mark.skipif(available_engines()["native"] is not None, reason="no C compiler for 'native'")]

F64 = parse_arithmetic("float64")


class _Net:                       # what the policy reads of a network
    def __init__(self, tau, size, program=None):
        self.tau, self.size, self.program = tau, size, program


def test_the_policy_weighs_numba_dispatch_against_native_compiling():
    prog = catalog.build("boost_k2").program
    # numba ≈ N·τ·|R|·7e-8 s; native ≈ that / 8 + |R|·0.012 s; native when ≤ half of numba's
    assert V.tree_wants_native(_Net(211_110, 478, prog), F64, "numba", 6)          # iterate round 5
    assert not V.tree_wants_native(_Net(2_110, 213, prog), F64, "numba", 6)        # round 3: compiling dominates
    assert not V.tree_wants_native(_Net(54, 52, prog), F64, "numba", 20)           # the demo at N = 20
    # the boundary: N·τ = 0.012 / (0.375 · 7e-8) ≈ 457 143
    assert V.tree_wants_native(_Net(457_200, 100, prog), F64, "numba", 1)
    assert not V.tree_wants_native(_Net(457_000, 100, prog), F64, "numba", 1)
    for fmt in ("fixed:8:24", "exact"):
        assert not V.tree_wants_native(_Net(211_110, 478, prog), parse_arithmetic(fmt), "numba", 6)
    for chosen in ("reference", "cupy"):
        assert not V.tree_wants_native(_Net(211_110, 478, prog), F64, chosen, 6)


def test_without_a_compiler_the_policy_keeps_numba(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNSIM_CC", str(tmp_path / "no-such-cc"))
    assert not V.tree_wants_native(_Net(211_110, 478, catalog.build("boost_k2").program), F64, "numba", 6)


def _boosted():
    net = catalog.build("boost_k2")
    return net, catalog.CASES["boost_k2"].definition.q


def test_auto_on_the_native_engine_gives_numbas_report(monkeypatch):
    net, q = _boosted()
    want = V.verify(net, q, 4, engine="numba", workers=1, progress=False, keep_outputs=True)
    monkeypatch.setattr(engines, "AUTO_MIN_WORK", 0)          # a compiled engine even for this small job
    monkeypatch.setattr(V, "NATIVE_COMPILE_S", 0.0)          # compiling free: native is chosen at any size
    got = V.verify(net, q, 4, engine="auto", workers=1, progress=False, keep_outputs=True)
    assert got.engine == "native" and want.engine == "numba"
    assert got.result() == want.result() and got.ok
    assert (got.outputs == want.outputs).all()


def test_a_failing_compiler_hands_the_tree_to_numba(monkeypatch):
    net, q = _boosted()
    monkeypatch.setattr(engines, "AUTO_MIN_WORK", 0)
    monkeypatch.setattr(V, "NATIVE_COMPILE_S", 0.0)
    monkeypatch.setattr(V, "_EXECUTORS", {})

    def broken(src, flags):
        raise EngineUnavailable("engine 'native': the C compiler cc failed (exit status 1):\nno")
    monkeypatch.setattr(native_engine, "build_library", broken)
    monkeypatch.setattr(native_engine, "_KERNELS", type(native_engine._KERNELS)())
    with pytest.warns(RuntimeWarning, match=r"(?s)the C compiler cc failed .*; running on numba"):
        rep = V.verify(net, q, 4, engine="auto", workers=1, progress=False)
    assert rep.engine == "numba" and rep.ok
    with pytest.raises(EngineUnavailable, match="the C compiler cc failed"):
        V.verify(net, q, 4, engine="native", workers=1, progress=False)


def test_the_catalogue_definition_is_what_the_network_computes():
    """(The expectation used above is the catalogue's exact Lemma 2 chain, not the engine's output.)"""
    net, q = _boosted()
    assert isinstance(q((0, 1))[0], Fraction)
    assert V.verify(net, q, 4, engine="reference", workers=1, progress=False).ok
