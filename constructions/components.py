"""The four functions of Equation (1.5) as RNN components (paper: Lemmas 7, 8, 9; THEORY §4.5).

All components sit on one shared enumeration skeleton (:class:`enumeration.Skeleton`:
counters, input storage X, enumerator E) with the schedule of :mod:`constructions.counters`
(pace T = the largest τ of the networks involved; a faster network RUNs τ steps of each
slot and HOLDs the rest). Write t_U(i, n) = t(i, n, k−1) + 1 (:meth:`Schedule.t_U`), the
step right after the last digit of string n, j the anchor of i and ℓ = i − j.

* Lemma 7 (U, from an LM RNN R computing F = q(x_m | x_<m)): the node ``U.u`` multiplies
  the per-digit outputs, u(t_U(i, n)) = Π_{m<k} F(x_{<j}·s_n[0..m]) = q(s_n | x_{<j}); at
  iτ_S it holds F(x_≤i) = q(x_i | x_<i) whenever ℓ ≤ k − 2 (so for every i < r when k ≥ 2).
  Nodes: u and its controls ld, mul, hold (4).
* Lemma 8 (V, from a distinguisher RNN D): ``V.v`` is LOADed with e^{−η·o_D} = 1 +
  (e^{−η} − 1)·o_D at the end of each string, so v(t_U(i, n)) = e^{−η·d(j, x_{<j}·s_n)}
  (``factor=`` gives e^{−η} exactly, e.g. as a Fraction; otherwise the double nearest to
  e^{−η}). Nodes: v, ld, hold (3).
* Lemma 9 (indicators): ``I.num`` and ``I.den`` hold at t_U(i, n)
  1[s_n[0..ℓ] = x_{j..i}] and 1[s_n[0..ℓ−1] = x_{j..i−1}], computed from E and X as
  1 − OR_m (m ≤ ℓ ∧ e_m ≠ X_m) (depth 3) and delayed by two steps so that they refer to
  the string that has just ended. Nodes: pre, lag, out for each (6).

Every non-hidden node is rebuilt from the hidden set within one string, so the hidden set
of a component network is the skeleton plus the H1 copies (THEORY §2.5; transplant-tested).
Sizes (exact): with V_τ distinct periods, |skeleton| = 2k + 10 + 5·V_τ; U adds
|R| − |I_R| + |H_R| + 4 nodes (H1, H2, O and u's four), V adds |D| − |I_D| + |H_D| + 3,
the indicators add 6; hidden size = |skeleton| + |H_R| (+ |H_D|). Depth = max(4, gated
depth of R's and D's nodes) ≤ max(depth R + 1, depth D + 1, 4) (3 instead of 4 for k = 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from rnnsim import Builder, Claims, Const, Node, RNN, affine, relu
from rnnsim.errors import ConstructionError, RoleError
from rnnsim.registry import realizes
from rnnsim.roles import require_distinguisher, require_lm

from . import records
from .enumeration import Copies, Skeleton, copy_depth, skeleton_count
from .gadgets import eq, exp_binary, ge, le
from .gating import gated_term
from .schedule import Schedule

U_NODES, V_NODES, I_NODES = 4, 3, 6


def indicator_depth(k: int) -> int:
    """Depth of the indicator nodes: a depth-3 body (depth 2 when k = 1: no ℓ-test) under
    one gate. Every other component node has depth ≤ 3."""
    return 4 if k >= 2 else 3


def resolve_factor(eta=None, factor=None) -> Fraction:
    """e^{−η} as an exact rational: ``factor`` as given, or the double nearest e^{−η}."""
    try:
        if factor is not None:
            f = Fraction(factor)
        elif eta is not None:
            f = Fraction(math.exp(-float(eta)))
        else:
            raise ConstructionError("give eta= (float) or factor= (e^{-eta}, e.g. a Fraction)")
    except (TypeError, ValueError, OverflowError) as e:
        if isinstance(e, ConstructionError):
            raise
        raise ConstructionError(f"eta={eta!r} / factor={factor!r} is not a finite number ({e})") from None
    if f <= 0:
        raise ConstructionError(f"the factor e^(-eta) must be positive, got {f} (η = {eta!r} is too large "
                                "for a double; give factor= exactly)")
    return f


def new_skeleton(name: str, nets, k: int, r: int, N: int | None, *, T: int | None = None):
    """A builder with a value input and the shared skeleton for ``nets`` (pace T = max τ,
    or the given T when there are no networks)."""
    taus = sorted({R.tau for R in nets})
    T = max(taus) if taus else (T or 1)
    sched = Schedule(k, T, r, N, tuple(taus))
    b = Builder(name, tau=sched.tau_S, alphabet=2)
    x = b.input("x")
    sk = Skeleton(b, sched, taus, x=x)
    return b, sk


@realizes("Lemma 7", "U: u = q(s_n | x_<j) = Π_m F(x_<j s_n[0..m]) at the end of string n; "
          "q(x_i|x_<i) for i < r", bound="size |R|+|H|+2k+c, hidden |H|+2k+c")
def add_U(b: Builder, sk: Skeleton, cp: Copies, prefix: str = "U") -> Node:
    """Lemma 7 on the skeleton: the running product of R's per-digit outputs (``cp.out``)."""
    s, cn = sk.sched, sk.cnt
    k, P, tS = s.k, s.P, s.tau_S
    if k >= 2:
        first = relu(eq(cn.cd(), P) - cn.beta)              # c = 0, d = 1, string < 2^k
        in_str = relu(le(cn.c, 0) + ge(cn.g(), 1) + le(cn.g(), 2 ** k * k) - 2)
        mul = in_str - first
    else:
        first = relu(le(cn.c, 0) + ge(cn.n(), 1) - 1)       # c = 0, slot 1..2^k
        mul = Const(0)
    fin = relu(eq(cn.s(), tS - 1) + le(cn.l, k - 2) - 1)    # last step, O holds F(x_≤i)
    ld = sk.control(f"{prefix}.ld", first + fin, 0)
    ml = sk.control(f"{prefix}.mul", mul, 0)
    hd = sk.control(f"{prefix}.hold", 1 - first - fin - mul, 1)
    u = b.node(f"{prefix}.u", init=0)
    o = cp.out
    b.update(u, gated_term([ld.name], o) + gated_term([ml.name], u * o) + gated_term([hd.name], u))
    return u


