"""Building an RNN node by node and composing networks under name prefixes (THEORY §2.1;
paper: Definition 3, and the copies every construction of the paper makes).

:class:`Builder` declares input nodes (one token-valued node or b one-hot nodes), nodes
with initial values and transitions, the hidden set and the output, then validates and
freezes them into an :class:`rnnsim.RNN` (:meth:`Builder.build`, every problem reported at
once). :meth:`Builder.embed` copies a whole network (or a subset of its nodes) under a
prefix, ``prefix.name``, re-wiring its inputs to expressions of the new network; a name
collision always raises — nothing is renamed silently — so every node of a composed
network traces back to the part of the construction that made it. Nodes declared Boolean
(``node(..., boolean=True)`` or :meth:`Builder.boolean`) stay Boolean in every copy; the
role (``Builder(..., role=…)``), the claims and the construction record are given to
:meth:`Builder.build` (see :class:`rnnsim.RNN`).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .claims import Claims
from .errors import NetworkError
from .expr import Expr, Node, as_expr, exact
from .network import RNN
from .roles import Role
from .validation import NAME


class Builder:
    """Mutable construction of an :class:`RNN`; :meth:`build` validates and freezes it.

    >>> b = Builder("count", tau=1)
    >>> x = b.input("x")
    >>> c = b.node("c", init=0)
    >>> b.update(c, c + x)
    >>> b.output(c); b.hidden(c)
    >>> net = b.build()
    """

    def __init__(self, name: str = "rnn", *, tau: int = 1, alphabet: int = 2, role: Role | None = None):
        self.name = name
        self.tau = tau
        self.alphabet = alphabet
        self.role = role
        self.input_encoding = "value"
        self._nodes: list[str] = []
        self._names: set[str] = set()
        self._inputs: list[str] = []
        self._tr: dict[str, Expr] = {}
        self._init: dict[str, Any] = {}
        self._hidden: dict[str, None] = {}
        self._output: str | None = None
        self._boolean: dict[str, None] = {}
        self.meta: dict[str, Any] = {}

    # ---- declaration ---------------------------------------------------------------------
    def _declare(self, name: str, *, where: str = "") -> None:
        if not isinstance(name, str) or not NAME.match(name):
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

        ``boolean=True`` declares that the node only ever holds 0 or 1 (``RNN.boolean_nodes``,
        kept by :meth:`embed`); gating uses it to merge controls.
        """
        self._declare(name)
        if boolean:
            self._boolean[name] = None
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

    def boolean(self, *nodes) -> None:
        """Declare declared non-input nodes Boolean (they only ever hold 0 or 1)."""
        for n in nodes:
            name = _name(n)
            if name not in self._names or name in self._inputs:
                raise NetworkError(f"boolean: {name!r} is not a declared non-input node of {self.name!r}")
            self._boolean[name] = None

    @property
    def boolean_nodes(self) -> tuple[str, ...]:
        """The nodes declared Boolean so far (declaration order)."""
        return tuple(self._boolean)

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
        for n in rnn.boolean_nodes:
            if n in copied_set:
                self._boolean[f"{prefix}.{n}"] = None
        return mapping

    def build(self, meta: Mapping[str, Any] | None = None, *, claims: Claims | None = None,
              construction: Mapping[str, Any] | None = None) -> RNN:
        """Validate (reporting every problem at once) and freeze. ``claims``: the exact
        counts the construction claims (checked against the network, ClaimError if they
        fail); ``construction``: its record (JSON data, see :class:`rnnsim.RNN`)."""
        import copy

        m = copy.deepcopy(self.meta)
        if meta:
            m.update(meta)
        return RNN(
            nodes=self._nodes, inputs=self._inputs, output=self._output, hidden=list(self._hidden),
            tau=self.tau, transitions=self._tr, init=self._init, alphabet=self.alphabet,
            input_encoding=self.input_encoding, name=self.name, meta=m, role=self.role,
            boolean_nodes=list(self._boolean), claims=claims, construction=construction,
        )


def _name(node) -> str:
    if isinstance(node, Node):
        return node.name
    if isinstance(node, str):
        return node
    raise NetworkError(f"expected a node (name or rnnsim.Node), got {node!r}")


__all__ = ["Builder"]
