"""``rnnsim selfboost``: Theorem 1's self-boosting loop (:mod:`workflows.selfboost`) on an
embedded default problem, as a table, a JSON record and a figure.

Default problem (as in ``rnnsim demo``): the true p is the motif-filtering automaton that
never completes the motif 111 (uniform among the allowed next tokens), the start LM is the
uniform LM, and the class is every pattern set of window k (2^(2^k) distinguishers, closed
under complement). ``--source`` takes ``motif:MOTIF[:avoid|seek|contain]`` or an LM network
JSON file; ``--start`` ``uniform`` or an LM network JSON file; ``--class`` a family name
(patterns, motifs, parity, repeat, brackets, mixed) or distinguisher network JSON files,
joined with '+'. Exit status (the contract of ``rnnsim``): 0 when every check held (each
built network equals Lemma 2's chain, each KL gain ≥ both Lemma 1 guarantees, the closed
forms equal the built networks, the round count ≤ Theorem 1's bound, the final size within
the bookkeeping); 1 for a failed check or bad input (one line ``rnnsim: error: …``, raised
as a ConstructionError); 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from constructions import models
from proofs_checks.lm import LM
from rnnsim import ConstructionError

from .classes import DistinguisherClass
from .report_cli import add_report_options, check_outputs, finish
from .bits_column import selfboost_hook
from .selfboost import SelfBoostReport, selfboost

__all__ = ["default_source", "parse_source", "parse_start", "parse_class", "markdown", "main"]


def default_source(N: int, motif: str = "111", mode: str = "avoid"):
    """p over Σ^N: the motif-filtering automaton (exact)."""
    return LM.from_callable(models.motif_pfa(motif, mode), 2, N).distribution()


def parse_source(text: str, N: int):
    if text.startswith("motif:"):
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise ConstructionError(f"--source {text!r}: write motif:MOTIF or motif:MOTIF:MODE (avoid, seek, contain)")
        mode = parts[2] if len(parts) == 3 else "avoid"
        if mode not in ("avoid", "seek", "contain"):
            raise ConstructionError(f"--source {text!r}: the mode must be avoid, seek or contain")
        if mode == "contain":
            return LM.from_callable(models.motif_pfa(parts[1], mode, N=N), 2, N).distribution()
        return default_source(N, parts[1], mode)
    return _load(text, "--source")     # an LM network: selfboost reads its distribution


def parse_start(text: str):
    return models.uniform_lm(2) if text == "uniform" else _load(text, "--start")


def parse_class(text: str, k: int) -> DistinguisherClass:
    names, nets = [], []
    for part in text.split("+"):
        part = part.strip()
        if part.endswith(".json"):
            nets.append(_load(part, "--class"))
        else:
            names.append(part)
    members: list = []
    if names:
        members += DistinguisherClass.named("+".join(names), k).members
    members += nets
    return DistinguisherClass(k, members, name=text)


def _load(path: str, what: str):
    import rnnsim

    if not Path(path).is_file():
        raise ConstructionError(f"{what} {path!r}: no such network file (or use a built-in name; see --help)")
    return rnnsim.load(path)


def _c(v, fmt="{:.4g}") -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "✓" if v else "✗"
    if isinstance(v, float):
        return fmt.format(v)
    if isinstance(v, int) and abs(v) >= 10 ** 9:      # τ after many rounds: exact in --json
        return f"{v:.3e}"
    return str(v)


def markdown(rep: SelfBoostReport) -> str:
    """One row per round, then the summary (round count and size against Theorem 1)."""
    extra = sorted({key for r in rep.rows for key in r.extra})
    head = ["t", "rows", "distinguisher", "α", "r*", "η", "KL(p‖q_t)", "loss", "KL gain", "≥ Lemma 1", "≥ α²M/2k",
            "max|α| after", "size", "hidden", "τ", "depth", "ops/step", "fan-in", "max error", "= closed form",
            "s"] + extra
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rep.rows:
        ok1 = None if r.gain is None else r.gain >= r.bound_lemma1 - 1e-12
        ok2 = None if r.gain is None else r.gain >= r.bound_alpha - 1e-12
        cells = [r.t, r.mode, r.winner, r.alpha, r.r, r.eta, r.kl, r.loss, r.gain,
                 None if r.gain is None else f"{_c(r.bound_lemma1)} {_c(ok1)}",
                 None if r.gain is None else f"{_c(r.bound_alpha)} {_c(ok2)}",
                 r.max_alpha, r.size, r.hidden, r.tau, r.depth, r.ops, r.fan_in,
                 None if r.max_error is None else f"{r.max_error:.1e}", r.closed_form_ok, f"{r.wall_s:.2f}"]
        cells += [r.extra.get(key) for key in extra]
        lines.append("| " + " | ".join(_c(c) for c in cells) + " |")
    b = rep.bookkeeping
    ok = rep.rounds <= rep.round_bound
    lines += [
        "",
        f"- p over Σ^{rep.N}, window k = {rep.k}, M = {rep.M}, ε = {rep.eps:g}, class {rep.cls!r}, "
        f"{rep.arithmetic}; stopped: {rep.stop} (final max|α| = {rep.rows[-1].max_alpha:.4g})",
        f"- rounds: {rep.rounds} ({rep.built} built, {rep.rounds - rep.built} closed form) ≤ Theorem 1 bound "
        f"KL(p‖q_0)/(ε²M/(2k)) = {rep.round_bound:.4g} {'✓' if ok else '✗'}",
        f"- final network: size {b['final']['size']}, hidden {b['final']['hidden']}, τ {_c(b['final']['tau'])}; "
        f"Theorem 1 bookkeeping after {rep.rounds} rounds with the largest member "
        f"(size {b['largest_member']['size']}, hidden {b['largest_member']['hidden']}, τ {b['largest_member']['tau']}): "
        f"size ≤ {b['after_rounds']['size']}, hidden ≤ {b['after_rounds']['hidden']}, τ ≤ {_c(b['after_rounds']['tau'])}",
        f"- hidden size after the bound's {int(rep.round_bound)} rounds: ≤ h_0 + rounds·(h_D + 2k + 20) = "
        f"{b['hidden_after_bound']}",
        f"- total {rep.time_s:.1f} s",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="rnnsim selfboost",
        description="Theorem 1 run on networks: boost an LM RNN with the distinguisher of largest advantage "
                    "until every member of the class has |α| ≤ ε; built rounds are verified on every document "
                    "against Lemma 2, later rounds continue on tables with sizes from the closed forms. Exit "
                    "status 0: every check held; 1: a check failed or bad input; 2: bad command line.")
    ap.add_argument("--k", type=int, default=2, help="distinguisher window (default 2)")
    ap.add_argument("--N", type=int, default=8, help="document length (default 8)")
    ap.add_argument("--eps", type=float, default=0.02, help="target advantage ε (default 0.02)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="stop after this many rounds (default: one more than Theorem 1's bound)")
    ap.add_argument("--budget", type=float, default=120.0,
                    help="seconds for the built rounds; later rounds are closed form (default 120)")
    ap.add_argument("--max-built", type=int, default=None, help="build at most this many rounds")
    ap.add_argument("--source", default="motif:111", help="motif:MOTIF[:avoid|seek|contain] or an LM network JSON")
    ap.add_argument("--start", default="uniform", help="uniform (default) or an LM network JSON")
    ap.add_argument("--class", dest="cls", default="patterns",
                    help="patterns (default), motifs, parity, repeat, brackets, mixed, or network JSON files; "
                         "join with '+'")
    ap.add_argument("--exact", action="store_true", help="exact rational arithmetic (small N only)")
    ap.add_argument("--engine", default="auto", help="simulation engine: auto, reference, numba, cupy")
    ap.add_argument("--workers", type=int, default=None, help="worker processes for the exhaustive checks")
    add_report_options(ap, "KL, max|α|, sizes per round")
    args = ap.parse_args(argv)
    check_outputs(args)                                  # bad input (status 1), before any work
    if args.N < 1 or args.N > 16:
        raise ConstructionError(f"--N {args.N}: the tables hold 2^N documents; give 1 ≤ N ≤ 16")
    if args.N < args.k:
        raise ConstructionError(f"--N {args.N} is shorter than the window --k {args.k}")
    p = parse_source(args.source, args.N)
    rep = selfboost(p, k=args.k, eps=args.eps, cls=parse_class(args.cls, args.k), start=parse_start(args.start),
                    N=args.N, budget=args.budget, max_rounds=args.rounds, max_built=args.max_built,
                    arithmetic="exact" if args.exact else "float64", engine=args.engine, workers=args.workers,
                    hooks=[selfboost_hook()] if args.bits else (), progress=not args.no_progress)
    from .boost_figures import selfboost_figure

    return finish(rep, args, markdown(rep), selfboost_figure, "all checks passed")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
