"""THEORY §7 bad input: every case that applies to the core raises a clear rnnsim exception
whose message names the node (and the time, for run-time errors) and the cause. A few
messages are asserted in full so that a change of wording is a deliberate decision."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

import rnnsim
from rnnsim import RNN, Builder, Const, Fixed, Node, recip, relu, simulate, simulate_batch
from rnnsim.errors import (
    FixedPointOverflow,
    FormatError,
    InputError,
    NetworkError,
    ReciprocalOfZero,
    RNNSimError,
    UnsupportedFormat,
)
from rnnsim.io import dumps, example_path, loads


def counter(tau=1, init=1, factor=2):
    b = Builder("net", tau=tau)
    b.input("x")
    c = b.node("acc.c", init=init)
    b.update(c, factor * c)
    b.output(c)
    return b.build()


# ---- build time ------------------------------------------------------------------------------

def test_unknown_node_referenced_full_message():
    b = Builder("net", tau=1)
    b.input("x")
    c = b.node("c")
    b.update(c, c + Node("nope"))
    b.output(c)
    with pytest.raises(NetworkError) as ei:
        b.build()
    assert str(ei.value) == "network 'net' is invalid (1 problem):\n  node 'c' reads unknown node 'nope'"
    assert ei.value.problems == ["node 'c' reads unknown node 'nope'"]


def test_every_problem_is_reported_at_once():
    b = Builder("net", tau=0)
    b.input("x")
    c = b.node("c")
    d = b.node("d")
    b.update(c, c + Node("ghost") + d)
    b.hidden(c)
    with pytest.raises(NetworkError) as ei:
        b.build()
    probs = ei.value.problems
    assert len(probs) == 5, probs
    text = str(ei.value)
    for piece in ("5 problems", "'ghost'", "node 'd' has no transition function",
                  "τ (steps per token) must be a positive integer, got 0",
                  "hidden node 'c' reads 'd' outside H ∪ I", "no output node"):
        assert piece in text


def test_input_node_given_a_transition_in_builder_names_the_node():
    b = Builder("net", tau=1)
    x = b.input("tok")
    with pytest.raises(NetworkError, match=r"^input node 'tok' cannot have a transition \(it holds the token\)$"):
        b.update(x, x + 1)


def test_input_node_given_a_transition_in_rnn_constructor():
    with pytest.raises(NetworkError) as ei:
        RNN(nodes=["x", "c"], inputs=["x"], output="c", hidden=[], tau=1,
            transitions={"x": Node("c"), "c": Node("c")}, init={})
    assert ei.value.problems == [
        "input node 'x' has a transition; inputs hold the current token and cannot be updated "
        "(make it a separate node that reads the input)"
    ]


@pytest.mark.lemma("Definition 3")
def test_hidden_set_violating_2_5a_names_both_nodes():
    b = Builder("net", tau=1)
    x = b.input("x")
    h = b.node("H.h")
    z = b.node("z")
    b.update(h, h + z + x)
    b.update(z, z)
    b.hidden(h)
    b.output(h)
    with pytest.raises(NetworkError) as ei:
        b.build()
    assert ei.value.problems == [
        "hidden node 'H.h' reads 'z' outside H ∪ I (THEORY §2.5(a)); add them to the hidden set or "
        "change the transition"
    ]


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, np.float64("inf")])
def test_non_finite_initial_value_names_the_node(bad):
    b = Builder("net", tau=1)
    b.input("x")
    with pytest.raises(NetworkError, match=r"initial value of node 'blk\.c': non-finite constant"):
        b.node("blk.c", init=bad)


@pytest.mark.parametrize("make", [
    lambda: Const(math.inf),
    lambda: Node("c") * math.nan,
    lambda: Node("c") + math.inf,
    lambda: relu(Node("c") - math.inf),
])
def test_non_finite_constant_in_an_expression_raises(make):
    with pytest.raises(NetworkError, match="non-finite constant"):
        make()


def test_non_finite_transition_given_directly_names_the_node():
    with pytest.raises(NetworkError, match=r"node 'c': transition is not an expression .*non-finite constant"):
        RNN(nodes=["x", "c"], inputs=["x"], output="c", hidden=[], tau=1,
            transitions={"c": math.inf}, init={})


@pytest.mark.parametrize("tau", [0, -3, 1.5, True])
def test_tau_not_a_positive_integer(tau):
    b = Builder("net", tau=tau)
    b.input("x")
    b.node("c", update=Node("c"))
    b.output("c")
    with pytest.raises(NetworkError) as ei:
        b.build()
    assert ei.value.problems == [f"τ (steps per token) must be a positive integer, got {tau!r}"]


def test_dangling_output():
    b = Builder("net", tau=1)
    b.input("x")
    b.node("c", update=Node("c"))
    with pytest.raises(NetworkError, match="no output node"):
        b.build()


def test_name_collision_raises_and_names_the_node():
    b = Builder("net", tau=1)
    b.input("x")
    b.node("c")
    with pytest.raises(NetworkError) as ei:
        b.node("c")
    assert str(ei.value) == (
        "node 'c' already exists in network 'net'; names are never renamed silently — choose "
        "another name or embed under another prefix"
    )


def test_embed_collision_raises_and_names_the_prefixed_node():
    inner = counter()
    b = Builder("outer", tau=1)
    x = b.input("x")
    b.node("E.acc.c")
    with pytest.raises(NetworkError, match=r"node 'E\.acc\.c' already exists .*while embedding 'net' under 'E'"):
        b.embed(inner, "E", x)


def test_bool_of_expression_raises():
    e = relu(Node("a") - 1)
    with pytest.raises(TypeError, match="truth value of an expression"):
        bool(e)
    with pytest.raises(TypeError, match="truth value"):
        if Node("a") + 1:  # noqa: SIM108 - the point of the test
            pass
    with pytest.raises(TypeError, match="cannot be compared"):
        Node("a") > 0  # noqa: B015


def test_recip_of_constant_zero_rejected_at_build_time():
    with pytest.raises(NetworkError, match="recip of the constant 0"):
        recip(Const(0))


# ---- run time --------------------------------------------------------------------------------

def _recip_net():
    b = Builder("net", tau=2)
    x = b.input("x")
    c = b.node("g.c", init=1)
    b.update(c, recip(c - 1 + x))
    b.output(c)
    return b.build()


@pytest.mark.parametrize("arith", ["exact", "float64", Fixed(4, 8)])
def test_reciprocal_of_zero_at_run_time_names_node_and_time(arith):
    # c_0 = 1; x_1 = 1 keeps c = 1 at t = 1, 2; at t = 2 the token is x_2 = 0 and c − 1 + x = 0
    with pytest.raises(ReciprocalOfZero) as ei:
        simulate(_recip_net(), [1, 0, 1], arith, engine="reference")
    e = ei.value
    assert (e.node, e.time) == ("g.c", 2)
    assert str(e) == (
        "node 'g.c' at time 2: reciprocal of zero while computing its value for time 3 "
        "(the argument of a Recip in its transition is 0)"
    )
    assert isinstance(e, ZeroDivisionError) and isinstance(e, RNNSimError)


def test_reciprocal_of_zero_in_batch_run():
    with pytest.raises(ReciprocalOfZero, match=r"node 'g\.c' at time 2"):
        simulate_batch(_recip_net(), [[1, 1, 1], [1, 0, 1]], "exact", engine="reference")


def test_fixed_point_overflow_raise_names_node_and_time():
    # 1, 2, 4: the value 4 at time 2 needs |v| < 2^2
    with pytest.raises(FixedPointOverflow) as ei:
        simulate(counter(), [1, 0, 1, 1], Fixed(2, 4), engine="reference")
    assert (ei.value.node, ei.value.time) == ("acc.c", 2)
    assert str(ei.value) == "node 'acc.c' at time 2: fixed-point overflow: value 4 needs |v| < 2^2 in fixed:2:4"


def test_fixed_point_overflow_of_an_initial_value():
    with pytest.raises(FixedPointOverflow, match=r"node 'acc\.c' at time 0") as ei:
        simulate(counter(init=9), [0], Fixed(3, 2), engine="reference")
    assert ei.value.time == 0


def test_fixed_point_saturate_clamps_to_the_largest_value():
    out = simulate(counter(), [0] * 4, Fixed(2, 4, "saturate"), engine="reference").outputs
    top = 4 - Fraction(1, 16)
    assert out == [2, top, top, top]
    neg = simulate(counter(init=-1), [0] * 3, "fixed:2:4:saturate", engine="reference").outputs
    assert neg == [-2, -top, -top]


@pytest.mark.parametrize("tokens, where", [
    ([0, 1, 2], "token x_3 = 2 (position 3)"),
    ([-1], "token x_1 = -1 (position 1)"),
    ("0130", "token x_3 = 3 (position 3)"),
])
def test_token_outside_alphabet(tokens, where):
    with pytest.raises(InputError) as ei:
        simulate(counter(tau=3), tokens, "exact")
    pos = int(where.split("_")[1].split(" ")[0])
    assert str(ei.value) == (
        f"input node 'x' at time {(pos - 1) * 3}: {where} is outside Σ = {{0, …, 1}}"
    )


def test_token_outside_alphabet_in_batch_names_document():
    with pytest.raises(InputError, match=r"token x_2 = 7 \(document 1, position 2\)"):
        simulate_batch(counter(), np.array([[0, 1], [1, 7]]), "exact", engine="reference")


def test_non_integer_tokens_rejected():
    with pytest.raises(InputError, match="integers"):
        simulate(counter(), [0.5, 1], "exact")


def test_unknown_engine_and_arithmetic():
    with pytest.raises(UnsupportedFormat, match="unknown engine 'warp'"):
        simulate(counter(), [0], "float64", engine="warp")
    with pytest.raises(NetworkError, match="unknown arithmetic 'float16'"):
        simulate(counter(), [0], "float16")
    with pytest.raises(NetworkError, match="fixed:INT_BITS:FRAC_BITS"):
        simulate(counter(), [0], "fixed:8")


# ---- files -------------------------------------------------------------------------------------

def _example_text():
    return example_path().read_text(encoding="utf-8")


def test_every_truncation_of_a_saved_file_is_rejected_with_format_error():
    text = _example_text()
    cuts = range(0, len(text.rstrip()))
    for cut in cuts:
        with pytest.raises(FormatError):
            loads(text[:cut], source="cut.json")
    assert len(cuts) > 500  # the example file is not trivially short


def test_truncated_file_message_says_where_and_truncated(tmp_path):
    p = tmp_path / "net.json"
    p.write_text(_example_text()[:200], encoding="utf-8")
    with pytest.raises(FormatError) as ei:
        rnnsim.load(p)
    msg = str(ei.value)
    assert msg.startswith(f"{p}: not valid JSON: ")
    assert msg.endswith("(the file looks truncated)")
    with pytest.raises(FormatError) as ei:
        loads('{"format": "rnnsim-network",\n "version": 1,\n "name": "n"\n "tau": 1}', source="f.json")
    assert str(ei.value) == "f.json: not valid JSON: Expecting ',' delimiter at line 4, column 2"


def _doc():
    return json.loads(_example_text())


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(version=99),
     "f.json: unknown format version 99 (this rnnsim reads version 1); upgrade rnnsim or re-save the network"),
    (lambda d: d.update(format="other"),
     "f.json: not an rnnsim network file (field 'format' is 'other', expected 'rnnsim-network')"),
    (lambda d: d.pop("tau"), "f.json: missing field 'tau'"),
    (lambda d: d.update(tau="2"), "f.json: field 'tau' should be an integer, got '2'"),
    (lambda d: d["exprs"].append(["sigmoid", 0]),
     "exprs[17]: unknown expression kind 'sigmoid' (node, const, affine, relu, prod, recip)"),
    (lambda d: d["exprs"].__setitem__(6, ["relu", 9]),
     "exprs[6]: operand 9 does not refer to an earlier expression (0..5)"),
    (lambda d: d["exprs"].__setitem__(1, ["affine", [[0, 0.5]], 1]),
     "exprs[1] term 0 weight: 0.5 is a float; exact constants are written as integers or 'p/q' strings (e.g. '1/2')"),
    (lambda d: d["exprs"].__setitem__(1, ["affine", [[0, "1/0"]], 1]), "exprs[1] term 0 weight: '1/0' has denominator 0"),
    (lambda d: d["nodes"].__setitem__(0, ["count.phase", 0]),
     "nodes[0]: expected [name, init, expr_index], got [\"count.phase\", 0]"),
    (lambda d: d["nodes"].__setitem__(1, ["count.n", "x", 3]),
     "nodes[1] (initial value of 'count.n'): 'x' is not an integer or a 'p/q' rational"),
    (lambda d: d.update(extra=1), "f.json: unknown field(s) 'extra'"),
])
def test_malformed_file_full_messages(mutate, message):
    d = _doc()
    mutate(d)
    with pytest.raises(FormatError) as ei:
        loads(json.dumps(d), source="f.json")
    assert str(ei.value) == message


def test_file_describing_an_invalid_network_is_rejected_naming_the_node():
    d = _doc()
    d["nodes"].append(["x", 0, 0])  # a transition for the input node
    d["hidden"].append("ghost")
    with pytest.raises(FormatError) as ei:
        loads(json.dumps(d), source="f.json")
    msg = str(ei.value)
    assert msg.startswith("f.json describes an invalid network: network 'laplace' is invalid (3 problems)")
    for piece in ("node 'x' is declared 2 times", "input node 'x' has a transition",
                  "hidden node 'ghost' is not a node"):
        assert piece in msg


def test_non_json_and_non_utf8_files(tmp_path):
    p = tmp_path / "bin.json"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(FormatError, match="not UTF-8"):
        rnnsim.load(p)
    with pytest.raises(FormatError, match="cannot read network file"):
        rnnsim.load(tmp_path / "missing.json")
    with pytest.raises(FormatError, match="top level must be a JSON object"):
        loads("[1, 2]")


def test_save_refuses_meta_that_is_not_json_able():
    b = Builder("net", tau=1)
    b.input("x")
    b.node("c", update=Node("c"))
    b.output("c")
    rnn = b.build(meta={"claims": {"fn": object()}})
    with pytest.raises(FormatError, match=r"cannot save meta\.claims\.fn: object"):
        dumps(rnn)


# ---- arithmetic specs (issue 10): nothing half-valid is accepted -------------------------------

@pytest.mark.parametrize("args, piece", [
    ((True, 8), "int_bits must be an integer ≥ 1, got True"),
    ((8, True), "frac_bits must be an integer ≥ 0, got True"),
    ((8.0, 8), "int_bits must be an integer ≥ 1, got 8.0"),
    ((0, 8), "int_bits must be an integer ≥ 1, got 0"),
    ((8, -1), "frac_bits must be an integer ≥ 0, got -1"),
    ((8, 16, "x"), "overflow policy must be 'raise' or 'saturate', got 'x'"),
    ((8, 16, 1), "overflow policy must be 'raise' or 'saturate', got 1"),
    ((40000, 40000), "exceeds 65536 bits"),
])
def test_fixed_rejects_bad_arguments(args, piece):
    with pytest.raises(rnnsim.NetworkError) as ei:
        Fixed(*args)
    assert piece in str(ei.value)


def test_fixed_boundary_of_the_largest_format():
    assert Fixed(1, 65534).bits == 65536 and Fixed(65535, 0).bits == 65536
    with pytest.raises(rnnsim.NetworkError, match="exceeds 65536 bits"):
        Fixed(1, 65535)


@pytest.mark.parametrize("spec, piece", [
    ("fixed:8:16:saturate:x", "write fixed:INT_BITS:FRAC_BITS"),
    ("fixed:8:16:x", "write fixed:INT_BITS:FRAC_BITS"),
    ("fixed:8", "write fixed:INT_BITS:FRAC_BITS"),
    ("fixed:8:16:", "write fixed:INT_BITS:FRAC_BITS"),
    ("fixed:-8:16", "write fixed:INT_BITS:FRAC_BITS"),
    ("fixed: 8:16", "write fixed:INT_BITS:FRAC_BITS"),
    ("fixed:٨:16", "write fixed:INT_BITS:FRAC_BITS"),
    ("fixed:100000000000:0", "exceeds 65536 bits"),
    ("fixed:0:8", "int_bits must be an integer ≥ 1"),
    ("Exact", "unknown arithmetic"),
    (8, "unknown arithmetic"),
    (None, "unknown arithmetic"),
])
def test_parse_arithmetic_is_strict(spec, piece):
    with pytest.raises(rnnsim.NetworkError) as ei:
        rnnsim.parse_arithmetic(spec)
    assert piece in str(ei.value)


def test_parse_arithmetic_accepts_the_documented_forms():
    assert rnnsim.parse_arithmetic("fixed:8:16") == Fixed(8, 16, "raise")
    assert rnnsim.parse_arithmetic("fixed:8:16:raise") == Fixed(8, 16, "raise")
    assert rnnsim.parse_arithmetic("fixed:8:16:saturate") == Fixed(8, 16, "saturate")
    assert rnnsim.parse_arithmetic("exact") == rnnsim.EXACT and rnnsim.parse_arithmetic("float64") == rnnsim.FLOAT64
