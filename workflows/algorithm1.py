"""Workflow ``rnnsim algorithm1``: Algorithm 1 — loss minimization over growing classes, with a
pluggable minimizer, and Lemma 4's bad set measured (paper: Algorithm 1, Lemma 4, Theorem 1;
THEORY §9).

Algorithm 1 (project form). g(ε) = ε²M/(2kN), T = ⌈10·log(b)/g(ε)⌉. Draw m_0 uniformly from
{1, …, T}; with m = m_0, minimize the next-token loss over C_m and C_{m+1}; if the decrease
L*_m − L*_{m+1} is ≤ g(ε), output the minimizer over C_m, else set m ← m + 1 and repeat.
Lemma 4: every m outside B = {m : L*_m − L*_{m+1} > g(ε)} outputs an ε-indistinguishable
model, and |B| ≤ L*_0/g(ε) ≤ log(b)/g(ε), so m_0 ∉ B with probability ≥ 0.9.

A *family* gives the classes and the minimizer: ``family.minimize(m)`` returns an object
with ``loss`` (L*_m, or an upper bound for an approximate minimizer), ``lm`` (its LM table)
and ``network()`` (the minimizer as an LM RNN); ``family.describe(m)``, ``family.saturation``
(an index past which the classes no longer grow, or the last index worth sweeping) and
``family.exact`` (True when ``loss`` is the class optimum). Two are provided:
:class:`workflows.exact_family.MarkovFamily` (exact) and :class:`workflows.train.GradientFamily`
(PyTorch, an upper bound on each class optimum).

The report (:func:`run`): the random index, the visited classes with their losses, the stop
decision, the output model's largest advantage over the distinguisher class against ε and
its network (size, hidden size, τ, depth, checked to compute the minimizer's table on every
document); and a sweep over every class up to saturation: L*_m, the constructive certificate
L_p(boost(q*_m)) (Lemma 2 with the best member of the class, η = α, r*: an upper bound on the
optimum of the class that contains the boosted model — C_{m+1} for the exact family), the bad
set B with the bound L*_0/g(ε), and max |α| per class. ``main`` prints it as markdown and
draws the figure (:mod:`workflows.algorithm1_figure`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import numpy as np

from constructions import models
from proofs_checks.boost import best_offset, boosted_conditional
from proofs_checks.lm import LM, as_distribution
from proofs_checks.textdist import entropy, next_token_loss
from rnnsim import simulate_all
from rnnsim.errors import ConstructionError
from rnnsim.registry import realizes

from .report_cli import check_outputs
from .classes import DistinguisherClass, as_class
from .exact_family import MarkovFamily, gain

TOL = 1e-10


@dataclass
class Visit:
    m: int
    cls: str
    loss: float
    loss_next: float
    drop: float
    stop: bool


@dataclass
class SweepRow:
    m: int
    cls: str
    loss: float
    max_alpha: float
    best: str
    certificate: float | None       # L_p(boost(q_m)) (None when α = 0: nothing to boost)
    bad: bool


@dataclass
class Algorithm1Report:
    family: str
    exact: bool
    N: int
    k: int
    eps: float
    g_eps: float
    T: int
    m0: int
    seed: int | None
    visits: list = field(default_factory=list)
    m_stop: int = 0
    output_loss: float = 0.0
    output_alpha: float = 0.0
    output_best: str = ""
    output_network: dict = field(default_factory=dict)
    sweep: list = field(default_factory=list)
    bad: list = field(default_factory=list)
    bad_bound: float = 0.0
    entropy_rate: float = 0.0
    failures: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_json(self) -> dict:
        return asdict(self)

    def markdown(self) -> str:
        net = self.output_network
        out = [f"### Algorithm 1 ({self.family})", "",
               "| quantity | value |", "|---|---|",
               f"| document length N / window k / ε | {self.N} / {self.k} / {self.eps:g} |",
               f"| g(ε) = ε²M/(2kN) | {self.g_eps:.4g} |",
               f"| T = ⌈10·log b / g(ε)⌉ | {self.T} |",
               f"| random start m_0 ∈ {{1..T}} (seed {self.seed}) | {self.m0} |",
               f"| stop index (first m ≥ m_0 with L*_m − L*_m+1 ≤ g(ε)) | {self.m_stop} |",
               f"| output model | {net.get('name')} (size {net.get('size')}, hidden {net.get('hidden')}, "
               f"τ {net.get('tau')}, depth {net.get('depth')}) |",
               f"| output's network = minimizer on every document (max error) | {net.get('max_error', 0):.3g} |",
               f"| output loss L_p(q) (entropy floor H(p)/N) | {self.output_loss:.6f} ({self.entropy_rate:.6f}) |",
               f"| output's largest advantage over the class (best: {self.output_best}) | {self.output_alpha:.6f} "
               f"{'≤' if self.output_alpha <= self.eps + TOL else '>'} ε = {self.eps:g} |",
               "", "| m | class | L_m | L_m+1 | decrease | ≤ g(ε): stop |", "|---|---|---|---|---|---|"]
        out += [f"| {v.m} | {v.cls} | {v.loss:.6f} | {v.loss_next:.6f} | {v.drop:.3g} | {'yes' if v.stop else 'no'} |"
                for v in self.visits]
        out += ["", f"Every class up to saturation (B = bad indices, |B| = {len(self.bad)} ≤ L_0/g(ε) = "
                f"{self.bad_bound:.4g}):", "",
                "| m | class | L_m | certificate L(boost(q_m)) | max \\|α\\| (best member) | m ∈ B |",
                "|---|---|---|---|---|---|"]
        out += [f"| {r.m} | {r.cls} | {r.loss:.6f} | {'–' if r.certificate is None else f'{r.certificate:.6f}'} | "
                f"{r.max_alpha:.5f} ({r.best}) | {'yes' if r.bad else ''} |" for r in self.sweep]
        return "\n".join(out)


def certificate(p, q: LM, dcl: DistinguisherClass, k: int) -> tuple[float, str, float | None]:
    """(α of the best member, its label, L_p(boost(q))) with η = α at r* (None when α ≤ 0)."""
    ch = dcl.best(p, q)
    a = ch.alpha
    if not a > 0:
        return 0.0, ch.label, None
    r = best_offset(ch.adv)
    qb = boosted_conditional(q.to_float(), ch.table, k=k, r=r, eta=float(a), N=p.N).table()
    return float(a), ch.label, next_token_loss(p, qb)


@realizes("Algorithm 1", "draw m_0 ∈ {1..T}, T = ⌈10 log b / g(ε)⌉; minimize over C_m, C_m+1 and stop when the loss "
          "decreases by ≤ g(ε); the output is ε-indistinguishable unless m ∈ B", bound="P(m_0 ∈ B) ≤ 0.1",
          kind="check")
def run(family, p, *, k: int, eps: float, dclass=None, seed: int | None = 0, m0: int | None = None,
        max_steps: int = 10_000, sweep: bool = True) -> Algorithm1Report:
    """Algorithm 1 with ``family``'s minimizer, and the report of the module docstring."""
    p = as_distribution(p)
    if not (isinstance(eps, (int, float, Fraction)) and eps > 0):
        raise ConstructionError(f"ε must be > 0, got {eps!r}")
    N, b = p.N, p.b
    if not (isinstance(k, int) and 1 <= k <= N):
        raise ConstructionError(f"window k must be an integer in 1..N = 1..{N}, got {k!r}")
    dcl = as_class(dclass, k, who="algorithm1")
    g = gain(eps, k=k, N=N)
    T = math.ceil(10 * math.log(b) / g)
    if m0 is None:
        m0 = int(np.random.default_rng(seed).integers(1, T + 1))
    elif not (isinstance(m0, int) and m0 >= 0):
        raise ConstructionError(f"m0 must be a non-negative integer, got {m0!r}")
    rep = Algorithm1Report(family.name, bool(family.exact), N, k, float(eps), g, T, m0, seed,
                           entropy_rate=entropy(p) / N)
    m = m0
    for _ in range(max_steps):
        cur, nxt = family.minimize(m), family.minimize(m + 1)
        drop = cur.loss - nxt.loss
        stop = drop <= g
        rep.visits.append(Visit(m, family.describe(m), cur.loss, nxt.loss, drop, stop))
        if stop:
            break
        m += 1
    else:
        rep.failures.append(f"no stop within {max_steps} steps")
    rep.m_stop = m
    out = family.minimize(m)
    rep.output_loss = out.loss
    advs = dcl.advantages(p, out.lm)
    rep.output_alpha, rep.output_best = float(advs.max_abs), advs.best_label
    net = out.network()
    got = simulate_all(net, N, "float64", "auto")
    err = float(np.max(np.abs(got - out.lm.to_float().outputs())))
    rep.output_network = dict(name=net.name, size=net.size, hidden=net.hidden_size, tau=net.tau, depth=net.depth,
                              max_error=err)
    if err > 1e-9:
        rep.failures.append(f"the output network differs from the minimizer's table by {err:.3g}")
    if out.loss < rep.entropy_rate - TOL:
        rep.failures.append(f"output loss {out.loss} is below the entropy floor {rep.entropy_rate}")
    if sweep:
        _sweep(rep, family, p, dcl, k, g)
    return rep


