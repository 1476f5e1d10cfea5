"""Per-node templates of elementary functions (paper: Definition 3, the transition functions;
THEORY §2.2, §4.8).

A transition function of the paper is "a composition of a constant number of elementary
functions" (ReLU, product, reciprocal) glued by affine maps with constant weights. A
*template* T(D, r, p, q) fixes the shape of such a composition with free weights: D layers,
each with r ReLU gates, p product gates and q reciprocal gates. Every argument of a gate in
layer ℓ is a free affine combination of the node values the template may read and of the
outputs of every gate in layers < ℓ; the node's new value is a free affine combination of
the node values and of every gate:

    gate ∈ layer ℓ:  ReLU(A) | A·A' | 1/A,      A = Σ_v w_v·v + Σ_{g ∈ layers < ℓ} w_g·g + c
    f_u           =  Σ_v w_v·v + Σ_g w_g·g + c.

Claim (project form, checked by :func:`fit` and the tests). Every expression f of depth
≤ D (THEORY §2.2) whose elementary operations, counted once per distinct subexpression and
grouped by their *height* (1 + the largest height below them, so an operation on node
values has height 1), number at most r ReLUs, p products and q reciprocals at each height is
the template with some weights: each operation is placed in the layer equal to its height
and its arguments, flattened through the affine glue, are affine in node values and in
operations of smaller height. :func:`instantiate` builds the expression back from the
weights (zero weights and gates that nothing reads are dropped, so the expression is the
original one up to affine re-association: same value in exact arithmetic).
``Template.for_ops(D, c)`` (c gates of each kind per layer) holds every transition of depth
≤ D with at most c elementary functions — Definition 3's constant.

Weights of one node are sparse: :class:`NodeWeights` maps each used gate to its affine
arguments (:class:`Lin`: {source: weight} + constant, sources are node-slot names or gate
names ``g{ℓ}.{kind}{i}``) and holds the output combination. Dense layouts for training tiny
templates are in :mod:`constructions.universal_elementary`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Mapping

from rnnsim.errors import ConstructionError, NetworkError
from rnnsim.expr import Affine, Const, Expr, Node, Prod, Recip, ReLU, affine, exact, recip, relu
from rnnsim.registry import realizes

KINDS = ("relu", "prod", "recip")
ARITY = {"relu": 1, "prod": 2, "recip": 1}
_OP_KIND = {ReLU: "relu", Prod: "prod", Recip: "recip"}


class NotInTemplate(ConstructionError, NetworkError):
    """An expression has more elementary operations (or more depth) than a template holds."""


@dataclass(frozen=True)
class Template:
    """D layers of r ReLU, p product and q reciprocal gates (module docstring)."""

    depth: int
    relu: int
    prod: int
    recip: int

    def __post_init__(self):
        for nm in ("depth", "relu", "prod", "recip"):
            v = getattr(self, nm)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ConstructionError(f"template: {nm} must be a non-negative integer, got {v!r}")

    @classmethod
    def for_ops(cls, depth: int, ops: int) -> "Template":
        """The template holding every transition of depth ≤ ``depth`` with ≤ ``ops``
        elementary functions (``ops`` gates of each kind in every layer)."""
        return cls(depth, ops, ops, ops)

    def count(self, kind: str) -> int:
        return getattr(self, kind)

    def gates(self) -> list[str]:
        """Every gate name, layer by layer: g{ℓ}.{kind}{i}."""
        return [gate_name(l, k, i) for l in range(1, self.depth + 1) for k in KINDS for i in range(self.count(k))]

    def n_weights(self, n_sources: int) -> int:
        """Free weights of one node reading ``n_sources`` node values (its initial value
        not counted): every gate argument and the output read the sources, the earlier
        gates and a constant."""
        total, before = 0, 0
        for _ in range(self.depth):
            per = self.relu + self.prod + self.recip
            total += (self.relu + 2 * self.prod + self.recip) * (n_sources + before + 1)
            before += per
        return total + n_sources + before + 1

    def __str__(self):
        return f"T(depth {self.depth}: {self.relu} ReLU, {self.prod} Prod, {self.recip} Recip per layer)"


def gate_name(layer: int, kind: str, i: int) -> str:
    return f"g{layer}.{kind}{i}"


def parse_gate(name: str) -> tuple[int, str, int] | None:
    """(layer, kind, index) of a gate name, None for a node-slot name."""
    if not name.startswith("g") or "." not in name:
        return None
    head, tail = name[1:].split(".", 1)
    for k in KINDS:
        if tail.startswith(k) and tail[len(k):].isdigit() and head.isdigit():
            return int(head), k, int(tail[len(k):])
    return None


# ---- what an expression needs ----------------------------------------------------------------

@dataclass(frozen=True)
class Profile:
    """Elementary operations of one expression: ``ops`` distinct operations, ``depth``, and
    ``per_layer[ℓ−1][kind]`` = operations of that kind at height ℓ."""

    ops: int
    depth: int
    per_layer: tuple

    def fits(self, t: Template) -> bool:
        return self.depth <= t.depth and all(
            row.get(k, 0) <= t.count(k) for row in self.per_layer for k in KINDS)

    def least_template(self) -> Template:
        return Template(self.depth, *(max((row.get(k, 0) for row in self.per_layer), default=0) for k in KINDS))


def _heights(f: Expr) -> dict[Expr, int]:
    """Distinct elementary operations of f (structural equality) → height."""
    memo: dict[int, int] = {}
    ops: dict[Expr, int] = {}
    for e in f.walk():
        h = max((memo[id(c)] for c in e.children()), default=0)
        if type(e) in _OP_KIND:
            h += 1
            ops.setdefault(e, h)
        memo[id(e)] = h
    return ops


def profile(f: Expr) -> Profile:
    """The :class:`Profile` of a transition expression."""
    ops = _heights(f)
    depth = max(ops.values(), default=0)
    rows = [dict() for _ in range(depth)]
    for e, h in ops.items():
        k = _OP_KIND[type(e)]
        rows[h - 1][k] = rows[h - 1].get(k, 0) + 1
    return Profile(len(ops), depth, tuple(rows))


def join(templates) -> Template:
    """The least template holding each of ``templates`` (layer-wise maximum)."""
    ts = list(templates)
    return Template(max((t.depth for t in ts), default=0),
                    *(max((t.count(k) for t in ts), default=0) for k in KINDS))


def network_template(rnn) -> Template:
    """The least template holding every transition of ``rnn``."""
    return join(profile(f).least_template() for f in rnn.transitions.values())


def network_ops(rnn) -> int:
    """The largest number of elementary functions in one transition of ``rnn``."""
    return max((profile(f).ops for f in rnn.transitions.values()), default=0)


# ---- weights of one node ----------------------------------------------------------------------

@dataclass
class Lin:
    """An affine combination Σ w·source + const (sources: node slots or gate names)."""

    w: dict = field(default_factory=dict)
    const: object = 0

    def add(self, src: str, weight) -> None:
        v = self.w.get(src, 0) + weight
        if v == 0:
            self.w.pop(src, None)
        else:
            self.w[src] = v

    def scaled(self, s) -> "Lin":
        return Lin({k: v * s for k, v in self.w.items()}, self.const * s)

    def to_json(self) -> dict:
        return {"w": {k: str(v) for k, v in self.w.items()}, "c": str(self.const)}

    @classmethod
    def from_json(cls, d) -> "Lin":
        return cls({k: _num(v) for k, v in d["w"].items()}, _num(d["c"]))


@dataclass
class NodeWeights:
    """Weights of one node's template: its initial value, the used gates' arguments and the
    output combination (sparse: absent = 0)."""

    init: object = 0
    gates: dict = field(default_factory=dict)       # gate name → tuple of Lin (1 or 2)
    out: Lin = field(default_factory=Lin)

    def to_json(self) -> dict:
        return {"init": str(self.init), "out": self.out.to_json(),
                "gates": {g: [a.to_json() for a in args] for g, args in self.gates.items()}}

    @classmethod
    def from_json(cls, d) -> "NodeWeights":
        return cls(_num(d["init"]), {g: tuple(Lin.from_json(a) for a in args) for g, args in d["gates"].items()},
                   Lin.from_json(d["out"]))


def _num(v):
    try:
        return exact(Fraction(v) if isinstance(v, str) else v, where="template weight")
    except (ValueError, ZeroDivisionError):
        raise ConstructionError(f"template weight {v!r} is not a number") from None


# ---- expression ⇄ weights --------------------------------------------------------------------

@realizes("§4.8 universal graph", "every transition of depth ≤ D with ≤ r ReLU, p Prod, q Recip per height is the "
          "template T(D, r, p, q) with some weights", kind="construction")
def fit(f: Expr, template: Template, slot: Callable[[str], str], *, where: str = "node") -> NodeWeights:
    """Weights of ``template`` computing f, node names mapped by ``slot`` (original name →
    slot name). Raises :class:`NotInTemplate` naming ``where`` and what does not fit."""
    ops = _heights(f)
    prof = profile(f)
    if prof.depth > template.depth:
        raise NotInTemplate(f"{where}: transition has depth {prof.depth}; the template has {template.depth} layers")
    names: dict[Expr, str] = {}
    used = {}
    for e, h in sorted(ops.items(), key=lambda kv: kv[1]):
        k = _OP_KIND[type(e)]
        i = used.get((h, k), 0)
        if i >= template.count(k):
            raise NotInTemplate(
                f"{where}: transition needs more than {template.count(k)} {k} gate(s) at layer {h} "
                f"(it has {prof.per_layer[h - 1].get(k, 0)}; {prof.ops} elementary functions in all); "
                "use a wider template (Template.for_ops) or a class with more elementary functions per node")
        used[(h, k)] = i + 1
        names[e] = gate_name(h, k, i)
    cache: dict[int, Lin] = {}

    def lin(e: Expr) -> Lin:
        got = cache.get(id(e))
        if got is not None:
            return got
        if isinstance(e, Const):
            out = Lin({}, e.value)
        elif isinstance(e, Node):
            out = Lin({slot(e.name): Fraction(1)}, 0)
        elif isinstance(e, Affine):
            out = Lin({}, e.const)
            for t, w in e.terms:
                sub = lin(t)
                for s, v in sub.w.items():
                    out.add(s, v * w)
                out.const += sub.const * w
        else:
            out = Lin({names[e]: Fraction(1)}, 0)
        cache[id(e)] = out
        return out

    nw = NodeWeights()
    for e, g in names.items():
        nw.gates[g] = tuple(lin(c) for c in e.children())
    nw.out = lin(f)
    return nw


def instantiate(nw: NodeWeights, template: Template, source: Callable[[str], Expr], *, where: str = "node") -> Expr:
    """The expression of a node's template with weights ``nw``; ``source(slot)`` gives the
    expression a node-slot source stands for (e.g. Node(slot), or a reset-masked value).
    Only gates the output reads (through nonzero weights) are built."""
    for g in nw.gates:
        p = parse_gate(g)
        if p is None or p[0] > template.depth or p[2] >= template.count(p[1]):
            raise NotInTemplate(f"{where}: gate {g!r} is not a gate of {template}")
        if len(nw.gates[g]) != ARITY[p[1]]:
            raise NotInTemplate(f"{where}: gate {g!r} takes {ARITY[p[1]]} argument(s), got {len(nw.gates[g])}")
    built: dict[str, Expr] = {}

    def lin_expr(L: Lin, layer: int) -> Expr:
        pairs = []
        for s, w in L.w.items():
            if w == 0:
                continue
            p = parse_gate(s)
            if p is None:
                pairs.append((source(s), w))
            else:
                if p[0] >= layer:
                    raise NotInTemplate(f"{where}: gate {s!r} (layer {p[0]}) is read in layer {layer}; "
                                        "a gate may only read gates of earlier layers")
                pairs.append((gate(s), w))
        return affine(pairs, L.const)

    def gate(g: str) -> Expr:
        if g not in built:
            if g not in nw.gates:        # a gate with all-zero weights computes ReLU(0) = 0 etc.
                raise NotInTemplate(f"{where}: gate {g!r} is read but has no weights")
            layer, kind, _ = parse_gate(g)
            args = [lin_expr(a, layer) for a in nw.gates[g]]
            if kind == "relu":
                built[g] = relu(args[0])
            elif kind == "prod":
                built[g] = args[0] * args[1]
            else:
                if isinstance(args[0], Const) and args[0].value == 0:
                    raise NotInTemplate(f"{where}: reciprocal gate {g!r} has the constant argument 0")
                built[g] = recip(args[0])
        return built[g]

    return lin_expr(nw.out, template.depth + 1)


def rename_sources(nw: NodeWeights, mapping: Mapping[str, str]) -> NodeWeights:
    """The same weights with node-slot sources renamed (gates unchanged)."""
    def ren(L: Lin) -> Lin:
        out = Lin({}, L.const)
        for s, v in L.w.items():
            out.add(s if parse_gate(s) else mapping.get(s, s), v)
        return out
    return NodeWeights(nw.init, {g: tuple(ren(a) for a in args) for g, args in nw.gates.items()}, ren(nw.out))


__all__ = ["Template", "Profile", "Lin", "NodeWeights", "NotInTemplate", "KINDS", "profile", "join",
           "network_template", "network_ops", "fit", "instantiate", "gate_name", "parse_gate", "rename_sources"]
