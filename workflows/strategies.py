"""Hypothesis strategies for random valid networks — the ones the rnnsim test suite uses,
shipped for testing your own code (re-exported by :mod:`workflows.testing`, which adds LMs,
distinguishers, formats and ``check_computes``; needs hypothesis: ``pip install rnnsim[test]``).

``networks()`` draws an :class:`rnnsim.RNN` with mixed Affine/ReLU/Prod/Recip transitions,
random τ, alphabet, input encoding (one value node or one-hot nodes), hierarchical names,
random exact initial values, subexpressions shared between nodes (to exercise the
lowering's common-subexpression sharing) and a random hidden set that satisfies THEORY
§2.5(a): every hidden node reads only hidden and input nodes.

By default every transition is wrapped in a clamp to [−B, B]
(``relu(f + B) − relu(f − B) − B``) so that values stay bounded over many steps; pass
``clamp=None`` for raw transitions.

A clamp bounds magnitudes, not digits: ``a ← a·a + x/7`` squares its denominator every
step (22 tokens took 1.9 s, 24 tokens 16.8 s in exact arithmetic). ``bounded_digits=True``
draws networks whose exact values grow by O(t) digits: nodes are *linear* (Affine/ReLU
of node values, a Prod only by an expression of the inputs alone, a Recip only of an
expression of the inputs alone) or *nonlinear* (anything), and a nonlinear node reads
only linear nodes, inputs and nonlinear nodes declared before it — so no product or
reciprocal of node values lies on a cycle. Every exact-arithmetic property test uses it.
Recip arguments are either raw expressions (may hit 0 at run time — tests filter or expect
:class:`rnnsim.ReciprocalOfZero`) or "guarded" ``recip(relu(e) + c)`` with c > 0.

Usage::

    from workflows.strategies import networks, documents, networks_and_documents
    @given(networks_and_documents())
    def test_something(case):
        rnn, docs = case
"""

from __future__ import annotations

from fractions import Fraction

import hypothesis.strategies as st

from rnnsim import Builder, Const, Node, Recip, relu

__all__ = ["rationals", "expressions", "linear_expressions", "networks", "documents", "networks_and_documents",
           "clamp"]

_DENOMS = (1, 1, 2, 3, 4, 8)
_PREFIXES = ("", "", "a.", "a.b.", "z.", "boost.U.H2.")


def rationals(lo: int = -6, hi: int = 6, *, nonzero: bool = False):
    """Small exact rationals p/q (q ∈ {1, 2, 3, 4, 8}); ints stay ints."""
    s = st.builds(Fraction, st.integers(lo, hi), st.sampled_from(_DENOMS)).map(
        lambda f: f.numerator if f.denominator == 1 else f
    )
    return s.filter(lambda v: v != 0) if nonzero else s


def clamp(e, bound):
    """min(max(e, −bound), bound) built from two ReLUs (depth +1)."""
    return relu(e + bound) - relu(e - bound) - bound


@st.composite
def expressions(draw, leaves, depth: int, pool=None, *, recip: bool = True):
    """A random expression over ``leaves`` (node names) with at most ``depth`` nonlinear
    levels. ``pool`` (a list) collects subexpressions and reuses them (shared subtrees)."""
    if pool is not None and pool and draw(st.integers(0, 5)) == 0:
        cand = [e for e in pool if e.nodes() <= set(leaves) and e.depth() <= depth]
        if cand:
            return draw(st.sampled_from(cand))
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.integers(0, 4)) == 0:
            return Const(draw(rationals()))
        return Node(draw(st.sampled_from(list(leaves))))
    kinds = ["affine", "relu", "prod"] + (["recip"] if recip else [])
    kind = draw(st.sampled_from(kinds))
    sub = lambda d: draw(expressions(leaves, d, pool, recip=recip))  # noqa: E731
    if kind == "affine":
        n = draw(st.integers(1, 3))
        e = Const(draw(rationals(-3, 3)))
        for _ in range(n):
            e = e + draw(rationals(-3, 3, nonzero=True)) * sub(depth)
    elif kind == "relu":
        e = relu(sub(depth - 1) + draw(rationals(-2, 2)))
    elif kind == "prod":
        e = sub(depth - 1) * sub(depth - 1)
    else:
        a = sub(depth - 1)
        if draw(st.booleans()):
            e = Recip(relu(a) + draw(st.sampled_from([Fraction(1, 2), 1, 2])))
        elif isinstance(a, Const):
            e = Const(Fraction(1) / a.value) if a.value != 0 else Const(1)
        else:
            e = Recip(a)
    if pool is not None and not isinstance(e, (Const, Node)):
        pool.append(e)
    return e