@realizes("Lemma 8", "V: v = exp(−η·d(j, x_<j s_n)) at the end of string n",
          bound="size |D|+|H_D|+2k+c, hidden |H_D|+2k+c")
def add_V(b: Builder, sk: Skeleton, cp: Copies, factor: Fraction, prefix: str = "V") -> Node:
    """Lemma 8 on the skeleton: v ← 1 + (e^{−η} − 1)·o_D at the end of each string."""
    cn = sk.cnt
    end = relu(le(cn.cd(), 0) + ge(cn.n(), 1) - 1)          # c = 0, d = 0, slot ≥ k
    ld = sk.control(f"{prefix}.ld", end, 0)
    hd = sk.control(f"{prefix}.hold", 1 - end, 1)
    v = b.node(f"{prefix}.v", init=1)
    b.update(v, gated_term([ld.name], exp_binary(cp.out, factor=factor)) + gated_term([hd.name], v))
    return v


@realizes("Lemma 9", "indicators 1[s_n[0..ℓ] = x_{j..i}] and 1[s_n[0..ℓ−1] = x_{j..i−1}] at the end of string n",
          bound="size 2k + c, hidden 2k + c")
def add_indicators(b: Builder, sk: Skeleton, prefix: str = "I") -> tuple[Node, Node]:
    """Lemma 9 on the skeleton: (I.num, I.den), valid at t_U(i, n)."""
    cn, k = sk.cnt, sk.sched.k
    xor = [e + xm - 2 * relu(e + xm - 1) for e, xm in zip(cn.e, sk.X)]
    # mismatch at a digit m that counts: m ≤ ℓ (num) / m < ℓ (den)
    miss_num = [xor[0]] + [relu(xor[m] + ge(cn.l, m) - 1) for m in range(1, k)]
    miss_den = [relu(xor[m] + ge(cn.l, m + 1) - 1) for m in range(k - 1)]
    outs = []
    for name, miss in (("num", miss_num), ("den", miss_den)):
        pre = b.node(f"{prefix}.{name}_pre", init=0, boolean=True)
        b.update(pre, gated_term([sk.on.name], relu(1 - affine([(t, 1) for t in miss]))))
        lag = b.node(f"{prefix}.{name}_lag", init=0, boolean=True)
        b.update(lag, gated_term([sk.on.name], pre))
        out = b.node(f"{prefix}.{name}", init=0, boolean=True)
        b.update(out, gated_term([sk.on.name], lag))
        outs.append(out)
    return outs[0], outs[1]


