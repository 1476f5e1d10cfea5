"""Bit size round by round (constructions.lemma12; paper: Lemma 12, Claims 9–10, Lemmas 13–15):
the shared-error ratio lemma (random instances, and an instance where it is attained), the
Claim 10 recursion against hand-computed numbers, soundness of every node's range and error
against exact and fixed-point simulation at every time, μ by Lemma 15 against the exact
Lemma 2 chain, the automatic assumptions on round 2 (which used to need hand input), cost and
bits that do not depend on N, and rounds up to 5 (k = 2) / 4 (k = 3) without manual input."""

from __future__ import annotations

from fractions import Fraction as F

import hypothesis.strategies as st
import pytest
from hypothesis import assume, given, settings

import rnnsim
from constructions import bitsize, boosting, lemma12, models
from constructions.lemma12 import choose_format, counter_ranges, output_errors, ratio_bound, summarize
from constructions.schedule import Schedule
from proofs_checks.boost import boosted_conditional
from proofs_checks.lm import LM as TableLM
from rnnsim import ConstructionError, Fixed
from rnnsim.analysis import INF

pytestmark = pytest.mark.lemma("Lemma 12", "Claim 10")

LM = models.markov_lm(1, [F(1, 3), F(3, 4)])


def _dists(k):
    return [models.pattern_distinguisher(k, ["1" * k, "0" * k]), models.pattern_distinguisher(k, ["0" * (k - 1) + "1"])]


def chain(k, rounds, N, w=F(3, 4)):
    ds = _dists(k)
    return boosting.iterate(LM, [ds[t % 2] for t in range(rounds)], k=k, rs=[1 + t % k for t in range(rounds)],
                            factors=[w] * rounds, N=N)


# ---- the shared-error ratio lemma ------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4).flatmap(lambda c: st.tuples(
    st.just(c), st.lists(st.fractions(F(1, 100), 1), min_size=2 * c, max_size=2 * c),
    st.lists(st.fractions(-1, 1), min_size=2 * c, max_size=2 * c), st.fractions(F(0), F(1, 100)))))
def test_ratio_of_sums_with_shared_errors_is_within_the_bound(inst):
    c, a, sgn, eps = inst
    n, d = sum(a[:c]), sum(a)                       # S_n = the first c terms, S_d = all 2c
    assume(d > 2 * c * eps)                         # the lemma's hypothesis m > c_d·ε
    at = [x + s * eps for x, s in zip(a, sgn)]      # |ε_s| ≤ ε, the same ε_s in both sums
    nt, dt = sum(at[:c]), sum(at)
    assert abs(nt / dt - n / d) <= ratio_bound(c, 2 * c, eps, d)


@settings(max_examples=30, deadline=None)
@given(st.fractions(F(1, 10 ** 4), F(1, 20)), st.fractions(F(1, 2), 1))
def test_relative_recursion_bounds_the_worst_ratio_error(rho, w):
    """k = 1, R's output with relative error ≤ ρ only (no absolute part, exact grid): the two
    terms t_x = u_x·v_x of Lemma 2's ratio t_1/(t_0 + t_1) carry relative errors up to ρ, and
    the worst perturbation (t_1 up, t_0 down, or the reverse) moves the ratio q by exactly
    q(1±ρ)/(q(1±ρ) + (1−q)(1∓ρ)) − q (a little above ρ/2 just below q = 1/2); the relative form
    of Claim 10's recursion must cover it for every q (the grid 0.4, 0.4025, …, 0.6 around the
    maximum; f(q) = 2ρq(1−q)/(1 ± ρ(2q−1)) is smaller outside)."""
    got = lemma12._relative_round(1, w, F(1, 20), F(2, 5), rho, F(0), F(0), F(0))
    assert got is not None
    worst = max(abs(x * (1 + s * rho) / (x * (1 + s * rho) + (1 - x) * (1 - s * rho)) - x)
                for x in (F(j, 400) for j in range(160, 241)) for s in (1, -1))
    assert got[2] >= worst


