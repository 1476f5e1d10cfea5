"""The universal graph G(size, hidden, time) (paper: Section 3, Figure 3.1; THEORY §4.8)."""

from __future__ import annotations

from fractions import Fraction

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import rnnsim
from constructions import models
from constructions.universal import (
    Layout, NotInClass, embed_into_universal, forward, n_params, random_weights, universal,
)
from rnnsim import Builder, all_documents, relu, simulate_all
from rnnsim.hidden import transplant_test

pytestmark = pytest.mark.lemma("§4.8 universal graph")


def _sim_exact(net, N):
    return simulate_all(net, N, "exact", engine="reference", raw=True)


# ---- the graph itself ------------------------------------------------------------------------

@settings(max_examples=25)
@given(hidden=st.integers(0, 3), extra=st.integers(0, 3), time=st.integers(1, 3), seed=st.integers(0, 10**6))
def test_universal_graph_simulation_equals_direct_class_semantics(hidden, extra, time, seed):
    size = 1 + hidden + extra
    if hidden == 0 and extra == 0:
        size += 1
    theta = random_weights(size, hidden, time, seed=seed)
    net = universal(size, hidden, time, weights=theta)
    N = 5
    got = simulate_all(net, N, "float64")
    want = forward(size, hidden, time, theta, all_documents(2, N))
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("size,hidden,time", [(2, 0, 1), (2, 1, 1), (5, 2, 1), (6, 2, 3), (4, 3, 2)])
def test_universal_graph_shape_and_claims(size, hidden, time):
    net = universal(size, hidden, time, seed=3)
    clk = 2 if time >= 2 else 0
    assert net.size == net.claims.size == size + clk
    assert net.hidden_size == net.claims.hidden_size == hidden + clk
    assert net.tau == time
    S = size - 1 - hidden
    assert net.depth == net.claims.depth <= 1 + int(time >= 2 and S >= 1)
    # number of free weights: each hidden node has x, all hidden, bias, init; each stateless
    # node x, all hidden, all stateless, bias
    assert n_params(size, hidden, time) == hidden * (1 + hidden + 2) + S * (1 + hidden + S + 1)
    # edges of Figure 3.1 (random weights are almost surely non-zero)
    g = net.to_networkx()
    hs = [f"h.{i}" for i in range(hidden)]
    ss = [f"s.{i}" for i in range(S)]
    for u in hs:
        assert set(g.predecessors(u)) == set(hs) | {"x"}
    for u in ss:
        want = set(hs) | {"x"} | (set(ss) | {"clk.rho"} if time >= 2 else set())
        assert set(g.predecessors(u)) == want
    # the hidden set passes the transplant test (stateless nodes are reset)
    assert transplant_test(net, [d for d in all_documents(2, 4)][::3], arithmetic="float64").ok


def test_reset_makes_stateless_nodes_forget_previous_tokens():
    # one stateless node s.0 = relu(U·s.0 + x) with U = 1 and τ = 3: within an input loop it
    # counts steps·x, and it restarts from 0 at each new token
    lay = Layout(2, 0, 3)
    theta = lay.pack(a=[], W=[], b=[], c=[], a2=[1], W2=[[]], U=[[1]], b2=[0])
    net = universal(2, 0, 3, weights=theta)
    out = rnnsim.simulate(net, [1, 1, 0, 1], "exact").outputs
    assert out == [3, 3, 0, 3]


def test_bad_class_parameters_raise():
    with pytest.raises(rnnsim.NetworkError, match="size"):
        Layout(2, 3, 1)
    with pytest.raises(rnnsim.NetworkError, match="time"):
        Layout(3, 1, 0)
    with pytest.raises(rnnsim.NetworkError, match="takes 4 weights"):
        universal(2, 1, 1, weights=[1, 2, 3])


# ---- membership: concrete RNNs are the universal graph with some weights ----------------------

def _hand_relu_net():
    """2 hidden ReLU nodes + 2 stateless nodes, τ = 1, written by hand."""
    b = Builder("hand", tau=1)
    x = b.input("x")
    h0 = b.node("h0", init=Fraction(1, 2), hidden=True)
    h1 = b.node("h1", init=0, hidden=True)
    b.update(h0, relu(Fraction(1, 2) * h0 - Fraction(1, 3) * h1 + x - Fraction(1, 4)))
    b.update(h1, relu(h0 + 2 * x - 1))
    s0 = b.node("s0")
    o = b.node("o")
    b.update(s0, relu(h1 - h0 + Fraction(1, 5)))
    b.update(o, relu(Fraction(3, 4) * h0 + Fraction(1, 8) * x - Fraction(1, 2) * h1 + Fraction(1, 3)))
    b.output(o)
    return b.build()


