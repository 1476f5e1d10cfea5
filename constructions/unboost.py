"""The networks a boosted network was built from, recovered from the network itself (paper:
Lemma 3 with Lemma 10 and Claims 4–6; THEORY §4.2, §4.4, §4.6).

Statement. Let R' = ``boost(R, D, k=k, r=r, …)`` (or ``boost_simple``). R' holds R's
hidden nodes twice (``R.H1.u``, ``R.H2.u``) and R's other nodes once (``R.O.u``; for
``boost_simple`` H1/H2 hold all of R and O is empty), likewise for D under ``D.``, and
every copied transition is R's transition f_u gated by Lemma 10 with the skeleton's
controls of R's period τ_R: the H1 copy is run1·f_u + hold1·u (merged with R's own
controls: Σ_g AND(C_g ∪ {run1})·body_g + hold1·u), with R's nodes renamed to their H1
copies and R's input replaced by the fed digit ``E.feed`` (O: run/hold, reading H2 for R's
hidden nodes). Dropping the skeleton's HOLD/LOAD terms, removing the skeleton's RUN
control from the merged control sets and renaming back gives R's transition exactly (the
same expression up to the order of affine terms); the initial values, Boolean flags and
the output are the copies'. :func:`parts` returns (R, D) rebuilt this way — networks that
compute exactly what the originals compute in every arithmetic (tested by simulating
both) — so a boosted network loaded from a file can be analysed level by level
(:mod:`constructions.lemma12`) without the networks it was built from. A value-encoded
input named ``x`` replaces R's input (a one-hot input pair reads as the value of its
second node, which is what the copies read).
"""

from __future__ import annotations

import re

from rnnsim import Builder, Const, ConstructionError, DistinguisherRole, LMRole, Node, RNN

from . import records
from .gating import gated_term, split_gated

_OUTER = re.compile(r"^ctl\.(?:t(\d+)\.(run1?|hold[12]?)|load2)$")


def parts(net: RNN) -> tuple[RNN, RNN]:
    """(R, D): the LM and the distinguisher ``net`` was boosted from (module docstring)."""
    rec = records.record_of(net)
    if not isinstance(rec, records.Boost):
        raise ConstructionError(f"parts: network {net.name!r} was built by {rec.kind!r}, not by boosting.boost "
                                "or boost_simple")
    out_R = _read_copy(net, rec.nodes.u, "R")
    out_D = _read_copy(net, rec.nodes.v, "D")
    R = _extract(net, "R", out_R, rec.lm, LMRole(2), f"{net.name}.R")
    D = _extract(net, "D", out_D, rec.dist, DistinguisherRole(rec.k, 2), f"{net.name}.D")
    return R, D


def _read_copy(net: RNN, node: str | None, pfx: str) -> str:
    """The copy of R's (D's) output that component ``node`` (U.u, V.v) reads."""
    if node is None or node not in net.transitions:
        raise ConstructionError(f"parts: network {net.name!r} has no component node {node!r}")
    reads = sorted(n for n in net.transitions[node].nodes() if n.startswith(pfx + "."))
    if len(reads) != 1:
        raise ConstructionError(f"parts: {node!r} of {net.name!r} should read one copy of {pfx}'s output, "
                                f"reads {reads}")
    return reads[0]


def _strip(name: str, pfx: str) -> str:
    for part in ("H1", "H2", "O"):
        head = f"{pfx}.{part}."
        if name.startswith(head):
            return name[len(head):]
    raise ConstructionError(f"parts: {name!r} is not a copy under {pfx!r}")


def _extract(net: RNN, pfx: str, out_copy: str, record, role, name: str) -> RNN:
    h1 = [n for n in net.nodes if n.startswith(f"{pfx}.H1.")]
    o = [n for n in net.nodes if n.startswith(f"{pfx}.O.")]
    if not h1 and not o:
        raise ConstructionError(f"parts: network {net.name!r} has no copies under {pfx!r}")
    controls = set(net.boolean_nodes)
    rename: dict[str, Node] = {}
    for n in net.nodes:
        if n.startswith(pfx + "."):
            rename[n] = Node(_strip(n, pfx))
    rename["E.feed"] = Node("x")
    taus = set()
    b = Builder(name, alphabet=2, role=role)
    b.input("x")
    trans = {}
    for copy in h1 + o:
        orig = _strip(copy, pfx)
        terms = split_gated(net.transitions[copy], controls)
        if terms is None:
            raise ConstructionError(f"parts: the copy {copy!r} of {net.name!r} is not in gated form")
        body = None
        for cs, t in terms:
            outer = {c for c in cs if _OUTER.match(c)}
            kinds = {_OUTER.match(c).group(2) or "load2" for c in outer}
            taus |= {int(_OUTER.match(c).group(1)) for c in outer if _OUTER.match(c).group(1)}
            if not outer:
                raise ConstructionError(f"parts: a term of {copy!r} has no skeleton control ({sorted(cs)})")
            if kinds & {"hold", "hold1", "hold2", "load2"}:
                continue                                   # the skeleton's HOLD / LOAD terms
            inner = cs - outer
            term = gated_term(inner, t) if inner else t
            body = term if body is None else body + term
        if body is None:                                   # R's transition is the constant 0
            body = Const(0)
        if orig in trans:
            raise ConstructionError(f"parts: {orig!r} is copied twice under {pfx!r}")
        node = b.node(orig, init=net.init[copy], boolean=copy in controls, hidden=copy in h1 and bool(o))
        trans[orig] = (node, body.substitute(rename))
    if len(taus) != 1:
        raise ConstructionError(f"parts: the copies under {pfx!r} are gated by controls of periods {sorted(taus)}")
    b.tau = taus.pop()
    if not o:                                              # boost_simple: H1 holds all of R
        b.hidden(*[node for node, _ in trans.values()])
    for node, f in trans.values():
        b.update(node, f)
    b.output(Node(_strip(out_copy, pfx)))
    return b.build(construction=record.to_json() if record is not None else None)


__all__ = ["parts"]