def _sweep(rep: Algorithm1Report, family, p, dcl, k: int, g: float) -> None:
    last = family.saturation
    losses = [family.minimize(m).loss for m in range(last + 2)]
    for m in range(last + 1):
        mn = family.minimize(m)
        a, name, cert = certificate(p, mn.lm, dcl, k)
        bad = losses[m] - losses[m + 1] > g
        rep.sweep.append(SweepRow(m, family.describe(m), mn.loss, a, name, cert, bad))
        if cert is not None and cert > mn.loss - gain(a, k=k, N=p.N) + 1e-9:
            rep.failures.append(f"m = {m}: L(boost(q_m)) = {cert} > L_m − g(α) (Lemma 1)")
        if family.exact:
            if cert is not None and losses[m + 1] > cert + 1e-9:
                rep.failures.append(f"m = {m}: certificate fails, L*_m+1 = {losses[m + 1]} > {cert}")
            if not bad and a > rep.eps + TOL:
                rep.failures.append(f"m = {m} ∉ B but max |α| = {a} > ε (Lemma 4)")
            if losses[m + 1] > losses[m] + TOL:
                rep.failures.append(f"m = {m}: L*_m+1 > L*_m (classes not nested)")
    rep.bad = [r.m for r in rep.sweep if r.bad]
    rep.bad_bound = losses[0] / g
    if family.exact and len(rep.bad) > rep.bad_bound:
        rep.failures.append(f"|B| = {len(rep.bad)} > L*_0/g(ε) = {rep.bad_bound}")


