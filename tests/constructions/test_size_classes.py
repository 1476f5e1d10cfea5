"""Size classes C(s, h, τ, d, c), per-node templates and the universal graph with elementary
functions (paper: Definition 3, Section 3; THEORY §4.8, §9)."""

from __future__ import annotations

from fractions import Fraction

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import rnnsim
from constructions import boosting, models
from constructions.size_classes import SizeClass, class_sequence, distinguisher_bound, next_class, skeleton_ops
from constructions.templates import NotInTemplate, Template, fit, instantiate, network_ops, profile
from constructions.universal_elementary import NotInClass, UniversalWeights, embed, universal_elementary, weights_of
from rnnsim import Builder, Node, prod, recip, relu
from rnnsim.arith import EXACT
from tests.strategies import expressions

pytestmark = pytest.mark.lemma("§4.8 universal graph")
F = Fraction


# ---- templates ------------------------------------------------------------------------------------

@settings(max_examples=60)
@given(data=st.data())
def test_every_expression_is_its_least_template_with_fitted_weights(data):
    """fit → instantiate gives an expression with the same value at random points (exact)."""
    leaves = ["a", "b", "c"]
    f = data.draw(expressions(leaves, data.draw(st.integers(0, 4)), [], recip=True))
    t = profile(f).least_template()
    nw = fit(f, t, lambda n: n.upper())
    g = instantiate(nw, t, lambda s: Node(s))
    env = {n: F(data.draw(st.integers(-5, 5)), data.draw(st.sampled_from([1, 2, 3]))) for n in leaves}
    try:
        want = f.evaluate(env, EXACT)
    except (ZeroDivisionError, rnnsim.ReciprocalOfZero):
        return
    assert g.evaluate({n.upper(): v for n, v in env.items()}, EXACT) == want
    assert g.depth() <= f.depth()
    assert profile(g).ops <= profile(f).ops


def test_profile_counts_distinct_operations_by_height_and_a_narrow_template_is_refused():
    x, y = Node("x"), Node("y")
    r = relu(x - 1)
    f = r * recip(r + y + 1) + relu(y) + 3 * r
    p = profile(f)
    assert p.ops == 4 and p.depth == 3      # r, relu(y): height 1; the recip: 2; the product: 3
    assert p.per_layer == ({"relu": 2}, {"recip": 1}, {"prod": 1})
    assert p.least_template() == Template(3, 2, 1, 1)
    with pytest.raises(NotInTemplate, match="more than 1 relu gate"):
        fit(f, Template(3, 1, 1, 1), str, where="node 'f'")
    with pytest.raises(NotInTemplate, match="depth 3"):
        fit(f, Template(2, 4, 4, 4), str)
    assert Template.for_ops(2, 4).n_weights(3) > 0


# ---- the classes ----------------------------------------------------------------------------------

def test_structural_membership_names_every_exceeded_bound():
    net = models.markov_lm(2, [F(1, 2)] * 4)          # size 4, hidden 2, τ 1, depth 1, 8 ops
    assert SizeClass.of(net) == SizeClass(4, 2, 1, 1, network_ops(net))
    assert SizeClass(4, 2, 1, 1, 8).contains(net)
    probs = SizeClass(3, 1, 1, 0, 7).problems(net)
    assert any("size 4 > 3" in p for p in probs) and any("hidden size 2 > 1" in p for p in probs)
    assert any("depth 1 > 0" in p for p in probs) and any("elementary functions per transition 8 > 7" in p for p in probs)
    assert SizeClass(9, 3, 2, 2, 9).includes(SizeClass(4, 2, 1, 1, 8))
    assert SizeClass(9, 3, 2, 2, None).includes(SizeClass(9, 3, 2, 2, 8))       # c = None: unbounded
    assert not SizeClass(9, 3, 2, 2, 8).includes(SizeClass(9, 3, 2, 2, None))
    assert not SizeClass(9, 3, 2, 2, 8).includes(SizeClass(4, 2, 3, 1, 8))        # τ larger


@pytest.mark.parametrize("bad", [dict(size=1), dict(hidden=-1), dict(time=0), dict(depth=-1), dict(ops=-2),
                                 dict(size=3, hidden=3)])
def test_bad_class_parameters_raise(bad):
    args = dict(size=4, hidden=1, time=1, depth=1, ops=3) | bad
    with pytest.raises(rnnsim.ConstructionError):
        SizeClass(**args)


