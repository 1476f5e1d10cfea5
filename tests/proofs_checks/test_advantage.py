"""Next-k-token distinguishers and advantages (THEORY §3) on random instances."""

from __future__ import annotations

from fractions import Fraction
from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings

import rnnsim
from proofs_checks import advantage as adv
from proofs_checks import textdist as td
from tests.proofs_checks.strategies import instances, record


def _brute_force_A(p, q, d, k):
    """A_j straight from the definition, with callables only."""
    b, N = p.b, p.N
    M = N - k + 1
    docs = [tuple(int(t) for t in x) for x in rnnsim.all_documents(b, N)]
    out = []
    for j in range(1, M + 1):
        total = Fraction(0)
        for z in product(range(b), repeat=j - 1):
            pz = sum((px for x, px in zip(docs, p.probs) if x[: j - 1] == z), Fraction(0))
            if pz == 0:
                continue
            e_model = e_data = Fraction(0)
            for y in product(range(b), repeat=k):
                qy = Fraction(1)
                py = Fraction(1)
                for t in range(k):
                    qy *= q(z + y[:t])[y[t]]
                    py *= p.conditional(z + y[:t])[y[t]] if py else 0
                dv = d(j, z + y)
                e_model += qy * dv
                e_data += py * dv
            total += pz * (e_model - e_data)
        out.append(total)
    return out


@pytest.mark.lemma("§3 advantage")
@settings(max_examples=25, deadline=None)
@given(instances(exact=True, max_docs=81))
def test_advantage_equals_the_definition_exactly(inst):
    a = adv.advantage(inst.p, inst.q, inst.d, k=inst.k)
    want = _brute_force_A(inst.p, inst.q, inst.d, inst.k)
    record("THEORY §3 A_j = definition (exact)", 0 if a.A == want else -1)
    assert a.A == want
    assert a.alpha == sum(want, Fraction(0)) / (inst.N - inst.k + 1)


@pytest.mark.lemma("§3 advantage")
@settings(max_examples=30, deadline=None)
@given(instances(exact=True, max_docs=256))
def test_complement_flips_sign_and_offset_classes_partition_the_windows(inst):
    k, M = inst.k, inst.N - inst.k + 1
    a = adv.advantage(inst.p, inst.q, inst.d, k=k)
    c = adv.advantage(inst.p, inst.q, inst.d.complement(), k=k)
    assert c.A == [-v for v in a.A] and c.alpha == -a.alpha
    assert sorted(j for r in a.I for j in a.I[r]) == list(range(1, M + 1))
    assert all((j - r) % k == 0 for r in a.I for j in a.I[r])
    assert sum(a.n.values()) == M and sum(a.S.values()) == M * a.alpha
    # each per-window advantage is a difference of probabilities
    assert all(-1 <= v <= 1 for v in a.A) and all(0 <= v <= 1 for v in a.Q + a.P)


@pytest.mark.lemma("§3 advantage")
@settings(max_examples=20, deadline=None)
@given(instances(exact=True, max_docs=256))
def test_model_equal_to_data_has_zero_advantage(inst):
    a = adv.advantage(inst.p, inst.p.as_lm(), inst.d, k=inst.k)
    assert all(v == 0 for v in a.A)


def test_table_and_callable_forms_agree():
    rng = np.random.default_rng(5)
    d = adv.random_distinguisher(3, 2, 4, rng)
    fn = lambda j, x: d(j, x)  # noqa: E731
    t = adv.DistTable.from_callable(fn, 3, 2, 4)
    assert all((a == b).all() for a, b in zip(t.tables, d.tables))
    assert d(2, (0, 1, 2, 0)) == d(2, (0, 1, 2))
    with pytest.raises(adv.NotADistinguisher, match="at least"):
        d(3, (0, 1, 2))
    with pytest.raises(adv.NotADistinguisher, match="not 0 or 1"):
        adv.DistTable.from_callable(lambda j, x: 2, 2, 1, 2)


def _equal_pair_rnn():
    """k = 2: d(j, x) = 1 iff x_j == x_{j+1}; output at time m is [x_m == x_{m−1}]."""
    bld = rnnsim.Builder("eqpair", tau=1, alphabet=2)
    x = bld.input("x")
    prev = bld.node("prev", init=0)
    o = bld.node("o", init=0)
    bld.update(prev, x)
    bld.update(o, rnnsim.prod(x, prev) + rnnsim.prod(1 - x, 1 - prev))
    bld.output(o)
    bld.hidden(prev)
    return bld.build()


def test_distinguisher_from_rnn_reads_windows_at_their_ends():
    t = adv.distinguisher_from_rnn(_equal_pair_rnn(), 2, 5)
    for x in rnnsim.all_documents(2, 5):
        for j in range(1, 5):
            assert t(j, tuple(x)) == int(x[j - 1] == x[j])
    tf = adv.distinguisher_from_rnn(_equal_pair_rnn(), 2, 5, arithmetic="float64")
    assert all((a == b).all() for a, b in zip(t.tables, tf.tables))


def test_distinguisher_from_rnn_rejects_non_binary_output():
    bld = rnnsim.Builder("half", tau=1, alphabet=2)
    bld.input("x")
    o = bld.node("o", init=0)
    bld.update(o, rnnsim.Const(Fraction(1, 2)))
    bld.output(o)
    with pytest.raises(adv.NotADistinguisher, match="value 1/2 is not 0 or 1"):
        adv.distinguisher_from_rnn(bld.build(), 2, 3)


@pytest.mark.lemma("§3 advantage")
def test_advantage_accepts_callables_and_vectors_for_the_data():
    rng = np.random.default_rng(9)
    q = td.random_lm(2, 4, rng, exact=True)
    p = td.random_lm(2, 4, rng, exact=True)
    d = adv.random_distinguisher(2, 2, 4, rng)
    a = adv.advantage(p, q, d, k=2)
    assert adv.advantage(lambda x: p(x), q, d, k=2, b=2, N=4).A == a.A
    assert adv.advantage(p.text(), lambda x: q(x), lambda j, x: d(j, x), k=2, b=2, N=4).A == a.A