# ---- standalone component networks ----------------------------------------------------------

def _claims(size: int, hidden: int, sched: Schedule, depth: int, statement: str) -> Claims:
    return Claims(size, hidden, sched.tau_S, depth, statement=statement)


def _copy_size(R: RNN) -> int:
    return R.size - len(R.inputs) + R.hidden_size


def check_roles(lm: RNN | None, dist: RNN | None, k: int, where: str) -> None:
    """The roles the components of Lemmas 7–8 (and boost, iterate) need: ``lm`` a language
    model, ``dist`` a distinguisher with window k, both over the binary alphabet (the
    enumeration of Lemma 11 enumerates binary strings). RoleError saying what to change."""
    if lm is not None:
        require_lm(lm, where, what="the language model (lm)")
    if dist is not None:
        require_distinguisher(dist, where, what="the distinguisher (dist)")
    if lm is not None and dist is not None and lm.role.alphabet != dist.role.alphabet:
        raise RoleError(f"{where}: the language model {lm.name!r} is over b = {lm.role.alphabet} tokens but the "
                        f"distinguisher {dist.name!r} over b = {dist.role.alphabet}; both must be over the "
                        "same alphabet")
    for R in (lm, dist):
        if R is not None and R.role.alphabet != 2:
            raise RoleError(f"{where}: {R.name!r} is over b = {R.role.alphabet} tokens; the synchronized "
                            "enumeration of Lemma 11 enumerates binary strings, so the networks must be "
                            "over b = 2")
    if dist is not None:
        require_distinguisher(dist, where, window=k, what="the distinguisher (dist)")


def _record(lemma: str, sched: Schedule, factor, nodes: records.Nodes, lm: RNN | None, dist: RNN | None) -> dict:
    return records.Components(lemma, sched, factor, nodes, records.record_or_none(lm) if lm else None,
                              records.record_or_none(dist) if dist else None).to_json()


@realizes("Lemma 7", "U: u = q(s_n | x_<j) at the end of string n; q(x_i|x_<i) for i < r")
def k_token_probability(lm: RNN, k: int, r: int, N: int | None = None, *, name: str = "U") -> RNN:
    """Lemma 7 as a network (output ``U.u``). Claims: size = 1 + (2k + 15) + |R| − |I_R| +
    |H_R| + 4, hidden = 2k + 15 + |H_R|, τ = τ_S, depth = max(4, gated depth of R) (the
    component itself has depth ≤ 3)."""
    check_roles(lm, None, k, "k_token_probability")
    b, sk = new_skeleton(name, [lm], k, r, N)
    cp = sk.add_copies(lm, "R")
    u = add_U(b, sk, cp)
    b.output(u)
    n_sk = skeleton_count(k, 1)
    return b.build(claims=_claims(1 + n_sk + _copy_size(lm) + U_NODES, n_sk + lm.hidden_size, sk.sched,
                                  max(3, copy_depth(lm)), "Lemma 7"),
                   construction=_record("Lemma 7", sk.sched, None, records.Nodes(u=u.name), lm, None))


@realizes("Lemma 8", "V: v = exp(−η·d(j, x_<j s_n)) at the end of string n")
def distinguisher_exp(dist: RNN, k: int, r: int, N: int | None = None, *, eta=None, factor=None,
                      name: str = "V") -> RNN:
    """Lemma 8 as a network (output ``V.v``). Claims: size = 1 + (2k + 15) + |D| − |I_D| +
    |H_D| + 3, hidden = 2k + 15 + |H_D|, τ = τ_S, depth = max(3, gated depth of D)."""
    check_roles(None, dist, k, "distinguisher_exp")
    f = resolve_factor(eta, factor)
    b, sk = new_skeleton(name, [dist], k, r, N)
    cp = sk.add_copies(dist, "D")
    v = add_V(b, sk, cp, f)
    b.output(v)
    n_sk = skeleton_count(k, 1)
    return b.build(claims=_claims(1 + n_sk + _copy_size(dist) + V_NODES, n_sk + dist.hidden_size, sk.sched,
                                  max(3, copy_depth(dist)), "Lemma 8"),
                   construction=_record("Lemma 8", sk.sched, f, records.Nodes(v=v.name), None, dist))