def default_source(N: int = 10, motif: str = "111", noise=Fraction(0)):
    """The demo's source: the motif-avoiding automaton (never completes ``motif``) on Σ^N."""
    pfa = models.motif_pfa(tuple(int(c) for c in motif), "avoid", noise=noise)
    return LM.from_callable(pfa, 2, N).distribution()


def main(argv=None) -> int:
    """``rnnsim algorithm1``: exit 0 when every check passes, 1 when one fails."""
    ap = argparse.ArgumentParser(prog="rnnsim algorithm1", description=__doc__.split("\n\n")[0])
    ap.add_argument("--N", type=int, default=10, help="document length (default 10)")
    ap.add_argument("--k", type=int, default=3, help="distinguisher window (default 3)")
    ap.add_argument("--eps", type=float, default=0.02, help="advantage threshold ε > 0 (default 0.02)")
    ap.add_argument("--motif", default="111", help="motif the source avoids (default 111, the demo's source)")
    ap.add_argument("--noise", type=float, default=0.0, help="mix the source's emissions with uniform (default 0)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random start index m_0 (default 0)")
    ap.add_argument("--m0", type=int, default=None, help="start index instead of a random one")
    ap.add_argument("--minimizer", choices=("exact", "gradient"), default="exact",
                    help="exact: inhomogeneous Markov family (default); gradient: ReLU RNNs trained with PyTorch")
    ap.add_argument("--h-max", type=int, default=3, help="gradient minimizer: largest hidden size (default 3)")
    ap.add_argument("--plot", default=None, help="write the figure to this PNG")
    ap.add_argument("--json", dest="json_out", default=None, help="write the full report as JSON")
    args = ap.parse_args(argv)
    check_outputs(args)                                  # bad input (status 1) or no matplotlib (2), before any work
    if not args.eps > 0:
        raise ConstructionError(f"--eps must be > 0, got {args.eps}")
    p = default_source(args.N, args.motif, Fraction(args.noise))
    if args.minimizer == "exact":
        fam = MarkovFamily(p, args.k)
    else:
        from .train import GradientFamily
        fam = GradientFamily(p, args.k, h_max=args.h_max)
    rep = run(fam, p, k=args.k, eps=args.eps, seed=args.seed, m0=args.m0)
    print(f"source: avoid motif {args.motif} (noise {args.noise:g}), N = {args.N}\n")
    print(rep.markdown())
    if args.plot:
        from .algorithm1_figure import plot
        plot(rep, args.plot)
        print(f"\nfigure written to {args.plot}")
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump({**rep.to_json(), "ok": rep.ok}, fh, indent=2, default=str)
    if rep.failures:
        print("\nFAILED:\n  " + "\n  ".join(rep.failures), file=sys.stderr)
        return 1
    print("\nall checks passed")
    return 0


__all__ = ["Visit", "SweepRow", "Algorithm1Report", "certificate", "run", "default_source", "main"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
