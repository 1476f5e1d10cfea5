"""The typed fields of an RNN (role, Boolean nodes, claims, construction record): validated
when the network is built, kept by embed and replace as documented, and round-tripped by
save/load; files written before the fields existed still load."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

import rnnsim
from rnnsim import Bounds, Builder, ClaimError, Claims, DistinguisherRole, LMRole, NetworkError, RoleError
from rnnsim import io
from rnnsim.errors import ConstructionError, FormatError
from rnnsim.roles import require_distinguisher, require_lm


def _counter(role=None, boolean=True):
    b = Builder("cnt", tau=1, alphabet=2, role=role)
    x = b.input("x")
    c = b.node("c", init=0, hidden=True)
    f = b.node("flag", init=1, boolean=boolean)
    b.update(c, c + x)
    b.update(f, 1 - f)
    o = b.node("o", init=0)
    b.update(o, c + f)
    b.output(o)
    return b


def test_role_boolean_claims_and_record_round_trip_through_save_and_load(tmp_path):
    claims = Claims(4, 1, 1, 0, bounds=Bounds(size=5, depth=1), statement="by hand")
    net = _counter(LMRole(2)).build(claims=claims, construction={"kind": "test", "w": Fraction(1, 3),
                                                                  "xs": [1, 2]})
    rnnsim.save(net, tmp_path / "n.json")
    back = rnnsim.load(tmp_path / "n.json")
    assert back.role == LMRole(2) and isinstance(back.role, LMRole)
    assert back.boolean_nodes == ("flag",)
    assert back.claims == claims
    assert dict(back.construction) == {"kind": "test", "w": Fraction(1, 3), "xs": [1, 2]}
    d = DistinguisherRole(3)
    assert rnnsim.load(tmp_path / "n.json").with_role(d).role == d
    again = io.loads(io.dumps(net.with_role(d)))
    assert again.role == DistinguisherRole(window=3, alphabet=2)


def test_a_plain_network_is_saved_without_the_typed_fields():
    d = io.to_dict(_counter(boolean=False).build())
    assert not {"role", "claims", "construction", "boolean_nodes"} & set(d)


def test_old_files_load_without_typed_fields_and_keep_their_boolean_nodes_from_meta():
    d = io.to_dict(_counter().build())
    del d["boolean_nodes"]
    d["meta"] = {"boolean_nodes": ["flag"], "role": "lm", "claimed_size": 4}
    net = io.from_dict(d)
    assert net.boolean_nodes == ("flag",) and net.role is None and net.claims is None
    assert net.construction is None and dict(net.meta) == {"role": "lm", "claimed_size": 4}


@pytest.mark.parametrize("field,value,msg", [
    ("role", {"kind": "lm"}, "field 'role': role of kind 'lm' has fields ['alphabet', 'kind'], got ['kind']"),
    ("role", {"kind": "teacher", "alphabet": 2}, "field 'role': a role is {\"kind\": \"lm\" | \"distinguisher\""),
    ("role", {"kind": "distinguisher", "window": 0, "alphabet": 2}, "role fields must be positive integers"),
    ("claims", {"size": 4}, "field 'claims': claims have fields ['size', 'hidden_size', 'tau', 'depth']"),
    ("claims", {"size": 4, "hidden_size": 1, "tau": 1, "depth": -1},
     "field 'claims': claimed depth must be a non-negative integer, got -1"),
    ("boolean_nodes", "flag", "field 'boolean_nodes' should be a list"),
    ("construction", [1], "field 'construction' should be an object"),
])
def test_malformed_typed_fields_give_a_format_error_naming_the_field(field, value, msg):
    d = io.to_dict(_counter().build())
    d[field] = value
    with pytest.raises(FormatError) as e:
        io.from_dict(d, source="f.json")
    assert msg in str(e.value)


def test_claims_that_do_not_hold_in_a_file_are_a_format_error():
    d = io.to_dict(_counter().build(claims=Claims(4, 1, 1, 0)))
    d["claims"]["size"] = 5
    with pytest.raises(FormatError, match=r"claimed size \|V\| 5, built 4"):
        io.from_dict(d, source="f.json")


def test_role_over_another_alphabet_is_a_network_error():
    with pytest.raises(NetworkError) as e:
        _counter(LMRole(3)).build()
    assert ("role LMRole(alphabet=3) is over b = 3 tokens but the network is over b = 2 "
            "(give the role the network's alphabet)") in str(e.value)
    with pytest.raises(NetworkError, match="the window k must be a positive integer"):
        _counter(DistinguisherRole(0)).build()
    with pytest.raises(NetworkError, match="role must be an rnnsim.LMRole"):
        _counter("lm").build()


def test_boolean_nodes_must_be_computed_nodes_starting_at_0_or_1():
    net = _counter().build()
    with pytest.raises(NetworkError, match="Boolean node 'flag' has initial value 2"):
        net.replace(init={**net.init, "flag": 2})
    with pytest.raises(NetworkError, match="Boolean node 'x' is an input node"):
        net.replace(boolean_nodes=("x",))
    with pytest.raises(NetworkError, match="Boolean node 'nope' is not a node"):
        net.replace(boolean_nodes=("nope",))
    with pytest.raises(NetworkError, match="boolean: 'x' is not a declared non-input node"):
        _counter().boolean("x")


def test_embed_keeps_boolean_nodes_under_the_prefix():
    inner = _counter().build()
    b = Builder("outer")
    x = b.input("x")
    b.embed(inner, "A", x)
    b.output("A.o")
    assert b.build().boolean_nodes == ("A.flag",)


def test_claims_are_checked_when_the_network_is_built():
    good = Claims(4, 1, 1, 0, bounds=Bounds(size=4))
    assert _counter().build(claims=good).claims.compare(_counter().build())[0].ok
    with pytest.raises(ClaimError) as e:
        _counter().build(claims=Claims(5, 1, 1, 0, statement="Lemma X"))
    assert str(e.value) == (
        "network 'cnt': the claims of its construction do not hold (claimed size |V| 5 (Lemma X), built 4); "
        "the closed form or the construction is wrong (a bug to report), or the network was changed after "
        "it was built (build it again, or pass claims=None)")
    with pytest.raises(ClaimError) as e:
        _counter().build(claims=Claims(4, 1, 1, 0, bounds=Bounds(size=3)))
    assert "(claimed size |V| 4 exceeds its bound 3)" in str(e.value)
    assert issubclass(ClaimError, ConstructionError) and issubclass(ClaimError, NetworkError)


def test_replace_drops_claims_and_record_when_the_graph_changes_and_keeps_the_role():
    net = _counter(LMRole(2)).build(claims=Claims(4, 1, 1, 0), construction={"kind": "test"})
    renamed = net.replace(name="other")
    assert renamed.claims == net.claims and renamed.construction == net.construction
    fewer = net.replace(hidden=())
    assert fewer.claims is None and fewer.construction is None and fewer.role == LMRole(2)


def test_require_lm_and_require_distinguisher_name_the_network_and_the_fix():
    lm = _counter(LMRole(2)).build()
    plain = _counter().build()
    assert require_lm(lm, "here") == LMRole(2)
    with pytest.raises(RoleError) as e:
        require_lm(plain, "here")
    assert str(e.value) == (
        "here: the language model 'cnt' has no role, so nothing says it computes a language model; declare "
        "it when building (rnnsim.Builder(name, role=rnnsim.LMRole(b))) or on the built network "
        "(net.with_role(rnnsim.LMRole(b)))")
    with pytest.raises(RoleError, match="here: the language model 'cnt' is over b = 2 tokens, but b = 3"):
        require_lm(lm, "here", alphabet=3)
    d = lm.with_role(DistinguisherRole(2))
    with pytest.raises(RoleError) as e:
        require_distinguisher(d, "here", window=3)
    assert str(e.value) == ("here: the distinguisher 'cnt' has window 2, but k = 3; build the distinguisher "
                            "with window 3 or pass k=2")
    with pytest.raises(RoleError) as e:
        require_distinguisher(plain, "here")
    assert "declare it when building (rnnsim.Builder(name, role=rnnsim.DistinguisherRole(k, b)))" in str(e.value)


def test_json_form_of_roles_and_claims_is_stable():
    assert json.dumps(LMRole(2).to_json()) == '{"kind": "lm", "alphabet": 2}'
    assert DistinguisherRole(4, 3).to_json() == {"kind": "distinguisher", "window": 4, "alphabet": 3}
    c = Claims(1, 2, 3, 4, bounds=Bounds(tau=9), statement="s")
    assert c.to_json() == {"size": 1, "hidden_size": 2, "tau": 3, "depth": 4, "bounds": {"tau": 9},
                           "statement": "s"}
    assert Claims.from_json(c.to_json()) == c


def test_role_base_class_cannot_be_instantiated_and_every_role_round_trips_through_json():
    with pytest.raises(TypeError, match=r"use rnnsim\.LMRole\(b\) or rnnsim\.DistinguisherRole\(k, b\)"):
        rnnsim.Role()
    for role in (LMRole(2), LMRole(5), DistinguisherRole(1), DistinguisherRole(7, 4)):
        d = role.to_json()
        assert list(d)[0] == "kind" and d["alphabet"] == role.alphabet
        back = rnnsim.Role.from_json(json.loads(json.dumps(d)))
        assert back == role and type(back) is type(role)
    for kind in ([], {}, None, 1, "LM"):     # unhashable kinds too: a ValueError, not a TypeError
        with pytest.raises(ValueError, match=r"a role is \{\"kind\": \"lm\" \| \"distinguisher\""):
            rnnsim.Role.from_json({"kind": kind, "alphabet": 2})
    # an extra field of the other kind is refused, not ignored
    with pytest.raises(ValueError, match=r"role of kind 'lm' has fields \['alphabet', 'kind'\]"):
        rnnsim.Role.from_json({"kind": "lm", "alphabet": 2, "window": 3})
