"""Class membership on real networks and the universal graph with identical outputs (paper:
Definition 3, Section 3; THEORY §2.5, §4.8): every network of the shared catalog is a member of
its claimed class and *is* that class's universal graph with its embedded weights, exactly, on
every document; for random networks, the universal graph reproduces the network exactly when
(and only when) the reset test passes."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

import rnnsim
from constructions.size_classes import SizeClass
from constructions.universal_elementary import embed, universal_elementary
from rnnsim import Builder, simulate_all
from tests.catalog import CASES, build
from tests.strategies import networks
from workflows.size_classes import check_member, embed_and_compare, reset_test

pytestmark = pytest.mark.lemma("§4.8 universal graph")
NAMES = sorted(CASES)


def _claimed_class(net):
    """The class the construction claims (size, hidden size, τ, depth from its claims; the
    number of elementary functions per transition is not claimed by builders: measured); the
    shipped example has no claims: its measured class."""
    c = net.claims
    if c is None:
        return SizeClass.of(net)
    return SizeClass(c.size, c.hidden_size, c.tau, c.depth, SizeClass.of(net).ops, net.alphabet)


@pytest.mark.lemma("Definition 3", "§2.5 hidden set")
@pytest.mark.parametrize("name", NAMES)
def test_every_catalog_network_is_a_member_of_its_claimed_class(name):
    net = build(name)
    rep = check_member(net, _claimed_class(net), CASES[name].N)       # exact, every document
    assert rep.ok, str(rep)
    assert rep.reset.compared == net.alphabet ** CASES[name].N * CASES[name].N


@pytest.mark.parametrize("name", NAMES)
def test_every_catalog_network_is_its_class_universal_graph_with_identical_outputs(name):
    net = build(name)
    rep = embed_and_compare(net, CASES[name].N, _claimed_class(net))
    assert rep.identical and rep.max_diff == 0
    assert rep.documents == 2 ** CASES[name].N
    assert rep.nonzero_weights <= rep.n_weights


def test_a_network_whose_non_hidden_state_survives_a_token_fails_the_reset_test_and_differs():
    b = Builder("leaky", tau=1)
    x = b.input("x")
    s = b.node("s", init=0)
    b.update(s, s + x)                           # an accumulator outside the hidden set
    b.output(b.node("o", update=s + 0))
    net = b.build()
    rep = reset_test(net, 3)
    assert not rep.ok and "survives a token boundary" in str(rep)
    cmp = embed_and_compare(net, 3)
    assert not cmp.identical
    mem = check_member(net, SizeClass.of(net), 3)
    assert not mem.ok and "reset test FAILED" in str(mem)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(net=networks(alphabet=2, onehot=False, max_nodes=4, max_tau=2, max_depth=2))
def test_random_networks_embed_exactly_iff_the_reset_test_passes(net):
    """The universal graph's reset is the only way it can differ from a member (Section 3)."""
    N = 3
    try:
        want = simulate_all(net, N, "exact", engine="reference", raw=True)
    except rnnsim.SimulationError:
        assume(False)
    w, cls, t = embed(net)
    U = universal_elementary(cls, w, t)
    rep = reset_test(net, N)
    try:
        got = simulate_all(U, N, "exact", engine="reference", raw=True)
        same = bool((got == want).all())
    except rnnsim.SimulationError:
        same = False
    assert same == rep.ok, (str(rep), net.describe())
