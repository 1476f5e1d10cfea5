"""The networks a boosted network was built from, recovered from the network itself
(constructions.unboost; paper: Lemma 3 with Lemma 10): the rebuilt R and D compute exactly
what the originals compute — every node at every time, in exact and in fixed-point
arithmetic — for boost and boost_simple, k = 1…3, after a save/load round trip, and a
network not built by boost is refused."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

import rnnsim
from constructions import boosting, models
from constructions.unboost import parts
from rnnsim import ConstructionError, Fixed

pytestmark = pytest.mark.lemma("Lemma 3", "Lemma 12")

LM = models.markov_lm(1, [F(1, 3), F(3, 4)])
PFA = models.motif_automaton_lm("11", "avoid", p=F(2, 3), noise=F(1, 5))


def _same_everywhere(a, b, N, docs=3):
    """a and b (same node names) hold the same values at every time, exact and fixed."""
    assert set(a.nodes) - set(a.inputs) == set(b.nodes) - set(b.inputs)
    assert a.tau == b.tau and a.output == b.output
    for arith in ("exact", Fixed(12, 10)):
        assert (rnnsim.simulate_all(a, N, arith, "reference") == rnnsim.simulate_all(b, N, arith, "reference")).all()
    for d in rnnsim.all_documents(2, N)[:: max(1, 2 ** N // docs)]:
        ta = rnnsim.simulate(a, list(d), Fixed(12, 10), "reference", record="all")
        tb = rnnsim.simulate(b, list(d), Fixed(12, 10), "reference", record="all")
        for n in a.transitions:
            assert ta.values[n] == tb.values[n], n


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("simple", [False, True])
def test_parts_of_round_one_are_the_lm_and_the_distinguisher(k, simple):
    D = models.pattern_distinguisher(k, ["1" * k, "0" + "1" * (k - 1)])
    net = (boosting.boost_simple if simple else boosting.boost)(LM, D, k=k, r=1, factor=F(2, 3), N=k + 2)
    R, D2 = parts(net)
    _same_everywhere(R, LM, k + 2)
    _same_everywhere(D2, D, k + 2)
    assert R.role == LM.role and D2.role == D.role
    assert R.construction == LM.construction and D2.construction == D.construction


def test_parts_of_round_two_rebuild_round_one_and_survive_save_load(tmp_path):
    D = models.pattern_distinguisher(2, ["11"])
    r1, r2 = boosting.iterate(PFA, [D, D], k=2, rs=[1, 2], factors=[F(3, 4), F(1, 2)], N=4)
    path = tmp_path / "r2.json"
    rnnsim.save(r2, path)
    R1, D2 = parts(rnnsim.load(path))
    _same_everywhere(R1, r1, 4, docs=2)
    assert R1.hidden_size == r1.hidden_size and set(R1.hidden) == set(r1.hidden)
    R0, _ = parts(R1)                               # and one level further down
    assert (rnnsim.simulate_all(R0, 4, "exact") == rnnsim.simulate_all(PFA, 4, "exact")).all()


def test_parts_refuses_a_network_not_built_by_boost():
    with pytest.raises(ConstructionError, match="not by boosting.boost"):
        parts(LM)