def _counter_net():
    """Count the ones read: c ← c + x (affine, ≥ 0 without a ReLU), output o ← c + x."""
    b = Builder("counter", tau=1)
    x = b.input("x")
    c = b.node("c", init=0, hidden=True)
    b.update(c, c + x)
    o = b.node("o", update=c + x)
    b.output(o)
    return b.build()


def _parity_net():
    """Parity with ReLU-affine nodes and τ = 2: a ← relu(p − x), c ← relu(x − p),
    p ← relu(a + c) (so p(2m) = |p(2m−2) − x_m|); stateless s ← relu(x) and
    o ← relu(a + c + s − x): at the second step of a loop s holds x_m, so o(2m) = p(2m);
    o reads another stateless node, which exercises the reset weights U."""
    b = Builder("parity2", tau=2)
    x = b.input("x")
    p = b.node("p", hidden=True)
    a = b.node("a", hidden=True)
    c = b.node("c", hidden=True)
    b.update(a, relu(p - x))
    b.update(c, relu(x - p))
    b.update(p, relu(a + c))
    s = b.node("s", update=relu(x))
    o = b.node("o", update=relu(a + c + s - x))
    b.output(o)
    return b.build()


@pytest.mark.parametrize("make", [_hand_relu_net, _counter_net, _parity_net])
def test_relu_affine_networks_are_the_universal_graph_with_embedded_weights(make):
    rnn = make()
    theta, lay = embed_into_universal(rnn)
    uni = universal(lay.size, lay.hidden, lay.time, weights=theta)
    N = 7
    assert np.array_equal(_sim_exact(uni, N), _sim_exact(rnn, N))
    # and in a larger class (unused slots are zero and stay 0)
    theta2, lay2 = embed_into_universal(rnn, size=lay.size + 3, hidden=lay.hidden + 2)
    uni2 = universal(lay2.size, lay2.hidden, lay2.time, weights=theta2)
    assert np.array_equal(_sim_exact(uni2, N), _sim_exact(rnn, N))


def test_embedded_counter_and_parity_compute_their_definitions():
    docs = all_documents(2, 6)
    theta, lay = embed_into_universal(_counter_net())
    out = _sim_exact(universal(lay.size, lay.hidden, lay.time, weights=theta), 6)
    assert np.array_equal(out.astype(int), np.cumsum(docs, axis=1))
    theta, lay = embed_into_universal(_parity_net())
    out = _sim_exact(universal(lay.size, lay.hidden, lay.time, weights=theta), 6)
    assert np.array_equal(out.astype(int), np.cumsum(docs, axis=1) % 2)


def test_output_in_hidden_set_embeds_into_a_class_without_stateless_nodes():
    b = Builder("hid_out", tau=1)
    x = b.input("x")
    h = b.node("h", hidden=True)
    b.update(h, relu(Fraction(1, 2) * h + x))
    b.output(h)
    rnn = b.build()
    theta, lay = embed_into_universal(rnn, size=3, hidden=2)
    assert lay.stateless == 0 and lay.output == "h.1"
    uni = universal(3, 2, 1, weights=theta)
    assert np.array_equal(_sim_exact(uni, 6), _sim_exact(rnn, 6))
    with pytest.raises(NotInClass, match="no stateless node"):
        embed_into_universal(rnn, size=4, hidden=2)


def test_networks_outside_the_class_are_rejected_with_the_node_named():
    b = Builder("prodnet", tau=1)
    x = b.input("x")
    h = b.node("h", hidden=True, init=1)
    b.update(h, relu(h * x))
    o = b.node("o", update=relu(h))
    b.output(o)
    with pytest.raises(NotInClass, match="'h'"):
        embed_into_universal(b.build())
    # an affine transition that can be negative is not ReLU(itself)
    b = Builder("neg", tau=1)
    x = b.input("x")
    h = b.node("h", hidden=True)
    b.update(h, h - x)
    b.output(b.node("o", update=relu(h)))
    with pytest.raises(NotInClass, match="not provably ≥ 0"):
        embed_into_universal(b.build())
    # the Markov model's table lookup is a sum of ReLUs, not one ReLU-affine map
    with pytest.raises(NotInClass, match="'q'"):
        embed_into_universal(models.markov_lm(1, [Fraction(1, 3), Fraction(3, 4)]))
    with pytest.raises(NotInClass, match="τ = 1"):
        embed_into_universal(_counter_net(), time=2)
    with pytest.raises(NotInClass, match="hidden nodes"):
        embed_into_universal(_hand_relu_net(), hidden=1)
