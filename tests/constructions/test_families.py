"""constructions.families: the complement network 1 − d (THEORY §3) and the ready-made
distinguisher families (THEORY §4.7), each checked against exact definitions on every
document."""

from __future__ import annotations

from fractions import Fraction

import pytest

import rnnsim
from constructions import families, models
from constructions.records import Complement, record_of
from rnnsim import Builder, ConstructionError, DistinguisherRole, RoleError
from rnnsim.strings import nth_string


def _outputs_match(net, d, k, N):
    """Every output at mτ (m ≥ k) on every document equals d(m−k+1, x_≤m), exactly."""
    out = rnnsim.simulate_all(net, N, "exact")
    docs = rnnsim.all_documents(2, N)
    for i, x in enumerate(docs):
        for m in range(k, N + 1):
            want = d(m - k + 1, tuple(int(t) for t in x))
            assert out[i, m - 1] == want, (net.name, tuple(x), m, out[i, m - 1], want)


def _all_specs(k):
    specs = (families.patterns(k, [["1" * k], ["0" * k, "1" * k]]) + families.motifs(k, [1])
             + families.parity(k, tau=2) + families.repeat(k, tau=3) + families.brackets(k, (1, 2)) + families.mixed(k))
    return specs


@pytest.mark.lemma("§3 advantage", "§4.7 models")
@pytest.mark.parametrize("k", [1, 2, 3])
def test_every_member_and_its_complement_compute_their_definitions(k):
    N = 6
    for spec in _all_specs(k):
        net = spec.build()
        _outputs_match(net, spec.definition(), k, N)
        # the record gives back the definition, for the member and for its complement
        _outputs_match(net, models.exact_definition(net), k, N)
        c = spec.complement()
        cnet = c.build()
        base = spec.definition()
        _outputs_match(cnet, lambda j, x: 1 - base(j, x), k, N)
        _outputs_match(cnet, models.exact_definition(cnet), k, N)
        assert cnet.role == DistinguisherRole(k)
        assert c.complement() == spec          # canonical: complementing twice gives the member back


def _reading_output_distinguisher():
    """d = parity of the last two tokens, with a hidden node that reads the output node (so
    the complement must add a node instead of rewriting the output)."""
    b = Builder("echo", role=DistinguisherRole(2))
    x = b.input("x")
    prev = b.node("prev", init=0, hidden=True)
    o = b.node("d", init=0)
    seen = b.node("seen_d", init=0)
    b.update(prev, x)
    b.update(o, x + prev - 2 * x * prev)
    b.update(seen, o)                            # reads the output
    b.output(o)
    return b.build()


def test_complement_adds_a_node_only_when_the_output_is_read():
    net = _reading_output_distinguisher()
    c = families.complement(net)
    assert c.size == net.size + 1 and c.output != net.output
    assert c.hidden == net.hidden and c.tau == net.tau and c.depth == net.depth
    _outputs_match(c, lambda j, x: 1 - (x[j - 1] ^ x[j]), 2, 6)
    # the old output node still computes d (the node that reads it sees what it saw before)
    out = rnnsim.simulate(c, [1, 0, 1, 1], "exact", record="tokens")
    assert [out.value("d", t) for t in (2, 3, 4)] == [1, 1, 0]
    # a model's output is read by nobody: rewritten in place, same size
    p = models.parity_distinguisher(3, tau=2)
    cp = families.complement(p)
    assert cp.size == p.size and cp.output == p.output and cp.claims.statement == "§3 advantage"


def test_complement_record_survives_save_and_load(tmp_path):
    net = families.complement(models.motif_distinguisher(3, "101", tau=2))
    path = tmp_path / "c.json"
    rnnsim.save(net, path)
    back = rnnsim.load(path)
    rec = record_of(back)
    assert isinstance(rec, Complement) and rec.k == 3 and rec.base.motif == "101"
    _outputs_match(back, models.exact_definition(back), 3, 6)
    # built by hand: the record has no base, so there is no exact definition to read
    hand = families.complement(_reading_output_distinguisher())
    with pytest.raises(ConstructionError, match="built by hand"):
        models.exact_definition(hand)


def test_complement_refuses_what_is_not_a_distinguisher():
    with pytest.raises(RoleError, match="not a distinguisher"):
        families.complement(models.uniform_lm(2))
    with pytest.raises(ConstructionError, match="must be an rnnsim.RNN"):
        families.complement("parity")


def test_pattern_sets_are_all_subsets_and_closed_under_complement():
    for k in (1, 2, 3):
        specs = families.pattern_sets(k)
        assert len(specs) == 2 ** (2 ** k)
        sets = {frozenset(s.record.patterns) for s in specs}
        assert len(sets) == 2 ** (2 ** k)
        words = {"".join(map(str, nth_string(i, k))) for i in range(2 ** k)}
        assert all(frozenset(words - set(s.record.patterns)) in sets for s in specs)
        assert all(s.complement().record.kind == "pattern_distinguisher" for s in specs)
    with pytest.raises(ConstructionError, match="k ≤ 4"):
        families.pattern_sets(5)


def test_family_parameters_and_bad_parameters():
    assert [s.record.motif for s in families.motifs(2)] == ["0", "1", "00", "01", "10", "11"]
    assert sorted({s.tau for s in families.mixed(3)}) == [1, 2, 3]
    assert families.mixed(2)[0].label == "P{11}" and families.parity(2, tau=3)[0].label == "parity τ3"
    assert families.patterns(2, [["00", "01", "10"]])[0].label == "P=Σ^k∖{11}"
    with pytest.raises(ConstructionError, match="motif length"):
        families.motifs(2, [3])
    with pytest.raises(ConstructionError, match="length 3, expected the window length 2"):
        families.patterns(2, [["011"]])
    with pytest.raises(ConstructionError, match="model distinguisher record"):
        families.Spec(record_of(models.uniform_lm(2)))
    with pytest.raises(ConstructionError, match="τ"):
        families.Spec(families.parity(2)[0].record, tau=0)
    assert Fraction(1) - families.complement_d(models.parity_d(2))(1, (1, 0)) == 1
