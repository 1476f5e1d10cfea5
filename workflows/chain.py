"""Workflow: the Lemma 3 → Lemma 4 chain on real networks (paper: Lemma 3, Lemma 4, proof of
Theorem 1; THEORY §4.6, §9).

Lemma 4 needs, for the class sequence C_0 ⊆ C_1 ⊆ … of RNN LMs, that every q ∈ C_m against
which a distinguisher of 𝒟 has advantage α > 0 has a boosted q' ∈ C_{m+1} with
L_p(q') ≤ L_p(q) − g(α), g(α) = α²M/(2kN); then L*_{m+1} ≤ L_p(q') (the certificate). This
workflow checks exactly that, link by link, on networks: starting from an LM RNN q_0 ∈ C_0
and with the classes of :func:`constructions.size_classes.class_sequence` (C_{m+1} from C_m
and the distinguishers' class), each round

1. checks q_m ∈ C_m (structure and the reset test on every document, :mod:`workflows.size_classes`);
2. picks the member d of 𝒟 with the largest advantage α (model minus data; a class closed
   under complement has α = max |α|), r* = argmax_r (α·S_r − α²·n_r/2) and η = α (Lemma 1);
3. builds q_{m+1} = ``boosting.iterate(q_m, [d], k, r*, η)`` (Lemma 3), checks q_{m+1} ∈ C_{m+1},
   compares its outputs on every document with Lemma 2's q' (≤ 1e-9) and checks
   L_p(q_{m+1}) ≤ L_p(q_m) − g(α).

A class sequence that is too small (e.g. a hand-made C_{m+1} below the Lemma 3 bounds) makes
step 3's membership fail, naming the bound that is exceeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from constructions import boosting, records
from constructions.size_classes import SizeClass, class_sequence
from proofs_checks.boost import best_offset, boosted_conditional
from proofs_checks.lm import LM, as_distribution
from proofs_checks.textdist import next_token_loss
from rnnsim import simulate_all
from rnnsim.errors import ConstructionError
from rnnsim.registry import realizes

from .classes import as_class
from .exact_family import gain
from .size_classes import check_member

TOL = 1e-9


@dataclass
class Link:
    """One round of the chain."""

    m: int
    cls: SizeClass
    next_cls: SizeClass
    size: int
    hidden: int
    tau: int
    depth: int
    member: bool
    member_note: str
    alpha: float = 0.0
    dist: str = ""
    r: int | None = None
    factor: object = None                  # e^{−η} the boosted network was built with (η = α)
    loss: float = 0.0
    boosted_loss: float | None = None
    g_alpha: float | None = None
    lemma2_error: float | None = None
    next_member: bool | None = None
    next_note: str = ""

    @property
    def ok(self) -> bool:
        if not self.member:
            return False
        if self.boosted_loss is None:
            return True
        return bool(self.next_member) and self.lemma2_error <= TOL and \
            self.boosted_loss <= self.loss - self.g_alpha + TOL


@dataclass
class ChainReport:
    k: int
    N: int
    links: list = field(default_factory=list)
    classes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(l.ok for l in self.links)

    @property
    def failures(self) -> list[str]:
        out = []
        for l in self.links:
            if not l.member:
                out.append(f"round {l.m}: q_{l.m} ∉ C_{l.m}: {l.member_note}")
            if l.boosted_loss is not None:
                if not l.next_member:
                    out.append(f"round {l.m}: boost(q_{l.m}) ∉ C_{l.m + 1}: {l.next_note}")
                if l.lemma2_error > TOL:
                    out.append(f"round {l.m}: boost(q_{l.m}) differs from Lemma 2's q' by {l.lemma2_error:.3g}")
                if l.boosted_loss > l.loss - l.g_alpha + TOL:
                    out.append(f"round {l.m}: L(boost) = {l.boosted_loss:.6g} > L(q) − g(α) = {l.loss - l.g_alpha:.6g}")
        return out

    def markdown(self) -> str:
        lines = ["| m | class C_m | q_m: size / hidden / τ / depth | ∈ C_m | α (best d) | L(q_m) | L(boost) | "
                 "L(q_m) − g(α) | boost ∈ C_m+1 |", "|---|---|---|---|---|---|---|---|---|"]
        for l in self.links:
            bl = "–" if l.boosted_loss is None else f"{l.boosted_loss:.6f}"
            gl = "–" if l.g_alpha is None else f"{l.loss - l.g_alpha:.6f}"
            nm = "–" if l.next_member is None else ("✓" if l.next_member else "✗")
            lines.append(f"| {l.m} | {l.cls} | {l.size} / {l.hidden} / {l.tau} / {l.depth} | "
                         f"{'✓' if l.member else '✗'} | {l.alpha:.5f} ({l.dist}) | {l.loss:.6f} | {bl} | {gl} | {nm} |")
        return "\n".join(lines)


def _lm_of(net, N: int) -> LM:
    return LM.from_outputs(simulate_all(net, N, "float64", "auto"), net.alphabet, tol=1e-9)


def _member(net, cls: SizeClass, N: int, engine: str) -> tuple[bool, str]:
    rep = check_member(net, cls, N, arithmetic="float64", engine=engine)
    if rep.ok:
        return True, str(rep.reset)
    return False, "; ".join(rep.problems) or str(rep.reset)


@realizes("Lemma 4", "the chain: boost(q) of q ∈ C_m with α > 0 lies in C_{m+1} and L(boost(q)) ≤ L(q) − g(α), "
          "so L*_{m+1} ≤ L(boost(q))", kind="check")
def chain(p, lm0, *, k: int, rounds: int, dclass="patterns", classes=None, engine: str = "auto") -> ChainReport:
    """Run and check ``rounds`` links of the chain (module docstring). ``dclass``: the
    distinguisher class 𝒟 (:func:`workflows.classes.as_class`: a class, a name, or a list of
    distinguisher networks, closed under complement; default every window-k pattern set);
    ``classes``: the class sequence [C_0, …, C_rounds] (default: C_0 = the class of ``lm0``
    and :func:`class_sequence` with 𝒟's size class)."""
    p = as_distribution(p)
    N = p.N
    if not (isinstance(rounds, int) and rounds >= 0):
        raise ConstructionError(f"rounds must be a non-negative integer, got {rounds!r}")
    C = as_class(dclass, k, who="chain")
    if classes is None:
        classes = class_sequence(SizeClass.of(lm0), C.size_class(), k, rounds)
    if len(classes) < rounds + 1:
        raise ConstructionError(f"chain: {rounds} rounds need {rounds + 1} classes, got {len(classes)}")
    rep = ChainReport(k, N, classes=list(classes))
    q_net = lm0
    first = _member(q_net, classes[0], N, engine)
    if not first[0]:
        raise ConstructionError(f"the start model {lm0.name!r} is not a member of C_0 = {classes[0]}: {first[1]} "
                                "(choose a larger start class)")
    q = _lm_of(q_net, N)
    member = first
    for m in range(rounds):
        link = Link(m, classes[m], classes[m + 1], q_net.size, q_net.hidden_size, q_net.tau, q_net.depth,
                    member[0], member[1], loss=next_token_loss(p, q))
        ch = C.best(p, q)
        a = ch.adv
        link.alpha = float(a.alpha)
        link.dist = ch.label
        rep.links.append(link)
        if not a.alpha > 0:
            break
        r = best_offset(a)
        eta = float(a.alpha)
        link.r = r
        nxt = boosting.iterate(q_net, [C.network(ch.index)], k=k, rs=[r], etas=[eta], N=N)[-1]
        link.factor = records.record_of(nxt).factor
        out = simulate_all(nxt, N, "float64", engine)
        want = boosted_conditional(q, ch.table, k=k, r=r, eta=eta, N=N).table().to_float().outputs()
        link.lemma2_error = float(np.max(np.abs(out - want)))
        q_next = LM.from_outputs(out, 2, tol=1e-9)
        link.boosted_loss = next_token_loss(p, q_next)
        link.g_alpha = gain(link.alpha, k=k, N=N)
        member = _member(nxt, classes[m + 1], N, engine)
        link.next_member, link.next_note = member
        q_net, q = nxt, q_next
    return rep


__all__ = ["Link", "ChainReport", "chain"]
