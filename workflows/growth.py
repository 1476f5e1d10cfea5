"""Workflow ``rnnsim growth``: how the boosted networks grow over rounds — measured, against
the closed forms of Lemma 3 and Section 2.1 (THEORY §4.6, §9).

**Closed forms (THEORY §4.6, exact).** One round boosts R (size |R|, hidden |H_R|, τ_R,
|I_R| = 1 input) with a distinguisher D (|D|, |H_D|, τ_D) for window k; V = |{τ_R, τ_D}|
is the number of distinct periods, T = max(τ_R, τ_D) and P = T + 1 (max(T + 1, 3) when
k = 1) the digit-slot length. ``boost`` (Lemma 3) gives
  |H'| = |H_R| + |H_D| + 2k + 10 + 5V,
  |R'| = (|R| − 1 + |H_R|) + (|D| − 1 + |H_D|) + 2k + 33 + 5V,
  τ'   = (2^k + 1)·k·P,
  depth' = max(4 [3 if k = 1], g(R), g(D)), g = the depth of a network's nodes once gated
  (``constructions.enumeration.copy_depth``; for a boosted network, whose nodes are already
  gated, g equals its depth because gates merge);
``boost_simple`` (Section 2.1) copies all of R and D: |R'| = 2(|R| − 1) + 2(|D| − 1) +
2k + 33 + 5V, |H'| = (|R| − 1) + (|D| − 1) + 2k + 10 + 5V, the same τ'. So the hidden size
grows linearly in the rounds (by |H_D| + 2k + 20 once τ_R ≠ τ_D), the size quadratically
(it adds the hidden size each round), τ geometrically (×(2^k+1)·k) and the simple size
exponentially (×2). :func:`next_counts` is this recursion on numbers alone (no network is
built); :func:`closed_form` iterates it over a sequence of distinguishers.

**The study.** :func:`growth` boosts a start LM (default: uniform) for R rounds with the
members of a class (default: the mixed class, τ_D ∈ {1, 2, 3}) in turn, with ``boost`` and
with ``boost_simple``, for each k in a range. Every round whose network has at most
``max_nodes`` nodes (by the closed form) is built, and its size, hidden size, τ and depth
are checked equal to the closed form; larger rounds are rows "closed form". Each row also
reports the lowered program's operations per time step (shared subexpressions counted once)
and the largest fan-in (in-neighbours of one node), measured where built. Least-squares fits
(:func:`fits`): hidden size linear, size quadratic, log τ linear (ratio per round), log of
the simple size linear (ratio per round), each beside the value the closed form implies.
``hooks``: callables ``hook(row, net_or_None) -> dict`` whose columns are added to every row
(``row.extra``; e.g. the bit sizes of Theorem 2).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from constructions import boosting, models
from constructions.enumeration import copy_depth
from rnnsim import ConstructionError, RNN

from .classes import DistinguisherClass
from .report_cli import add_report_options, check_outputs, finish

__all__ = ["Counts", "next_counts", "lemma3_bounds", "closed_form", "measure", "GrowthRow", "Fit",
           "GrowthReport", "growth", "fits", "markdown", "main"]


# ---- the closed forms ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    """Size, hidden size, τ, depth, gated depth g and input count of a network (or of a round
    that was not built)."""

    size: int
    hidden: int
    tau: int
    depth: int
    gated_depth: int
    inputs: int = 1

    @classmethod
    def of(cls, net: RNN) -> "Counts":
        return cls(net.size, net.hidden_size, net.tau, net.depth, copy_depth(net), len(net.inputs))


def _slot(k: int, T: int) -> int:
    return max(T + 1, 3) if k == 1 else T + 1


def next_counts(R: Counts, D: Counts, k: int, *, simple: bool = False) -> Counts:
    """The counts of boost(R, D) (``simple``: boost_simple) by the closed forms above."""
    V = len({R.tau, D.tau})
    if simple:
        hR, hD = R.size - R.inputs, D.size - D.inputs
        size = 2 * hR + 2 * hD + 2 * k + 33 + 5 * V
    else:
        hR, hD = R.hidden, D.hidden
        size = (R.size - R.inputs + hR) + (D.size - D.inputs + hD) + 2 * k + 33 + 5 * V
    hidden = hR + hD + 2 * k + 10 + 5 * V
    tau = (2 ** k + 1) * k * _slot(k, max(R.tau, D.tau))
    depth = max(4 if k >= 2 else 3, R.gated_depth, D.gated_depth)
    return Counts(size, hidden, tau, depth, depth, 1)


def lemma3_bounds(R: Counts, D: Counts, k: int) -> Counts:
    """THEORY §4.6's upper bounds for one ``boost`` round (c = 2, c0 = 20 / 43, +3 on τ)."""
    hidden = R.hidden + D.hidden + 2 * k + 20
    size = R.size + 2 * R.hidden + D.size + 2 * D.hidden + 2 * k + 43
    tau = (2 ** k + 1) * k * (max(R.tau, D.tau) + 1) + 3
    depth = max(R.depth + 1, D.depth + 1, 4)
    return Counts(size, hidden, tau, depth, depth, 1)


