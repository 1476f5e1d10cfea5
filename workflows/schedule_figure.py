"""Workflow ``rnnsim schedule``: LOAD / RUN / HOLD schedule figures of the enumeration (paper:
Figures 2.2 and 2.3, Lemma 10 controls of Lemma 11; THEORY §4.2, §4.4).

Lemma 10 drives each gated node set with Boolean control nodes that are one-hot at every
step: at time t the node set LOADs its source, RUNs its transition once or HOLDs its value
for the step t → t+1. This module *records* those decisions by simulating a network
(``record="all"`` on the control nodes) and draws them as a grid — node sets down, time
across, one colour per action — with the input loops, strings and digit slots of the
enumeration (THEORY §4.4) marked, and the output times t(i, n, m) on a separate row. The
recorded decisions are data, not closed forms, so the figure shows what the network does.

Groups (a node set with its controls) are found from the node names:
* networks built on the enumeration skeleton (:mod:`constructions.enumeration`; their
  record has a schedule, :func:`constructions.records.schedule_or_none`): for every period τ of the skeleton, H1 (RUN ``ctl.t{τ}.run1`` / HOLD
  ``ctl.t{τ}.hold1``), H2 (LOAD ``ctl.load2`` / RUN ``ctl.t{τ}.run`` / HOLD ``ctl.t{τ}.hold2``),
  O (RUN ``ctl.t{τ}.run`` / HOLD ``ctl.t{τ}.hold``) and the input storage X (write
  ``ctl.wr`` / keep ``ctl.nwr``);
* any other gated network (e.g. :func:`constructions.gating.augment`): every triple of
  Boolean nodes ``P.load``, ``P.run``, ``P.hold`` (names ending in the control names).

``main(argv)`` is the ``rnnsim schedule`` subcommand: it builds (or loads) an enumeration
network, prints τ_S, the slot length P and the output schedule t(i, n, m) (closed forms of
:mod:`constructions.schedule`), and with ``--png`` draws the LOAD/RUN/HOLD figure of the
chosen input loops.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

import rnnsim
from constructions import enumeration, models
from constructions.records import schedule_or_none
from constructions.schedule import Schedule, output_times, schedule_table
from rnnsim import ConstructionError
from rnnsim.cli_paths import check_figure_path
from rnnsim.simulate import check_tokens

ACTIONS = ("LOAD", "RUN", "HOLD")
COLORS = {"LOAD": "#d62728", "RUN": "#2ca02c", "HOLD": "#d9d9d9"}


@dataclass(frozen=True)
class Group:
    """A gated node set and the names of its control nodes (None: that action never occurs)."""

    name: str
    load: str | None = None
    run: str | None = None
    hold: str | None = None

    def controls(self) -> list[str]:
        return [c for c in (self.load, self.run, self.hold) if c is not None]


@dataclass
class Recorded:
    """Actions per group and step: ``actions[g, t]`` ∈ {0: LOAD, 1: RUN, 2: HOLD} is the
    decision for the step t → t+1, for t = t0 … t1−1."""

    name: str
    groups: list[str]
    t0: int
    actions: np.ndarray
    tau: int
    schedule: Schedule | None = None                     # the enumeration's schedule, if any
    outputs: list[int] = field(default_factory=list)    # output times t(i, n, m) in range

    def row(self, group: str) -> str:
        """The group's actions as a string of L/R/H (handy in tests and terminals)."""
        return "".join(ACTIONS[a][0] for a in self.actions[self.groups.index(group)])


# ---- finding the groups ------------------------------------------------------------------------

def skeleton_groups(rnn) -> list[Group]:
    """Groups of a network built on the enumeration skeleton (one set per period τ)."""
    names = set(rnn.nodes)
    taus = sorted(int(m.group(1)) for n in rnn.nodes if (m := re.fullmatch(r"ctl\.t(\d+)\.run", n)))
    groups = []
    for tau in taus:
        tag = f" (τ={tau})" if len(taus) > 1 else ""
        c = f"ctl.t{tau}."
        groups += [Group(f"H1{tag}", None, c + "run1", c + "hold1"),
                   Group(f"H2{tag}", "ctl.load2", c + "run", c + "hold2"),
                   Group(f"O{tag}", None, c + "run", c + "hold")]
    if {"ctl.wr", "ctl.nwr"} <= names:
        groups.append(Group("X (RUN = write)", None, "ctl.wr", "ctl.nwr"))
    return groups


