"""The components of Equation (1.5) (Lemmas 7, 8, 9; THEORY §4.5) on one shared skeleton.

Exhaustively over all short documents, for k ∈ {1, 2, 3} and every offset r, with LMs and
distinguishers of equal and of different τ: at the end of every string n, u equals
q(s_n | x_{<j}) computed from the model's exact Python definition, v equals
e^{−η·d(j, x_{<j}s_n)} from the distinguisher's definition, and the two indicators equal
their definitions; the standalone networks do the same; hidden sets pass the transplant
test; claims equal counts."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction as Fr

import pytest

import rnnsim
from rnnsim.hidden import transplant_test
from constructions import models
from constructions.components import (
    block_indicators, components, distinguisher_exp, k_token_probability,
)
from constructions.records import record_of, schedule_of
from tests.constructions.pairs import PAIR_NAMES, pairs

pytestmark = pytest.mark.lemma("Lemma 7", "Lemma 8", "Lemma 9")

F = Fr(1, 3)   # e^{-η}, exact




def bits(n, k):
    return tuple((n >> (k - 1 - m)) & 1 for m in range(k))


def expected(q, d, x, i, n, k, sc, factor):
    """u, v, 1_num, 1_den for string n at position i, from the exact definitions."""
    j = sc.anchor(i)
    ell = i - j
    s = bits(n, k)
    z = tuple(x[:j - 1])
    u = Fr(1)
    for m in range(k):
        u *= Fr(q(z + s[:m])[s[m]])
    dv = d(j, z + s)
    v = factor if dv == 1 else Fr(1)
    num = int(s[:ell + 1] == tuple(x[j - 1:i]))
    den = int(s[:ell] == tuple(x[j - 1:i - 1]))
    return u, v, num, den


def record(net, x, times, names, arithmetic="exact"):
    tr = rnnsim.simulate(net, list(x), arithmetic, engine="reference", record=set(times), nodes=names)
    return {nm: dict(zip(tr.times, tr.values[nm])) for nm in names}


def check_components(C, lm, dist, docs, factor, arithmetic="exact"):
    sc = schedule_of(C)
    k = sc.k
    q, d = models.exact_definition(lm), models.exact_definition(dist)
    nd = record_of(C).nodes
    names = {k: getattr(nd, k) for k in ("u", "v", "num", "den") if getattr(nd, k) is not None}
    checks, bad = 0, []
    for x in docs:
        L = len(x)
        times = [sc.t_U(i, n) for i in range(1, L + 1) for n in range(2 ** k)]
        got = record(C, x, times, list(names.values()), arithmetic)
        for i in range(1, L + 1):
            if i < sc.r:
                continue
            for n in range(2 ** k):
                t = sc.t_U(i, n)
                want = expected(q, d, x, i, n, k, sc, factor)
                g = tuple(got[names[key]][t] for key in ("u", "v", "num", "den"))
                checks += 1
                ok = g == want if arithmetic == "exact" else all(abs(float(a) - float(b)) < 1e-12
                                                                for a, b in zip(g, want))
                if not ok:
                    bad.append((x, i, n, g, want))
    return checks, bad


def docs(n):
    return list(itertools.product((0, 1), repeat=n))


@pytest.mark.parametrize("k,r", [(k, r) for k in (1, 2, 3) for r in range(1, k + 1)])
@pytest.mark.parametrize("pair", PAIR_NAMES)
def test_u_v_and_indicators_equal_definitions_at_the_end_of_every_string(pair, k, r):
    lm, dist = pairs(k)[pair]
    C = components(lm, dist, k, r, N=8, factor=F)
    n = 4 if k < 3 else 3
    checks, bad = check_components(C, lm, dist, docs(n), F)
    assert not bad, bad[:3]
    assert checks == 2 ** n * (n - r + 1) * 2 ** k


def test_slower_network_sets_the_pace_and_the_faster_holds():
    lm, dist = pairs(2)["markov1_tau2+pattern"]
    C = components(lm, dist, 2, 1, N=6, factor=F)
    assert schedule_of(C).T == max(lm.tau, dist.tau) == 2
    lm3, d1 = pairs(2)["markov2+parity_tau3"][0], models.pattern_distinguisher(2, ["01"])
    C2 = components(lm3, d1, 2, 2, N=6, factor=F)
    assert schedule_of(C2).T == 1
    checks, bad = check_components(C2, lm3, d1, docs(4), F)
    assert not bad and checks


def test_components_in_float64_with_a_float_eta():
    lm, dist = pairs(2)["markov2+parity_tau3"]
    eta = 0.7
    C = components(lm, dist, 2, 2, N=6, eta=eta)
    factor = Fr(math.exp(-eta))
    checks, bad = check_components(C, lm, dist, docs(4), factor, arithmetic="float64")
    assert not bad and checks


@pytest.mark.lemma("Lemma 7")
@pytest.mark.parametrize("k,r", [(2, 2), (3, 3), (3, 2)])
def test_standalone_U_products_and_q_for_positions_before_r(k, r):
    lm = pairs(k)["markov2+parity_tau3"][0]
    U = k_token_probability(lm, k, r, N=8)
    sc = schedule_of(U)
    q = models.exact_definition(lm)
    for x in docs(4):
        out = rnnsim.simulate(U, list(x), "exact").outputs
        times = [sc.t_U(i, n) for i in range(1, 5) for n in range(2 ** k)]
        got = record(U, x, times, [U.output])[U.output]
        for i in range(1, 5):
            if i < r or sc.ell(i) <= k - 2:
                assert out[i - 1] == q(x[:i - 1])[x[i - 1]], (x, i)
            for n in range(2 ** k):
                want = expected(q, lambda j, y: 0, x, i, n, k, sc, F)[0]
                assert got[sc.t_U(i, n)] == want


@pytest.mark.lemma("Lemma 8")
def test_standalone_V():
    dist = models.motif_distinguisher(2, "11")
    V = distinguisher_exp(dist, 2, 1, N=6, factor=Fr(2, 7))
    sc = schedule_of(V)
    d = models.exact_definition(dist)
    for x in docs(4):
        got = record(V, x, [sc.t_U(i, n) for i in range(1, 5) for n in range(4)], [V.output])[V.output]
        for i in range(1, 5):
            j = sc.anchor(i)
            for n in range(4):
                assert got[sc.t_U(i, n)] == (Fr(2, 7) if d(j, tuple(x[:j - 1]) + bits(n, 2)) else 1)


@pytest.mark.lemma("Lemma 9")
@pytest.mark.parametrize("k,r,T", [(1, 1, 1), (2, 2, 3), (3, 1, 1)])
def test_standalone_indicators(k, r, T):
    I = block_indicators(k, r, N=7, T=T)
    sc = schedule_of(I)
    nd = record_of(I).nodes
    nodes = {"num": nd.num, "den": nd.den}
    for x in docs(4):
        times = [sc.t_U(i, n) for i in range(1, 5) for n in range(2 ** k)]
        got = record(I, x, times, [nodes["num"], nodes["den"]])
        for i in range(r, 5):
            j = sc.anchor(i)
            for n in range(2 ** k):
                s = bits(n, k)
                assert got[nodes["num"]][sc.t_U(i, n)] == int(s[:i - j + 1] == tuple(x[j - 1:i]))
                assert got[nodes["den"]][sc.t_U(i, n)] == int(s[:i - j] == tuple(x[j - 1:i - 1]))


def _standalones():
    lm, dist = pairs(2)["markov1_tau2+pattern"]
    return {
        "U": k_token_probability(lm, 2, 2, N=6),
        "V": distinguisher_exp(dist, 2, 1, N=6, factor=F),
        "I": block_indicators(3, 2, N=6),
        "all": components(lm, dist, 2, 1, N=6, factor=F),
        "all_k1": components(*pairs(1)["markov2+parity_tau3"], 1, 1, N=6, factor=F),
    }


@pytest.mark.parametrize("which", ["U", "V", "I", "all", "all_k1"])
def test_component_hidden_sets_pass_transplant_test(which):
    net = _standalones()[which]
    rep = transplant_test(net, [(1, 0, 1, 1), (0, 1, 1, 0)], seed=3)
    assert rep.ok, rep


@pytest.mark.parametrize("which", ["U", "V", "I", "all", "all_k1"])
def test_component_claims_equal_counts(which):
    net = _standalones()[which]
    m = net.claims
    assert (m.size, m.hidden_size, m.tau, m.depth) == (net.size, net.hidden_size, net.tau, net.depth)


def test_component_sizes_follow_the_lemmas_bounds():
    """|U| ≤ |R| + 2|H| + 2k + c, |H_U| ≤ |H| + 2k + c (Lemma 7), same for V (Lemma 8),
    |I| ≤ 2k + c (Lemma 9), with one c for every k and model."""
    for k in (1, 2, 3, 5):
        for lm, dist in pairs(k).values():
            U = k_token_probability(lm, k, 1, N=10)
            V = distinguisher_exp(dist, k, 1, N=10, factor=F)
            assert U.size <= lm.size + 2 * lm.hidden_size + 2 * k + 20
            assert U.hidden_size == lm.hidden_size + 2 * k + 15
            assert V.size <= dist.size + 2 * dist.hidden_size + 2 * k + 19
            assert V.hidden_size == dist.hidden_size + 2 * k + 15
        I = block_indicators(k, 1, N=10)
        assert I.size == 2 * k + 17 and I.hidden_size == 2 * k + 10
