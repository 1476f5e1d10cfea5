"""Synchronized enumeration (Lemma 11, Claims 2–8; THEORY §4.4).

Exhaustively over all documents of a given length, for k ∈ {1, 2, 3}, every offset r and
several base networks (LMs and distinguishers from ``constructions.models``, τ = 1 and
τ > 1): the output of S at every documented time t(i, n, m) equals the base network run
directly on x_{<j}·s_n[0..m], at iτ_S it equals F(x_{≤i}); the parts (X, E, the controls,
H1) follow their closed forms at every step; the hidden set passes the transplant test;
claims equal counts and meet the THEORY bounds; depth does not grow with k, N, or when an
enumeration network is itself enumerated."""

from __future__ import annotations

import itertools
from fractions import Fraction as Fr
from functools import lru_cache

import pytest

import rnnsim
from rnnsim import Affine, Const, Node, Prod, Recip, ReLU
from rnnsim.hidden import transplant_test
from constructions import models
from constructions.enumeration import (
    SKELETON_DEPTH, control_values, copy_depth, skeleton_count, synchronized_enumeration,
)
from constructions.records import schedule_of

pytestmark = pytest.mark.lemma("Lemma 11")


# ---- base networks -------------------------------------------------------------------------

def base_networks():
    return {
        "markov2": models.markov_lm(2, [Fr(1, 3), Fr(1, 2), Fr(3, 4), Fr(1, 5)]),
        "markov1_tau2": models.markov_lm(1, [Fr(1, 3), Fr(3, 4)], tau=2),
        "motif_avoid": models.motif_automaton_lm("11", "avoid", noise=Fr(1, 4)),
        "uniform": models.uniform_lm(),
        "parity2_tau3": models.parity_distinguisher(2, tau=3),
        "repeat2": models.repeat_distinguisher(2),
    }


BASES = base_networks()


def reference_F(R):
    """F(w) = R's output after the word w, by running R itself (exact)."""
    @lru_cache(maxsize=None)
    def F(w):
        return rnnsim.simulate(R, list(w), "exact", engine="reference").outputs[-1]
    return F


def bits(n, k):
    return tuple((n >> (k - 1 - m)) & 1 for m in range(k))


def enumeration_mismatches(S, R, docs, arithmetic="exact"):
    """Compare S with R at every documented time on every document; return (#checks, bad)."""
    sc = schedule_of(S)
    k = sc.k
    F = reference_F(R)
    checks, bad = 0, []
    for x in docs:
        x = tuple(x)
        want = {}
        for i in range(1, len(x) + 1):
            j, ell = sc.anchor(i), sc.ell(i)
            want[i * sc.tau_S] = F(x[:i])
            for n in range(2 ** k):
                for m in range(k):
                    want[sc.t_out(i, n, m)] = F(x[:j - 1] + bits(n, k)[:m + 1])
            for m in range(ell + 1):
                want[sc.t_out(i, 2 ** k, m)] = F(x[:j + m])
        tr = rnnsim.simulate(S, list(x), arithmetic, engine="reference", record=set(want), nodes=[S.output])
        got = dict(zip(tr.times, tr.values[S.output]))
        for t, w in want.items():
            checks += 1
            g = got[t]
            ok = (g == w) if arithmetic == "exact" else abs(float(g) - float(w)) <= 1e-12
            if not ok:
                bad.append((x, t, sc.position(t), g, w))
    return checks, bad


def all_docs(n):
    return list(itertools.product((0, 1), repeat=n))


# ---- the function S computes (exhaustive) ---------------------------------------------------

CASES = [(k, r) for k in (1, 2, 3) for r in range(1, k + 1)]


@pytest.mark.lemma("Claim 6", "Claim 7")
@pytest.mark.parametrize("k,r", CASES)
@pytest.mark.parametrize("base", ["markov2", "markov1_tau2", "parity2_tau3"])
def test_outputs_at_documented_times_equal_base_network_on_every_extension(k, r, base):
    R = BASES[base]
    n = {1: 5, 2: 4, 3: 3}[k]
    S = synchronized_enumeration(R, k, r, N=8)
    checks, bad = enumeration_mismatches(S, R, all_docs(n))
    assert not bad, bad[:3]
    # per position: 2^k·k strings' digits, ℓ+1 final-phase digits, and iτ_S (which is the
    # last final-phase time when ℓ = k−1)
    ell = schedule_of(S).ell
    assert checks == 2 ** n * sum(2 ** k * k + ell(i) + 1 + (ell(i) < k - 1) for i in range(1, n + 1))


@pytest.mark.parametrize("base", ["motif_avoid", "uniform", "repeat2"])
@pytest.mark.parametrize("k,r", [(2, 2), (3, 1)])
def test_outputs_for_other_base_networks(base, k, r):
    R = BASES[base]
    S = synchronized_enumeration(R, k, r, N=6)
    checks, bad = enumeration_mismatches(S, R, all_docs(3) + [(1, 1, 0, 1, 1)])
    assert not bad, bad[:3]
    assert checks > 0