@st.composite
def linear_expressions(draw, node_leaves, input_leaves, depth: int):
    """An expression of degree ≤ 1 in the node values (``node_leaves``): Affine and ReLU of
    node values; a Prod or Recip only of expressions of the inputs alone."""
    inputs = list(input_leaves)
    nodes = list(node_leaves)

    def input_only(d):
        return draw(expressions(inputs, d, None, recip=True))

    if depth <= 0 or draw(st.integers(0, 3)) == 0 or not nodes:
        if draw(st.integers(0, 4)) == 0 or not nodes:
            return Const(draw(rationals())) if draw(st.booleans()) else Node(draw(st.sampled_from(inputs)))
        return Node(draw(st.sampled_from(nodes)))
    sub = lambda d: draw(linear_expressions(nodes, inputs, d))  # noqa: E731
    kind = draw(st.sampled_from(["affine", "relu", "prod_input", "recip_input"]))
    if kind == "affine":
        e = Const(draw(rationals(-3, 3)))
        for _ in range(draw(st.integers(1, 3))):
            e = e + draw(rationals(-3, 3, nonzero=True)) * sub(depth)
        return e
    if kind == "relu":
        return relu(sub(depth - 1) + draw(rationals(-2, 2)))
    if kind == "prod_input":
        return sub(depth - 1) * input_only(depth - 1)
    return sub(depth - 1) + Recip(relu(input_only(depth - 1)) + draw(st.sampled_from([Fraction(1, 2), 1, 2])))


@st.composite
def networks(
    draw,
    *,
    min_nodes: int = 1,
    max_nodes: int = 5,
    max_tau: int = 3,
    max_depth: int = 3,
    alphabet: int | None = None,
    onehot: bool | None = None,
    recip: bool = True,
    clamp_bound=8,
    bounded_digits: bool = False,
):
    """A random valid :class:`rnnsim.RNN` (see the module docstring)."""
    b = alphabet if alphabet is not None else draw(st.sampled_from([2, 2, 3]))
    tau = draw(st.integers(1, max_tau))
    use_onehot = draw(st.booleans()) if onehot is None else onehot
    n = draw(st.integers(min_nodes, max_nodes))
    builder = Builder(draw(st.sampled_from(["rand", "net.r"])), tau=tau, alphabet=b)
    inputs = [x.name for x in builder.input_onehot("x")] if use_onehot else [builder.input("x").name]
    names = []
    for i in range(n):
        name = f"{draw(st.sampled_from(_PREFIXES))}n{i}"
        names.append(name)
        builder.node(name, init=draw(rationals(-3, 3)))
    hidden = [nm for nm in names if draw(st.booleans())]
    hset = set(hidden)
    pool: list = []
    linear = {nm for nm in names if not bounded_digits or draw(st.booleans())}
    for i, nm in enumerate(names):
        leaves = (hidden if nm in hset else names) + inputs
        depth = draw(st.integers(0, max_depth))
        if bounded_digits and nm in linear:
            f = draw(linear_expressions([x for x in leaves if x in linear], inputs, depth))
        elif bounded_digits:            # nonlinear: reads linear nodes and earlier nonlinear ones
            ok = linear | set(names[:i]) | set(inputs)
            f = draw(expressions([x for x in leaves if x in ok], depth, None, recip=recip))
        else:
            f = draw(expressions(leaves, depth, pool, recip=recip))
        if clamp_bound is not None:
            f = clamp(f, clamp_bound)
        builder.update(nm, f)
    builder.hidden(*hidden)
    builder.output(draw(st.sampled_from(names)))
    return builder.build(meta={"generator": "workflows.strategies.networks"})


def documents(rnn, *, min_len: int = 1, max_len: int = 4, max_docs: int = 3):
    """A list of token sequences over the network's alphabet."""
    doc = st.lists(st.integers(0, rnn.alphabet - 1), min_size=min_len, max_size=max_len)
    return st.lists(doc, min_size=1, max_size=max_docs)


@st.composite
def networks_and_documents(draw, *, min_len: int = 1, max_len: int = 4, max_docs: int = 2, **kw):
    """(rnn, [tokens, …]) with documents over the network's alphabet."""
    rnn = draw(networks(**kw))
    return rnn, draw(documents(rnn, min_len=min_len, max_len=max_len, max_docs=max_docs))
