"""LM RNNs of THEORY §4.7: every network equals its exact definition on every prefix of length
≤ 10 (exact arithmetic), its claims equal its counts, its hidden set passes the transplant
test; the definitions themselves are checked against independent brute force."""

from __future__ import annotations

import itertools
from fractions import Fraction

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import rnnsim
from constructions import models as M
from tests.constructions.model_checks import (
    assert_claims, lm_mismatches, rationals01, transplant_ok,
)

pytestmark = pytest.mark.lemma("§4.7 models")

TABLE3 = [Fraction(n, 9) for n in (1, 8, 4, 5, 0, 9, 3, 7)]       # order 3, includes 0 and 1


def lm_cases():
    return {
        "uniform": (M.uniform_lm(), M.uniform_q()),
        "uniform-b3-tau2": (M.uniform_lm(3, tau=2), M.uniform_q(3)),
        "markov0": (M.markov_lm(0, [Fraction(2, 7)]), M.markov_q(0, [Fraction(2, 7)])),
        "markov1": (M.markov_lm(1, {(0,): Fraction(1, 3), (1,): Fraction(5, 6)}),
                    M.markov_q(1, {(0,): Fraction(1, 3), (1,): Fraction(5, 6)})),
        "markov3": (M.markov_lm(3, TABLE3), M.markov_q(3, TABLE3)),
        "markov2-tau3": (M.markov_lm(2, TABLE3[:4], tau=3), M.markov_q(2, TABLE3[:4])),
        "motif-avoid": (M.motif_automaton_lm("110", "avoid"), M.motif_automaton_q("110", "avoid")),
        "motif-seek-tau2": (M.motif_automaton_lm("101", "seek", p=Fraction(4, 5), tau=2),
                            M.motif_automaton_q("101", "seek", p=Fraction(4, 5))),
        "motif-contain": (M.motif_automaton_lm("11", "contain", N=10),
                          M.motif_automaton_q("11", "contain", N=10)),
        "motif-avoid-noise": (M.motif_automaton_lm("0110", "avoid", noise=Fraction(1, 10)),
                              M.motif_automaton_q("0110", "avoid", noise=Fraction(1, 10))),
    }


CASES = lm_cases()


@pytest.mark.parametrize("case", sorted(CASES))
def test_lm_rnn_equals_definition_on_all_prefixes_up_to_10(case):
    """Binary: every prefix of length ≤ 10; b = 3: length ≤ 7."""
    net, q = CASES[case]
    assert lm_mismatches(net, q, 10 if net.alphabet == 2 else 7) == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_lm_from_rnn_recovers_a_valid_lm_equal_to_the_definition(case):
    """proofs_checks.textdist.lm_from_rnn (THEORY §6) validates that the recovered conditionals
    are a language model (nonnegative, summing to 1 on every prefix) and tabulates them."""
    from proofs_checks.textdist import LM, lm_from_rnn

    net, q = CASES[case]
    N = 10 if net.alphabet == 2 else 7
    got = lm_from_rnn(net, N)
    want = LM.from_callable(q, net.alphabet, N)
    assert got.exact and got.N == N
    for m in range(N):
        assert (got.levels[m] == want.levels[m]).all(), m


@pytest.mark.parametrize("case", ["markov3", "motif-seek-tau2", "motif-contain"])
def test_lm_rnn_float64_within_1e12_of_definition(case):
    net, q = CASES[case]
    assert lm_mismatches(net, q, 8, "float64", tol=1e-12) == []


def test_lm_rnn_with_dyadic_table_is_exact_in_fixed_format():
    tab = [Fraction(1, 4), Fraction(3, 8), Fraction(1, 2), Fraction(15, 16)]
    net = M.markov_lm(2, tab, tau=2)
    out = rnnsim.simulate_all(net, 7, rnnsim.Fixed(3, 8), raw=False)
    exact = rnnsim.simulate_all(net, 7, "exact", raw=False)
    assert (out == exact).all()


@pytest.mark.parametrize("case", sorted(CASES))
def test_lm_claims_equal_built_counts(case):
    assert_claims(CASES[case][0])


@pytest.mark.parametrize("case", sorted(CASES))
def test_lm_hidden_set_passes_transplant(case):
    rep = transplant_ok(CASES[case][0])
    assert rep.ok, str(rep)
    assert rep.comparisons > 0


def test_transplant_detects_a_hidden_set_missing_the_state():
    net, _ = CASES["markov3"]
    rep = transplant_ok(net, hidden=[h for h in net.hidden if h != "reg.2"])
    assert not rep.ok


def test_output_node_is_not_hidden_and_hidden_is_exactly_the_state():
    for name, (net, _) in CASES.items():
        assert net.output not in net.hidden, name
        assert all(h.startswith(("reg.", "st.", "clk.")) for h in net.hidden), name


def test_exact_definition_from_the_record_agrees_with_given_definition():
    for name, (net, q) in CASES.items():
        qq = M.exact_definition(net)
        for pre in itertools.product((0, 1), repeat=4):
            assert list(qq(pre)) == list(q(pre)), name


# ---- the definitions against hand values and brute force ----------------------------------

def test_markov_definition_pads_with_zero_and_reads_oldest_first():
    # order 2: table index = 2·x_{m−2} + x_{m−1}; contexts (0,0),(0,1),(1,0),(1,1)
    tab = [Fraction(1, 10), Fraction(2, 10), Fraction(3, 10), Fraction(4, 10)]
    q = M.markov_q(2, tab)
    assert q(()) == [Fraction(9, 10), Fraction(1, 10)]          # context (0, 0) by padding
    assert q((1,)) == [Fraction(8, 10), Fraction(2, 10)]        # context (0, 1)
    assert q((1, 0)) == [Fraction(7, 10), Fraction(3, 10)]      # context (1, 0)
    assert q((0, 0, 1, 1)) == [Fraction(6, 10), Fraction(4, 10)]
    assert M.markov_q(2, {(1, 0): Fraction(3, 10), (0, 0): 0, (0, 1): 0, (1, 1): 1})((0, 1, 0))[1] == Fraction(3, 10)