def test_ratio_bound_is_attained():
    a = [F(1, 5), F(1, 10), F(1, 4), F(1, 20)]      # c_n = 2, c_d = 4
    eps = F(1, 1000)
    at = [a[0] + eps, a[1] + eps, a[2] - eps, a[3] - eps]
    n, d = sum(a[:2]), sum(a)
    got = sum(at[:2]) / sum(at) - n / d
    assert got == 2 * eps / sum(at)                 # = c_n·ε/d̃: the identity's bound, attained
    assert got <= ratio_bound(2, 4, eps, d) <= got * d / (d - 4 * eps)


def _up_to_rounding(got, want):
    """``got`` is ``want`` rounded up to 64 significant bits (the analysis keeps rationals short)."""
    return want <= got <= want * (1 + F(1, 2 ** 62))


def test_claim10_round_matches_the_hand_computation():
    """k = 1: u = õ (e_u = e_R), ε = (O + e_u)·e_v + e_u + u, e_0 = ε/(w − 2ε) + (1 + ε)u + u."""
    e_R, e_v, u, w, O, mu = F(1, 64), F(1, 128), F(1, 256), F(1, 2), F(3, 4), F(1, 4)
    got = output_errors(1, w, mu, O, e_R, e_v, u)
    eps = (O + e_R) * e_v + e_R + u
    assert got["e_u"] == e_R and _up_to_rounding(got["eps"], eps)
    assert _up_to_rounding(got["e_ell"][0], got["eps"] / (w - 2 * got["eps"]) + (1 + got["eps"]) * u + u)
    assert _up_to_rounding(got["e_ell"][0], eps / (w - 2 * eps) + (1 + eps) * u + u) or \
        got["e_ell"][0] - (eps / (w - 2 * eps) + (1 + eps) * u + u) < F(1, 2 ** 60)
    assert got["e_out"] <= max(e_R, got["e_ell"][0])
    # k = 2: a_2 = (O + e_R)e_R + O e_R + u; ℓ = 1 has c_n = 1, c_d = 2 and m = w·μ
    got2 = output_errors(2, w, mu, O, e_R, e_v, u)
    a2 = (O + e_R) * e_R + O * e_R + u
    eps2 = (O ** 2 + a2) * e_v + a2 + u
    assert _up_to_rounding(got2["e_u"], a2)
    e = got2["eps"]
    assert _up_to_rounding(e, eps2) or 0 <= e - eps2 < F(1, 2 ** 60)
    assert _up_to_rounding(got2["e_ell"][1], e / (w * mu - 2 * e) + (1 + e) * u + u)
    assert _up_to_rounding(got2["e_ell"][0], 2 * e / (w - 4 * e) + (1 + 2 * e) * u + u)


# ---- soundness against simulation ---------------------------------------------------------------