def test_outputs_in_float64_match_exact_base_values():
    R = BASES["markov2"]
    S = synchronized_enumeration(R, 2, 1, N=6)
    checks, bad = enumeration_mismatches(S, R, all_docs(4), arithmetic="float64")
    assert not bad and checks > 0


def test_final_outputs_equal_F_on_every_document_via_batch_engine():
    """At every multiple of τ_S the output is F(x_≤i): S computes F itself (all 2^6 docs)."""
    R = BASES["markov1_tau2"]
    S = synchronized_enumeration(R, 2, 2, N=6)
    assert (rnnsim.simulate_all(S, 6, "float64") == rnnsim.simulate_all(R, 6, "float64")).all()


@pytest.mark.slow
@pytest.mark.parametrize("k,r", CASES)
@pytest.mark.parametrize("base", sorted(BASES))
def test_outputs_exhaustive_long_documents(k, r, base):
    R = BASES[base]
    n = {1: 8, 2: 7, 3: 6}[k]
    S = synchronized_enumeration(R, k, r, N=10)
    checks, bad = enumeration_mismatches(S, R, all_docs(n))
    assert not bad, bad[:3]


# ---- the parts follow their closed forms (Claims 2–5) --------------------------------------

def expected_controls(sc, pos, tau):
    """The schedule of the module docstring, written out: a digit slot is P steps; step 0
    LOADs H2 at the first digit of a string (and of the final phase), steps 1..τ RUN H2 and
    O while the slot is active (every slot of a string; slots d ≤ ℓ of the final phase), H1
    RUNs with them in the final phase when the anchor moves on; X is written at step 0."""
    final = pos.n == 2 ** sc.k
    active = (not final) or pos.d <= pos.l
    run = 1 <= pos.c <= tau and active
    moves = pos.i < sc.r or pos.l == sc.k - 1
    load2 = pos.c == 0 and pos.d == 0
    return {"run": run, "hold": not run, "hold2": not run and not load2, "load2": load2,
            "run1": run and final and moves, "hold1": not (run and final and moves),
            "wr": pos.s == 0, "nwr": pos.s != 0}


def hidden_state_after(R, w):
    tr = rnnsim.simulate(R, list(w) or [0], "exact", engine="reference", record={len(w) * R.tau})
    return {h: tr.values[h][0] for h in R.hidden}


@pytest.mark.lemma("Claim 2", "Claim 3", "Claim 4", "Claim 5", "Claim 7")
@pytest.mark.parametrize("k,r,base", [(2, 2, "markov2"), (3, 2, "parity2_tau3"), (1, 1, "markov1_tau2")])
def test_storage_enumerator_controls_and_H1_follow_closed_forms(k, r, base):
    R = BASES[base]
    S = synchronized_enumeration(R, k, r, N=7)
    sc = schedule_of(S)
    x = (1, 0, 1, 1, 0)
    tr = rnnsim.simulate(S, list(x), "exact", engine="reference", record="all")
    for ti, t in enumerate(tr.times[:-1]):
        pos = sc.position(t)
        v = {n: tr.values[n][ti] for n in S.nodes if not n.startswith(("H1.", "H2.", "O."))}
        want = expected_controls(sc, pos, R.tau)
        assert want == {kk: bool(vv) for kk, vv in control_values(sc, pos, R.tau).items()}
        for name in ("run", "hold", "hold2", "run1", "hold1"):
            assert v[f"ctl.t{R.tau}.{name}"] == int(want[name]), (t, pos, name)
        for name in ("load2", "wr", "nwr"):
            assert v[f"ctl.{name}"] == int(want[name]), (t, pos, name)
        # one-hot: H1 (run1/hold1), H2 (run/hold2/load2), O (run/hold)
        assert v[f"ctl.t{R.tau}.run1"] + v[f"ctl.t{R.tau}.hold1"] == 1
        assert v[f"ctl.t{R.tau}.run"] + v[f"ctl.t{R.tau}.hold2"] + v["ctl.load2"] == 1
        j, ell = sc.anchor(pos.i), sc.ell(pos.i)
        if pos.s >= 1:       # Claim 2: X holds the tokens since the anchor, 0 above ℓ
            assert [v[f"X.x{m}"] for m in range(k)] == [x[j - 1 + m] if m <= ell else 0 for m in range(k)]
        # Claim 3: the fed digit
        fed = bits(pos.n, k)[pos.d] if pos.n < 2 ** k else (x[j - 1 + pos.d] if pos.d <= ell else 0)
        assert v["E.feed"] == fed, (t, pos)
        # Claim 4: H1 = R's hidden state after x_<j until the final phase
        if pos.s <= 2 ** k * k * sc.P:
            h = hidden_state_after(R, x[:j - 1])
            assert {u: tr.values[f"H1.{u}"][ti] for u in R.hidden} == h, (t, pos)
    # after the last loop: H1 = state after x_<j(n+1), H2 = H1
    t_end = len(x) * sc.tau_S
    j_next = sc.anchor(len(x) + 1)
    h = hidden_state_after(R, x[:j_next - 1])
    assert {u: tr.values[f"H1.{u}"][-1] for u in R.hidden} == h
    assert tr.times[-1] == t_end


