"""Counter nodes of the synchronized enumeration (paper: Claim 1; THEORY §4.3).

Claim 1 (project form). Fix the window k ≥ 1, the pace T ≥ 1 (the largest τ of the networks
being enumerated), the offset r ∈ {1..k} and a position cap. Let P = T + 1 (P = 3 when
k = T = 1, see below) be the length of a *digit slot* and τ_S = (2^k + 1)·k·P the length of
an *input loop*. For a time t write i(t) = ⌊t/τ_S⌋ + 1 (input index), s = t mod τ_S (loop
step), c = s mod P (digit-slot step), g = ⌊s/P⌋ (slot index), d = g mod k (digit index),
n = ⌊g/k⌋ ∈ [0, 2^k] (string index; n = 2^k is the final phase), ℓ(i) = 0 for i < r and
(i − r) mod k otherwise (anchor offset δ of the paper), p(i) = min(i, cap) (position
counter). Then there is an RNN whose counter nodes read only counter nodes and hold at every
time t the values of time t + 1 ("one step ahead", so that a control computed from them is
the decision for the step t → t+1):

    cnt.c = c(t+1),  cnt.d = d(t+1),  E.e_m = bit m (msb first) of n(t+1) mod 2^k,
    cnt.beta = 1[n(t+1) = 2^k],  cnt.l = ℓ(i(t+1)),  cnt.p = p(i(t+1)),  cnt.on = 1,

and s(t+1) = P·(k·(2^k·beta + Σ_m 2^{k−1−m}·e_m) + d) + c is an affine function of them
(:meth:`Counters.s`). Every transition has depth ≤ 2 (3 in the gated form AND(on)·f used so
that later gatings merge, THEORY §2.2), whatever k, T and the cap are. The node count is
k + 7 (the paper's four counters s, δ, c, d plus its position counter of Claim 7, with s
represented by its digits).

P = T + 1 leaves room for one LOAD/HOLD step per digit slot (the paper's τ + 1); the only
exception, P = 3 for k = T = 1, gives the boosting accumulators of Lemma 3 the three steps
between the last string and the end of the loop that they need (k·P ≥ 3). Hence
τ_S ≤ (2^k + 1)·k·(T + 1) + 3 always, with equality to (2^k + 1)·k·(T + 1) unless k = T = 1.
These closed forms are :class:`constructions.schedule.Schedule`; this module builds the nodes.
"""

from __future__ import annotations

from typing import Sequence

from rnnsim import Builder, Claims, Const, Expr, Node, affine, relu
from rnnsim.registry import realizes

from . import records
from .gadgets import eq, ge, increment
from .gating import gated_term
from .schedule import Schedule

_STMT = ("counter nodes for the loop step s (mod τ_S), digit-slot step, digit index, string "
         "digits, anchor offset δ and a saturating position counter, one step ahead")


COUNTER_FIXED_NODES = 6   # on, c, d, beta, l, p  (plus the k string digits E.e_m)


def counter_count(k: int) -> int:
    """Number of counter nodes: k string digits + 6."""
    return k + COUNTER_FIXED_NODES


class Counters:
    """Handles to the counter nodes in a builder and the affine / indicator expressions
    built from them. All expressions describe position t+1 when evaluated at time t."""

    def __init__(self, sched: Schedule, on: Node, c: Node, d: Node, beta: Node, e: Sequence[Node],
                 l: Node, p: Node):
        self.sched, self.on, self.c, self.d, self.beta, self.e, self.l, self.p = (
            sched, on, c, d, beta, list(e), l, p)

    @property
    def nodes(self) -> list[Node]:
        return [self.on, self.c, self.d, self.beta, *self.e, self.l, self.p]

    # affine functions of the counters (exact integers on the grid)
    def n(self) -> Expr:
        k = self.sched.k
        return affine([(self.beta, 2 ** k)] + [(em, 2 ** (k - 1 - m)) for m, em in enumerate(self.e)])

    def g(self) -> Expr:
        return self.sched.k * self.n() + self.d

    def s(self) -> Expr:
        return self.sched.P * self.g() + self.c

    def cd(self) -> Expr:
        """c + P·d: the step within a string (a bijection onto [0, kP))."""
        return self.c + self.sched.P * self.d


def _fresh(b: Builder, on: Node, node: Node, body) -> None:
    """Give a fresh node its transition in the gated form AND(on)·body (mergeable later)."""
    b.update(node, gated_term([on.name], body))


@realizes("Claim 1", _STMT, bound="k + 6 nodes, depth ≤ 3 (gated form), read only counters")
def add_counters(b: Builder, sched: Schedule, *, hidden: bool = True) -> Counters:
    """Add the counter nodes of Claim 1 (values one step ahead, see module docstring)."""
    k, P, tS, cap, r = sched.k, sched.P, sched.tau_S, sched.cap, sched.r
    v0 = sched.counter_values(0)
    on = b.node("cnt.on", init=1, boolean=True, hidden=hidden)
    b.update(on, Const(1))
    c = b.node("cnt.c", init=v0["cnt.c"], hidden=hidden)
    d = b.node("cnt.d", init=v0["cnt.d"], hidden=hidden)
    beta = b.node("cnt.beta", init=v0["cnt.beta"], hidden=hidden, boolean=True)
    e = [b.node(f"E.e{m}", init=v0[f"E.e{m}"], hidden=hidden, boolean=True) for m in range(k)]
    l = b.node("cnt.l", init=v0["cnt.l"], hidden=hidden)
    p = b.node("cnt.p", init=v0["cnt.p"], hidden=hidden)
    cn = Counters(sched, on, c, d, beta, e, l, p)
    ev_slot = eq(c, P - 1)                 # the step t+1 → t+2 ends a digit slot
    ev_str = eq(cn.cd(), k * P - 1)        # … ends a string
    ev_loop = eq(cn.s(), tS - 1)           # … ends the input loop
    _fresh(b, on, c, c + 1 - P * ge(c, P - 1))
    _fresh(b, on, d, d + ev_slot - k * ge(cn.cd(), k * P - 1))
    for node, new in zip(e, increment(e, 2, enable=ev_str - ev_loop)):
        _fresh(b, on, node, new)
    _fresh(b, on, beta, beta + ge(ev_str + affine([(em, 1) for em in e]), k + 1) - ev_loop)
    past_r = ge(p, r)                      # the loop of position t+1 has i ≥ r
    _fresh(b, on, l, l + relu(ev_loop + past_r - 1) - k * ge(l + ev_loop + past_r, k + 1))
    _fresh(b, on, p, p + ev_loop - ge(p + ev_loop, cap + 1))
    return cn


@realizes("Claim 1", _STMT)
def counter_network(k: int, T: int, r: int, N: int | None = None, *, name: str = "counters"):
    """The counters of Claim 1 as a standalone RNN (τ = τ_S; output = the position counter).

    Claims: size = k + 7 (input included), hidden size = k + 6, τ = τ_S, depth 3.
    """
    sched = Schedule(k, T, r, N)
    b = Builder(name, tau=sched.tau_S, alphabet=2)
    b.input("x")
    cn = add_counters(b, sched)
    b.output(cn.p)
    return b.build(claims=Claims(counter_count(k) + 1, counter_count(k), sched.tau_S, COUNTER_DEPTH,
                                 statement="Claim 1"),
                   construction=records.Counters(sched).to_json())


COUNTER_DEPTH = 3   # body depth ≤ 2 (ge of an affine of eq's) plus the AND(on) gate


__all__ = ["Counters", "add_counters", "counter_network", "counter_count", "COUNTER_DEPTH"]
