"""The RNN graph (THEORY §2.1; paper: Definition 3) and its builder.

An RNN is a set of named nodes V, input nodes I ⊆ V, one output node o, a hidden node set
H ⊆ V \\ I, for each u ∈ V \\ I a transition function f_u (an expression over node values,
see :mod:`rnnsim.expr`) and an initial value v_0(u), and τ ≥ 1 steps per token. Size is
|V| (inputs included); hidden size is |H|. Names are hierarchical (``boost.U.H2.c3``):
:meth:`Builder.embed` copies a whole network under a prefix with its inputs re-wired, and a
name collision always raises — nothing is renamed silently.

:class:`RNN` is immutable and validated on construction; every problem is reported at
once (unknown nodes, transitions on inputs, a hidden set that reads outside H ∪ I, τ ≤ 0,
a dangling output, …). Its flat lowering for the engines is :attr:`RNN.program`.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from .errors import NetworkError
from .expr import Affine, Const, Expr, Node, Prod, Recip, ReLU, as_expr, exact
from .registry import realizes

_NAME = re.compile(r"^[^\s]+$")


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
        problems: list[str] = []
        counts = Counter(nodes)
        for n, c in counts.items():
            if c > 1:
                problems.append(f"node {n!r} is declared {c} times")
            if not isinstance(n, str) or not _NAME.match(n):
                problems.append(f"node name {n!r} is not a non-empty string without spaces")
        node_set = set(nodes)
        input_set = set(inputs)
        for i in inputs:
            if i not in node_set:
                problems.append(f"input {i!r} is not a node")
            if i in transitions:
                problems.append(
                    f"input node {i!r} has a transition; inputs hold the current token and "
                    "cannot be updated (make it a separate node that reads the input)"
                )
        if not inputs:
            problems.append("the network has no input node")
        if input_encoding not in ("value", "onehot"):
            problems.append(f"input encoding must be 'value' or 'onehot', got {input_encoding!r}")
        elif input_encoding == "value" and len(inputs) != 1:
            problems.append(f"input encoding 'value' needs exactly one input node, got {len(inputs)}")
        elif input_encoding == "onehot" and len(inputs) != alphabet:
            problems.append(
                f"input encoding 'onehot' needs one input node per symbol ({alphabet}), got {len(inputs)}"
            )
        if not (isinstance(alphabet, int) and alphabet >= 2):
            problems.append(f"alphabet size must be an integer ≥ 2, got {alphabet!r}")
        if not (isinstance(tau, int) and not isinstance(tau, bool) and tau >= 1):
            problems.append(f"τ (steps per token) must be a positive integer, got {tau!r}")
        clean_tr: dict[str, Expr] = {}
        for n, f in transitions.items():
            if n not in node_set:
                problems.append(f"transition given for unknown node {n!r}")
                continue
            if not isinstance(f, Expr):
                try:
                    f = as_expr(f)
                except (TypeError, NetworkError) as e:
                    problems.append(f"node {n!r}: transition is not an expression ({e})")
                    continue
            clean_tr[n] = f
            for m in sorted(f.nodes()):
                if m not in node_set:
                    problems.append(f"node {n!r} reads unknown node {m!r}")
        for n in nodes:
            if n not in input_set and n not in transitions:
                problems.append(f"node {n!r} has no transition function")
        clean_init: dict[str, Any] = {}
        for n in nodes:
            if n in input_set:
                if n in init and init[n] not in (0, None):
                    problems.append(f"input node {n!r} has an initial value; inputs hold the token")
                continue
            try:
                clean_init[n] = exact(init.get(n, 0), where=f"initial value of node {n!r}")
            except NetworkError as e:
                problems.append(str(e))
        for n in init:
            if n not in node_set:
                problems.append(f"initial value given for unknown node {n!r}")
        if output is None:
            problems.append("the network has no output node (dangling output); call Builder.output(name)")
        elif output not in node_set:
            problems.append(f"output {output!r} is not a node")
        elif output in input_set:
            problems.append(f"output {output!r} is an input node; the output must be computed")
        for h in hidden:
            if h not in node_set:
                problems.append(f"hidden node {h!r} is not a node")
            elif h in input_set:
                problems.append(f"hidden node {h!r} is an input node; H ⊆ V \\ I")
        hidden_set = set(hidden)
        allowed = hidden_set | input_set
        for h in hidden:
            f = clean_tr.get(h)
            if f is None:
                continue
            outside = sorted(m for m in f.nodes() if m not in allowed and m in node_set)
            if outside:
                problems.append(
                    f"hidden node {h!r} reads {', '.join(map(repr, outside))} outside H ∪ I "
                    "(THEORY §2.5(a)); add them to the hidden set or change the transition"
                )
        if len(set(hidden)) != len(hidden):
            problems.append("the hidden set lists a node twice")
        if problems:
            raise NetworkError(
                f"network {name!r} is invalid ({len(problems)} problem{'s' * (len(problems) > 1)}):\n  "
                + "\n  ".join(problems),
                problems,
            )
        # inputs first, then the rest in declaration order
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


class Builder:
    """Mutable construction of an :class:`RNN`; :meth:`build` validates and freezes it.

    >>> b = Builder("count", tau=1)
    >>> x = b.input("x")
    >>> c = b.node("c", init=0)
    >>> b.update(c, c + x)
    >>> b.output(c); b.hidden(c)
    >>> net = b.build()
    """

    def __init__(self, name: str = "rnn", *, tau: int = 1, alphabet: int = 2):
        self.name = name
        self.tau = tau
        self.alphabet = alphabet
        self.input_encoding = "value"
        self._nodes: list[str] = []
        self._names: set[str] = set()
        self._inputs: list[str] = []
        self._tr: dict[str, Expr] = {}
        self._init: dict[str, Any] = {}
        self._hidden: dict[str, None] = {}
        self._output: str | None = None
        self.meta: dict[str, Any] = {}

    # ---- declaration ---------------------------------------------------------------------
    def _declare(self, name: str, *, where: str = "") -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise NetworkError(f"node name {name!r} must be a non-empty string without spaces")
        if name in self._names:
            raise NetworkError(
                f"node {name!r} already exists in network {self.name!r}{where}; names are never "
                "renamed silently — choose another name or embed under another prefix"
            )
        self._names.add(name)
        self._nodes.append(name)

    def input(self, name: str = "x") -> Node:
        """Declare the (single, token-valued) input node."""
        if self._inputs:
            raise NetworkError(
                f"network {self.name!r} already has input {self._inputs[0]!r}; use "
                "input_onehot for one node per symbol"
            )
        self._declare(name)
        self._inputs.append(name)
        return Node(name)

    def input_onehot(self, prefix: str = "x") -> list[Node]:
        """Declare b input nodes ``prefix[0] … prefix[b-1]``; node σ holds 1[token = σ]."""
        if self._inputs:
            raise NetworkError(f"network {self.name!r} already has inputs {self._inputs}")
        out = []
        for s in range(self.alphabet):
            name = f"{prefix}[{s}]"
            self._declare(name)
            self._inputs.append(name)
            out.append(Node(name))
        self.input_encoding = "onehot"
        return out

    def node(self, name: str, init=0, update=None, *, hidden: bool = False, boolean: bool = False) -> Node:
        """Declare a node with an initial value (and optionally its transition now).

        ``boolean=True`` declares that the node only ever holds 0 or 1 (recorded in
        ``meta["boolean_nodes"]``, kept by :meth:`embed`); gating uses it to merge controls.
        """
        self._declare(name)
        if boolean:
            self.meta.setdefault("boolean_nodes", []).append(name)
        self._init[name] = exact(init, where=f"initial value of node {name!r}")
        if update is not None:
            self.update(name, update)
        if hidden:
            self._hidden[name] = None
        return Node(name)

    def update(self, node, expr) -> None:
        """Set or replace the transition function of a declared non-input node."""
        name = _name(node)
        if name not in self._names:
            raise NetworkError(f"update of unknown node {name!r}; declare it with Builder.node first")
        if name in self._inputs:
            raise NetworkError(f"input node {name!r} cannot have a transition (it holds the token)")
        self._tr[name] = as_expr(expr)

    def transition(self, node) -> Expr:
        name = _name(node)
        try:
            return self._tr[name]
        except KeyError:
            raise NetworkError(f"node {name!r} has no transition yet") from None

    def set_init(self, node, value) -> None:
        name = _name(node)
        if name not in self._names or name in self._inputs:
            raise NetworkError(f"set_init: {name!r} is not a declared non-input node")
        self._init[name] = exact(value, where=f"initial value of node {name!r}")

    def init_of(self, node):
        return self._init[_name(node)]

    def output(self, node) -> None:
        self._output = _name(node)

    def hidden(self, *nodes) -> None:
        """Add nodes (or lists of nodes) to the hidden set H."""
        for n in nodes:
            if isinstance(n, (list, tuple, set, frozenset)) or hasattr(n, "values") and not isinstance(n, Expr):
                items = n.values() if hasattr(n, "values") else n
                self.hidden(*items)
            else:
                self._hidden[_name(n)] = None

    def has(self, name: str) -> bool:
        return name in self._names

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(self._nodes)

    @property
    def hidden_names(self) -> tuple[str, ...]:
        return tuple(self._hidden)

    # ---- composition ---------------------------------------------------------------------
    def embed(
        self,
        rnn: RNN,
        prefix: str,
        inputs: Mapping[str, Any] | Any | None = None,
        *,
        nodes: Iterable[str] | None = None,
        external: Mapping[str, Any] | None = None,
        hidden: bool = False,
    ) -> dict[str, Node]:
        """Copy nodes of ``rnn`` under ``prefix`` (``prefix.name``) and return old → new.

        ``inputs`` maps each input node of ``rnn`` to an expression of this network (a single
        expression is accepted when ``rnn`` has one input). ``nodes`` restricts the copy to
        a subset (e.g. the hidden set); every node the copied transitions read that is not
        copied must be given in ``inputs`` or ``external`` (old name → expression here).
        With ``hidden=True`` the copies of ``rnn``'s hidden nodes join this hidden set.
        """
        if inputs is None:
            inputs = {}
        elif not isinstance(inputs, Mapping):
            if len(rnn.inputs) != 1:
                raise NetworkError(
                    f"embed {rnn.name!r} under {prefix!r}: it has inputs {list(rnn.inputs)}; "
                    "pass a mapping input name → expression"
                )
            inputs = {rnn.inputs[0]: inputs}
        external = dict(external or {})
        subst: dict[str, Expr] = {k: as_expr(v) for k, v in inputs.items()}
        for k in subst:
            if k not in rnn.inputs:
                raise NetworkError(f"embed {rnn.name!r}: {k!r} is not one of its inputs {list(rnn.inputs)}")
        copied = [n for n in (rnn.nodes if nodes is None else nodes) if n not in rnn.inputs]
        copied_set = set(copied)
        mapping: dict[str, Node] = {n: Node(f"{prefix}.{n}") for n in copied}
        for k, v in external.items():
            subst[k] = as_expr(v)
        for n in copied:
            self._declare(f"{prefix}.{n}", where=f" (while embedding {rnn.name!r} under {prefix!r})")
        full = {**{k: v for k, v in mapping.items()}, **subst}
        for n in copied:
            f = rnn.transitions[n]
            missing = [m for m in f.nodes() if m not in full]
            if missing:
                raise NetworkError(
                    f"embed {rnn.name!r} under {prefix!r}: node {n!r} reads {missing} which are "
                    "neither copied nor given in inputs/external"
                )
            self._tr[f"{prefix}.{n}"] = f.substitute(full)
            self._init[f"{prefix}.{n}"] = rnn.init[n]
        for k in rnn.inputs:
            if k not in subst and any(k in rnn.transitions[n].nodes() for n in copied):
                raise NetworkError(
                    f"embed {rnn.name!r} under {prefix!r}: its input {k!r} is read but not wired; "
                    "pass inputs={...}"
                )
        if hidden:
            for h in rnn.hidden:
                if h in copied_set:
                    self._hidden[f"{prefix}.{h}"] = None
        # nodes declared 0/1-valued stay so in a copy (gating merges controls through them)
        bools = [f"{prefix}.{n}" for n in rnn.meta.get("boolean_nodes", ()) if n in copied_set]
        if bools:
            known = self.meta.setdefault("boolean_nodes", [])
            known.extend(n for n in bools if n not in known)
        return mapping

    def build(self, meta: Mapping[str, Any] | None = None) -> RNN:
        """Validate (reporting every problem at once) and freeze."""
        import copy

        m = copy.deepcopy(self.meta)
        if meta:
            m.update(meta)
        return RNN(
            nodes=self._nodes, inputs=self._inputs, output=self._output, hidden=list(self._hidden),
            tau=self.tau, transitions=self._tr, init=self._init, alphabet=self.alphabet,
            input_encoding=self.input_encoding, name=self.name, meta=m,
        )


def _name(node) -> str:
    if isinstance(node, Node):
        return node.name
    if isinstance(node, str):
        return node
    raise NetworkError(f"expected a node (name or rnnsim.Node), got {node!r}")


__all__ = ["RNN", "Builder", "Affine", "Const", "Node", "Prod", "Recip", "ReLU"]