def _check_sound(net, N, fracs, docs=3):
    exact = [(list(d), rnnsim.simulate(net, list(d), "exact", "reference", record="all"))
             for d in rnnsim.all_documents(2, N)[:: max(1, 2 ** N // docs)]]
    for f in fracs:
        s = summarize(net, Fixed(62, f))
        # a coarse grid may leave the ratio's denominator unbounded below (m ≤ c_d·ε): the
        # output bound is then ∞ (sound, vacuous) — never at the finest grid of the test
        assert s.out_err != INF or f < max(fracs), (f, s.out_err)
        for d, tr in exact:
            fx = rnnsim.simulate(net, d, Fixed(30, f), "reference", record="all")
            for n in net.nodes:
                v = s.values[n]
                for x, y in zip(tr.values[n], fx.values[n]):
                    assert v.lo <= x <= v.hi and abs(x - y) <= v.err, (n, f, x, y, v)
            for x, y in zip(tr.outputs, fx.outputs):
                assert abs(x - y) <= s.out_err


@pytest.mark.parametrize("k,rounds", [(1, 2), (2, 1)])
def test_every_node_stays_within_its_range_and_error(k, rounds):
    net = chain(k, rounds, k + 2)[-1]
    _check_sound(net, k + 2, [8, 12])


@pytest.mark.slow
@pytest.mark.parametrize("k,rounds,w", [(2, 2, F(3, 4)), (3, 1, F(1, 2)), (2, 2, F(1, 5)), (1, 3, F(2, 3))])
def test_every_node_stays_within_its_range_and_error_slow(k, rounds, w):
    net = chain(k, rounds, k + 2, w)[-1]
    _check_sound(net, k + 2, [9, 14, 20], docs=4)


def test_counter_ranges_are_the_schedules_extremes():
    for k, T, r, N in ((1, 1, 1, 4), (2, 20, 2, 6), (3, 2, 1, 7)):
        s = Schedule(k, T, r, N)
        vals = [s.counter_values(t) for t in range((s.cap + 2) * s.tau_S)]
        for name, (lo, hi) in counter_ranges(s).items():
            seen = [v[name] for v in vals]
            assert (min(seen), max(seen)) == (lo, hi), name


# ---- μ (Lemma 15), the automatic assumptions ---------------------------------------------------

@pytest.mark.lemma("Lemma 15")
def test_mu_follows_lemma_15_and_bounds_the_exact_chain():
    k, N = 2, 5
    nets = chain(k, 2, N)
    q = TableLM.from_outputs(rnnsim.simulate_all(LM, N, "exact"), 2)
    ds = _dists(k)
    mu = bitsize.lm_min_prob(LM)
    for t, net in enumerate(nets):
        q = boosted_conditional(q, models.exact_definition(ds[t % 2]), k=k, r=1 + t % k, factor=F(3, 4), N=N).table()
        got = bitsize.lm_min_prob(net)
        assert got == F(3, 4) * mu                   # μ' = e^-η·μ exactly
        assert got <= min(min(lv.reshape(-1)) for lv in q.levels)
        mu = got


def test_round_two_needs_no_manual_input():
    """Used to fail: lm_min_prob returned 0 and boosted_assumptions raised on round 2."""
    net = chain(2, 2, 6)[-1]
    assert bitsize.lm_min_prob(net) > 0
    assume = bitsize.boosted_assumptions(net)
    # w·μ_R^{k−1} with μ_R = w·μ_0 and μ_0 = min(1/3, 2/3, 3/4, 1/4) = 1/4 (Lemma 15)
    assert assume["recip_floor"][net.output] == F(3, 4) * F(3, 4) * F(1, 4)
    ch = bitsize.choose_format(net, F(1, 2 ** 12))
    assert ch.analysis.output_error <= F(1, 2 ** 12)


def test_zero_probability_lm_is_refused_with_its_reason():
    avoid = models.motif_automaton_lm("11", "avoid", p=F(2, 3))
    net = boosting.boost(avoid, _dists(2)[0], k=2, r=1, factor=F(1, 2), N=4)
    with pytest.raises(ConstructionError, match="μ = 0"):
        summarize(net, Fixed(62, 20))


# ---- cost and bits independent of N, rounds without manual input -----------------------------

def test_cost_and_bits_do_not_depend_on_N():
    small, big = chain(2, 2, 6)[-1], chain(2, 2, 12)[-1]
    a, b = summarize(small, Fixed(62, 20)), summarize(big, Fixed(62, 20))
    assert a.iterated == b.iterated                        # the same nodes are iterated
    assert a.out_err == b.out_err and a.mu == b.mu
    bits_a, bits_b = a.node_bits(), b.node_bits()
    assert {n: v for n, v in bits_a.items() if not n.endswith("cnt.p")} == \
        {n: v for n, v in bits_b.items() if not n.endswith("cnt.p")}
    assert choose_format(small, F(1, 2 ** 12)).fixed == choose_format(big, F(1, 2 ** 12)).fixed


@pytest.mark.parametrize("k,rounds", [(2, 3)])
def test_rounds_are_analysed_without_manual_input(k, rounds):
    for net in chain(k, rounds, 6):
        ch = choose_format(net, F(1, 2 ** 12))
        assert ch.summary.out_err <= F(1, 2 ** 12) and ch.fixed.int_bits >= (net.tau // (2 ** k + 1) // k - 1).bit_length()


@pytest.mark.slow
@pytest.mark.parametrize("k,rounds", [(2, 5), (3, 4)])
def test_rounds_are_analysed_without_manual_input_slow(k, rounds):
    for net in chain(k, rounds, 6):
        ch = choose_format(net, F(1, 2 ** 12))
        assert ch.summary.out_err <= F(1, 2 ** 12)
        P = net.tau // ((2 ** k + 1) * k)
        assert ch.fixed.int_bits >= (P - 1).bit_length()     # the slot counter's bits at least
        assert lemma12.summarize(net, ch.fixed).int_bits == ch.fixed.int_bits
