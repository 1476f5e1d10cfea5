"""The universal graph of a size class with elementary-function templates (paper: Section 3,
Figure 3.1, generalized to Definition 3's transition functions; THEORY §4.8).

Claim (project form). Let C = C(s, h, τ, d, c) be a size class (:mod:`constructions.size_classes`)
and T a per-node template (:mod:`constructions.templates`; default T(d, c, c, c)). The
universal graph U(C, T) has an input node x, hidden slots h.0 … h.{h−1} and S = s − 1 − h
stateless slots s.0 … s.{S−1}, with the edges of Figure 3.1: a hidden slot reads x and every
hidden slot, a stateless slot reads x, every hidden slot and every stateless slot, and the
stateless slots are *reset* to their initial values whenever a new token is fed. Every slot's
transition is the template T with free weights and a free initial value:

    h_i(t+1) = T_i(x(t), h(t)),            s_i(t+1) = T'_i(x(t), h(t), ŝ(t)),
    ŝ_j(t)  = s_j(t) if t mod τ ≠ 0, else s_j(0)      (the reset)

and the output is s.{S−1} (h.{h−1} when S = 0). Every member R of C with exactly τ steps per
token and one value-encoded input is U(C, T) with some weights (:func:`embed`): R's hidden
nodes go to hidden slots, its other nodes to stateless slots (the output to the output slot;
a hidden output is computed a second time in the output slot, which reads the same hidden
values), every transition is fitted into T, and unused slots keep zero weights and stay 0.
The outputs are identical exactly when resetting R's non-hidden nodes to their initial values
at every token boundary changes none of them — the semantic half of class membership, which
every network the project builds satisfies (checked by the tests on every document).

Realisation. For τ ≥ 2 two scaffolding nodes carry the reset (as in :mod:`constructions.universal`):
``clk.ph`` = t mod τ and ``clk.rho`` = 1[t mod τ ≠ 0], both hidden; a stateless source read by a
stateless slot enters as ρ·(s_j − s_j(0)) + s_j(0) (one product). For τ = 1 every step is a
token boundary, so a stateless source is the constant s_j(0). Weights are sparse
(:class:`UniversalWeights`: slot → :class:`~constructions.templates.NodeWeights`); zero weights
and unread gates are not built. Built network: size s + 2·[τ≥2], hidden size h + 2·[τ≥2], τ, and
the depth of its weights (:func:`weights_depth`, ≤ d + [τ≥2 and a stateless slot reads one]).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction

from rnnsim import Bounds, Builder, Claims, Const, Node, RNN
from rnnsim.errors import ConstructionError
from rnnsim.expr import Expr
from rnnsim.registry import realizes

from . import records
from .gadgets import ge, inc_mod
from .size_classes import NotInClass, SizeClass
from .templates import ARITY, Lin, NodeWeights, NotInTemplate, Template, fit, instantiate, parse_gate

_STMT = ("every member of C(s, h, τ, d, c) with τ steps per token is the universal graph U(C, T) with "
         "elementary-function templates and some weights (identical outputs)")


@dataclass(frozen=True)
class Slots:
    """The slot names of U(C, T)."""

    cls: SizeClass

    @property
    def hidden(self) -> list[str]:
        return [f"h.{i}" for i in range(self.cls.hidden)]

    @property
    def stateless(self) -> list[str]:
        return [f"s.{i}" for i in range(self.cls.stateless)]

    @property
    def output(self) -> str:
        if self.cls.stateless:
            return f"s.{self.cls.stateless - 1}"
        if not self.cls.hidden:
            raise ConstructionError(f"{self.cls}: the universal graph needs a non-input node for the output")
        return f"h.{self.cls.hidden - 1}"

    def sources(self, slot: str) -> list[str]:
        """The node values the template of ``slot`` may read (Figure 3.1's edges)."""
        return ["x"] + self.hidden + (self.stateless if slot.startswith("s.") else [])

    def n_weights(self, template: Template) -> int:
        """Free weights of U(C, T): every slot's template weights and initial value."""
        return sum(template.n_weights(len(self.sources(u))) + 1 for u in self.hidden + self.stateless)


@dataclass
class UniversalWeights:
    """Sparse weights of U(C, T): slot name → NodeWeights (absent slot: all zero)."""

    nodes: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({u: nw.to_json() for u, nw in sorted(self.nodes.items())})

    @classmethod
    def from_json(cls, text: str) -> "UniversalWeights":
        try:
            data = json.loads(text)
            return cls({u: NodeWeights.from_json(d) for u, d in data.items()})
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ConstructionError(f"universal-graph weights: malformed JSON ({e})") from None

    def count(self) -> int:
        """Nonzero weights (initial values included)."""
        n = 0
        for nw in self.nodes.values():
            n += int(nw.init != 0) + len(nw.out.w) + int(nw.out.const != 0)
            for args in nw.gates.values():
                n += sum(len(a.w) + int(a.const != 0) for a in args)
        return n


# ---- embedding a member ------------------------------------------------------------------------

@realizes("§4.8 universal graph", _STMT, kind="construction")
def embed(rnn: RNN, cls: SizeClass | None = None, template: Template | None = None) -> tuple[UniversalWeights, SizeClass, Template]:
    """Weights of U(cls, template) computing the same outputs as ``rnn`` (when ``rnn`` passes
    the reset test). Defaults: ``SizeClass.of(rnn)`` and ``cls.template()``. Raises
    :class:`NotInClass` naming what does not fit (a structural problem of the class, τ ≠
    the class's τ, a one-hot input, a transition wider than the template)."""
    cls = SizeClass.of(rnn) if cls is None else cls
    template = cls.template() if template is None else template
    if rnn.input_encoding != "value" or len(rnn.inputs) != 1:
        raise NotInClass(f"network {rnn.name!r}: the universal graph has one value-encoded input node")
    probs = cls.problems(rnn)
    if probs:
        raise NotInClass(f"network {rnn.name!r} is not a member of {cls}: " + "; ".join(probs))
    if rnn.tau != cls.time:
        raise NotInClass(f"network {rnn.name!r} has τ = {rnn.tau} steps per token; the universal graph of {cls} "
                         f"runs exactly τ = {cls.time} (slow the network down first, or use the class with τ = {rnn.tau})")
    slots = Slots(cls)
    x_in = rnn.inputs[0]
    hid = list(rnn.hidden)
    out_hidden = rnn.output in rnn.hidden
    others = [n for n in rnn.nodes if n not in rnn.inputs and n not in set(hid)]
    slot: dict[str, str] = {x_in: "x"}
    H, S = cls.hidden, cls.stateless
    hid_order = [n for n in hid if n != rnn.output] + ([rnn.output] if out_hidden else [])
    hbase = H - len(hid_order) if (out_hidden and S == 0) else 0     # the hidden output lands on h.{H−1}
    for i, n in enumerate(hid_order):
        slot[n] = f"h.{hbase + i}"
    oth_order = [n for n in others if n != rnn.output] + ([] if out_hidden else [rnn.output])
    if out_hidden and S:
        if len(oth_order) + 1 > S:
            raise NotInClass(f"network {rnn.name!r}: its output {rnn.output!r} is hidden; the class needs one "
                             f"spare stateless slot to compute it again in the output slot ({len(oth_order)} "
                             f"non-hidden nodes, {S} slots)")
        oth_order = oth_order + [None]
    sbase = S - len(oth_order)
    for i, n in enumerate(oth_order):
        if n is not None:
            slot[n] = f"s.{sbase + i}"
    weights = UniversalWeights()
    for n, u in slot.items():
        if u == "x":
            continue
        weights.nodes[u] = _fit_node(rnn, n, template, slot)
    if out_hidden and S:
        nw = _fit_node(rnn, rnn.output, template, slot)
        weights.nodes[slots.output] = nw
    return weights, cls, template


def _fit_node(rnn: RNN, n: str, template: Template, slot: dict) -> NodeWeights:
    try:
        nw = fit(rnn.transitions[n], template, slot.__getitem__, where=f"node {n!r} of {rnn.name!r}")
    except NotInTemplate as e:
        raise NotInClass(str(e)) from None
    nw.init = Fraction(rnn.init[n])
    return nw


# ---- building the graph from weights ----------------------------------------------------------------

def _source_fn(slot: str, slots: Slots, weights: UniversalWeights, rho: Expr | None, time: int):
    allowed = set(slots.sources(slot))

    def source(s: str) -> Expr:
        if s not in allowed:
            raise NotInClass(f"slot {slot!r} reads {s!r}, which is not one of its sources in Figure 3.1 "
                             f"({'x, h.*' if slot.startswith('h.') else 'x, h.*, s.*'})")
        if slot.startswith("s.") and s.startswith("s."):
            c = weights.nodes[s].init if s in weights.nodes else 0
            if time == 1:
                return Const(c)
            return rho * (Node(s) - c) + c
        return Node(s)
    return source


@realizes("§4.8 universal graph", _STMT, bound="size s + 2·[τ≥2], hidden h + 2·[τ≥2], depth ≤ d + [τ≥2]")
def universal_elementary(cls: SizeClass, weights: UniversalWeights | None = None, template: Template | None = None,
                         *, name: str | None = None, role=None) -> RNN:
    """U(cls, template) with the given weights (None: all zero). ``role``: what the weights
    make it compute (e.g. the role of the embedded network)."""
    template = cls.template() if template is None else template
    weights = UniversalWeights() if weights is None else weights
    slots = Slots(cls)
    known = set(slots.hidden) | set(slots.stateless)
    unknown = sorted(set(weights.nodes) - known)
    if unknown:
        raise NotInClass(f"weights for {unknown[:5]}, which are not slots of U({cls}) "
                         f"(hidden h.0…h.{cls.hidden - 1}, stateless s.0…s.{cls.stateless - 1})")
    b = Builder(name or f"universal_{cls.size}_{cls.hidden}_{cls.time}", tau=cls.time, alphabet=cls.alphabet, role=role)
    b.input("x")
    for u in slots.hidden:
        b.node(u, init=weights.nodes[u].init if u in weights.nodes else 0, hidden=True)
    for u in slots.stateless:
        b.node(u, init=weights.nodes[u].init if u in weights.nodes else 0)
    rho = None
    if cls.time >= 2:
        ph = b.node("clk.ph", init=0, hidden=True)
        b.update(ph, inc_mod(ph, cls.time))
        rho = b.node("clk.rho", init=0, hidden=True, boolean=True)
        b.update(rho, 1 - ge(ph, cls.time - 1))
    for u in slots.hidden + slots.stateless:
        nw = weights.nodes.get(u)
        if nw is None:
            b.update(u, Const(0))
            continue
        try:
            b.update(u, instantiate(nw, template, _source_fn(u, slots, weights, rho, cls.time), where=f"slot {u!r}"))
        except NotInTemplate as e:
            raise NotInClass(str(e)) from None
    b.output(Node(slots.output))
    clk = 2 if cls.time >= 2 else 0
    depth = weights_depth(cls, template, weights)
    rec = records.ElementaryUniversal(cls.size, cls.hidden, cls.time, cls.depth, cls.ops,
                                      (template.depth, template.relu, template.prod, template.recip),
                                      weights.to_json())
    return b.build(claims=Claims(cls.size + clk, cls.hidden + clk, cls.time, depth,
                                 bounds=Bounds(depth=max(template.depth + int(cls.time >= 2), int(cls.time >= 2))),
                                 statement="§4.8 universal graph"),
                   construction=rec.to_json())


def weights_depth(cls: SizeClass, template: Template, weights: UniversalWeights) -> int:
    """Depth of U(cls, template) with ``weights``, from the weights, folding constants as the
    expression constructors do (a gate whose arguments are constant is a constant; a product
    with a constant factor is affine). The clock has depth 1 (τ ≥ 2); a reset stateless
    source has depth 1 for τ ≥ 2 and is the constant s_j(0) for τ = 1."""
    d = 1 if cls.time >= 2 else 0
    inits = {u: nw.init for u, nw in weights.nodes.items()}
    for u, nw in weights.nodes.items():
        gates: dict[str, tuple] = {}      # gate → (constant value or None, depth)

        def lin(L: Lin) -> tuple:
            val, dep, var = Fraction(L.const), 0, False
            for s, w in L.w.items():
                if w == 0:
                    continue
                p = parse_gate(s)
                if p is None:
                    reset = u.startswith("s.") and s.startswith("s.")
                    if reset and cls.time == 1:
                        val += w * inits.get(s, 0)
                        continue
                    var, dep = True, max(dep, int(reset))
                else:
                    c, gd = gate(s)
                    if c is None:
                        var, dep = True, max(dep, gd)
                    else:
                        val += w * c
            return (None if var else val), dep

        def gate(g: str) -> tuple:
            if g not in gates:
                kind = parse_gate(g)[1]
                args = [lin(a) for a in nw.gates[g]] if g in nw.gates else [(Fraction(0), 0)] * ARITY[kind]
                if kind == "prod":
                    (c1, d1), (c2, d2) = args
                    if c1 is not None and c2 is not None:
                        gates[g] = (c1 * c2, 0)
                    elif c1 == 0 or c2 == 0:
                        gates[g] = (Fraction(0), 0)
                    elif c1 is not None or c2 is not None:
                        gates[g] = (None, max(d1, d2))
                    else:
                        gates[g] = (None, 1 + max(d1, d2))
                else:
                    c1, d1 = args[0]
                    if c1 is None:
                        gates[g] = (None, 1 + d1)
                    elif kind == "relu":
                        gates[g] = (max(c1, Fraction(0)), 0)
                    else:
                        gates[g] = (Fraction(1) / c1 if c1 != 0 else None, 0)
            return gates[g]

        d = max(d, lin(nw.out)[1])
    return d


def weights_of(rnn: RNN) -> tuple[SizeClass, Template, UniversalWeights]:
    """The class, template and weights a universal graph was built with (from its record)."""
    rec = records.record_of(rnn)
    if not isinstance(rec, records.ElementaryUniversal):
        raise ConstructionError(f"network {rnn.name!r} was not built by universal_elementary (record {rec.kind!r})")
    cls = SizeClass(rec.size, rec.hidden, rec.time, rec.depth, rec.ops, rnn.alphabet)
    return cls, Template(*rec.template), UniversalWeights.from_json(rec.weights)


__all__ = ["Slots", "UniversalWeights", "NotInClass", "embed", "universal_elementary", "weights_depth", "weights_of"]