# ---- hidden set, claims, bounds, depth ----------------------------------------------------

@pytest.mark.lemma("Claim 8")
@pytest.mark.parametrize("k,r,base", [(1, 1, "markov2"), (2, 1, "markov1_tau2"), (2, 2, "parity2_tau3"),
                                      (3, 3, "repeat2")])
def test_hidden_set_passes_transplant_test(k, r, base):
    S = synchronized_enumeration(BASES[base], k, r, N=6)
    rep = transplant_test(S, [(1, 0, 1, 1), (0, 1, 1, 0)], seed=k + r)
    assert rep.ok, rep
    assert rep.comparisons >= 8


def test_transplant_test_fails_when_H1_is_left_out_of_the_hidden_set():
    """Control: the schedule really needs H1 — with H2 declared instead, outputs change."""
    R = BASES["markov2"]
    S = synchronized_enumeration(R, 2, 1, N=6)
    fake = [h for h in S.hidden if not h.startswith("H1.")] + [f"H2.{u}" for u in R.hidden]
    rep = transplant_test(S, [(1, 1, 0, 1), (0, 1, 1, 1)], hidden=fake, m_values=[1, 2])
    assert not rep.ok


@pytest.mark.lemma("Claim 8")
@pytest.mark.parametrize("base", sorted(BASES))
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_claims_equal_counts_and_meet_spec_bounds(base, k):
    R = BASES[base]
    S = synchronized_enumeration(R, k, 1, N=10)
    m = S.claims
    assert m.size == S.size
    assert m.hidden_size == S.hidden_size == R.hidden_size + 2 * k + 15
    assert m.tau == S.tau == schedule_of(S).tau_S
    assert m.depth == S.depth
    bd = m.bounds
    assert S.hidden_size <= bd.hidden_size and S.size <= bd.size and S.tau <= bd.tau
    assert S.depth <= bd.depth
    # THEORY §4.4 forms with constants independent of R, k, N
    assert S.size <= R.size + 2 * R.hidden_size + 2 * k + 15
    assert S.tau <= (2 ** k + 1) * k * (R.tau + 1) + 3
    assert S.size == R.size - len(R.inputs) + 1 + R.hidden_size + skeleton_count(k)


def test_depth_does_not_grow_with_k_or_N():
    R = BASES["markov2"]
    depths = {synchronized_enumeration(R, k, 1, N).depth for k in (1, 2, 4, 7) for N in (k, 12, 40)}
    assert depths == {max(SKELETON_DEPTH, R.depth + 1)}


def test_enumerating_an_enumeration_keeps_depth_and_computes_F():
    """Gates merge: S2 = enum(enum(R)) has the depth of enum(R), and still computes F."""
    R = BASES["markov2"]
    S1 = synchronized_enumeration(R, 1, 1, N=4)
    S2 = synchronized_enumeration(S1, 1, 1, N=4)
    assert S2.depth == S1.depth == copy_depth(S1)
    assert S2.claims.depth == S2.depth
    for x in [(1, 0, 1), (0, 1, 1)]:
        assert rnnsim.simulate(S2, x, "exact").outputs == rnnsim.simulate(R, x, "exact").outputs


def test_only_spec_operations_are_used():
    S = synchronized_enumeration(BASES["parity2_tau3"], 3, 2, N=6)
    kinds = set()
    for f in S.transitions.values():
        for e in f.walk():
            kinds.add(type(e))
    assert kinds <= {Const, Node, Affine, ReLU, Prod, Recip}


def test_rejects_non_binary_network():
    b = rnnsim.Builder("ternary", tau=1, alphabet=3)
    x = b.input("x")
    o = b.node("o", update=x)
    b.output(o)
    with pytest.raises(rnnsim.NetworkError, match="binary"):
        synchronized_enumeration(b.build(), 2, 1, N=4)


def onehot_lm():
    """A hand-made LM with one-hot input (x[0], x[1]): q(1 | prev) = 1/4 or 2/3."""
    b = rnnsim.Builder("onehot_lm", tau=1, alphabet=2)
    x0, x1 = b.input_onehot("x")
    prev = b.node("prev", init=0, hidden=True)
    b.update(prev, x1)
    o = b.node("q", init=0)
    # q(x | prev): prev=0 → (3/4, 1/4), prev=1 → (1/3, 2/3)
    b.update(o, Fr(3, 4) * x0 + Fr(1, 4) * x1 + prev * (Fr(-5, 12) * x0 + Fr(5, 12) * x1))
    b.output(o)
    return b.build()


def test_one_hot_input_networks_are_enumerated_with_the_fed_digit():
    R = onehot_lm()
    S = synchronized_enumeration(R, 2, 2, N=6)
    checks, bad = enumeration_mismatches(S, R, all_docs(4))
    assert not bad and checks
    assert S.size == R.size - 2 + 1 + R.hidden_size + skeleton_count(2) == S.claims.size