def closed_form(start: Counts, dists, k: int, *, simple: bool = False) -> list[Counts]:
    """[start, R_1, …, R_m] for the distinguishers' counts ``dists`` (one per round)."""
    out = [start]
    for D in dists:
        out.append(next_counts(out[-1], D, k, simple=simple))
    return out


def measure(net: RNN) -> dict:
    """Size, hidden size, τ, depth, operations per time step and largest fan-in of a network."""
    return {"size": net.size, "hidden": net.hidden_size, "tau": net.tau, "depth": net.depth,
            "ops": net.program.n_ops, "fan_in": max((len(f.nodes()) for f in net.transitions.values()), default=0)}


# ---- the study -------------------------------------------------------------------------------------

@dataclass
class GrowthRow:
    k: int
    t: int
    construction: str              # "boost" or "boost_simple"
    mode: str                      # "built" or "closed form" (t = 0: the start network)
    distinguisher: str             # the round's distinguisher ("" for t = 0)
    tau_D: int | None
    size: int
    hidden: int
    tau: int
    depth: int
    ops: int | None                # measured where built
    fan_in: int | None
    build_s: float | None
    matches: bool | None           # built: size, hidden, τ and depth equal the closed form
    extra: dict = field(default_factory=dict)


@dataclass
class Fit:
    k: int
    quantity: str                  # "hidden", "size", "tau", "simple size"
    model: str                     # "linear", "quadratic", "geometric", "exponential"
    params: list                   # highest degree first (np.polyfit); geometric: [log ratio, log c]
    fitted: float                  # the fitted growth parameter (slope, leading coeff., ratio)
    closed_form: float             # what the closed form implies for it
    max_rel_residual: float        # of the fitted curve against the per-round values


@dataclass
class GrowthReport:
    ks: list
    rounds: int
    cls: str
    rows: list
    fits: list
    failures: list
    time_s: float

    def as_dict(self) -> dict:
        return {"ks": self.ks, "rounds": self.rounds, "class": self.cls,
                "rows": [asdict(r) for r in self.rows], "fits": [asdict(f) for f in self.fits],
                "failures": self.failures, "ok": not self.failures, "time_s": self.time_s}


def _cycle(cls: DistinguisherClass, rounds: int) -> list[int]:
    return [(t - 1) % len(cls) for t in range(1, rounds + 1)]


