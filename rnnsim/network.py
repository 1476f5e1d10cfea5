"""The RNN graph (THEORY §2.1; paper: Definition 3) and its builder.

An RNN is a set of named nodes V, input nodes I ⊆ V, one output node o, a hidden node set
H ⊆ V \\ I, for each u ∈ V \\ I a transition function f_u (an expression over node values,
see :mod:`rnnsim.expr`) and an initial value v_0(u), and τ ≥ 1 steps per token. Size is
|V| (inputs included); hidden size is |H|. Names are hierarchical (``boost.U.H2.c3``):
:meth:`Builder.embed` copies a whole network under a prefix with its inputs re-wired, and a
name collision always raises — nothing is renamed silently (:mod:`rnnsim.builder`).

:class:`RNN` is immutable and validated on construction (:mod:`rnnsim.validation`); every
problem is reported at once (unknown nodes, transitions on inputs, a hidden set that reads
outside H ∪ I, τ ≤ 0, a dangling output, …). Its flat lowering for the engines is
:attr:`RNN.program`.

Besides the graph, an RNN carries typed facts that change how it may be used, all saved
by :mod:`rnnsim.io`: its ``role`` (:mod:`rnnsim.roles`: a language model over Σ, or a
distinguisher with window k; None when nobody said), the nodes declared Boolean
(``boolean_nodes``: they only ever hold 0 or 1; gating merges controls through them and
the range analysis uses them), the ``claims`` of the construction that built it
(:mod:`rnnsim.claims`: exact size, hidden size, τ, depth and their bounds, checked against
the network here) and the ``construction`` record (JSON data the builder left, read by
``constructions.records``; the core never interprets it). ``meta`` is free-form and
changes nothing.
"""

from __future__ import annotations

import fnmatch
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from .claims import Claims
from .errors import ClaimError, NetworkError
from .expr import Expr
from .registry import realizes
from .roles import Role
from .validation import network_problems


