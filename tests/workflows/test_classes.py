"""workflows.classes: distinguisher classes closed under complement, and the exact advantage
of every member (THEORY §3), compared member by member with proofs_checks.advantage on the
members' exact definitions."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from constructions import families, models
from proofs_checks.advantage import advantage
from proofs_checks.lm import LM
from constructions.models.common import bits_str
from rnnsim import Builder, ConstructionError, DistinguisherRole, RoleError
from rnnsim.strings import all_strings
from workflows.classes import DistinguisherClass, recover_lm
from workflows.demo import best_patterns

N = 6


@pytest.fixture(scope="module")
def pq():
    p = LM.from_callable(models.motif_pfa("111", "avoid"), 2, N).distribution()
    q = LM.from_callable(models.markov_q(1, [Fraction(1, 3), Fraction(3, 5)]), 2, N)
    return p, q


def _definition(C, i):
    m = C.members[i]
    return m.spec.definition() if m.spec is not None else None


def _parity_by_hand(k=2):
    b = Builder("my_parity", role=DistinguisherRole(k))
    x = b.input("x")
    prev = b.node("prev", init=0, hidden=True)
    b.update(prev, x)
    o = b.node("d", init=0)
    b.update(o, x + prev - 2 * x * prev)
    b.output(o)
    return b.build()


@pytest.mark.lemma("§3 advantage")
@pytest.mark.parametrize("name,k", [("patterns", 2), ("mixed", 3), ("motifs+parity+repeat+brackets", 2)])
def test_every_members_advantage_equals_the_definition_exactly(pq, name, k):
    p, q = pq
    C = DistinguisherClass.named(name, k)
    advs = C.advantages(p, q)
    assert advs.exact and len(advs.alpha) == len(C)
    for i in range(len(C)):
        want = advantage(p, q, _definition(C, i), k=k).alpha
        assert advs.alpha[i] == want, (C.labels[i], advs.alpha[i], want)
    # closed under complement: α(1 − d) = −α(d) for the member added for each one
    by_label = dict(zip(C.labels, advs.alpha))
    for m in C.members:
        if m.complement_of is not None:
            assert by_label[m.label] == -advs.alpha[m.complement_of]
    assert advs.max_abs == max(advs.alpha) == advs.alpha[advs.best]


def test_class_tables_come_from_the_member_networks_and_are_closed_under_complement(pq):
    p, q = pq
    C = DistinguisherClass(2, families.mixed(2) + [("mine", _parity_by_hand())])
    tables = [C.member_table(i, N) for i in range(len(C))]
    keys = {tuple(np.concatenate(t.tables)) for t in tables}
    for t in tables:
        assert tuple(np.concatenate(t.complement().tables)) in keys
    # the user's network gets a complement built as a network (¬mine), and its advantage is −α
    i = C.labels.index("mine")
    j = C.labels.index("¬mine")
    advs = C.advantages(p, q)
    assert advs.alpha[j] == -advs.alpha[i] == -advantage(p, q, models.parity_d(2), k=2).alpha
    assert C.members[j].network().size == C.members[i].network().size


def test_pattern_sets_by_additivity_equal_the_networks(pq):
    """α(P) = Σ_{w∈P} α({w}) (the shortcut) against the table read from P's own network."""
    p, q = pq
    C = DistinguisherClass.named("patterns", 2)
    advs = C.advantages(p, q)
    for i in range(len(C)):
        assert advs.alpha[i] == advantage(p, q, C.member_table(i, N), k=2).alpha


def test_best_member_with_an_lm_network_and_float_model(pq):
    p, _ = pq
    C = DistinguisherClass.named("patterns", 3)
    net = models.uniform_lm(2)
    ch = C.best(p, net)
    assert ch.label == "P{111}" and ch.alpha == pytest.approx(advantage(p, recover_lm(net, N), models.pattern_d(3, ["111"]), k=3).alpha)
    assert not ch.advantages.exact
    assert [w for w in ch.advantages.labels[ch.index][2:-1].split(",")] == ["111"]


def test_all_pattern_sets_of_window_4(pq):
    """65536 members: the best one is the set of words with positive single-word advantage."""
    p, q = pq
    C = DistinguisherClass.named("patterns", 4)
    assert len(C) == 2 ** 16
    advs = C.advantages(p, q)
    best = C.members[advs.best].pattern_set
    assert set(best) == {"".join(map(str, w)) for w in best_patterns(p, q, 4)}
    assert C.largest() == {"size": 5, "hidden": 3, "tau": 1}


def _positive_part(p, q, k):
    """P⁺ = {w : α({w}) > 0} and Σ_{w∈P⁺} α({w}), from the single-word definitions: by
    additivity the largest advantage over all pattern sets (computed here, not by the class)."""
    vals = [(bits_str(w), advantage(p, q, models.pattern_d(k, [w]), k=k).alpha) for w in all_strings(k)]
    P = [w for w, a in vals if a > 0]
    return P, sum((a for _, a in vals if a > 0), Fraction(0)), "{" + ",".join(P) + "}"


def test_the_algorithm_1_interface(pq):
    """A DistinguisherClass (or a name or list, through as_class) is what Algorithm 1 takes:
    its largest advantage is the additive maximum over pattern sets, and its best member is
    one Algorithm 1 can boost with."""
    from workflows.classes import as_class

    p, q = pq
    C = DistinguisherClass.named("patterns", 3)
    assert as_class(C, 3) is C
    P2, a2, name = _positive_part(p, q, 3)
    mine = C.advantages(p, q)
    assert mine.max_abs == a2 and mine.best_label == "P" + name
    ch = C.best(p, q)
    d, a, P = ch.table, ch.alpha, C.members[ch.index].pattern_set
    assert a == a2 and sorted(P) == sorted(P2) and advantage(p, q, d, k=3).alpha == a
    assert as_class("patterns", 3).labels == C.labels and as_class(None, 3).labels == C.labels
    with pytest.raises(ConstructionError, match="algorithm1: the class 'patterns' has window 3, but k = 2"):
        as_class(C, 2, who="algorithm1")
    with pytest.raises(ConstructionError, match="not a distinguisher class: dict"):
        as_class({}, 3)


def test_bad_classes():
    with pytest.raises(ConstructionError, match="empty"):
        DistinguisherClass(2, [])
    with pytest.raises(ConstructionError, match="window 3, the class has window k = 2"):
        DistinguisherClass(2, families.parity(3))
    with pytest.raises(ConstructionError, match="window 3, the class has window k = 2"):
        DistinguisherClass(2, [models.parity_distinguisher(3)])
    with pytest.raises(RoleError, match="not a distinguisher"):
        DistinguisherClass(2, [models.uniform_lm(2)])
    with pytest.raises(ConstructionError, match="unknown distinguisher class 'nope'"):
        DistinguisherClass.named("patterns+nope", 2)
    with pytest.raises(ConstructionError, match="N = 1 must be an integer ≥ the window k = 2"):
        DistinguisherClass.named("parity", 2).member_table(0, 1)
    with pytest.raises(ConstructionError, match="positive integer"):
        DistinguisherClass(0, families.parity(1))
