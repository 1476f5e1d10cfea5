"""Saving/loading (THEORY §6: exact constants round-trip; shared subexpressions stored once)
and GraphML/DOT export."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import networkx as nx
import numpy as np

import rnnsim
from rnnsim import Builder, Fixed, Node, recip, relu, simulate
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
