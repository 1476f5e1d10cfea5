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
"""

from __future__ import annotations

import fnmatch
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from .errors import NetworkError
from .expr import Expr
from .registry import realizes
from .validation import network_problems


@realizes("Definition 3", "an RNN: nodes, inputs, output, hidden set, transitions, initial values, τ")
class RNN:
    """An immutable, validated recurrent network.

    Attributes: ``name``, ``nodes`` (all node names, inputs first), ``inputs``, ``output``,
    ``hidden`` (tuple, declaration order), ``tau``, ``alphabet`` (b), ``input_encoding``
    ("value": one input node holding the token; "onehot": b input nodes),
    ``transitions`` and ``init`` (read-only mappings), ``meta`` (free-form JSON-able data
    such as the claims of the builder that made it).
    """

    __slots__ = (
        "name", "nodes", "inputs", "output", "hidden", "tau", "alphabet", "input_encoding",
        "transitions", "init", "meta", "_program", "_depth", "_index",
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
    ):
        nodes = tuple(nodes)
        inputs = tuple(inputs)
        hidden = tuple(hidden)
        problems, clean_tr, clean_init = network_problems(
            nodes=nodes, inputs=inputs, output=output, hidden=hidden, tau=tau, transitions=transitions,
            init=init, alphabet=alphabet, input_encoding=input_encoding)
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
        self.meta = MappingProxyType(dict(meta or {}))
        self._program = None
        self._depth = None
        self._index = None

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
            from .expr import _depth

            self._depth = max((_depth(f, memo) for f in self.transitions.values()), default=0)
        return self._depth

    def node_depths(self) -> dict[str, int]:
        memo: dict = {}
        from .expr import _depth

        return {n: _depth(f, memo) for n, f in self.transitions.items()}

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
        """A copy with some fields changed (validated again)."""
        fields = dict(
            nodes=self.nodes, inputs=self.inputs, output=self.output, hidden=self.hidden,
            tau=self.tau, transitions=dict(self.transitions), init=dict(self.init),
            alphabet=self.alphabet, input_encoding=self.input_encoding, name=self.name,
            meta=dict(self.meta),
        )
        fields.update(changes)
        return RNN(**fields)

    def __repr__(self):
        return (
            f"<RNN {self.name!r}: size {self.size}, hidden {self.hidden_size}, τ {self.tau}, "
            f"depth {self.depth}, output {self.output!r}>"
        )

    def describe(self) -> str:
        """Every node with its initial value and transition, one per line."""
        lines = [repr(self)]
        hidden = set(self.hidden)
        for n in self.nodes:
            if n in self.inputs:
                lines.append(f"  {n} (input)")
            else:
                tag = " [H]" if n in hidden else ""
                tag += " [out]" if n == self.output else ""
                lines.append(f"  {n}{tag} := {self.transitions[n]}    (init {self.init[n]})")
        return "\n".join(lines)


def __getattr__(name):
    # ``rnnsim.network.Builder`` keeps working; the builder's home is :mod:`rnnsim.builder`
    if name == "Builder":
        from .builder import Builder

        return Builder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RNN", "Builder"]