def gated_groups(rnn) -> list[Group]:
    """Every prefix P with Boolean nodes P.load, P.run, P.hold (any of load may be absent)."""
    names = set(rnn.nodes)
    groups = []
    for n in rnn.nodes:
        if n == "run" or n.endswith(".run"):
            p = n[: -len("run")]
            if p + "hold" in names:
                load = p + "load" if p + "load" in names else None
                groups.append(Group(p.rstrip(".") or rnn.name, load, n, p + "hold"))
    return groups


def find_groups(rnn) -> list[Group]:
    groups = skeleton_groups(rnn) if schedule_or_none(rnn) is not None else []
    groups = groups or gated_groups(rnn)
    if not groups:
        raise ConstructionError(
            f"network {rnn.name!r} has no LOAD/RUN/HOLD control nodes (neither the enumeration "
            "skeleton's ctl.t<τ>.run/... nor P.load/P.run/P.hold triples)")
    return groups


# ---- recording -------------------------------------------------------------------------------------

def record(rnn, tokens, groups: list[Group] | None = None, *, loops: tuple[int, int] | None = None) -> Recorded:
    """Simulate ``rnn`` on ``tokens`` (exact arithmetic) and read each group's action at every
    step of the input loops ``loops = (first, last)`` (1-based, inclusive; default all).
    Raises ValueError naming the group, the time and the control values when the controls
    of a group are not one-hot."""
    groups = find_groups(rnn) if groups is None else groups
    ctl = sorted({c for g in groups for c in g.controls()})
    missing = [c for c in ctl if c not in set(rnn.nodes)]
    if missing:
        raise ConstructionError(f"control node(s) {missing} are not nodes of {rnn.name!r}")
    N = len(tokens)
    first, last = (1, N) if loops is None else loops
    if not 1 <= first <= last <= N:
        raise ConstructionError(f"input loops {first}..{last} must lie in 1..{N} (the document length)")
    t0, t1 = (first - 1) * rnn.tau, last * rnn.tau
    tr = rnnsim.simulate(rnn, list(tokens)[:last], "exact", engine="reference", record="all",
                         nodes=ctl)
    vals = {c: tr.values[c] for c in ctl}
    acts = np.empty((len(groups), t1 - t0), dtype=np.int8)
    for gi, g in enumerate(groups):
        for t in range(t0, t1):
            v = [vals[c][t] if c is not None else 0 for c in (g.load, g.run, g.hold)]
            if sorted(v) != [0, 0, 1]:
                raise ConstructionError(
                    f"group {g.name!r} at time {t}: controls (load, run, hold) = "
                    f"({', '.join(str(x) for x in v)}) of nodes {g.load}, {g.run}, {g.hold} are not one-hot")
            acts[gi, t - t0] = v.index(1)
    rec = Recorded(rnn.name, [g.name for g in groups], t0, acts, rnn.tau, schedule_or_none(rnn))
    if rec.schedule is not None:
        rec.outputs = [t for t in output_times(rec.schedule, last) if t0 <= t <= t1]
    return rec


# ---- drawing -----------------------------------------------------------------------------------------

