"""Roles where they are used (Lemma 3, Lemmas 7–8, THEORY §2.6): boost, boost_simple,
iterate, the components and the LM/distinguisher readers refuse a network of the wrong role,
a distinguisher whose window is not k, networks over different alphabets and networks
without a role — each with the full message, which says what to change. Every model
builder declares its role."""

from __future__ import annotations

from fractions import Fraction as Fr

import pytest

import rnnsim
from constructions import boosting, components, enumeration, models, universal
from constructions.gating import augment
from proofs_checks.advantage import distinguisher_from_rnn
from proofs_checks.textdist import lm_from_rnn
from rnnsim import DistinguisherRole, LMRole, RoleError

pytestmark = pytest.mark.lemma("Lemma 3")

W = Fr(1, 2)
LM = models.markov_lm(1, [Fr(1, 4), Fr(2, 3)])
D2 = models.pattern_distinguisher(2, ["11"])
D3 = models.parity_distinguisher(3)


def _plain(name="mine", alphabet=2, role=None):
    b = rnnsim.Builder(name, alphabet=alphabet, role=role)
    x = b.input("x")
    b.output(b.node("o", update=x * 0))
    return b.build()


def _msg(fn) -> str:
    with pytest.raises(RoleError) as e:
        fn()
    return str(e.value)


def test_boost_refuses_a_language_model_passed_as_the_distinguisher():
    assert _msg(lambda: boosting.boost(LM, LM, k=2, r=1, N=4, factor=W)) == (
        "boost: the distinguisher (dist) 'markov' is a language model over b = 2 tokens, not a "
        "distinguisher (was the language model passed where the distinguisher goes?); pass a "
        "distinguisher RNN (role rnnsim.DistinguisherRole) here")


def test_boost_refuses_a_distinguisher_passed_as_the_language_model():
    assert _msg(lambda: boosting.boost(D2, LM, k=2, r=1, N=4, factor=W)) == (
        "boost: the language model (lm) 'pattern' is a distinguisher with window k = 2 over b = 2 tokens, "
        "not a language model (was the distinguisher passed where the language model goes?); pass an LM "
        "RNN (role rnnsim.LMRole) here")


@pytest.mark.parametrize("fn", [boosting.boost, boosting.boost_simple])
def test_boost_refuses_a_window_other_than_k(fn):
    where = fn.__name__
    assert _msg(lambda: fn(LM, D3, k=2, r=1, N=4, factor=W)) == (
        f"{where}: the distinguisher (dist) 'parity' has window 3, but k = 2; build the distinguisher "
        "with window 2 or pass k=3")


def test_boost_refuses_networks_over_different_alphabets():
    assert _msg(lambda: boosting.boost(models.uniform_lm(3), D2, k=2, r=1, N=4, factor=W)) == (
        "boost: the language model 'uniform' is over b = 3 tokens but the distinguisher 'pattern' over "
        "b = 2; both must be over the same alphabet")


def test_boost_refuses_a_non_binary_alphabet():
    d3 = _plain("tri", 3, DistinguisherRole(2, 3))
    assert _msg(lambda: boosting.boost(models.uniform_lm(3), d3, k=2, r=1, N=4, factor=W)) == (
        "boost: 'uniform' is over b = 3 tokens; the synchronized enumeration of Lemma 11 enumerates "
        "binary strings, so the networks must be over b = 2")


def test_boost_refuses_a_hand_built_network_without_a_role_and_says_how_to_set_it():
    assert _msg(lambda: boosting.boost(_plain(), D2, k=2, r=1, N=4, factor=W)) == (
        "boost: the language model (lm) 'mine' has no role, so nothing says it computes a language model; "
        "declare it when building (rnnsim.Builder(name, role=rnnsim.LMRole(b))) or on the built network "
        "(net.with_role(rnnsim.LMRole(b)))")
    assert _msg(lambda: boosting.boost_simple(LM, _plain(), k=2, r=1, N=4, factor=W)) == (
        "boost_simple: the distinguisher (dist) 'mine' has no role, so nothing says it computes a "
        "distinguisher; declare it when building (rnnsim.Builder(name, role=rnnsim.DistinguisherRole(k, b))) "
        "or on the built network (net.with_role(rnnsim.DistinguisherRole(k, b)))")
    # once the role is declared, the same network is accepted
    out = _plain().with_role(DistinguisherRole(2))
    assert boosting.boost(LM, out, k=2, r=1, N=4, factor=W).role == LMRole(2)


