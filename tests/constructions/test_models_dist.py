"""Distinguisher RNNs of THEORY §4.7: every network matches its definition on every window of
every document up to N = 10 (exact, and in a Fixed format), claims equal counts, hidden
sets pass the transplant test; the definitions are checked against independent oracles."""

from __future__ import annotations

import itertools

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import rnnsim
from constructions import models as M
from tests.constructions.model_checks import assert_claims, dist_mismatches, transplant_ok

pytestmark = pytest.mark.lemma("§4.7 models")


def dist_cases():
    return {
        "pattern3": (M.pattern_distinguisher(3, ["101", "000", "110"]), M.pattern_d(3, ["101", "000", "110"]), 3),
        "pattern1": (M.pattern_distinguisher(1, ["1"]), M.pattern_d(1, ["1"]), 1),
        "pattern-empty": (M.pattern_distinguisher(2, []), M.pattern_d(2, []), 2),
        "pattern4-tau3": (M.pattern_distinguisher(4, ["0110", "1111"], tau=3), M.pattern_d(4, ["0110", "1111"]), 4),
        "motif4-11": (M.motif_distinguisher(4, "11"), M.motif_d(4, "11"), 4),
        "motif3-101": (M.motif_distinguisher(3, "101"), M.motif_d(3, "101"), 3),
        "motif5-0-tau2": (M.motif_distinguisher(5, "0", tau=2), M.motif_d(5, "0"), 5),
        "parity1": (M.parity_distinguisher(1), M.parity_d(1), 1),
        "parity4": (M.parity_distinguisher(4), M.parity_d(4), 4),
        "parity3-tau2": (M.parity_distinguisher(3, tau=2), M.parity_d(3), 3),
        "repeat1": (M.repeat_distinguisher(1), M.repeat_d(1), 1),
        "repeat3": (M.repeat_distinguisher(3), M.repeat_d(3), 3),
        "repeat2-tau2": (M.repeat_distinguisher(2, tau=2), M.repeat_d(2), 2),
        "bracket2-cap5": (M.bracket_distinguisher(2, 5), M.bracket_d(2, 5), 2),
        "bracket3-cap2": (M.bracket_distinguisher(3, 2), M.bracket_d(3, 2), 3),
        "bracket1-cap3-tau3": (M.bracket_distinguisher(1, 3, tau=3), M.bracket_d(1, 3), 1),
    }


CASES = dist_cases()


@pytest.mark.parametrize("case", sorted(CASES))
def test_distinguisher_rnn_matches_definition_on_every_window_up_to_10(case):
    net, d, k = CASES[case]
    assert net.role == rnnsim.DistinguisherRole(k)
    assert dist_mismatches(net, d, k, 10) == []


@pytest.mark.parametrize("case", ["pattern4-tau3", "motif4-11", "parity4", "repeat3", "bracket3-cap2"])
def test_distinguisher_is_exact_in_a_fixed_format_and_float64(case):
    net, d, k = CASES[case]
    assert dist_mismatches(net, d, k, 8, rnnsim.Fixed(4, 4)) == []
    assert dist_mismatches(net, d, k, 8, "float64") == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_distinguisher_claims_equal_built_counts(case):
    assert_claims(CASES[case][0])


@pytest.mark.parametrize("case", sorted(CASES))
def test_distinguisher_hidden_set_passes_transplant(case):
    rep = transplant_ok(CASES[case][0], N=8)
    assert rep.ok, str(rep)
    assert rep.comparisons > 0


@pytest.mark.parametrize("case", ["repeat3", "bracket2-cap5", "parity3-tau2"])
def test_transplant_detects_a_hidden_set_missing_one_state_node(case):
    net = CASES[case][0]
    assert not transplant_ok(net, N=8, hidden=net.hidden[1:]).ok


def test_exact_definition_from_the_record_agrees_with_given_definition():
    for name, (net, d, k) in CASES.items():
        dd = M.exact_definition(net)
        for x in itertools.product((0, 1), repeat=k + 3):
            for j in range(1, 5):
                assert dd(j, x) == d(j, x), name


# ---- the definitions against independent oracles --------------------------------------------

def _s(bits):
    return "".join(map(str, bits))