def plot(rec: Recorded, path, *, title: str | None = None, dpi: int = 150) -> str:
    """Draw the recorded schedule to a PNG file; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    G, T = rec.actions.shape
    rows = G + (1 if rec.outputs else 0)
    fig, ax = plt.subplots(figsize=(min(max(8.0, 0.16 * T + 2.5), 40.0), 1.1 + 0.55 * rows))
    cmap = ListedColormap([COLORS[a] for a in ACTIONS])
    x0 = rec.t0
    ax.pcolormesh(np.arange(x0, x0 + T + 1), np.arange(G + 1), rec.actions, cmap=cmap, vmin=0, vmax=2,
                  edgecolors="white", linewidth=0.4 if T <= 200 else 0)
    if T <= 100:
        for g in range(G):
            for t in range(T):
                a = ACTIONS[rec.actions[g, t]]
                if a != "HOLD":
                    ax.text(x0 + t + 0.5, g + 0.5, a[0], ha="center", va="center", fontsize=7, color="white")
    labels = list(rec.groups)
    if rec.outputs:
        ax.scatter(np.array(rec.outputs), np.full(len(rec.outputs), G + 0.5), marker="v", s=18,
                   color="#1f77b4", zorder=3, clip_on=False)
        labels.append("output t(i,n,m)")
    s = rec.schedule
    P, k = (s.P, s.k) if s is not None else (None, None)
    tau = rec.tau
    for t in range(x0, x0 + T + 1):
        if t % tau == 0:
            ax.axvline(t, color="black", lw=1.6)
        elif P and k and t % tau % (k * P) == 0:
            ax.axvline(t, color="#555555", lw=0.9, ls="--")
        elif P and T <= 300 and t % tau % P == 0:
            ax.axvline(t, color="#999999", lw=0.5, ls=":")
    if P and k:  # name the strings s_n and the final phase above the grid
        strings = 2 ** k
        for i0 in range(x0 - x0 % tau, x0 + T, tau):
            for n in range(strings + 1):
                a = i0 + n * k * P
                if x0 <= a < x0 + T:
                    ax.text(a + k * P / 2, -0.08, f"s{n}" if n < strings else "final",
                            ha="center", va="bottom", fontsize=7, color="#333333")
        starts = [t for t in range(x0, x0 + T + 1) if t % tau == 0]
        ax.set_xticks(starts)
        ax.set_xticklabels([f"{t}\n(loop i={t // tau + 1})" if t < x0 + T else str(t) for t in starts],
                           fontsize=8)
    ax.set_ylim(rows, 0)
    ax.set_xlim(x0, x0 + T)
    ax.set_yticks(np.arange(rows) + 0.5)
    ax.set_yticklabels(labels)
    ax.set_xlabel("time t (action for the step t → t+1)")
    ax.legend(handles=[Patch(color=COLORS[a], label=a) for a in ACTIONS], loc="upper left",
              bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    if title is None:
        title = f"LOAD / RUN / HOLD schedule of {rec.name}"
        if s is not None:
            title += f"  (k={s.k}, pace T={s.T}, r={s.r}, slot P={s.P}, τ_S={s.tau_S})"
    ax.set_title(title, fontsize=10, pad=16 if P else 6)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return str(path)


# ---- command line --------------------------------------------------------------------------------------

def _build(args, loaded=None):
    if loaded is not None:
        if schedule_or_none(loaded) is not None or not args.enumerate:
            return loaded
        R = loaded
    elif args.model == "markov":
        R = models.markov_lm(1, [args.p0, args.p1], tau=args.tau)
    else:
        R = models.pattern_distinguisher(args.k, ["1" * args.k], tau=args.tau)
    return enumeration.synchronized_enumeration(R, args.k, args.r, args.N)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="rnnsim schedule",
        description="Output schedule t(i, n, m) of a synchronized enumeration network (Lemma 11) and "
                    "its LOAD/RUN/HOLD figure (paper Figures 2.2/2.3).")
    p.add_argument("--net", help="a saved network (JSON); enumeration networks are drawn as they are, "
                                 "other gated networks too unless --enumerate")
    p.add_argument("--enumerate", action="store_true", help="enumerate the --net network with k, r, N")
    p.add_argument("--model", choices=["markov", "pattern"], default="markov",
                   help="network to enumerate when no --net is given (order-1 Markov LM or all-ones pattern distinguisher)")
    p.add_argument("--p0", default="1/4", help="Markov: P(1 | previous 0)")
    p.add_argument("--p1", default="3/4", help="Markov: P(1 | previous 1)")
    p.add_argument("--k", type=int, default=2, help="window length k")
    p.add_argument("--r", type=int, default=1, help="offset r ∈ 1..k")
    p.add_argument("--N", type=int, default=3, help="document length N")
    p.add_argument("--tau", type=int, default=1, help="τ of the enumerated model")
    p.add_argument("--tokens", help="document to simulate for the figure (default 0101… of length N)")
    p.add_argument("--loops", default="1:2", help="input loops to draw, first:last (default 1:2)")
    p.add_argument("--png", help="write the LOAD/RUN/HOLD figure to this PNG file")
    p.add_argument("--json", action="store_true", help="print the schedule as JSON")
    args = p.parse_args(argv)
    # the CLI contract: a wrong command line (option syntax, a parameter out of range) is a usage
    # error (status 2); a file that cannot be read or written, bad tokens or a network that is
    # not what the command needs is bad input, left to propagate as an RNNSimError (status 1)
    if args.png:
        check_figure_path(args.png, "--png")              # before any work
    try:
        args.p0, args.p1 = Fraction(args.p0), Fraction(args.p1)
    except (ValueError, ZeroDivisionError) as e:
        p.error(f"--p0/--p1: {e}")
    loaded = rnnsim.load(args.net) if args.net else None
    try:
        net = _build(args, loaded)
    except ConstructionError as e:
        if loaded is not None:
            raise
        p.error(str(e))
    sched = schedule_or_none(net)
    N = sched.N if sched is not None and sched.N else args.N
    figure = _figure_input(p, args, net, N) if args.png else None   # checked before any output
    rows = schedule_table(sched, N) if sched is not None else []
    if args.json:
        print(json.dumps({"network": net.name, "tau": net.tau, "schedule": _as_json(sched), "outputs": rows}))
    else:
        print(f"{net!r}")
        if sched is not None:
            print(f"k={sched.k}  pace T={sched.T}  r={sched.r}  N={sched.N}  slot P={sched.P}  "
                  f"τ_S={sched.tau_S} = (2^k+1)·k·P")
            print(" i  j  ℓ  n     t(i, n, m) for m = 0 … k−1   (n = 2^k: final phase, m ≤ ℓ)")
            for r in rows:
                n = "-" if r["n"] is None else ("final" if r["n"] == 2 ** sched.k else str(r["n"]))
                print(f"{r['i']:2d} {r['j']:2d} {r['l']:2d} {n:>5}  " + " ".join(f"{t:6d}" for t in r["t"]))
    if figure is not None:
        tokens, groups, loops = figure
        rec = record(net, tokens, groups, loops=loops)
        plot(rec, args.png)
        print(f"wrote {args.png} ({len(rec.groups)} node sets × {rec.actions.shape[1]} steps)", file=sys.stderr)
    return 0


def _figure_input(p, args, net, N: int):
    """(tokens, groups, loops) of the figure: bad tokens or a network without LOAD/RUN/HOLD
    controls is bad input (an RNNSimError, status 1), a malformed --loops a usage error."""
    tokens = check_tokens(net, args.tokens).tolist() if args.tokens else [i % 2 for i in range(N)]
    groups = find_groups(net)
    try:
        first, last = (int(v) for v in args.loops.split(":"))
    except ValueError:
        p.error(f"--loops {args.loops!r}: write first:last, e.g. 1:2")
    if not 1 <= first <= min(last, len(tokens)):
        p.error(f"--loops {args.loops!r}: the input loops first..last must lie in 1..{len(tokens)} (the "
                "document length; a larger last is cut to it)")
    return tokens, groups, (first, min(last, len(tokens)))


def _as_json(s: Schedule | None) -> dict:
    """The schedule's parameters and derived lengths (JSON output of ``rnnsim schedule``)."""
    if s is None:
        return {}
    return {"k": s.k, "T": s.T, "r": s.r, "N": s.N, "P": s.P, "tau_S": s.tau_S, "cap": s.cap, "L": s.L,
            "taus": list(s.taus)}


__all__ = ["Group", "Recorded", "ACTIONS", "skeleton_groups", "gated_groups", "find_groups", "record",
           "plot", "main"]