def growth(ks=(1, 2, 3, 4), rounds: int = 6, *, cls="mixed", start: RNN | None = None, max_nodes: int = 2000,
           simple: bool = True, hooks=(), progress: bool | None = None) -> GrowthReport:
    """Boost for ``rounds`` rounds for each k in ``ks`` (module docstring); returns every row,
    the fits and the failed closed-form checks."""
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ConstructionError(f"rounds must be a positive integer, got {rounds!r}")
    t0 = time.perf_counter()
    start = models.uniform_lm(2) if start is None else start
    rows: list[GrowthRow] = []
    failures: list[str] = []
    from tqdm.auto import tqdm

    kinds = ["boost"] + (["boost_simple"] if simple else [])
    bar = tqdm(total=len(ks) * rounds * len(kinds), desc="growth", unit="round", disable=progress is False,
               leave=False)
    for k in ks:
        C = cls if isinstance(cls, DistinguisherClass) else DistinguisherClass.named(cls, k)
        if C.k != k:
            raise ConstructionError(f"the class has window {C.k}, the study asks for k = {k}; pass a class name")
        picks = _cycle(C, rounds)
        dnets = [C.network(i) for i in picks]
        for kind in kinds:
            cf = closed_form(Counts.of(start), [Counts.of(D) for D in dnets], k, simple=kind == "boost_simple")
            rows.append(_row(k, 0, kind, "built", "", None, start, cf[0], None, hooks))
            cur = start
            for t in range(1, rounds + 1):
                D = dnets[t - 1]
                net, dt = None, None
                if cur is not None and cf[t].size <= max_nodes:
                    t1 = time.perf_counter()
                    fn = boosting.boost_simple if kind == "boost_simple" else boosting.boost
                    net = fn(cur, D, k=k, r=1 + (t - 1) % k, eta=0.1, N=2 * k + 2, name=f"{kind}{t}")
                    dt = time.perf_counter() - t1
                row = _row(k, t, kind, "built" if net is not None else "closed form", C.labels[picks[t - 1]],
                           D.tau, net, cf[t], dt, hooks)
                if row.matches is False:
                    failures.append(f"k = {k}, {kind} round {t}: built {Counts.of(net)} ≠ closed form {cf[t]}")
                rows.append(row)
                cur = net
                bar.update(1)
    bar.close()
    return GrowthReport(list(ks), rounds, cls if isinstance(cls, str) else cls.name, rows, fits(rows), failures,
                        time.perf_counter() - t0)


def _row(k, t, kind, mode, label, tau_D, net, cf: Counts, dt, hooks) -> GrowthRow:
    if net is not None:
        m = measure(net)
        ok = (m["size"], m["hidden"], m["tau"], m["depth"]) == (cf.size, cf.hidden, cf.tau, cf.depth)
        row = GrowthRow(k, t, kind, mode, label, tau_D, m["size"], m["hidden"], m["tau"], m["depth"], m["ops"],
                        m["fan_in"], dt, ok if t > 0 else None)
    else:
        row = GrowthRow(k, t, kind, mode, label, tau_D, cf.size, cf.hidden, cf.tau, cf.depth, None, None, None, None)
    for h in hooks:
        row.extra.update(h(row, net) or {})
    return row


# ---- fits -------------------------------------------------------------------------------------------

def _fit(k, quantity, model, t, y, closed) -> Fit:
    t, y = np.asarray(t, float), np.asarray(y, float)
    if model in ("linear", "quadratic"):
        params = np.polyfit(t, y, 1 if model == "linear" else 2)
        curve = np.polyval(params, t)
        fitted = float(params[0])
    else:
        params = np.polyfit(t, np.log(y), 1)
        curve = np.exp(np.polyval(params, t))
        fitted = float(np.exp(params[0]))
    res = float(np.max(np.abs(curve - y) / y))
    return Fit(k, quantity, model, [float(v) for v in params], fitted, float(closed), res)