def test_definitions_against_string_oracles():
    for x in itertools.product((0, 1), repeat=9):
        s = _s(x)
        for k in (1, 2, 3, 4):
            for j in range(1, 9 - k + 2):
                w = s[j - 1:j - 1 + k]
                assert M.parity_d(k)(j, x) == w.count("1") % 2
                assert M.motif_d(k, "1")(j, x) == ("1" in w)
                assert M.pattern_d(k, ["1" * k])(j, x) == (w == "1" * k)
                assert M.repeat_d(k)(j, x) == (j > k and s[j - 1 - k:j - 1] == w)


def _balanced(s: str) -> bool:
    """Balanced iff removing '10' pairs ('()' with 1 = '(') repeatedly empties the string."""
    while "10" in s:
        s = s.replace("10", "")
    return s == ""


def _max_depth(s: str) -> int:
    d = best = 0
    for c in s:
        d += 1 if c == "1" else -1
        best = max(best, d)
    return best


def test_bracket_definition_is_the_balanced_prefix_check():
    for n in range(1, 11):
        for x in itertools.product((0, 1), repeat=n):
            s = _s(x)
            for k in (1, 2):
                if n < k:
                    continue
                j = n - k + 1
                assert M.bracket_d(k)(j, x) == _balanced(s)
                assert M.bracket_d(k, 2)(j, x) == (_balanced(s) and _max_depth(s) <= 2)


def test_bracket_rnn_with_cap_half_n_is_the_unbounded_check_up_to_10():
    net = M.bracket_distinguisher(2, 5)
    assert dist_mismatches(net, M.bracket_d(2, None), 2, 10) == []


def test_repeat_is_zero_while_there_is_no_full_previous_window():
    k = 3
    net = M.repeat_distinguisher(k)
    out = rnnsim.simulate_all(net, 2 * k, "exact")
    # windows starting at j ≤ k end at m = j + k − 1 ≤ 2k − 1, e.g. the all-zero document
    assert (out[:, k - 1:2 * k - 1] == 0).all()
    assert out[0, 2 * k - 1] == 1          # 000000: the second window repeats the first


@pytest.mark.parametrize("bad", [
    lambda: M.pattern_distinguisher(3, ["10"]),
    lambda: M.pattern_distinguisher(0, []),
    lambda: M.motif_distinguisher(2, "101"),
    lambda: M.motif_distinguisher(3, ""),
    lambda: M.bracket_distinguisher(2, 0),
    lambda: M.parity_distinguisher(2, tau=-1),
    lambda: M.pattern_d(2, ["11"])(2, (0, 1)),
])
def test_bad_distinguisher_parameters_raise_value_error(bad):
    with pytest.raises(ValueError):
        bad()


# ---- random instances --------------------------------------------------------------------------

@st.composite
def pattern_sets(draw):
    k = draw(st.integers(1, 4))
    pats = draw(st.sets(st.tuples(*[st.integers(0, 1)] * k), max_size=2 ** k))
    return k, sorted(pats), draw(st.integers(1, 2))


@settings(max_examples=25)
@given(pattern_sets())
def test_random_pattern_set_distinguisher_matches_definition(case):
    k, pats, tau = case
    net = M.pattern_distinguisher(k, pats, tau=tau)
    assert dist_mismatches(net, M.pattern_d(k, pats), k, k + 4) == []
    assert_claims(net)


@st.composite
def motifs(draw):
    mot = draw(st.lists(st.integers(0, 1), min_size=1, max_size=4))
    return draw(st.integers(len(mot), 5)), mot, draw(st.integers(1, 2))


@settings(max_examples=25)
@given(motifs())
def test_random_motif_distinguisher_matches_definition(case):
    k, mot, tau = case
    net = M.motif_distinguisher(k, mot, tau=tau)
    assert dist_mismatches(net, M.motif_d(k, mot), k, k + 3) == []
    assert_claims(net)


@settings(max_examples=10)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3))
def test_random_window_and_cap_repeat_parity_bracket_match_definitions(k, cap, tau):
    N = min(2 * k + 2, 9)
    for net, d in [(M.repeat_distinguisher(k, tau=tau), M.repeat_d(k)),
                   (M.parity_distinguisher(k, tau=tau), M.parity_d(k)),
                   (M.bracket_distinguisher(k, cap, tau=tau), M.bracket_d(k, cap))]:
        assert dist_mismatches(net, d, k, N) == []
        assert_claims(net)
