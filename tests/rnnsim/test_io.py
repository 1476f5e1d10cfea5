"""Saving/loading (THEORY §6: exact constants round-trip; shared subexpressions stored once)
and GraphML/DOT export."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import networkx as nx
import pytest
import numpy as np

import rnnsim
from rnnsim import Builder, Fixed, FormatError, Node, recip, relu, simulate
from rnnsim.io import FORMAT, VERSION, dumps, example_names, load_example, loads, to_dict, to_dot, to_graphml


def exact_net():
    b = Builder("exacts", tau=1, alphabet=3)
    xs = b.input_onehot("x")
    big = Fraction(10**30 + 1, 3**40)
    a = b.node("blk.a", init=Fraction(-7, 3))
    c = b.node("blk.c", init=10**40)
    b.update(a, big * a + Fraction(1, 10**25) * xs[2] + Fraction(2, 7))
    b.update(c, recip(relu(a) + 1) * c)
    b.hidden(a, c)
    b.output(c)
    return b.build(meta={"claim": {"size": 5, "ratio": Fraction(2, 3), "list": [1, (2, 3)]},
                         "np": np.int64(4)})


def test_exact_constants_and_meta_round_trip(tmp_path):
    rnn = exact_net()
    p = tmp_path / "n.json"
    rnnsim.save(rnn, p)
    back = rnnsim.load(p)
    assert dict(back.transitions) == dict(rnn.transitions)
    assert back.init["blk.a"] == Fraction(-7, 3) and back.init["blk.c"] == 10**40
    assert back.input_encoding == "onehot" and back.alphabet == 3
    assert back.meta == {"claim": {"size": 5, "ratio": Fraction(2, 3), "list": [1, [2, 3]]}, "np": 4}
    assert isinstance(back.meta["claim"]["ratio"], Fraction)
    d = json.loads(p.read_text())
    assert d["format"] == FORMAT and d["version"] == VERSION
    assert "-7/3" in p.read_text() and str(10**40) in p.read_text()
    assert not re.search(r"\d\.\d", p.read_text()), "no float may appear in a saved file"
    for arith in ("exact", Fixed(200, 100)):
        assert simulate(back, [2, 0, 1, 2], arith).outputs == simulate(rnn, [2, 0, 1, 2], arith).outputs


def test_shared_subexpressions_are_stored_once():
    # a tower e_{k+1} = relu(e_k)·e_k + e_k read by 20 nodes: as a tree it has 2^20 leaves,
    # as a DAG 3 operations per level
    b = Builder("tower", tau=1)
    x = b.input("x")
    e = x
    for k in range(20):
        e = relu(e) * e + e
        b.node(f"n{k}", update=e)
    b.output("n19")
    rnn = b.build()
    d = to_dict(rnn)
    assert len(d["exprs"]) == 1 + 3 * 20
    back = loads(dumps(rnn))
    assert back.transitions["n19"] == rnn.transitions["n19"]
    assert back.program.n_ops == rnn.program.n_ops == 3 * 20


def test_dumps_is_deterministic_and_compact():
    rnn = load_example()
    assert dumps(rnn) == dumps(loads(dumps(rnn)))
    assert "\n" not in dumps(rnn)


def test_shipped_examples_load_and_are_valid():
    assert "laplace" in example_names()
    for name in ["example"] + example_names():
        rnn = load_example(name)
        assert rnn.size >= 2 and rnn.hidden_size >= 1


def test_laplace_example_computes_laplaces_rule_on_every_document():
    rnn = load_example()
    N = 6
    docs = rnnsim.all_documents(2, N)
    out = rnnsim.simulate_all(rnn, N, "exact", engine="reference", raw=True)
    for doc, row in zip(docs, out):
        ones = 0
        for m, x in enumerate(doc, start=1):
            p1 = Fraction(ones + 1, m + 1)
            assert row[m - 1] == (p1 if x == 1 else 1 - p1)
            ones += int(x)


def test_graphml_export_reads_back_with_networkx(tmp_path):
    rnn = exact_net()
    p = tmp_path / "g.graphml"
    to_graphml(rnn, p)
    g = nx.read_graphml(p)
    assert set(g.nodes) == set(rnn.nodes)
    want_edges = {(m, n) for n, f in rnn.transitions.items() for m in f.nodes()}
    assert set(g.edges) == want_edges
    assert g.nodes["blk.a"]["kind"] == "hidden" and g.nodes["x[0]"]["kind"] == "input"
    assert g.nodes["blk.a"]["init"] == "-7/3"


def test_dot_export_has_every_node_and_edge():
    rnn = exact_net()
    text = to_dot(rnn)
    assert text.startswith('digraph "exacts" {') and text.rstrip().endswith("}")
    edges = set(re.findall(r'^\s*"([^"]+)" -> "([^"]+)";$', text, flags=re.M))
    assert edges == {(m, n) for n, f in rnn.transitions.items() for m in f.nodes()}
    for n in rnn.nodes:
        assert f'"{n}" [' in text
    assert 'subgraph cluster_' in text and 'label="blk"' in text
    assert 'peripheries="2"' in text  # the output
    assert text.count("{") == text.count("}")


def test_node_names_with_quotes_are_escaped_in_dot():
    b = Builder('q"net', tau=1)
    b.input("x")
    b.node('we"ird', update=Node('we"ird') + Node("x"))
    b.output('we"ird')
    text = to_dot(b.build())
    assert '"we\\"ird" -> "we\\"ird";' in text


# ---- DOT: a tested escaper ---------------------------------------------------------------------

def _dot_strings(text: str) -> list[str]:
    """Every double-quoted string of a DOT document, decoded as Graphviz reads a label
    (written from the DOT grammar: \\" is a quote, \\\\ a backslash, \\n a centred line
    break, \\l and \\r left/right line breaks); fails on an unterminated string."""
    out, i = [], 0
    while i < len(text):
        if text[i] != '"':
            i += 1
            continue
        i += 1
        buf = []
        while True:
            assert i < len(text), "unterminated DOT string"
            c = text[i]
            if c == "\\":
                nxt = text[i + 1]
                buf.append({"n": "\n", "l": "\n", "r": "\n", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                assert c != "\n", "a raw line break inside a DOT string"
                buf.append(c)
                i += 1
        out.append("".join(buf))
    return out


def test_dot_labels_show_name_and_transition_on_two_lines():
    rnn = exact_net()
    strings = _dot_strings(to_dot(rnn, transitions=True))
    for n in rnn.nodes:
        if n in rnn.inputs:
            continue
        want = n.rsplit(".", 1)[-1] + "\n" + str(rnn.transitions[n])
        assert want in strings, n
    assert not any("\\n" in s for s in strings)   # no literal backslash-n in any label


def test_dot_quote_round_trips_quotes_backslashes_breaks_and_controls():
    from rnnsim.io import dot_quote

    for s in ['plain', 'we"ird', 'back\\slash', 'tail\\', 'two\nlines', 'crlf\r\nx', '\\n literal', 'π·σ',
              'ctl\x01x', '"\\"\\\\"']:
        (decoded,) = _dot_strings(dot_quote(s))
        want = s.replace("\r\n", "\n").replace("\r", "\n").replace("\x01", "\\x01")
        assert decoded == want, (s, dot_quote(s))


def test_names_with_backslashes_and_quotes_survive_dot_with_transitions():
    b = Builder('n\\et"', tau=1)
    b.input("x")
    b.node('a\\b"c', update=Node('a\\b"c') + Node("x"))
    b.output('a\\b"c')
    strings = _dot_strings(to_dot(b.build(), transitions=True))
    assert 'n\\et"' in strings and 'a\\b"c' in strings and 'a\\b"c\n(a\\b"c + x)' in strings


# ---- strict loader (issue 10): only FormatError, never half-loaded -----------------------------

def _text(**changes):
    d = to_dict(load_example())
    d.update(changes)
    return json.dumps(d)


@pytest.mark.parametrize("version", [True, 1.0, "1", None, [1]])
def test_version_must_be_the_integer_1(version):
    with pytest.raises(FormatError, match="unknown format version"):
        loads(_text(version=version), source="f.json")


@pytest.mark.parametrize("where", ["top", "meta", "nested meta"])
def test_duplicate_keys_are_rejected(where):
    text = _text(meta={"a": {"b": 1}})
    if where == "top":
        text = text.replace('"tau": 2', '"tau": 2, "tau": 2')
    elif where == "meta":
        text = text.replace('"meta": {"a"', '"meta": {"x": 1, "x": 2, "a"')
    else:
        text = text.replace('{"b": 1}', '{"b": 1, "b": 1}')
    assert text != _text(meta={"a": {"b": 1}})
    with pytest.raises(FormatError, match="duplicate key"):
        loads(text, source="f.json")


@pytest.mark.parametrize("num", ["١", "٣/٤", "²", "1_000", " 1", "1 / 2", "+-1", "0x10", "1/−2", "１"])
def test_numbers_must_be_ascii_integers_or_rationals(num):
    d = to_dict(load_example())
    d["nodes"][0][1] = num
    with pytest.raises(FormatError, match="is not an integer or a 'p/q' rational"):
        loads(json.dumps(d), source="f.json")


def test_ascii_rationals_still_load():
    d = to_dict(load_example())
    d["nodes"][0][1] = "-6/4"
    assert loads(json.dumps(d)).init[d["nodes"][0][0]] == Fraction(-3, 2)


@pytest.mark.parametrize("field", ["tau", "alphabet"])
def test_tau_and_alphabet_must_fit_int64(field):
    with pytest.raises(FormatError, match=rf"field '{field}' is 9223372036854775808, above 2\^63 − 1"):
        loads(_text(**{field: 2 ** 63}), source="f.json")


def test_tau_just_inside_int64_loads():
    assert loads(_text(tau=2 ** 63 - 1)).tau == 2 ** 63 - 1


@pytest.mark.parametrize("digits", [4301, 20000])
def test_integers_over_4300_digits_are_a_format_error(digits):
    big = "7" * digits
    for text in (_text().replace('"tau": 2', f'"tau": {big}'),               # a JSON integer
                 _text(meta={"n": int("7" * 10)}).replace("7777777777", big),  # inside meta
                 json.dumps({**to_dict(load_example()),
                             "nodes": [[n, f"{big}/3", i] if k == 0 else [n, v, i]
                                       for k, (n, v, i) in enumerate(to_dict(load_example())["nodes"])]})):
        with pytest.raises(FormatError, match="4300"):
            loads(text, source="f.json")


def test_4300_digits_exactly_round_trip(tmp_path):
    b = Builder("big", tau=1)
    x = b.input("x")
    y = b.node("y", init=10 ** 4299 + 7)      # 4300 digits
    b.update(y, y + Fraction(1, 10 ** 4299 + 1) * x)       # a 4300-digit denominator
    b.output(y)
    b.hidden(y)
    net = b.build()
    rnnsim.save(net, tmp_path / "b.json")
    back = rnnsim.load(tmp_path / "b.json")
    assert back.init["y"] == 10 ** 4299 + 7 and dict(back.transitions) == dict(net.transitions)


@pytest.mark.parametrize("where", ["init", "weight", "meta", "fraction"])
def test_save_raises_format_error_not_value_error_beyond_4300_digits(tmp_path, where):
    b = Builder("big", tau=1)
    x = b.input("x")
    huge = 10 ** 5000
    y = b.node("y", init=huge if where == "init" else 1)
    b.update(y, y + (huge if where == "weight" else Fraction(1, huge) if where == "fraction" else 1) * x)
    b.output(y)
    b.hidden(y)
    net = b.build(meta={"n": huge} if where == "meta" else {})
    p = tmp_path / "b.json"
    with pytest.raises(FormatError, match="more than 4300 digits") as ei:
        rnnsim.save(net, p)
    assert type(ei.value) is FormatError
    assert not p.exists()                       # nothing half-written


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_are_rejected_in_constants_and_in_meta(literal):
    d = to_dict(load_example())
    d["nodes"][0][1] = 0
    d["meta"] = {"x": 0.5}
    in_const = json.dumps(d).replace('["count.phase", 0,', f'["count.phase", {literal},', 1)
    in_meta = json.dumps(d).replace('"x": 0.5', f'"x": {literal}')
    assert in_const != json.dumps(d) and in_meta != json.dumps(d)
    assert loads(json.dumps(d)).meta == {"x": 0.5}            # a finite float in meta is fine
    for text in (in_const, in_meta):
        with pytest.raises(FormatError):
            loads(text, source="f.json")


def test_meta_nesting_is_bounded_on_load_and_on_save():
    from rnnsim.io import MAX_META_DEPTH

    def nested(n):
        v: object = 0
        for _ in range(n):
            v = [v]
        return v

    d = to_dict(load_example())
    d["meta"] = {"ok": nested(MAX_META_DEPTH - 1)}
    net = loads(json.dumps(d))
    assert loads(dumps(net)).meta == net.meta                  # what loads also saves
    d["meta"] = {"deep": nested(MAX_META_DEPTH + 5)}
    with pytest.raises(FormatError, match="nested deeper than 100 levels"):
        loads(json.dumps(d), source="f.json")
    b = Builder("m", tau=1)
    x = b.input("x")
    y = b.node("y", init=0)
    b.update(y, y + x)
    b.output(y)
    b.hidden(y)
    with pytest.raises(FormatError, match="nested deeper than 100 levels"):
        dumps(b.build(meta={"deep": nested(5000)}))


@pytest.mark.parametrize("where", ["name", "node", "meta key", "meta value", "hidden"])
def test_lone_surrogates_are_a_format_error(where):
    d = to_dict(load_example())
    if where == "name":
        d["name"] = "a\ud800"
    elif where == "node":
        old = d["nodes"][0][0]
        d["nodes"][0][0] = old + "\udfff"
    elif where == "meta key":
        d["meta"]["k\ud800"] = 1
    elif where == "meta value":
        d["meta"]["k"] = "v\udc80"
    else:
        d["hidden"][0] = d["hidden"][0] + "\ud800"
    with pytest.raises(FormatError, match="not valid Unicode"):
        loads(json.dumps(d), source="f.json")


@pytest.mark.parametrize("where, piece", [("node", "nodes[0]"), ("hidden", "hidden[0]"), ("name", "name"),
                                          ("expr", "exprs[0]")])
def test_from_dict_names_the_place_of_a_lone_surrogate(where, piece):
    from rnnsim.io import from_dict

    d = to_dict(load_example())
    if where == "node":
        d["nodes"][0][0] += "\ud800"
    elif where == "hidden":
        d["hidden"][0] += "\ud800"
    elif where == "name":
        d["name"] += "\ud800"
    else:
        d["exprs"][0][1] += "\ud800"
    with pytest.raises(FormatError, match="not valid Unicode") as ei:
        from_dict(d, source="f.json")               # a dict, not text: no JSON round trip to catch it
    assert piece in str(ei.value)


def test_saving_a_lone_surrogate_name_is_a_format_error(tmp_path):
    b = Builder("s\ud800", tau=1)
    x = b.input("x")
    y = b.node("y", init=1)
    b.update(y, y + x)
    b.output(y)
    b.hidden(y)
    with pytest.raises(FormatError, match="not valid Unicode"):
        rnnsim.save(b.build(), tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()


def test_special_files_are_refused_without_reading(tmp_path):
    import os

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)                           # opening it would block forever
    for p in ("/dev/zero", tmp_path, fifo):
        with pytest.raises(FormatError, match="not a regular file"):
            rnnsim.load(p)


def test_deep_expression_chains_load_and_print():
    n = 30_000                     # far beyond Python's recursion limit
    exprs = [["node", "x"]] + [["relu", i] for i in range(n)]
    d = {**to_dict(load_example()), "name": "deep", "tau": 1, "inputs": ["x"], "output": "y", "hidden": [],
         "nodes": [["y", 0, n]], "exprs": exprs, "meta": {}}
    net = loads(json.dumps(d))
    assert net.depth == n
    s = str(net.transitions["y"])
    assert s.startswith("relu(relu(") and s.endswith("…") and len(s) <= 1001
