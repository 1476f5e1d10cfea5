"""Synchronized enumeration (paper: Lemma 11 with Claims 2–8; THEORY §4.4).

Lemma 11 (project form). Let R be an RNN with τ steps per token, hidden set H, computing F,
and let k ≥ 1, r ∈ {1..k}, N ≥ 1. With the pace T = τ and the schedule of
:mod:`constructions.counters` (slot length P = T + 1, or 3 when k = T = 1, input loop
τ_S = (2^k + 1)·k·P), the network S = ``synchronized_enumeration(R, k, r, N)`` satisfies, for
every input stream x, with j(i) = i for i < r and j(i) = the largest element of r + kℤ
that is ≤ i otherwise, and ℓ = i − j(i):

  (1) v_{iτ_S}(o) = F(x_{≤i}) for every i (in particular for i < r, the lemma's case 1);
  (2) v_{t(i,n,m)}(o) = F(x_{<j}·s_n[0..m]) for i ≥ r, n ∈ [0, 2^k), m ∈ [0, k), with
      t(i, n, m) = (i−1)·τ_S + (n·k + m + 1)·P  (:meth:`Schedule.t_out`);
  (3) v_{t(i,2^k,m)}(o) = F(x_{<j}·x_{j..j+m}) for m ≤ ℓ (the final phase).

Parts (paper's names): counters (Claim 1), input storage X (Claim 2: X_m = x_{j+m} for
m ≤ ℓ, 0 above), enumerator E (Claim 3: the digits of s_n and the digit ``E.feed`` being
fed, held for a whole slot), H1 (Claim 4: a copy of H holding R's hidden state after x_{<j};
it RUNs over the stored tokens in the final phase of the loops where the anchor moves, and
over x_i itself for i < r, Claim 7), H2 (Claim 5: a copy of H, LOADed from H1 at the first
step of every string, RUN on each digit, HOLD otherwise) and O (Claim 6: a copy of R's
other nodes, reading H2 and the fed digit, running exactly when H2 runs; it is never reset,
which is sound because only outputs at multiples of τ are a function of H, THEORY §2.5(b)).
Each digit slot is P steps: step 0 is LOAD (first digit of a string) or HOLD, steps 1..τ_X
RUN a network of period τ_X, the others HOLD — so networks of different τ share one
skeleton and the faster one holds (THEORY §4.5). All LOAD/RUN/HOLD controls are Boolean
nodes computed one step ahead from the counters and applied with
:func:`constructions.gating.gate_nodes`, which merges with controls already present in R:
the copies' depth is max(depth f, 1) + 1 however often R was itself gated.

Claim 8 (complexity, exact). With V distinct periods (V = 1 here) the skeleton has
2k + 10 + 5V nodes, all hidden (counters k + 6, X k, feed 1, load/write controls 3 and five
RUN/HOLD controls per period), so
  |H_S| = |H| + 2k + 15                      ≤ |H| + 2k + c,   c = 15   (THEORY §4.4)
  |S|   = |R| − |I_R| + 1 + |H| + 2k + 15    ≤ |R| + 2|H| + 2k + c',   c' = 15
  τ_S   = (2^k + 1)·k·P                      ≤ (2^k + 1)·k·(τ + 1) + 3
  depth = max(3, max over R's nodes of their gated depth) ≤ max(depth R + 1, 3).
The hidden set H_S = skeleton ∪ H1 satisfies THEORY §2.5: at a loop boundary H2 is reloaded
from H1 before it is read and O is only read after running from H2.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnsim import Bounds, Builder, Claims, Expr, Node, RNN, affine, relu
from rnnsim.errors import ConstructionError, NetworkError
from rnnsim.registry import realizes

from . import records
from .counters import add_counters
from .gadgets import eq, ge, le
from .gating import gate_nodes, gated_depth, gated_term
from .schedule import Schedule

_STMT = ("S enumerates all k-bit continuations of the anchor prefix x_<j and outputs "
         "F(x_<j·s_n[0..m]) at documented times t(i,n,m); F(x_≤i) at iτ_S")

SKELETON_FIXED = 10        # counters' 6 fixed nodes + feed + load2 + wr + nwr
SKELETON_PER_TAU = 5       # run, hold, hold2, run1, hold1 for each distinct period
SKELETON_DEPTH = 3         # every skeleton node: body depth ≤ 2 under one gate


def skeleton_count(k: int, n_taus: int = 1) -> int:
    """Nodes of the shared skeleton (all hidden): 2k + 10 + 5·(number of distinct τ)."""
    return 2 * k + SKELETON_FIXED + SKELETON_PER_TAU * n_taus


@dataclass
class Copies:
    """The three copies of one enumerated network R inside S."""

    rnn: RNN
    tau: int
    hidden: tuple          # R's node names copied into H1/H2 (R's hidden set, or all nodes)
    h1: dict               # R name → Node in S
    h2: dict
    o: dict
    out: Node              # the copy of R's output node that O/H2 drives


class Skeleton:
    """Counters, input storage X, enumerator E (digits + fed digit) and the LOAD/RUN/HOLD
    control nodes, shared by every network enumerated in one builder."""

    def __init__(self, b: Builder, sched: Schedule, taus, *, x: Expr):
        self.b, self.sched = b, sched
        self.taus = tuple(sorted(set(int(t) for t in taus)))
        if self.taus and (min(self.taus) < 1 or max(self.taus) > sched.T):
            raise NetworkError(f"skeleton: periods {taus} must be ≥ 1 and ≤ the pace T = {sched.T}")
        k, P, r = sched.k, sched.P, sched.r
        cn = self.cnt = add_counters(b, sched)
        self.on = cn.on
        pos0 = sched.position(0)
        # ---- input storage X (Claim 2): X_m ← x at the first step of a loop when ℓ = m,
        # kept when ℓ > m, cleared when ℓ < m
        self.wr = self.control("ctl.wr", le(cn.s(), 0), pos0.s == 0, hidden=True)
        self.nwr = self.control("ctl.nwr", ge(cn.s(), 1), pos0.s != 0, hidden=True)
        self.X = []
        for m in range(k):
            xm = b.node(f"X.x{m}", init=0, hidden=True)
            body = relu(eq(cn.l, m) + x - 1)
            if m < k - 1:
                body = body + relu(ge(cn.l, m + 1) + xm - 1)
            b.update(xm, gated_term([self.wr.name], body) + gated_term([self.nwr.name], xm))
            self.X.append(xm)
        # ---- the fed digit (Claim 3): bit d of the string in phase A, X_d in the final phase
        # (in the final phase the digits e_m are 0 already, n mod 2^k = 0; the −β below makes
        # the string term vanish there without relying on that)
        feed = b.node("E.feed", init=0, hidden=True)
        terms = []
        for m in range(k):
            dm = eq(cn.d, m)
            terms.append(relu(cn.e[m] + dm - cn.beta - 1))
            terms.append(relu(self.X[m] + dm + cn.beta - 2))
        b.update(feed, gated_term([self.on.name], affine([(t, 1) for t in terms])))
        self.feed = feed
        # ---- controls (one step ahead: value at t = decision for the step t → t+1)
        self.load2 = self.control("ctl.load2", le(cn.cd(), 0), pos0.c == 0 and pos0.d == 0, hidden=True)
        inactive = ge(cn.d - cn.l + k * cn.beta, k + 1)          # final phase and d > ℓ
        adv_d = le(cn.p + r * cn.d, r - 1) + eq(cn.l, k - 1)     # H1 moves on during this slot
        self.ctl = {}
        for tau in self.taus:
            in_run = ge(cn.c, 1) if tau >= P - 1 else ge(cn.c, 1) + le(cn.c, tau) - 1
            run = relu(in_run - inactive)
            run1 = relu(in_run + cn.beta + adv_d - 2)
            v = self.values(pos0, tau)
            ctl = {
                "run": self.control(f"ctl.t{tau}.run", run, v["run"], hidden=True),
                "hold": self.control(f"ctl.t{tau}.hold", 1 - run, v["hold"], hidden=True),
                "hold2": self.control(f"ctl.t{tau}.hold2", 1 - run - le(cn.cd(), 0), v["hold2"], hidden=True),
                "run1": self.control(f"ctl.t{tau}.run1", run1, v["run1"], hidden=True),
                "hold1": self.control(f"ctl.t{tau}.hold1", 1 - run1, v["hold1"], hidden=True),
            }
            self.ctl[tau] = ctl

    def control(self, name: str, expr, init, *, hidden: bool = False) -> Node:
        """A Boolean control node: its value at t is ``expr`` of the counters at t−1 (one step
        ahead, so it is the decision for the step t → t+1), in the gated form AND(on)·expr
        that later gatings merge; ``init`` its value at t = 0 (0 or 1)."""
        node = self.b.node(name, init=int(bool(init)), hidden=hidden, boolean=True)
        self.b.update(node, gated_term([self.on.name], expr))
        return node

    def values(self, pos, tau: int) -> dict:
        return control_values(self.sched, pos, tau)

    # ---- copies of an enumerated network -----------------------------------------------------
    def add_copies(self, R: RNN, prefix: str = "", *, tau: int | None = None, full: bool = False) -> Copies:
        """Embed H1, H2 (copies of R's hidden set, or of all its nodes when ``full``) and O
        (the rest) under ``prefix``, gated by the controls of period ``tau`` (R.tau)."""
        b = self.b
        tau = R.tau if tau is None else tau
        if tau not in self.ctl:
            raise NetworkError(f"no controls for period τ = {tau}; the skeleton has {self.taus}")
        if R.alphabet != 2:
            raise NetworkError(f"synchronized enumeration is for binary alphabets (b = 2); {R.name!r} has b = {R.alphabet}")
        ctl = self.ctl[tau]
        pre = f"{prefix}." if prefix else ""
        feed = self.feed
        if R.input_encoding == "value":
            inputs = {R.inputs[0]: feed}
        else:
            inputs = {R.inputs[0]: 1 - feed, R.inputs[1]: feed}
        inner = [u for u in R.nodes if u not in R.inputs]
        H = tuple(inner) if full else tuple(R.hidden)
        h1 = b.embed(R, f"{pre}H1", inputs, nodes=H)
        b.hidden(list(h1.values()))
        gate_nodes(b, list(h1.values()), run=ctl["run1"], hold=ctl["hold1"])
        h2 = b.embed(R, f"{pre}H2", inputs, nodes=H)
        gate_nodes(b, list(h2.values()), run=ctl["run"], hold=ctl["hold2"], load=self.load2,
                   sources={h2[u].name: h1[u] for u in H})
        rest = [u for u in inner if u not in set(H)]
        o = b.embed(R, f"{pre}O", inputs, nodes=rest, external={u: h2[u] for u in H}) if rest else {}
        if o:
            gate_nodes(b, list(o.values()), run=ctl["run"], hold=ctl["hold"])
        out = o[R.output] if R.output in o else h2[R.output]
        return Copies(R, tau, H, h1, h2, o, out)


def control_values(sched: Schedule, pos, tau: int) -> dict:
    """Closed forms of the control nodes at a position (what they hold at that time): the
    decision for the step that starts there, for a network of period ``tau``."""
    active = pos.n < sched.strings or pos.d <= pos.l
    run = 1 <= pos.c <= tau and active
    run1 = run and pos.n == sched.strings and sched.advances(pos.i)
    load2 = pos.c == 0 and pos.d == 0
    return {"run": int(run), "hold": int(not run), "hold2": int(not run and not load2),
            "run1": int(run1), "hold1": int(not run1), "load2": int(load2),
            "wr": int(pos.s == 0), "nwr": int(pos.s != 0)}


def copy_depth(R: RNN) -> int:
    """Depth of R's nodes once gated in H1, H2 or O (Lemma 10 with merging,
    :func:`constructions.gating.gated_depth`): RUN merged with R's own controls, HOLD, and
    (H2) the LOAD of a node copy."""
    controls = set(R.boolean_nodes)
    return max((gated_depth(f, load=True, source=Node("H1"), controls=controls)
                for f in R.transitions.values()), default=1)


def enumeration_claims(R: RNN, k: int, sched: Schedule, *, full: bool = False) -> Claims:
    """Closed forms of Claim 8 for S = synchronized_enumeration(R, k, r, N), with the
    THEORY §4.4 bounds (constants c = c' = 15, c'' = 3)."""
    H = R.size - len(R.inputs) if full else R.hidden_size
    sk = skeleton_count(k, 1)
    c = skeleton_count(0, 1)
    bounds = Bounds(size=R.size + 2 * H + 2 * k + c, hidden_size=H + 2 * k + c,
                    tau=(2 ** k + 1) * k * (R.tau + 1) + 3, depth=max(R.depth + 1, SKELETON_DEPTH))
    return Claims(R.size - len(R.inputs) + 1 + H + sk, H + sk, sched.tau_S,
                  max(SKELETON_DEPTH, copy_depth(R)), bounds=bounds, statement="Lemma 11")


@realizes("Lemma 11", _STMT, bound="|H_S| = |H|+2k+15, |S| = |R|−|I|+1+|H|+2k+15, τ_S = (2^k+1)k·P ≤ (2^k+1)k(τ+1)+3")
@realizes("Claim 2", "input storage X holds x_{j..i} (the tokens since the anchor)")
@realizes("Claim 3", "enumerator E: digits of s_n, and the digit being fed held for a whole slot")
@realizes("Claim 4", "H1 holds R's hidden state after x_<j and moves on over the stored block")
@realizes("Claim 5", "H2 is loaded from H1 per string and runs on each digit")
@realizes("Claim 6", "O copies R's non-hidden nodes and outputs F(x_<j s_n[0..m]) at t(i,n,m)")
@realizes("Claim 7", "for i < r the network outputs F(x_≤i) (pseudo-anchor j = i)")
@realizes("Claim 8", "size and hidden size of S (exact closed forms)")
def synchronized_enumeration(R: RNN, k: int, r: int, N: int | None = None, *, full: bool = False,
                             name: str | None = None) -> RNN:
    """Lemma 11: the enumeration network S of R (see the module docstring for the exact
    statement, the schedule and the claims). ``full=True`` copies all of R into H1/H2 (the
    Section 2.1 variant). Claims: Claim 8's closed forms and the THEORY §4.4 bounds; the
    record (:class:`constructions.records.Enumeration`) holds the schedule."""
    if not isinstance(R, RNN):
        raise ConstructionError(f"synchronized_enumeration needs an rnnsim.RNN to enumerate, got {type(R).__name__}")
    sched = Schedule(k, R.tau, r, N, (R.tau,))
    b = Builder(name or f"enum({R.name})", tau=sched.tau_S, alphabet=2)
    x = b.input("x")
    sk = Skeleton(b, sched, [R.tau], x=x)
    cp = sk.add_copies(R, "", full=full)
    b.output(cp.out)
    return b.build(claims=enumeration_claims(R, k, sched, full=full),
                   construction=records.Enumeration(sched, full, records.record_or_none(R)).to_json())



__all__ = ["Skeleton", "Copies", "synchronized_enumeration", "enumeration_claims",
           "copy_depth", "control_values", "skeleton_count"]