def fits(rows: list[GrowthRow]) -> list[Fit]:
    """Per k, over rounds 1 … R: hidden (linear; closed form: mean increment), size (quadratic;
    closed form: half the mean hidden increment), τ (geometric; closed form: (2^k+1)·k) and
    the simple size (exponential; closed form: 2)."""
    out = []
    for k in sorted({r.k for r in rows}):
        b = [r for r in rows if r.k == k and r.construction == "boost" and r.t >= 1]
        s = [r for r in rows if r.k == k and r.construction == "boost_simple" and r.t >= 1]
        if len(b) >= 3:
            t = [r.t for r in b]
            h = [r.hidden for r in b]
            inc = float(np.mean(np.diff(h)))
            out.append(_fit(k, "hidden", "linear", t, h, inc))
            out.append(_fit(k, "size", "quadratic", t, [r.size for r in b], inc / 2))
            out.append(_fit(k, "tau", "geometric", t, [r.tau for r in b], (2 ** k + 1) * k))
        if len(s) >= 3:
            out.append(_fit(k, "simple size", "exponential", [r.t for r in s], [r.size for r in s], 2.0))
    return out


# ---- output -----------------------------------------------------------------------------------------

def _cell(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, int) and abs(v) >= 10 ** 9:      # τ after many rounds: exact in --json
        return f"{v:.3e}"
    return str(v)


def markdown(rep: GrowthReport) -> str:
    extra = sorted({key for r in rep.rows for key in r.extra})
    head = ["k", "round", "construction", "rows", "distinguisher", "τ_D", "size", "hidden", "τ", "depth",
            "ops/step", "fan-in", "= closed form"] + extra
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rep.rows:
        ok = "—" if r.matches is None else ("✓" if r.matches else "✗")
        cells = [r.k, r.t, r.construction, r.mode, r.distinguisher or "(start)", r.tau_D, r.size, r.hidden, r.tau,
                 r.depth, r.ops, r.fan_in, ok] + [r.extra.get(key) for key in extra]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "| k | quantity | model | fitted | closed form | max rel. residual |", "|---|---|---|---|---|---|"]
    for f in rep.fits:
        what = {"linear": "slope", "quadratic": "t² coefficient", "geometric": "ratio per round",
                "exponential": "ratio per round"}[f.model]
        lines.append(f"| {f.k} | {f.quantity} | {f.model} ({what}) | {f.fitted:.4g} | {f.closed_form:.4g} | "
                     f"{f.max_rel_residual:.2%} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    """``rnnsim growth``: exit 0 when every built round equals its closed form, 1 otherwise."""
    ap = argparse.ArgumentParser(
        prog="rnnsim growth",
        description="Size, hidden size, τ, depth, operations per step and fan-in of boost and boost_simple over "
                    "rounds, built where cheap and checked equal to the closed forms of Lemma 3 / Section 2.1, "
                    "with least-squares fits. Exit status 0: every built round equals its closed form; 1 otherwise.")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 2, 3, 4], help="windows k (default 1 2 3 4)")
    ap.add_argument("--rounds", type=int, default=6, help="boosting rounds R (default 6)")
    ap.add_argument("--class", dest="cls", default="mixed",
                    help="distinguisher class: mixed (default), patterns, motifs, parity, repeat, brackets, "
                         "or a '+'-joined union; members are used in turn")
    ap.add_argument("--max-nodes", type=int, default=2000,
                    help="build a round only when its closed-form size is at most this (default 2000)")
    ap.add_argument("--no-simple", action="store_true", help="skip boost_simple")
    add_report_options(ap, "size, hidden size, τ per round")
    args = ap.parse_args(argv)
    check_outputs(args)                                  # bad input (status 1), before any work
    hooks = ()
    if args.bits:
        from .bits_column import growth_hook
        hooks = (growth_hook(),)
    rep = growth(args.k, args.rounds, cls=args.cls, max_nodes=args.max_nodes, simple=not args.no_simple,
                 hooks=hooks, progress=not args.no_progress)
    from .boost_figures import growth_figure

    return finish(rep, args, markdown(rep), growth_figure,
                  f"every built round equals its closed form ({rep.time_s:.1f} s)")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
