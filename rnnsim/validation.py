"""Validity of an RNN (THEORY §2.1 and the structural hidden-set rule §2.5(a); paper:
Definition 3).

An RNN is valid when: node names are unique non-empty strings without spaces; it has input
nodes (one holding the token for the "value" encoding, b for "onehot"), none of which has a
transition or an initial value; every other node has a transition that is an expression
over known nodes and a finite exact initial value; τ is a positive integer and b ≥ 2; the
output is a computed node; and the hidden set H is a set of non-input nodes each of which
reads only nodes of H ∪ I (§2.5(a)). :func:`network_problems` lists every violation at once
(the :class:`rnnsim.RNN` constructor raises them together); :func:`hidden_set_problems` is
the one statement of the hidden-set rule, used by the constructor and by
:func:`rnnsim.hidden.check_structural`.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Callable, Iterable, Mapping

from .claims import Claims
from .errors import NetworkError
from .expr import Expr, as_expr, exact
from .expr_passes import names_read
from .roles import Role

NAME = re.compile(r"^[^\s]+$")


def hidden_set_problems(hidden: Iterable[str], nodes: Iterable[str], inputs: Iterable[str],
                        reads: Callable[[str], Iterable[str] | None], *, network: str | None = None,
                        advice: str = "") -> list[str]:
    """Violations of THEORY §2.5(a) by ``hidden``, one line each, in the order of ``hidden``:
    a name that is not a node (of ``network``, when named), an input node in H, a hidden node
    whose transition (``reads(h)``: the nodes it reads, None when it has none) reads known
    nodes outside H ∪ I (named; ``advice`` appended), and a node listed twice."""
    hidden = tuple(hidden)
    node_set, input_set = set(nodes), set(inputs)
    allowed = set(hidden) | input_set
    of = f" of {network!r}" if network is not None else ""
    problems = []
    for h in hidden:
        if h not in node_set:
            problems.append(f"hidden node {h!r} is not a node{of}")
        elif h in input_set:
            problems.append(f"hidden node {h!r} is an input node; H ⊆ V \\ I")
        else:
            outside = sorted(m for m in (reads(h) or ()) if m not in allowed and m in node_set)
            if outside:
                problems.append(f"hidden node {h!r} reads {', '.join(map(repr, outside))} outside H ∪ I "
                                f"(THEORY §2.5(a)){advice}")
    if len(set(hidden)) != len(hidden):
        problems.append("the hidden set lists a node twice")
    return problems


def network_problems(*, nodes: tuple, inputs: tuple, output: str | None, hidden: tuple, tau,
                     transitions: Mapping[str, Any], init: Mapping[str, Any], alphabet,
                     input_encoding: str, role=None, boolean_nodes: tuple = (), claims=None,
                     construction=None) -> tuple[list[str], dict[str, Expr], dict[str, Any]]:
    """(every problem, the transitions as expressions, the exact initial values)."""
    problems: list[str] = []
    counts = Counter(nodes)
    for n, c in counts.items():
        if c > 1:
            problems.append(f"node {n!r} is declared {c} times")
        if not isinstance(n, str) or not NAME.match(n):
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
    reads_at: list[tuple[int, str]] = []        # where each node's unknown reads go in the list
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
        reads_at.append((len(problems), n))
    # one walk over all transitions decides whether any reads an unknown node; only then is
    # each transition's node set computed (the problems keep their order)
    read_any = names_read(clean_tr.values())
    if not read_any <= node_set:
        for at, n in reversed(reads_at):
            problems[at:at] = [f"node {n!r} reads unknown node {m!r}"
                               for m in sorted(clean_tr[n].nodes() - node_set)]
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
    hidden_set = set(hidden)
    read_by_hidden = (read_any if hidden_set.issuperset(clean_tr)
                      else names_read(clean_tr[h] for h in hidden_set if h in clean_tr))
    if (read_by_hidden & node_set) <= (hidden_set | input_set):     # no hidden node reads outside H ∪ I
        reads = _reads_nothing_outside
    else:
        reads = lambda h: clean_tr[h].nodes() if h in clean_tr else None  # noqa: E731
    problems += hidden_set_problems(
        hidden, nodes, inputs, reads, advice="; add them to the hidden set or change the transition")
    problems += typed_field_problems(role=role, boolean_nodes=boolean_nodes, claims=claims,
                                     construction=construction, nodes=node_set, inputs=input_set,
                                     init=clean_init, alphabet=alphabet)
    return problems, clean_tr, clean_init


def _reads_nothing_outside(h):
    return ()


def typed_field_problems(*, role, boolean_nodes: tuple, claims, construction, nodes: set, inputs: set,
                         init: Mapping[str, Any], alphabet) -> list[str]:
    """Problems of the typed fields (role, Boolean nodes, claims, construction record)."""
    problems: list[str] = []
    if role is not None:
        if not isinstance(role, Role):
            problems.append(f"role must be an rnnsim.LMRole, rnnsim.DistinguisherRole or None, got {role!r}")
        elif isinstance(alphabet, int):
            problems += role.problems(alphabet)
    for n in boolean_nodes:
        if n not in nodes:
            problems.append(f"Boolean node {n!r} is not a node")
        elif n in inputs:
            problems.append(f"Boolean node {n!r} is an input node; only computed nodes are declared Boolean")
        elif n in init and init[n] not in (0, 1):
            problems.append(f"Boolean node {n!r} has initial value {init[n]}; a Boolean node holds 0 or 1")
    if len(set(boolean_nodes)) != len(boolean_nodes):
        problems.append("the Boolean node list names a node twice")
    if claims is not None:
        if not isinstance(claims, Claims):
            problems.append(f"claims must be an rnnsim.Claims or None, got {type(claims).__name__}")
        else:
            problems += claims.problems()
    if construction is not None and not (isinstance(construction, Mapping)
                                         and isinstance(construction.get("kind"), str)):
        problems.append(f"the construction record must be a mapping with a string 'kind', got {construction!r}")
    return problems


__all__ = ["network_problems", "hidden_set_problems", "NAME"]
