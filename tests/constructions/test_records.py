"""Construction records (constructions.records): every builder leaves one, it survives
save/load as the same typed record, and a record that cannot be read gives a
ConstructionError naming the field (a file from a newer version, a hand-edited file)."""

from __future__ import annotations

from fractions import Fraction as Fr

import pytest

import rnnsim
from constructions import boosting, components, counters, enumeration, models, records, universal
from constructions.gating import augment
from constructions.records import record_of, schedule_of
from constructions.schedule import Schedule
from rnnsim import ConstructionError, io

pytestmark = pytest.mark.lemma("Lemma 3")

LM = models.markov_lm(1, [Fr(1, 4), Fr(2, 3)])
D = models.pattern_distinguisher(2, ["01", "11"])


def _all_networks():
    from tests.constructions.controls import schedule_control

    return {
        "uniform": models.uniform_lm(3),
        "markov": LM,
        "pfa": models.pfa_lm(models.motif_pfa("101", "seek")),
        "motif_lm": models.motif_automaton_lm("11", "contain", N=4, noise=Fr(1, 7)),
        "pattern": D,
        "motif": models.motif_distinguisher(3, "10"),
        "parity": models.parity_distinguisher(2),
        "repeat": models.repeat_distinguisher(2),
        "bracket": models.bracket_distinguisher(2, 3),
        "counters": counters.counter_network(2, 1, 2, 5),
        "enumeration": enumeration.synchronized_enumeration(LM, 2, 1, 4),
        "U": components.k_token_probability(LM, 2, 1, 4),
        "V": components.distinguisher_exp(D, 2, 1, 4, factor=Fr(1, 3)),
        "I": components.block_indicators(2, 1, 4),
        "components": components.components(LM, D, 2, 1, 4, factor=Fr(1, 3)),
        "boost": boosting.boost(LM, D, k=2, r=1, N=4, factor=Fr(1, 3)),
        "boost_simple": boosting.boost_simple(LM, D, k=2, r=1, N=4, factor=Fr(1, 3)),
        "universal": universal.universal(4, 1, 2, seed=0),
        "gated": augment(LM, schedule_control("LRRH", 2, False), sources={"reg.1": 0, "q": 0})[0],
    }


def test_every_builder_leaves_a_record_that_survives_save_and_load():
    for name, net in _all_networks().items():
        rec = record_of(net)
        assert isinstance(rec, records.Record) and rec.kind, name
        assert record_of(io.loads(io.dumps(net))) == rec, name
        assert net.claims is not None and net.claims.statement == rec.statement, name


def test_records_of_composed_networks_carry_their_parts():
    rec = record_of(_all_networks()["boost"])
    assert isinstance(rec, records.Boost)
    assert (rec.k, rec.r, rec.N, rec.factor, rec.simple) == (2, 1, 4, Fr(1, 3), False)
    assert rec.lm == records.MarkovLM(1, (Fr(1, 4), Fr(2, 3)))
    assert rec.dist == records.PatternDistinguisher(2, ("01", "11"))
    assert rec.schedule == Schedule(2, 1, 1, 4, (1,)) == schedule_of(_all_networks()["boost"])
    assert rec.nodes.acc_num == "boost.num" and rec.nodes.u == "U.u"
    two = boosting.iterate(LM, [D, D], k=2, rs=[1, 2], factors=[Fr(1, 3)] * 2, N=4)[-1]
    assert record_of(two).lm == rec              # round 2 knows round 1 …
    assert models.exact_definition(record_of(two).lm.lm)((1,)) == [Fr(1, 3), Fr(2, 3)]  # … and R_0


def test_a_hand_built_network_has_no_record_and_the_message_says_why():
    b = rnnsim.Builder("mine")
    x = b.input("x")
    b.output(b.node("o", update=x))
    with pytest.raises(ConstructionError) as e:
        record_of(b.build())
    assert str(e.value) == (
        "network 'mine' carries no construction record: it was built by hand, changed after it was "
        "built (RNN.replace drops the record), or loaded from a file saved without one; build it with "
        "a builder of the constructions package")
    with pytest.raises(ConstructionError, match="built by 'markov_lm', which has no enumeration schedule"):
        schedule_of(LM)
    with pytest.raises(ConstructionError, match="not a model of constructions.models"):
        models.exact_definition(_all_networks()["boost"])


@pytest.mark.parametrize("edit,msg", [
    (lambda d: d.update(kind="teleport"), "unknown construction kind 'teleport'"),
    (lambda d: d.pop("table"), "a 'markov_lm' record has fields ['order', 'table']; missing ['table'], unknown []"),
    (lambda d: d.update(extra=1), "missing [], unknown ['extra']"),
])
def test_an_unreadable_record_is_a_construction_error_naming_the_field(edit, msg):
    d = io.to_dict(LM)
    edit(d["construction"])
    net = io.from_dict(d)           # the core stores the record; only reading it interprets it
    with pytest.raises(ConstructionError) as e:
        record_of(net)
    assert msg in str(e.value)


def test_an_invalid_schedule_in_a_record_is_a_construction_error():
    d = io.to_dict(_all_networks()["counters"])
    d["construction"]["schedule"]["r"] = 9
    with pytest.raises(ConstructionError, match=r"construction.schedule: invalid 'schedule' record: offset r = 9"):
        record_of(io.from_dict(d))


def _subclasses(cls):
    for c in cls.__subclasses__():
        yield c
        yield from _subclasses(c)


def test_every_record_class_is_registered_by_its_kind_once_and_models_state_section_4_7():
    defined = [c for c in _subclasses(records.Record) if c.__dict__.get("kind")]
    assert {c.kind: c for c in defined} == {k: c for k, c in records.KINDS.items() if k != "schedule"}
    assert records.KINDS["schedule"] is Schedule
    assert len(records.KINDS) == 21                       # 20 record kinds and the schedule
    assert set(records.MODEL_RECORDS) == {c for c in defined if issubclass(c, records.ModelRecord)}
    assert {c.__name__ for c in records.MODEL_RECORDS} == {
        "UniformLM", "MarkovLM", "PFALM", "MotifAutomatonLM", "PatternDistinguisher", "MotifDistinguisher",
        "ParityDistinguisher", "RepeatDistinguisher", "BracketDistinguisher", "Complement"}
    assert all(c.statement == "§4.7 models" for c in records.MODEL_RECORDS if c is not records.Complement)
    assert records.Complement.statement == "§3 advantage"
    with pytest.raises(TypeError, match="record kind 'boost' is defined twice"):
        type("Boost2", (records.Record,), {"kind": "boost"})
    assert records.KINDS["boost"] is records.Boost