def _contains(s, motif):
    return "".join(map(str, motif)) in "".join(map(str, s))


def _prob(q, doc):
    p = Fraction(1)
    for m in range(len(doc)):
        p *= q(doc[:m])[doc[m]]
    return p


@pytest.mark.parametrize("motif,N", [("11", 6), ("101", 7), ("0010", 8)])
def test_contain_automaton_is_uniform_on_strings_containing_the_motif(motif, N):
    q = M.motif_automaton_q(motif, "contain", N=N)
    mot = tuple(int(c) for c in motif)
    docs = list(itertools.product((0, 1), repeat=N))
    good = [d for d in docs if _contains(d, mot)]
    for d in docs:
        assert _prob(q, d) == (Fraction(1, len(good)) if d in good else 0)


@pytest.mark.parametrize("motif", ["1", "11", "101", "0110"])
def test_avoid_automaton_never_completes_the_motif_and_is_uniform_over_safe_tokens(motif):
    q = M.motif_automaton_q(motif, "avoid")
    mot = tuple(int(c) for c in motif)
    for n in range(7):
        for pre in itertools.product((0, 1), repeat=n):
            if _contains(pre, mot):
                continue
            safe = [s for s in (0, 1) if not _contains(pre + (s,), mot)]
            assert q(pre) == [Fraction(int(s in safe), len(safe)) for s in (0, 1)]


def test_kmp_state_is_the_longest_motif_prefix_ending_the_text():
    for motif in ["1", "10", "110", "0101", "10011"]:
        mot = tuple(int(c) for c in motif)
        pfa = M.motif_pfa(motif, "seek")
        for n in range(8):
            for pre in itertools.product((0, 1), repeat=n):
                if _contains(pre, mot):
                    want = len(mot)
                else:
                    want = max(l for l in range(len(mot) + 1) if l <= n and pre[n - l:] == mot[:l])
                assert pfa.state(pre) == want


def test_pfa_sample_frequencies_match_the_lm():
    pfa = M.motif_pfa("10", "seek", p=Fraction(9, 10))
    docs = pfa.sample(20000, 3, seed=1)
    for pre in [(), (1,), (1, 1)]:
        rows = docs[(docs[:, :len(pre)] == pre).all(axis=1)]
        freq = rows[:, len(pre)].mean()
        assert abs(freq - float(pfa(pre)[1])) < 0.03


def test_pfa_trim_keeps_the_lm():
    pfa = M.PFA([[1, 2], [1, 1], [2, 0], [3, 3]],
                [[Fraction(1, 2)] * 2, [Fraction(1, 3), Fraction(2, 3)], [1, 0], [0, 1]])
    t = pfa.trim()
    assert t.n_states == 3
    for n in range(6):
        for pre in itertools.product((0, 1), repeat=n):
            assert t(pre) == pfa(pre)


@pytest.mark.parametrize("bad", [
    lambda: M.markov_lm(2, [Fraction(1, 2)] * 3),
    lambda: M.markov_lm(1, {(0,): Fraction(1, 2)}),
    lambda: M.markov_lm(1, [Fraction(3, 2), 0]),
    lambda: M.markov_lm(1, [0, 1], tau=0),
    lambda: M.PFA([[0, 0]], [[Fraction(1, 2), Fraction(1, 3)]]),
    lambda: M.PFA([[0, 1]], [[Fraction(1, 2), Fraction(1, 2)]]),
    lambda: M.motif_pfa("101", "contain"),
    lambda: M.motif_pfa("1x", "seek"),
])
def test_bad_model_parameters_raise_value_error(bad):
    with pytest.raises(ValueError):
        bad()


# ---- random instances --------------------------------------------------------------------------

@st.composite
def markov_tables(draw):
    order = draw(st.integers(0, 3))
    return order, [rationals01(draw, st) for _ in range(2 ** order)], draw(st.integers(1, 3))


@settings(max_examples=25)
@given(markov_tables())
def test_random_markov_table_rnn_equals_definition_on_all_prefixes(case):
    order, table, tau = case
    net = M.markov_lm(order, table, tau=tau)
    assert lm_mismatches(net, M.markov_q(order, table), 6) == []
    assert_claims(net)


@st.composite
def pfas(draw):
    n = draw(st.integers(1, 4))
    b = draw(st.integers(2, 3))
    delta = [[draw(st.integers(0, n - 1)) for _ in range(b)] for _ in range(n)]
    emit = []
    for _ in range(n):
        w = [draw(st.integers(0, 4)) for _ in range(b)]
        if sum(w) == 0:
            w[0] = 1
        emit.append([Fraction(v, sum(w)) for v in w])
    return M.PFA(delta, emit, draw(st.integers(0, n - 1))), draw(st.integers(1, 2))


@settings(max_examples=25)
@given(pfas())
def test_random_pfa_rnn_equals_definition_on_all_prefixes(case):
    pfa, tau = case
    net = M.pfa_lm(pfa, tau=tau)
    assert lm_mismatches(net, pfa, 5 if pfa.alphabet == 2 else 4) == []
    assert_claims(net)


@settings(max_examples=15)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=4), st.sampled_from(["avoid", "seek", "contain"]))
def test_random_motif_automaton_rnn_equals_definition(motif, mode):
    net = M.motif_automaton_lm(motif, mode, N=6)
    assert lm_mismatches(net, M.motif_automaton_q(motif, mode, N=6), 6) == []
    assert_claims(net)
