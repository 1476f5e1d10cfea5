"""Counters of the synchronized enumeration (Claim 1, THEORY §4.3).

Every counter node holds, at every simulated step, the closed form of Claim 1 evaluated one
step ahead (the position of time t+1), for a range of (k, τ, r, N); the affine loop step s
equals t+1 mod τ_S; counters read only counters; the depth does not grow with k, τ or the
cap; the claimed size / hidden size / τ equal the built network's counts."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import rnnsim
from constructions.counters import COUNTER_DEPTH, counter_network
from constructions.schedule import Schedule

pytestmark = pytest.mark.lemma("Claim 1")


def _independent_position(k, T, r, N, t):
    """Claim 1's closed forms written out directly from the paper's Equations 2.1–2.4
    (independently of Schedule.position)."""
    P = T + 1 if not (k == 1 and T == 1) else 3
    tau_S = (2 ** k + 1) * k * P
    i = t // tau_S + 1
    s = t - (i - 1) * tau_S
    ell = 0 if i < r else (i - r) % k
    if N is None:
        cap = r
    else:
        M = N - k + 1
        cap = (r + k * ((M - r) // k) + k) if M >= r else r
    return dict(i=i, s=s, c=s % P, d=(s // P) % k, n=s // (k * P), l=ell, p=min(i, cap), tau_S=tau_S)


def _check_counters(k, T, r, N, tokens):
    net = counter_network(k, T, r, N)
    tr = rnnsim.simulate(net, tokens, "exact", engine="reference", record="all")
    names = [n for n in net.nodes if n != "x"]
    checked = 0
    for ti, t in enumerate(tr.times):
        want = _independent_position(k, T, r, N, t + 1)
        assert net.tau == want["tau_S"]
        got = {n: tr.values[n][ti] for n in names}
        assert got["cnt.c"] == want["c"], (t, got, want)
        assert got["cnt.d"] == want["d"], (t, got, want)
        assert got["cnt.beta"] == int(want["n"] == 2 ** k), (t, got, want)
        n_bits = sum(got[f"E.e{m}"] << (k - 1 - m) for m in range(k))
        assert n_bits == want["n"] % 2 ** k, (t, got, want)
        assert got["cnt.l"] == want["l"], (t, got, want)
        assert got["cnt.p"] == want["p"], (t, got, want)
        assert got["cnt.on"] == 1
        # the affine loop step s (Counters.s) = P·(k·n + d) + c
        P = (T + 1) if not (k == 1 and T == 1) else 3
        s_aff = P * (k * (2 ** k * got["cnt.beta"] + n_bits) + got["cnt.d"]) + got["cnt.c"]
        assert s_aff == want["s"]
        checked += 1
    return net, checked


@pytest.mark.parametrize("k,T,r,N", [
    (1, 1, 1, 4), (1, 2, 1, None), (2, 1, 1, 5), (2, 1, 2, 6), (2, 3, 2, 4),
    (3, 1, 1, 7), (3, 2, 3, 8), (3, 1, 2, None), (4, 1, 3, 9),
])
def test_counter_values_equal_claim1_closed_forms_at_every_step(k, T, r, N):
    n_tokens = 4 if k < 4 else 3
    net, checked = _check_counters(k, T, r, N, [1, 0, 1, 1][:n_tokens])
    assert checked == n_tokens * net.tau + 1


@settings(max_examples=12, deadline=None)
@given(k=st.integers(1, 3), T=st.integers(1, 3), data=st.data())
def test_counter_closed_forms_hold_for_random_parameters(k, T, data):
    r = data.draw(st.integers(1, k))
    N = data.draw(st.one_of(st.none(), st.integers(k, 9)))
    _check_counters(k, T, r, N, [0, 1, 1])


@pytest.mark.parametrize("k,T", [(1, 1), (2, 2), (3, 1), (6, 4), (9, 2)])
def test_counters_read_only_counters_and_depth_is_constant(k, T):
    net = counter_network(k, T, min(2, k), 3 * k + 1)
    cnt = set(net.nodes) - set(net.inputs)
    for n in cnt:
        assert net.in_neighbours(n) <= cnt, n
    assert net.depth == COUNTER_DEPTH == 3
    assert set(net.hidden) == cnt


@pytest.mark.parametrize("k,T,r,N", [(1, 1, 1, 3), (2, 2, 2, 6), (5, 3, 4, None)])
def test_counter_claims_equal_counts(k, T, r, N):
    net = counter_network(k, T, r, N)
    assert net.claims.size == net.size == k + 7
    assert net.claims.hidden_size == net.hidden_size == k + 6
    assert net.claims.tau == net.tau
    assert net.claims.depth == net.depth
    assert net.tau <= (2 ** k + 1) * k * (T + 1) + 3


@pytest.mark.parametrize("k,T,r,N", [(1, 1, 1, 5), (2, 1, 2, 7), (3, 2, 1, 9), (2, 3, 1, 3)])
def test_schedule_output_times_are_ordered_inside_their_loop(k, T, r, N):
    s = Schedule(k, T, r, N)
    for i in range(1, 4):
        times = [s.t_out(i, n, m) for n in range(2 ** k + 1) for m in range(k)]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert (i - 1) * s.tau_S < times[0] and times[-1] == i * s.tau_S
        # the components read their values strictly before the last step of the loop
        assert s.t_U(i, 2 ** k - 1) + 1 <= i * s.tau_S - 1
        for t in times:
            pos = s.position(t)
            assert pos.c == 0 or t == i * s.tau_S


def test_schedule_rejects_bad_parameters():
    with pytest.raises(ValueError, match="offset r"):
        Schedule(2, 1, 3, 5)
    with pytest.raises(ValueError, match="positive integer"):
        Schedule(0, 1, 1, 5)
    with pytest.raises(ValueError, match="n ≤ 2\\^k"):
        Schedule(2, 1, 1, 5).t_out(1, 5, 0)
