"""Workflow ``rnnsim bits``: bounded bit size over boosting rounds (paper: Lemma 12, Claims 9–11,
Algorithm 2, Theorem 2; THEORY §5, §9).

Theorem 2 (project form) says that the self-boosting chain R_0 → R_1 → … stays
indistinguishability-improving when every round is run in a fixed format whose bit size is
polynomial in k and the distinguishers' bits and independent of the document length N.
This workflow makes that measurable on the default problem of ``rnnsim demo`` (a
motif-avoiding source p, its best order-1 Markov fit q_0, the window-k pattern-set
distinguishers): :func:`build_chain` boosts q_0 round after round with the pattern set of
largest advantage, r* and η = α (as self-boosting does), keeping the exact Lemma 2 chain q_t
beside the networks. For every round, :func:`round_bits`

1. chooses the format for an output error δ (:func:`constructions.bitsize.choose_format`:
   the round-by-round analysis of :mod:`constructions.lemma12`, no simulation, timed);
2. puts the paper's closed forms beside it (Claim 9's integer bits, Claim 10's fractional
   bits, :mod:`constructions.claims9_11`);
3. simulates the network in that format on every document (explicit engine, never a
   saturating format) and checks: (a) no overflow, (b) |q̃_t − q_t| ≤ δ, (c) Lemma 16's
   loss bound; and measures the least integer bits without overflow and the least
   fractional bits within δ (:mod:`workflows.bits`), and per node the largest |value| over
   sample documents against the claimed and the closed-form bits (measured ≤ claimed ≤
   Claim 9 node by node).

:func:`n_sweep` rebuilds the same chain (same distinguishers, offsets and factors) for other
N and shows the fractional bits, the analysis cost and the integer bits of every node do not
change — except the position counters (each round's ``cnt.p`` and its copies ``R.H1.cnt.p``,
``R.H2.cnt.p`` in later rounds), which count the input loops up to L + 1 (L the end of the
last complete block, THEORY §4.3) and so need ⌈log₂(L + 2)⌉ integer bits: they decide
whether position i still lies in a complete block. Once log₂ N exceeds log₂ of the slot
length they set the integer bits (N ≥ 64 in round 2 for k = 2). :func:`claim11_table`
prints the hyper-parameter sequences of Claim 11 / Algorithm 2 with the Theorem 2 bound.
``main`` is ``rnnsim bits`` (options ``--k --rounds --N --delta --sweep --engine --eta
--no-simulate --eps --json --plot``); :func:`round_bits` is what other reports call for
their bits column.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import numpy as np

import rnnsim
from constructions import bitsize, boosting, claims9_11, models, records
from proofs_checks.boost import best_offset, boosted_conditional
from proofs_checks.bounds import lemma16
from proofs_checks.lm import LM
from rnnsim import Fixed
from rnnsim.engines import get_engine
from rnnsim.registry import realizes

from .report_cli import check_outputs
from . import bits as wbits
from .classes import DistinguisherClass
from .demo import default_problem

DELTA = Fraction(1, 2 ** 12)
POSITION_COUNTER = "cnt.p"


def is_position_counter(node: str) -> bool:
    """The position counter of a round, or its copy inside a later round (``R.H1.cnt.p``)."""
    return node == POSITION_COUNTER or node.endswith("." + POSITION_COUNTER)


@dataclass
class Chain:
    """A boosting chain with its exact Lemma 2 LMs: nets[t] computes qs[t + 1]."""

    k: int
    N: int
    p: object
    lm0: object
    dists: list
    rs: list
    factors: list
    alphas: list
    nets: list
    qs: list


def build_chain(k: int = 2, rounds: int = 3, N: int = 6, *, eta: float | None = None, motif=None) -> Chain:
    """Self-boosting on the demo's default problem: each round the window-k pattern set of
    largest advantage against the current exact LM, r* and η = α (``eta`` fixes η instead)."""
    pr = default_problem(N, k, motif=motif)
    q, cur = pr.q, pr.lm_net
    ch = Chain(k, N, pr.p, pr.lm_net, [], [], [], [], [], [q])
    C = DistinguisherClass.named("patterns", k)
    for t in range(rounds):
        choice = C.best(pr.p, q)
        alpha = choice.alpha
        if not alpha > 0:
            break
        r = best_offset(choice.adv)
        d, d_net = choice.table, choice.net
        cur = boosting.boost(cur, d_net, k=k, r=r, eta=float(alpha) if eta is None else eta, N=N,
                             name=f"boost{t + 1}")
        w = records.record_of(cur).factor
        q = boosted_conditional(q, d, k=k, r=r, factor=w, N=N).table()
        ch.dists.append(d_net), ch.rs.append(r), ch.factors.append(w), ch.alphas.append(float(alpha))
        ch.nets.append(cur), ch.qs.append(q)
    return ch


def rebuild(ch: Chain, N: int) -> list:
    """The same rounds (distinguishers, offsets, factors) built for document length N."""
    return boosting.iterate(ch.lm0, ch.dists, k=ch.k, rs=ch.rs, factors=ch.factors, N=N)


@dataclass
class RoundBits:
    """One row of the slack table (module docstring)."""

    round: int
    tau: int
    size: int
    int_claimed: int
    int_closed: int                   # Claim 9
    frac_claimed: int
    frac_closed: int                  # Claim 10
    proved_error: float
    mu: float                         # Lemma 15 lower bound on the exact conditionals
    delta: float
    analysis_s: float
    int_free: int = 0                 # claimed integer bits of every node but the position counters
    int_measured: int | None = None
    frac_measured: int | None = None
    measured_error: float | None = None
    mu_exact: float | None = None
    loss_diff: float | None = None
    loss_bound: float | None = None
    overflow: str | None = None
    engine: str | None = None
    refused: str | None = None
    node_docs: int = 0
    node_violations: list = field(default_factory=list)   # measured > claimed
    closed_violations: list = field(default_factory=list)  # claimed > Claim 9
    simulation_s: float = 0.0

    @property
    def ratio(self) -> float | None:
        return None if not self.measured_error else self.proved_error / self.measured_error

    @property
    def ok(self) -> bool:
        sim_ok = self.engine is None or self.refused is not None or (
            self.overflow is None and self.measured_error is not None and self.measured_error <= self.delta
            and (self.loss_diff is None or self.loss_diff <= self.loss_bound + 1e-12)
            and not self.node_violations
            and (self.int_measured is None or self.int_measured <= self.int_claimed)
            and (self.frac_measured is None or self.frac_measured <= self.frac_claimed))
        return (sim_ok and self.int_claimed <= self.int_closed and self.frac_claimed <= self.frac_closed
                and not self.closed_violations and self.proved_error <= self.delta)


@realizes("Theorem 2", "bounded bit size over boosting rounds: per round the chosen format, the paper's closed "
          "forms and the measured bits", kind="check")
def round_bits(net, delta=DELTA, *, N: int | None = None, exact=None, p=None, simulate: bool = True,
               engine: str = "numba", node_docs: int = 4, node_steps: int = 20_000, measure: bool = True,
               rnd: int | None = None) -> RoundBits:
    """The slack-table row of one boosted network (module docstring). ``exact``: the exact
    LM it computes (a ``proofs_checks.lm.LM`` over Σ^N, e.g. ``Chain.qs[t]``; default: its
    float64 outputs, numba); ``p``: the data distribution for Lemma 16 (default uniform);
    ``simulate=False``: the analysis and the closed forms only (what a report's bits
    column needs: no simulation); ``node_docs`` documents (at most ``node_steps`` steps in
    all) are recorded node by node for check (d)."""
    delta = Fraction(delta)
    t0 = time.perf_counter()
    ch = bitsize.choose_format(net, delta)
    s = ch.analysis
    claimed = s.node_bits()
    closed = claims9_11.claim9_node_bits(s)
    row = RoundBits(rnd if rnd is not None else s.rounds, net.tau, net.size, ch.fixed.int_bits,
                    max(closed.values()), ch.fixed.frac_bits, claims9_11.claim10_frac_bits(net, delta),
                    float(s.out_err), float(s.mu), float(delta), time.perf_counter() - t0,
                    int_free=max(1, max(b for n, b in claimed.items() if not is_position_counter(n))))
    row.closed_violations = [f"{n}: claimed {claimed[n]} > Claim 9 {closed[n]}" for n in claimed
                             if claimed[n] > closed[n]]
    if not simulate:
        return row
    if N is None:
        N = records.record_of(net).N
    t1 = time.perf_counter()
    fmt = ch.fixed
    try:
        out, row.engine = wbits.run_fixed(net, fmt, N, engine)
    except wbits.Refused as e:
        row.refused = str(e)
        return row
    except rnnsim.FixedPointOverflow as e:
        row.overflow, row.engine = str(e), engine
        return row
    want = exact.to_float().outputs() if exact is not None else rnnsim.simulate_all(net, N, "float64", engine)
    row.measured_error = float(np.max(np.abs(out - want)))
    q_ex = exact if exact is not None else LM.from_outputs(want, net.alphabet, validate=False)
    row.mu_exact = float(min(float(np.min(lv.astype(float))) for lv in q_ex.to_float().levels))
    if p is None:
        from proofs_checks.lm import Distribution
        p = Distribution(np.full(net.alphabet ** N, 1.0 / net.alphabet ** N), net.alphabet, N)
    if row.measured_error < row.mu_exact:
        diff, _, _ = lemma16(p, LM.from_outputs(out, net.alphabet, validate=False), q_ex.to_float(), row.mu_exact)
        row.loss_diff, row.loss_bound = diff, -math.log1p(-float(delta) / row.mu_exact)
    if measure:
        row.int_measured = wbits.measured_int_bits(net, fmt, N, engine)
        row.frac_measured = wbits.measured_frac_bits(net, fmt, N, delta, want, engine)["frac_bits"]
        docs = rnnsim.all_documents(net.alphabet, N)
        n = min(node_docs, len(docs), node_steps // (N * net.tau))
        if n:   # (d) per node, recorded step by step on the reference engine (faster per step)
            pick = docs[np.linspace(0, len(docs) - 1, n).astype(int)]
            meas = wbits.check_measured_bits(net, s, [list(d) for d in pick], fmt)
            row.node_docs, row.node_violations = n, meas["violations"]
    row.simulation_s = time.perf_counter() - t1
    return row


def chain_rows(ch: Chain, delta=DELTA, **kw) -> list[RoundBits]:
    """:func:`round_bits` for every round of the chain, against its exact Lemma 2 LMs."""
    return [round_bits(net, delta, N=ch.N, exact=ch.qs[t + 1], p=ch.p, rnd=t + 1, **kw)
            for t, net in enumerate(ch.nets)]


def n_sweep(ch: Chain, Ns, delta=DELTA) -> dict:
    """{N: [(i, f, i without the position counters) per round]} for the same chain built for
    each N (analysis only)."""
    out = {}
    for N in Ns:
        out[N] = [(r.int_claimed, r.frac_claimed, r.int_free) for r in
                  (round_bits(net, delta, simulate=False, rnd=t + 1) for t, net in enumerate(rebuild(ch, N)))]
    return out


def _cell(v, fmt="{}"):
    return "—" if v is None else fmt.format(v)


def slack_table(rows: list[RoundBits]) -> str:
    """The per-round slack table (markdown)."""
    head = ("| round | τ | i: measured ≤ claimed ≤ Claim 9 | f: measured ≤ claimed ≤ Claim 10 | "
            "error: measured / proved (×) | μ: Lemma 15 ≤ exact | loss: L(q̃)−L(q) ≤ Lemma 16 | analysis | ok |")
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        err = (f"{r.measured_error:.2e} / {r.proved_error:.2e} ({r.ratio:.1f}×)" if r.measured_error
               else f"— / {r.proved_error:.2e}") if r.refused is None else f"refused: {r.refused[:60]}"
        loss = "—" if r.loss_diff is None else f"{r.loss_diff:.2e} ≤ {r.loss_bound:.2e}"
        lines.append(
            f"| {r.round} | {r.tau} | {_cell(r.int_measured)} ≤ {r.int_claimed} ≤ {r.int_closed} "
            f"(slack {r.int_closed - r.int_claimed}) | {_cell(r.frac_measured)} ≤ {r.frac_claimed} ≤ "
            f"{r.frac_closed} (slack {r.frac_closed - r.frac_claimed}) | {err} | {r.mu:.4f} ≤ "
            f"{_cell(r.mu_exact, '{:.4f}')} | {loss} | {r.analysis_s:.2f} s | {'yes' if r.ok else 'NO'} |")
    return "\n".join(lines)


def sweep_table(sweep: dict) -> str:
    Ns = sorted(sweep)
    rounds = len(sweep[Ns[0]])
    lines = ["| round | " + " | ".join(f"N = {N}: i / f (i w/o position counters)" for N in Ns) + " |",
             "|---|" + "---|" * len(Ns)]
    for t in range(rounds):
        lines.append(f"| {t + 1} | " + " | ".join("{} / {} ({})".format(*sweep[N][t]) for N in Ns) + " |")
    return "\n".join(lines)


def claim11_table(k: int, eps: float, N: int, rounds: int) -> tuple[str, list[str]]:
    """Claim 11's sequences with the Theorem 2 bound per index, and Lemma 12's violations."""
    seq = claims9_11.claim11_sequences(k, eps, N, rounds=rounds)
    bad = claims9_11.lemma12_conditions(seq, k, eps, N)
    lines = ["| m | τ_m | i_m | f_m | bits | Theorem 2 bound | μ_m | δ_m | penalty ≤ g(ε)/2 |", "|" + "---|" * 9]
    g = claims9_11.gain(eps, k=k, N=N)
    for b in seq:
        bd = claims9_11.theorem2_bound(b.m, k, eps, N)
        lines.append(f"| {b.m} | {b.tau} | {b.int_bits} | {b.frac_bits} | {b.bits} | {bd['bits']} | {b.mu:.3e} | "
                     f"{b.delta:.3e} | {b.penalty:.2e} ≤ {g / 2:.2e} |")
    return "\n".join(lines), bad


def main(argv=None) -> int:
    """``rnnsim bits``: exit status 0 when every check passes, 1 when one fails or on bad input (a
    path that cannot be written, an unknown engine), 2 on a bad command line."""
    ap = argparse.ArgumentParser(prog="rnnsim bits", description=__doc__.split("\n\n")[0])
    ap.add_argument("--k", type=int, default=2, help="window k (default 2)")
    ap.add_argument("--rounds", type=int, default=2, help="boosting rounds (default 2)")
    ap.add_argument("--N", type=int, default=6, help="document length (default 6)")
    ap.add_argument("--delta", type=float, default=float(DELTA), help="output error per round (default 2^-12)")
    ap.add_argument("--sweep", default="", help="comma-separated N for the N sweep (e.g. 6,7,8)")
    ap.add_argument("--eta", type=float, default=None, help="fix η in every round (default: η = α)")
    ap.add_argument("--engine", default="numba", help="engine of the fixed-point runs (numba or reference)")
    ap.add_argument("--no-simulate", action="store_true", help="analysis and closed forms only")
    ap.add_argument("--eps", type=float, default=0.05, help="ε of the Claim 11 sequences (default 0.05)")
    ap.add_argument("--json", dest="json_out", default=None, help="write every number to this JSON file")
    ap.add_argument("--plot", default=None, help="write the figure to this PNG file")
    a = ap.parse_args(argv)
    if not (a.delta > 0 and a.rounds >= 1 and a.eps > 0 and a.k >= 1 and a.N >= 1):
        ap.error("need --k ≥ 1, --N ≥ 1, --rounds ≥ 1, --delta > 0 and --eps > 0")       # usage (status 2)
    try:
        Ns = [int(x) for x in a.sweep.split(",") if x.strip()]
    except ValueError:
        ap.error(f"--sweep {a.sweep!r}: write document lengths separated by commas, e.g. 6,7,8")
    if any(n < 1 for n in Ns):
        ap.error(f"--sweep {a.sweep!r}: document lengths must be ≥ 1")
    check_outputs(a)                                  # bad input (status 1) or no matplotlib (2), before any work
    if not a.no_simulate:
        get_engine(a.engine)                            # an unknown engine is bad input (status 1)
    ch = build_chain(a.k, a.rounds, a.N, eta=a.eta)
    rows = chain_rows(ch, Fraction(a.delta), simulate=not a.no_simulate, engine=a.engine)
    print(f"Bit size per boosting round (k = {a.k}, N = {a.N}, δ = {a.delta:g}; claimed = the analysis, "
          "measured = simulation on every document)\n")
    print(slack_table(rows))
    sweep = n_sweep(ch, Ns, Fraction(a.delta)) if Ns else {}
    if sweep:
        print("\nN sweep (same distinguishers, offsets and factors):\n")
        print(sweep_table(sweep))
    text, bad = claim11_table(a.k, a.eps, a.N, len(rows))
    print(f"\nClaim 11 / Algorithm 2 sequences (ε = {a.eps}, worst case η ≤ 1), Theorem 2 bound:\n")
    print(text)
    failures = [f"round {r.round}" for r in rows if not r.ok] + bad
    if a.json_out:
        with open(a.json_out, "w", encoding="utf-8") as fh:
            json.dump({"rows": [asdict(r) for r in rows], "sweep": {str(k): v for k, v in sweep.items()},
                       "claim11_violations": bad, "ok": not failures}, fh, indent=2, default=str)
    if a.plot:
        from .theorem2_figure import figure
        figure(rows, sweep, a.plot)
    if failures:
        print("\nFAILED: " + ", ".join(failures), file=sys.stderr)
        return 1
    print("\nall checks passed")
    return 0


__all__ = ["Chain", "build_chain", "rebuild", "RoundBits", "round_bits", "chain_rows", "n_sweep", "slack_table",
           "sweep_table", "claim11_table", "main", "DELTA"]