@realizes("Lemma 9", "indicators 1[s_n[0..ℓ] = x_{j..i}] and 1[s_n[0..ℓ−1] = x_{j..i−1}]")
def block_indicators(k: int, r: int, N: int | None = None, *, T: int = 1, name: str = "I") -> RNN:
    """Lemma 9 as a network on a skeleton of pace T (output ``I.num``; ``I.den`` beside it).
    Claims: size = 1 + (2k + 10) + 6, hidden = 2k + 10, τ = τ_S, depth 4 (3 for k = 1)."""
    b, sk = new_skeleton(name, [], k, r, N, T=T)
    num, den = add_indicators(b, sk)
    b.output(num)
    n_sk = skeleton_count(k, 0)
    return b.build(claims=_claims(1 + n_sk + I_NODES, n_sk, sk.sched, indicator_depth(k), "Lemma 9"),
                   construction=_record("Lemma 9", sk.sched, None, records.Nodes(num=num.name, den=den.name),
                                        None, None))


@dataclass
class ComponentSet:
    """Everything of Lemmas 7–9 on one skeleton (used by boosting)."""

    b: Builder
    sk: Skeleton
    R: Copies
    D: Copies
    u: Node
    v: Node
    num: Node
    den: Node


def build_components(name: str, lm: RNN, dist: RNN, k: int, r: int, N: int | None, factor: Fraction,
                     *, full: bool = False) -> ComponentSet:
    """U, V and the indicators on one shared skeleton (R and D with their own periods)."""
    b, sk = new_skeleton(name, [lm, dist], k, r, N)
    cR = sk.add_copies(lm, "R", full=full)
    cD = sk.add_copies(dist, "D", full=full)
    u = add_U(b, sk, cR)
    v = add_V(b, sk, cD, factor)
    num, den = add_indicators(b, sk)
    return ComponentSet(b, sk, cR, cD, u, v, num, den)


def components_size(lm: RNN, dist: RNN, k: int, *, full: bool = False) -> tuple[int, int]:
    """(size, hidden size) of the shared-skeleton network of Lemmas 7–9 (input included)."""
    n_taus = len({lm.tau, dist.tau})
    sk = skeleton_count(k, n_taus)
    if full:
        hR, hD = lm.size - len(lm.inputs), dist.size - len(dist.inputs)
    else:
        hR, hD = lm.hidden_size, dist.hidden_size
    size = 1 + sk + (lm.size - len(lm.inputs) + hR) + (dist.size - len(dist.inputs) + hD)
    return size + U_NODES + V_NODES + I_NODES, sk + hR + hD


@realizes("Lemma 7", "U, V and indicators on one shared skeleton")
def components(lm: RNN, dist: RNN, k: int, r: int, N: int | None = None, *, eta=None, factor=None,
               name: str = "components") -> RNN:
    """Lemmas 7, 8, 9 on one skeleton (output ``U.u``; the record's ``nodes`` names u, v,
    num, den). The slower of R and D sets the pace; the faster holds."""
    check_roles(lm, dist, k, "components")
    f = resolve_factor(eta, factor)
    cs = build_components(name, lm, dist, k, r, N, f)
    cs.b.output(cs.u)
    size, hidden = components_size(lm, dist, k)
    nodes = records.Nodes(u=cs.u.name, v=cs.v.name, num=cs.num.name, den=cs.den.name)
    return cs.b.build(claims=_claims(size, hidden, cs.sk.sched,
                                     max(indicator_depth(k), copy_depth(lm), copy_depth(dist)), "Lemmas 7–9"),
                      construction=_record("Lemmas 7–9", cs.sk.sched, f, nodes, lm, dist))


__all__ = ["add_U", "add_V", "add_indicators", "k_token_probability", "distinguisher_exp",
           "block_indicators", "components", "build_components", "components_size", "ComponentSet",
           "resolve_factor", "new_skeleton", "check_roles", "U_NODES", "V_NODES", "I_NODES", "indicator_depth"]