@realizes("Definition 3", "an RNN: nodes, inputs, output, hidden set, transitions, initial values, τ")
class RNN:
    """An immutable, validated recurrent network.

    Attributes: ``name``, ``nodes`` (all node names, inputs first), ``inputs``, ``output``,
    ``hidden`` (tuple, declaration order), ``tau``, ``alphabet`` (b), ``input_encoding``
    ("value": one input node holding the token; "onehot": b input nodes),
    ``transitions`` and ``init`` (read-only mappings), ``role`` (:class:`rnnsim.LMRole`,
    :class:`rnnsim.DistinguisherRole` or None), ``boolean_nodes`` (tuple: nodes declared
    0/1-valued), ``claims`` (:class:`rnnsim.Claims` or None; checked against the network on
    construction, :class:`~rnnsim.errors.ClaimError` when they fail), ``construction``
    (read-only JSON-able mapping or None: the record of the construction that built it),
    ``meta`` (free-form JSON-able data that changes no behaviour).
    """

    __slots__ = (
        "name", "nodes", "inputs", "output", "hidden", "tau", "alphabet", "input_encoding",
        "transitions", "init", "role", "boolean_nodes", "claims", "construction", "meta",
        "_program", "_depth", "_index",
    )

    def __init__(
        self,
        *,
        nodes: Iterable[str],
        inputs: Iterable[str],
        output: str | None,
        hidden: Iterable[str],
        tau: int,
        transitions: Mapping[str, Expr],
        init: Mapping[str, Any],
        alphabet: int = 2,
        input_encoding: str = "value",
        name: str = "rnn",
        meta: Mapping[str, Any] | None = None,
        role: Role | None = None,
        boolean_nodes: Iterable[str] = (),
        claims: Claims | None = None,
        construction: Mapping[str, Any] | None = None,
    ):
        nodes = tuple(nodes)
        inputs = tuple(inputs)
        hidden = tuple(hidden)
        boolean_nodes = tuple(boolean_nodes)
        problems, clean_tr, clean_init = network_problems(
            nodes=nodes, inputs=inputs, output=output, hidden=hidden, tau=tau, transitions=transitions,
            init=init, alphabet=alphabet, input_encoding=input_encoding, role=role,
            boolean_nodes=boolean_nodes, claims=claims, construction=construction)
        if problems:
            raise NetworkError(
                f"network {name!r} is invalid ({len(problems)} problem{'s' * (len(problems) > 1)}):\n  "
                + "\n  ".join(problems),
                problems,
            )
        # inputs first, then the rest in declaration order
        input_set = set(inputs)
        order = list(inputs) + [n for n in nodes if n not in input_set]
        self.name = name
        self.nodes = tuple(order)
        self.inputs = inputs
        self.output = output
        self.hidden = hidden
        self.tau = tau
        self.alphabet = alphabet
        self.input_encoding = input_encoding
        self.transitions = MappingProxyType(clean_tr)
        self.init = MappingProxyType(clean_init)
        self.role = role
        self.boolean_nodes = boolean_nodes
        self.claims = claims
        self.construction = None if construction is None else MappingProxyType(dict(construction))
        self.meta = MappingProxyType(dict(meta or {}))
        self._program = None
        self._depth = None
        self._index = None
        if claims is not None:
            wrong = claims.mismatches(self)
            if wrong:
                raise ClaimError(
                    f"network {name!r}: the claims of its construction do not hold ({'; '.join(wrong)}); "
                    "the closed form or the construction is wrong (a bug to report), or the network "
                    "was changed after it was built (build it again, or pass claims=None)", wrong)

    def __setattr__(self, key, value):
        if key.startswith("_") or not hasattr(self, "_index"):
            object.__setattr__(self, key, value)
        else:
            raise AttributeError(f"RNN is immutable; build a new one with rnnsim.Builder (tried to set {key!r})")

    # ---- sizes -----------------------------------------------------------------------
    @property
    def size(self) -> int:
        """|V|, input nodes included."""
        return len(self.nodes)

    @property
    def hidden_size(self) -> int:
        return len(self.hidden)

    @property
    def depth(self) -> int:
        """Largest depth (ReLU/Prod/Recip on a path) over all transition functions."""
        if self._depth is None:
            memo: dict = {}
            from .expr_passes import depth_of

            self._depth = max((depth_of(f, memo) for f in self.transitions.values()), default=0)
        return self._depth

    def node_depths(self) -> dict[str, int]:
        memo: dict = {}
        from .expr_passes import depth_of

        return {n: depth_of(f, memo) for n, f in self.transitions.items()}

    def kind_counts(self) -> dict[str, int]:
        """How many distinct operations of each kind the lowered program has."""
        return self.program.kind_counts()

    def index(self, name: str) -> int:
        if self._index is None:
            self._index = {n: i for i, n in enumerate(self.nodes)}
        try:
            return self._index[name]
        except KeyError:
            raise NetworkError(f"unknown node {name!r} in network {self.name!r}") from None

    def select(self, patterns: str | Iterable[str]) -> list[str]:
        """Node names matching glob pattern(s) on hierarchical names, in node order."""
        if isinstance(patterns, str):
            patterns = [patterns]
        pats = list(patterns)
        return [n for n in self.nodes if any(fnmatch.fnmatchcase(n, p) for p in pats)]

    def in_neighbours(self, name: str) -> frozenset[str]:
        f = self.transitions.get(name)
        return frozenset() if f is None else f.nodes()

    # ---- lowering & export -------------------------------------------------------------
    @property
    def program(self):
        """The flat, immutable lowering every engine consumes (cached)."""
        if self._program is None:
            from .program import lower

            self._program = lower(self)
        return self._program

    def to_networkx(self):
        """A networkx DiGraph: edge v → u when f_u reads v; node attributes kind/init/depth."""
        import networkx as nx

        g = nx.DiGraph(name=self.name, tau=self.tau, output=self.output)
        hidden = set(self.hidden)
        depths = self.node_depths()
        for n in self.nodes:
            kind = "input" if n in self.inputs else ("hidden" if n in hidden else "other")
            attrs = {"kind": kind, "output": n == self.output}
            if n in self.transitions:
                attrs["init"] = str(self.init[n])
                attrs["depth"] = depths[n]
                attrs["transition"] = str(self.transitions[n])
            g.add_node(n, **attrs)
        for n, f in self.transitions.items():
            for m in f.nodes():
                g.add_edge(m, n)
        return g

    def replace(self, **changes) -> "RNN":
        """A copy with some fields changed (validated again). Changing the graph (nodes,
        inputs, output, hidden set, τ, transitions, initial values, alphabet or encoding)
        drops the construction's ``claims`` and ``construction`` record unless they are
        given too: the changed network is no longer what the construction built."""
        fields = dict(
            nodes=self.nodes, inputs=self.inputs, output=self.output, hidden=self.hidden,
            tau=self.tau, transitions=dict(self.transitions), init=dict(self.init),
            alphabet=self.alphabet, input_encoding=self.input_encoding, name=self.name,
            meta=dict(self.meta), role=self.role, boolean_nodes=self.boolean_nodes,
            claims=self.claims, construction=self.construction,
        )
        if set(changes) & _GRAPH_FIELDS:
            fields.update(claims=None, construction=None)
        fields.update(changes)
        return RNN(**fields)

    def with_role(self, role: Role | None) -> "RNN":
        """A copy whose role is ``role`` (e.g. ``net.with_role(rnnsim.LMRole(2))``)."""
        return self.replace(role=role)

    def __repr__(self):
        return (
            f"<RNN {self.name!r}: size {self.size}, hidden {self.hidden_size}, τ {self.tau}, "
            f"depth {self.depth}, output {self.output!r}>"
        )

    def describe(self) -> str:
        """Every node with its initial value and transition, one per line."""
        lines = [repr(self)]
        if self.role is not None:
            lines.append(f"  role: {self.role}")
        hidden = set(self.hidden)
        for n in self.nodes:
            if n in self.inputs:
                lines.append(f"  {n} (input)")
            else:
                tag = " [H]" if n in hidden else ""
                tag += " [out]" if n == self.output else ""
                lines.append(f"  {n}{tag} := {self.transitions[n]}    (init {self.init[n]})")
        return "\n".join(lines)


_GRAPH_FIELDS = frozenset({"nodes", "inputs", "output", "hidden", "tau", "transitions", "init",
                           "alphabet", "input_encoding"})


__all__ = ["RNN"]
