"""The RNN model and simulator semantics (THEORY §2.1–§2.3) on hand-built networks whose
values are known in closed form, and the expression IR / builder API (THEORY §2.2, §6)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

import rnnsim
from rnnsim import Affine, Builder, Const, Node, Prod, Recip, ReLU, relu, simulate, simulate_all, simulate_batch
from rnnsim.arith import EXACT

pytestmark = pytest.mark.lemma("Definition 3")


def probe(tau):
    """cp copies the input; sw/sw2 swap each other (synchronous update); o = cp."""
    b = Builder("probe", tau=tau)
    x = b.input("x")
    cp = b.node("cp", init=-1)
    a = b.node("sw.a", init=1)
    c = b.node("sw.b", init=2)
    b.update(cp, x)
    b.update(a, c)
    b.update(c, a)
    b.output(cp)
    return b.build()


@pytest.mark.parametrize("tau", [1, 2, 3])
def test_input_holds_token_floor_t_over_tau_plus_one(tau):
    tokens = [1, 0, 1, 1, 0]
    tr = simulate(probe(tau), tokens, "exact", record="all")
    assert tr.times == list(range(len(tokens) * tau + 1))
    for j, t in enumerate(tr.times):
        if t < len(tokens) * tau:
            assert tr.values["x"][j] == tokens[t // tau]  # x_{⌊t/τ⌋+1}, 1-indexed
        # v_{t+1}(cp) = v_t(x)
        assert tr.values["cp"][j] == (-1 if t == 0 else tokens[(t - 1) // tau])
        # synchronous: the pair swaps every step
        assert (tr.values["sw.a"][j], tr.values["sw.b"][j]) == ((1, 2) if t % 2 == 0 else (2, 1))
    # outputs[m-1] = v_{mτ}(o) = x_m (the token read during the last step of loop m)
    assert tr.outputs == tokens


def test_onehot_input_nodes_hold_indicators():
    b = Builder("oh", tau=2, alphabet=3)
    xs = b.input_onehot("x")
    s = b.node("s")
    b.update(s, 1 * xs[0] + 10 * xs[1] + 100 * xs[2])
    b.output(s)
    rnn = b.build()
    assert rnn.inputs == ("x[0]", "x[1]", "x[2]") and rnn.input_encoding == "onehot"
    assert simulate(rnn, [2, 0, 1], "exact").outputs == [100, 1, 10]


def test_counter_closed_form_all_documents_all_modes():
    # c counts ones (value c = #ones so far); o = c·recip(1 + c) at every multiple of τ
    b = Builder("cnt", tau=2)
    x = b.input("x")
    c = b.node("c")
    o = b.node("o")
    b.update(c, c + x * Fraction(1, 2))  # two steps per token: +1/2 twice
    b.update(o, (c + x * Fraction(1, 2)) * rnnsim.recip(c + x * Fraction(1, 2) + 1))
    b.output(o)
    b.hidden(c)
    rnn = b.build()
    N = 5
    docs = rnnsim.all_documents(2, N)
    got = simulate_all(rnn, N, "exact", engine="reference", raw=True)
    for doc, row in zip(docs, got):
        for m in range(1, N + 1):
            k = int(sum(doc[:m]))
            # the output at mτ reads c at mτ−1 = (2·#ones before m + x_m)/2 and adds x_m/2
            assert row[m - 1] == Fraction(k, k + 1)
    flt = simulate_all(rnn, N, "float64", engine="reference")
    assert np.allclose(flt, got.astype(float), rtol=1e-15, atol=0)


def test_all_documents_order_and_batch_agree_with_single_runs():
    rnn = probe(2)
    docs = rnnsim.all_documents(2, 3)
    assert docs.tolist() == [list(p) for p in itertools.product([0, 1], repeat=3)]
    batch = simulate_batch(rnn, docs, "exact", engine="reference", raw=True)
    every = simulate_all(rnn, 3, "exact", engine="reference", raw=True)
    assert (batch == every).all()
    for d, row in zip(docs, batch):
        assert list(row) == simulate(rnn, d, "exact").outputs


def test_track_max_and_recorded_times():
    rnn = probe(1)
    tr = simulate(rnn, [1, 1, 0], "exact", record=[0, 2], track_max=True)
    assert tr.times == [0, 2]
    assert tr.value("cp", 2) == 1
    assert tr.max_abs["cp"] == 1 and tr.max_abs["sw.b"] == 2
    with pytest.raises(KeyError, match="not recorded"):
        tr.value("cp", 1)


# ---- expression IR ------------------------------------------------------------------------------

def test_operators_build_the_closed_set_and_fold_constants():
    x, c = Node("x"), Node("c")
    ge = relu(x - c + 1) - relu(x - c)
    assert isinstance(ge, Affine) and ge.depth() == 1
    assert {type(t) for t, _ in ge.terms} == {ReLU}
    assert isinstance(x * c, Prod) and isinstance(x / c, Prod) and isinstance((x / c).right, Recip)
    assert 3 * x * 2 == 6 * x and isinstance(x * 2, Affine)
    assert x + 0 == x and (x - x) == Const(0)
    assert relu(Const(-2)) == Const(0) and rnnsim.recip(Const(4)) == Const(Fraction(1, 4))
    assert (x / 4) == Fraction(1, 4) * x
    assert (0.5 * x) == Fraction(1, 2) * x  # floats become exact
    assert str(relu(x - 1) * c) == "(relu(x - 1))·c"


def test_depth_counts_nonlinear_operations_on_the_longest_path():
    x = Node("x")
    assert x.depth() == 0 and (3 * x + 1).depth() == 0
    e = relu(x) * rnnsim.recip(relu(x) + 1)  # prod(relu, recip(relu)) = 3
    assert e.depth() == 3
    assert (e + relu(x)).depth() == 3


def test_substitute_rename_nodes_and_evaluate():
    x, c = Node("x"), Node("c")
    e = relu(x - c) * c + 2
    assert e.nodes() == {"x", "c"}
    sub = e.substitute({"c": Node("y") + 1})
    assert sub == relu(x - Node("y") - 1) * (Node("y") + 1) + 2
    assert e.substitute({"c": Const(3)}).evaluate({"x": 5}, EXACT) == 8
    assert e.rename(lambda n: "p." + n).nodes() == {"p.x", "p.c"}
    assert e.evaluate({"x": 5, "c": Fraction(1, 2)}, EXACT) == Fraction(9, 2) * Fraction(1, 2) + 2


def test_nodes_is_cached_per_object_and_every_subexpression_keeps_its_own_set():
    """nodes() caches its answer on each object; asking the root first must not give a
    subexpression the root's set, and a shared subexpression's cached set is reused."""
    a, b, c = Node("a"), Node("b"), Node("c")
    inner = relu(a - 1)
    left = inner * b
    root = left + relu(c) * inner
    assert root.nodes() == {"a", "b", "c"}
    assert root.nodes() is root.nodes()                          # cached on the root
    assert inner.nodes() == {"a"} and left.nodes() == {"a", "b"} and (relu(c) * inner).nodes() == {"a", "c"}
    assert a.nodes() == {"a"} and c.nodes() == {"c"}
    assert (left * c).nodes() == {"a", "b", "c"}                 # built on a cached set


def test_structural_equality_and_hash_on_deep_shared_dags():
    # e_{k+1} = relu(e_k)·e_k + e_k: a tree with 3^k nodes, a DAG with 3k
    e = f = Node("x")
    for _ in range(60):
        e = relu(e) * e + e
        f = relu(f) * f + f
    assert e == f and hash(e) == hash(f) and e is not f
    assert e != relu(f) * f + f
    assert e.depth() == 120



def test_expressions_are_slotted_and_hash_the_same_made_pickled_or_copied():
    """The hash cached when an expression is made is the one computed from its fields
    (what an unpickled or copied object, made without its cache, computes on first use), and
    pickling keeps neither cache (slots ``_h``, ``_n``)."""
    import copy
    import dataclasses
    import pickle

    x, y = Node("x"), Node("y")
    exprs = [Const(Fraction(1, 3)), Const(2), x, Affine(((x, Fraction(1, 2)), (y, 3)), Fraction(-1, 4)),
             x * Fraction(3, 8), Fraction(3, 8) * y, relu(x - 1), x * y, Recip(x + 2),
             relu(x * Fraction(1, 3) + 1) * y + Recip(y)]
    for e in exprs:
        assert not hasattr(e, "__dict__")
        e.nodes()                                   # fills the node-set cache
        lazy = hash((type(e).__name__, tuple(getattr(e, f.name) for f in dataclasses.fields(e))))
        assert hash(e) == lazy, e
        state = e.__getstate__()
        assert len(state) == len(dataclasses.fields(e))     # the fields only: no cache
        for twin in (pickle.loads(pickle.dumps(e)), copy.copy(e), copy.deepcopy(e)):
            assert twin == e and hash(twin) == hash(e) and twin.nodes() == e.nodes()


# ---- builder / network ---------------------------------------------------------------------------

def test_embed_copies_under_a_prefix_and_rewires_inputs():
    inner = probe(1)
    b = Builder("outer", tau=1)
    x = b.input("tok")
    neg = b.node("neg", update=1 - x)
    m = b.embed(inner, "P", neg, hidden=True)
    assert set(m) == {"cp", "sw.a", "sw.b"} and m["cp"] == Node("P.cp")
    b.output(m["cp"])
    rnn = b.build()
    assert rnn.transitions["P.cp"] == Node("neg")
    assert rnn.select("P.sw.*") == ["P.sw.a", "P.sw.b"]
    # the output at time m is P.cp(m) = neg(m−1) = 1 − x_{m−1} for m ≥ 2, and neg's initial 0 for m = 1
    tokens = [1, 0, 0, 1]
    assert simulate(rnn, tokens, "exact").outputs == [0] + [1 - t for t in tokens[:-1]]


def test_embed_subset_needs_external_wiring():
    inner = probe(1)
    b = Builder("outer", tau=1)
    x = b.input("x")
    with pytest.raises(rnnsim.NetworkError, match=r"node 'sw\.a' reads \['sw\.b'\]"):
        b.embed(inner, "Q", x, nodes=["sw.a"])
    b2 = Builder("outer", tau=1)
    x2 = b2.input("x")
    m = b2.embed(inner, "Q", x2, nodes=["sw.a"], external={"sw.b": 7})
    assert b2.transition(m["sw.a"]) == Const(7)


def test_rnn_is_immutable_and_sizes_are_counted():
    rnn = probe(2)
    with pytest.raises(AttributeError, match="immutable"):
        rnn.tau = 3
    with pytest.raises(TypeError):
        rnn.transitions["cp"] = Node("x")
    assert rnn.size == 4 and rnn.hidden_size == 0 and rnn.depth == 0
    g = rnn.to_networkx()
    assert set(g.edges) == {("x", "cp"), ("sw.b", "sw.a"), ("sw.a", "sw.b")}


def test_program_shares_common_subexpressions_across_nodes():
    b = Builder("cse", tau=1)
    x = b.input("x")
    shared = relu(x - 1) * rnnsim.recip(x + 1)
    b.node("a", update=shared + 1)
    b.node("b", update=shared * 2)
    b.output("a")
    p = b.build().program
    kinds = p.kind_counts()
    assert kinds["relu"] == 1 and kinds["prod"] == 1 and kinds["recip"] == 1
