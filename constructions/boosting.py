"""The boosted LM RNN (paper: Lemma 3, Section 2.4.5) and the simple construction (Section 2.1).

Lemma 3 (project form). Let R be an LM RNN (τ_R, hidden set H_R) computing q, D a
distinguisher RNN for window k (τ_D, hidden set H_D), r ∈ {1..k}, η > 0 (or the factor
w = e^{−η} given exactly) and N the document length. Then R' = ``boost(R, D, k=k, r=r,
eta=η, N=N)`` is an LM RNN with v_{iτ'}(o) = q'(x_i | x_{<i}) of THEORY §3 Lemma 2 for every
document and every i ≤ N:
  for i in a complete block [j, j+k−1], j ∈ I_r, ℓ = i − j:
      q'(x_i | x_<i) = Σ_n u_n·v_n·1_num(n) / Σ_n u_n·v_n·1_den(n)
  with u, v, 1_num, 1_den the components of Lemmas 7–9 (:mod:`constructions.components`),
  accumulated string by string into ``boost.num`` and ``boost.den`` and combined in the
  last step of the input loop by one reciprocal and one product;
  for i < r and after the last complete block: q(x_i | x_<i), read from R's enumerated copy
  (which holds F(x_≤i) at the end of every loop, :mod:`constructions.enumeration`).
The denominator is Σ_n u_n v_n 1_den(n) ≥ w·q(x_{j..i−1} | x_<j): the network raises
ReciprocalOfZero exactly where Lemma 2's q' is undefined (q gives the block prefix
probability 0).

Sizes (exact closed forms; V = number of distinct periods among τ_R, τ_D, so V ∈ {1, 2}):
  |H_R'| = |H_R| + |H_D| + 2k + 10 + 5V              ≤ |H_R| + |H_D| + 2k + 20     (THEORY §4.6)
  |R'|   = (|R| − |I_R| + |H_R|) + (|D| − |I_D| + |H_D|) + 2k + 33 + 5V
                                                      ≤ |R| + 2|H_R| + |D| + 2|H_D| + 2k + 43
  τ'     = (2^k + 1)·k·P, P = max(τ_R, τ_D) + 1 (3 if k = 1 and both τ are 1)
                                                      ≤ (2^k + 1)·k·(max(τ_R, τ_D) + 1) + 3
  depth  = max(4 [3 if k = 1], gated depth of R's and D's nodes) ≤ max(depth R, depth D) + 1 + 3,
where 33 = 1 input + U 4 + V 3 + indicators 6 + boost 9 (num, den, out and six controls) +
10 fixed skeleton nodes. Every node of R' is in gated form, so boosting R' again merges
gates: over :func:`iterate` the depth is constant from the first round on.

Section 2.1 (``boost_simple``): the same function with full copies — H1 and H2 copy *all*
of R and of D (memory copy and working copy), O is empty:
  |R'| = 2(|R| − |I_R|) + 2(|D| − |I_D|) + 2k + 33 + 5V ≥ 2|R|, so the size at least doubles
  per round; |H_R'| = (|R| − |I_R|) + (|D| − |I_D|) + 2k + 10 + 5V.
"""

from __future__ import annotations

from fractions import Fraction

from rnnsim import Bounds, Claims, Const, ConstructionError, LMRole, RNN, recip, relu
from rnnsim.registry import realizes

from . import records
from .components import build_components, check_roles, components_size, indicator_depth, resolve_factor
from .enumeration import SKELETON_DEPTH, copy_depth
from .gadgets import eq, ge, le
from .gating import gated_term

BOOST_NODES = 9            # num, den, out + acc_first/acc_rest/acc_hold + fin_in/fin_out/fin_hold