@pytest.mark.lemma("Lemma 4")
@pytest.mark.parametrize("k,taus", [(1, (1, 1)), (2, (1, 1)), (2, (2, 1)), (3, (1, 2))])
def test_next_class_is_the_lemma3_bound_of_boost_and_holds_the_boosted_network(k, taus):
    """The class formula equals the bounds the boost builder states (so they cannot drift
    apart) and the boosted network is a structural member, ops included."""
    R = models.markov_lm(1, [F(1, 3), F(3, 4)], tau=taus[0])
    D = models.pattern_distinguisher(k, ["1" * k], tau=taus[1])
    B = boosting.boost(R, D, k=k, r=1, N=k + 1, factor=F(1, 2))
    C = next_class(SizeClass.of(R), SizeClass.of(D), k)
    bd = B.claims.bounds
    assert (C.size, C.hidden, C.time, C.depth) == (bd.size, bd.hidden_size, bd.tau, bd.depth)
    assert C.contains(B), C.problems(B)
    assert network_ops(B) <= C.ops
    assert skeleton_ops(k) <= network_ops(B)


@pytest.mark.lemma("Lemma 4")
def test_class_sequence_holds_every_round_of_iterate():
    R = models.markov_lm(1, [F(1, 3), F(3, 4)])
    ds = [models.pattern_distinguisher(2, ["11"]), models.parity_distinguisher(2), models.pattern_distinguisher(2, ["00"])]
    nets = boosting.iterate(R, ds, k=2, rs=[1, 2, 1], factors=[F(1, 2)] * 3, N=3)
    cs = class_sequence(SizeClass.of(R), distinguisher_bound(ds), 2, 3)
    for m, net in enumerate(nets, start=1):
        assert cs[m].contains(net), (m, cs[m].problems(net))
        assert cs[m].includes(cs[m - 1])
    # a class sized for round 2 does not hold round 3
    assert not cs[2].contains(nets[2])


# ---- the universal graph ---------------------------------------------------------------------------

def _stateful_non_hidden():
    """A non-hidden accumulator that carries state across tokens: not a class member."""
    b = Builder("leaky", tau=1)
    x = b.input("x")
    s = b.node("s", init=0)
    b.update(s, s + x)
    b.output(b.node("o", update=s + 0))
    return b.build()


def test_embedding_refuses_what_does_not_fit_with_the_reason():
    net = models.markov_lm(2, [F(1, 2)] * 4)
    with pytest.raises(NotInClass, match="hidden size 2 > 1"):
        embed(net, SizeClass(4, 1, 1, 1, 8))
    with pytest.raises(NotInClass, match="τ = 1"):
        embed(net, SizeClass(4, 2, 2, 1, 8))
    with pytest.raises(NotInClass, match="more than 2 relu"):
        embed(net, SizeClass(4, 2, 1, 1, 8), Template(1, 2, 2, 2))
    with pytest.raises(rnnsim.ConstructionError, match="ops="):
        embed(net, SizeClass(4, 2, 1, 1, None))
    onehot = Builder("oh", tau=1, alphabet=2)
    xs = onehot.input_onehot("x")
    onehot.output(onehot.node("o", update=xs[0] + 0))
    with pytest.raises(NotInClass, match="value-encoded"):
        embed(onehot.build())


def test_weights_round_trip_through_json_and_the_record():
    net = models.markov_lm(1, [F(1, 3), F(3, 4)], tau=2)
    w, cls, t = embed(net)
    U = universal_elementary(cls, w, t)
    back = UniversalWeights.from_json(w.to_json())
    assert back.to_json() == w.to_json()
    cls2, t2, w2 = weights_of(U)
    assert (cls2, t2, w2.to_json()) == (cls, t, w.to_json())
    U2 = universal_elementary(cls2, w2, t2)
    assert dict(U2.transitions) == dict(U.transitions)
    with pytest.raises(rnnsim.ConstructionError, match="malformed"):
        UniversalWeights.from_json("{not json")
    with pytest.raises(NotInClass, match="not slots"):
        universal_elementary(cls, UniversalWeights({"h.9": w.nodes["h.0"]}), t)


def test_a_stateless_slot_reading_a_hidden_source_it_may_not_read_is_refused():
    cls = SizeClass(3, 1, 1, 1, 1)
    w, _, t = embed(models.markov_lm(1, [F(1, 3), F(3, 4)]), SizeClass(3, 1, 1, 1, 4))
    bad = UniversalWeights({"h.0": type(w.nodes["h.0"])(0, {}, type(w.nodes["h.0"].out)({"s.0": 1}, 0))})
    with pytest.raises(NotInClass, match="not one of its sources"):
        universal_elementary(cls, bad, Template(1, 1, 1, 1))


def test_zero_weights_build_a_constant_network_and_depth_is_read_from_the_weights():
    cls = SizeClass(4, 1, 3, 2, 2)
    U = universal_elementary(cls)
    assert U.size == 6 and U.hidden_size == 3 and U.tau == 3 and U.depth == U.claims.depth == 1
    assert rnnsim.simulate(U, [1, 0, 1], "exact").outputs == [0, 0, 0]