def test_iterate_checks_every_round_before_building_any():
    assert _msg(lambda: boosting.iterate(LM, [D2, D3], k=2, rs=[1, 1], factors=[W, W], N=4)) == (
        "iterate (round 2): the distinguisher (dist) 'parity' has window 3, but k = 2; build the "
        "distinguisher with window 2 or pass k=3")
    assert _msg(lambda: boosting.iterate(D2, [D2], k=2, rs=[1], factors=[W], N=4)).startswith(
        "iterate (round 1): the language model (lm) 'pattern' is a distinguisher")


def test_components_check_roles_too():
    assert _msg(lambda: components.k_token_probability(D2, 2, 1, N=4)).startswith(
        "k_token_probability: the language model (lm) 'pattern' is a distinguisher with window k = 2")
    assert _msg(lambda: components.distinguisher_exp(LM, 2, 1, N=4, factor=W)).startswith(
        "distinguisher_exp: the distinguisher (dist) 'markov' is a language model")
    assert _msg(lambda: components.components(LM, D3, 2, 1, N=4, factor=W)) == (
        "components: the distinguisher (dist) 'parity' has window 3, but k = 2; build the distinguisher "
        "with window 2 or pass k=3")


def test_reading_a_network_as_lm_or_distinguisher_checks_its_role():
    assert _msg(lambda: lm_from_rnn(D2, 3)).startswith("lm_from_rnn: the network 'pattern' is a distinguisher")
    assert _msg(lambda: distinguisher_from_rnn(LM, 2, 3)).startswith(
        "distinguisher_from_rnn: the network 'markov' is a language model")
    assert _msg(lambda: distinguisher_from_rnn(D2, 1, 3)) == (
        "distinguisher_from_rnn: the network 'pattern' has window 2, but k = 1; build the distinguisher "
        "with window 1 or pass k=2")
    # a network without a role is read as it is (its outputs are then checked)
    assert lm_from_rnn(LM.with_role(None), 3).N == 3


def test_every_builder_declares_the_role_of_what_it_builds():
    lms = [models.uniform_lm(), LM, models.pfa_lm(models.motif_pfa("11")), models.motif_automaton_lm("10")]
    assert all(n.role == LMRole(2) for n in lms) and models.uniform_lm(3).role == LMRole(3)
    dists = [D2, D3, models.motif_distinguisher(3, "1"), models.repeat_distinguisher(2),
             models.bracket_distinguisher(4, 2)]
    assert [n.role for n in dists] == [DistinguisherRole(k) for k in (2, 3, 3, 2, 4)]
    assert boosting.boost(LM, D2, k=2, r=1, N=4, factor=W).role == LMRole(2)
    # intermediate networks compute neither an LM nor a distinguisher: no role
    assert enumeration.synchronized_enumeration(LM, 2, 1, 4).role is None
    assert components.components(LM, D2, 2, 1, 4, factor=W).role is None
    assert universal.universal(4, 1, 1, seed=0).role is None
    assert universal.universal(4, 1, 1, seed=0, role=LMRole(2)).role == LMRole(2)


def test_augment_keeps_the_role_of_the_gated_network():
    from tests.constructions.controls import schedule_control

    ctl = schedule_control("LRRHRR", 2, False)
    net, _ = augment(LM, ctl, sources={u: 0 for u in LM.nodes if u not in LM.inputs})
    assert net.role == LMRole(2)