def _check_args(where: str, lm: RNN, dist: RNN, k, r, N) -> None:
    for what, net in (("lm", lm), ("dist", dist)):
        if not isinstance(net, RNN):
            raise ConstructionError(f"{where}: {what} must be an rnnsim.RNN, got {type(net).__name__}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConstructionError(f"{where}: the window k must be a positive integer, got {k!r}")
    check_roles(lm, dist, k, where)
    if isinstance(r, bool) or not isinstance(r, int) or not 1 <= r <= k:
        raise ConstructionError(f"{where}: the offset r must be an integer in 1..k = 1..{k}, got {r!r}")
    if isinstance(N, bool) or not isinstance(N, int) or N < k:
        raise ConstructionError(f"{where}: document length N = {N!r} must be an integer ≥ k = {k}")


def _build(lm: RNN, dist: RNN, k: int, r: int, N: int, factor: Fraction, full: bool, name: str) -> RNN:
    _check_args("boost_simple" if full else "boost", lm, dist, k, r, N)
    cs = build_components(name, lm, dist, k, r, N, factor, full=full)
    b, sk = cs.b, cs.sk
    s, cn = sk.sched, sk.cnt
    P, tS = s.P, s.tau_S
    # ---- accumulation at t_U(i, n): the first string resets, the others add
    first = eq(cn.s(), k * P + 1)
    rest = relu(eq(cn.cd(), 1) + ge(cn.n(), 2) - 1)
    a_first = sk.control("boost.acc_first", first, 0)
    a_rest = sk.control("boost.acc_rest", rest, 0)
    a_hold = sk.control("boost.acc_hold", 1 - first - rest, 1)
    uv = cs.u * cs.v
    acc = {}
    for key, ind in (("num", cs.num), ("den", cs.den)):
        node = b.node(f"boost.{key}", init=0)
        term = ind * uv
        b.update(node, gated_term([a_first.name], term) + gated_term([a_rest.name], node + term)
                 + gated_term([a_hold.name], node))
        acc[key] = node
    # ---- the last step of the loop: num/den inside a complete block, q otherwise
    last = eq(cn.s(), tS - 1)
    L = s.L
    inside = relu(last + ge(cn.p, r) + le(cn.p, L) - 2) if L >= r else Const(0)
    f_in = sk.control("boost.fin_in", inside, 0)
    f_out = sk.control("boost.fin_out", last - inside, 0)
    f_hold = sk.control("boost.fin_hold", 1 - last, 1)
    out = b.node("boost.out", init=0)
    ratio = acc["num"] * recip(acc["den"] + 1 - f_in)     # den + 1 ≥ 1 except at fin_in
    b.update(out, gated_term([f_in.name], ratio) + gated_term([f_out.name], cs.R.out)
             + gated_term([f_hold.name], out))
    b.output(out)
    b.role = LMRole(2)
    size, hidden = components_size(lm, dist, k, full=full)
    depth = max(indicator_depth(k), SKELETON_DEPTH, copy_depth(lm), copy_depth(dist))
    tmax = max(lm.tau, dist.tau)
    bounds = Bounds(
        hidden_size=(lm.hidden_size + dist.hidden_size + 2 * k + 20) if not full
        else (lm.size + dist.size + 2 * k + 20),
        size=(lm.size + 2 * lm.hidden_size + dist.size + 2 * dist.hidden_size + 2 * k + 43)
        if not full else (2 * lm.size + 2 * dist.size + 2 * k + 43),
        tau=(2 ** k + 1) * k * (tmax + 1) + 3,
        depth=max(lm.depth + 1, dist.depth + 1, 4))
    nodes = records.Nodes(u=cs.u.name, v=cs.v.name, num=cs.num.name, den=cs.den.name,
                          acc_num=acc["num"].name, acc_den=acc["den"].name)
    record = records.Boost(s, factor, k, r, N, full, nodes, records.record_or_none(lm), records.record_or_none(dist))
    return b.build(claims=Claims(size + BOOST_NODES, hidden, s.tau_S, depth, bounds=bounds,
                                 statement="Section 2.1" if full else "Lemma 3"),
                   construction=record.to_json())


@realizes("Lemma 3", "boost(R, D): an LM RNN computing Lemma 2's q' with hidden size |H_R|+|H_D|+O(k)",
          bound="|H'| ≤ |H_R|+|H_D|+2k+20, |R'| ≤ |R|+2|H_R|+|D|+2|H_D|+2k+43, "
                "τ' ≤ (2^k+1)k(max τ+1)+3, depth ≤ max depth + 4")
def boost(lm: RNN, dist: RNN, *, k: int, r: int, eta=None, N: int, factor=None,
          name: str = "boost") -> RNN:
    """Lemma 3: the boosted LM RNN R' (module docstring). ``factor`` = e^{−η} exactly (e.g. a
    Fraction, for exact arithmetic); otherwise e^{−η} is the double nearest to it."""
    return _build(lm, dist, k, r, N, resolve_factor(eta, factor), False, name)


@realizes("Section 2.1", "boost_simple: the boosted LM from full memory and working copies of R and D",
          bound="|R'| = 2(|R|−|I_R|) + 2(|D|−|I_D|) + 2k + 33 + 5V ≥ 2|R|")
def boost_simple(lm: RNN, dist: RNN, *, k: int, r: int, eta=None, N: int, factor=None,
                 name: str = "boost_simple") -> RNN:
    """Section 2.1: the same function as :func:`boost` from two full copies of R and of D."""
    return _build(lm, dist, k, r, N, resolve_factor(eta, factor), True, name)


@realizes("Lemma 3", "iterated boosting R_0 → R_1 → … (one distinguisher per round)")
def iterate(lm: RNN, dists, *, k: int, rs, etas=None, N: int, factors=None, simple: bool = False) -> list[RNN]:
    """Boost ``lm`` once per distinguisher: returns [R_1, …, R_m] with
    R_{t+1} = boost(R_t, dists[t], k=k, r=rs[t], eta=etas[t] / factor=factors[t], N=N)
    (``boost_simple`` when ``simple``). Hidden size grows linearly and size quadratically
    for ``boost``; size at least doubles per round for ``boost_simple``; τ multiplies by
    about (2^k + 1)·k per round."""
    dists, rs = list(dists), list(rs)
    m = len(dists)
    if len(rs) != m:
        raise ConstructionError(f"iterate: {m} distinguishers but {len(rs)} offsets; give one offset r per round")
    if (etas is None) == (factors is None):
        raise ConstructionError("iterate: give exactly one of etas= or factors= (one per round)")
    ws = [resolve_factor(e, None) for e in etas] if factors is None else [resolve_factor(None, f) for f in factors]
    if len(ws) != m:
        raise ConstructionError(f"iterate: {m} distinguishers but {len(ws)} weights; give one per round")
    for t, (D, r) in enumerate(zip(dists, rs)):     # every round's inputs, before building any
        _check_args(f"iterate (round {t + 1})", lm, D, k, r, N)
    out, cur = [], lm
    fn = boost_simple if simple else boost
    for t, (D, r, w) in enumerate(zip(dists, rs, ws)):
        cur = fn(cur, D, k=k, r=r, N=N, factor=w, name=f"{'boost_simple' if simple else 'boost'}{t + 1}")
        out.append(cur)
    return out


__all__ = ["boost", "boost_simple", "iterate", "BOOST_NODES"]
