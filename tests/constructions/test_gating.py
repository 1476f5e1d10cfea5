"""Gated LOAD/RUN/HOLD updates (Lemma 10, THEORY §4.2).

For random networks R and random control schedules, the augmented network's copy of every
node of R follows, at every step, a direct Python simulation of "LOAD z_u / RUN f_u one step
/ HOLD"; gating an already gated network merges the controls (depth constant over rounds);
the claimed size |R| + |C| − |I_C| equals the built count."""

from __future__ import annotations

import itertools
from fractions import Fraction

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import rnnsim
from rnnsim import Builder, Node
from constructions import gadgets as G
from constructions import gating
from tests.constructions.controls import CTRL, input_control, schedule_control
from tests.strategies import expressions, networks, rationals

pytestmark = pytest.mark.lemma("Lemma 10")

def python_gated_run(rnn, aug, tokens, sources):
    """Simulate Lemma 10 directly: the controls are read from the augmented network's trace
    (and checked one-hot); R's state is advanced in Python: LOAD z_u, RUN f_u or HOLD."""
    tr = rnnsim.simulate(aug, tokens, "exact", engine="reference", record="all")
    T = len(tokens) * rnn.tau
    state = {u: rnn.init[u] for u in rnn.nodes if u not in rnn.inputs}
    ctl_names = {c: f"ctl.{c}" for c in CTRL}
    mismatches = []
    for t in range(T):
        tok = tokens[t // rnn.tau]
        if rnn.input_encoding == "value":
            env_in = {rnn.inputs[0]: tok}
        else:
            env_in = {name: int(s == tok) for s, name in enumerate(rnn.inputs)}
        ctl = {c: tr.value(n, t) for c, n in ctl_names.items()}
        assert sorted(ctl.values()) == [0, 0, 1], f"controls not one-hot at time {t}: {ctl}"
        env = {**state, **env_in}
        aug_env = {n: tr.value(n, t) for n in aug.nodes}
        new = {}
        for u in state:
            if ctl["load"]:
                new[u] = rnnsim.as_expr(sources[u]).substitute(
                    {k: Node(f"ctl.{k}") for k in ("c",) + CTRL}).evaluate(aug_env, rnnsim.EXACT)
            elif ctl["run"]:
                new[u] = rnn.transitions[u].evaluate(env, rnnsim.EXACT)
            else:
                new[u] = state[u]
        state = new
        for u, v in state.items():
            if tr.value(u, t + 1) != v:
                mismatches.append((t + 1, u, v, tr.value(u, t + 1)))
    return mismatches, tr


@st.composite
def gating_cases(draw):
    rnn = draw(networks(recip=False, max_nodes=4))
    N = draw(st.integers(1, 5))
    T = N * rnn.tau
    schedule = "".join(draw(st.lists(st.sampled_from("LRH"), min_size=T + 1, max_size=T + 1)))
    tokens = draw(st.lists(st.integers(0, rnn.alphabet - 1), min_size=N, max_size=N))
    sources = {u: draw(rationals(-2, 2, nonzero=True)) * Node("c") + draw(rationals(-3, 3))
               for u in rnn.nodes if u not in rnn.inputs}
    return rnn, schedule, tokens, sources


@settings(max_examples=60)
@given(gating_cases())
def test_gated_nodes_follow_load_run_hold_for_random_schedules(case):
    rnn, schedule, tokens, sources = case
    ctl = schedule_control(schedule, rnn.alphabet, rnn.input_encoding == "onehot")
    aug, claimed = gating.augment(rnn, ctl, sources=sources)
    mism, tr = python_gated_run(rnn, aug, tokens, sources)
    assert mism == []
    # the controls realize the schedule
    for t in range(len(tokens) * rnn.tau):
        assert [tr.value(f"ctl.{c}", t) for c in CTRL] == [int(schedule[t] == l) for l in "LRH"]
    assert claimed == aug.size == rnn.size + ctl.size - len(ctl.inputs)


@settings(max_examples=30)
@given(networks(recip=False, max_nodes=4), st.data())
def test_gated_nodes_follow_a_data_dependent_control(rnn, data):
    N = data.draw(st.integers(1, 5))
    tokens = data.draw(st.lists(st.integers(0, rnn.alphabet - 1), min_size=N, max_size=N))
    sources = {u: data.draw(rationals()) for u in rnn.nodes if u not in rnn.inputs}
    ctl = input_control(rnn.alphabet, rnn.input_encoding == "onehot")
    aug, claimed = gating.augment(rnn, ctl, sources=sources)
    assert python_gated_run(rnn, aug, tokens, sources)[0] == []
    assert claimed == aug.size


@settings(max_examples=30)
@given(gating_cases(), st.data())
def test_regating_merges_controls_and_keeps_lemma10_semantics(case, data):
    rnn, schedule, tokens, sources = case
    onehot = rnn.input_encoding == "onehot"
    aug1, _ = gating.augment(rnn, schedule_control(schedule, rnn.alphabet, onehot), sources=sources)
    sched2 = "".join(data.draw(st.lists(st.sampled_from("LRH"), min_size=len(schedule), max_size=len(schedule))))
    ctl2 = schedule_control(sched2, rnn.alphabet, onehot, name="sched2")
    # the first round's controls are declared Boolean (merging relies on it): load them with
    # 0/1 — the second control's own run/load node, which is 0/1 at a LOAD step; other nodes
    # get a non-constant source (constant sources are covered by the test below)
    bools = set(aug1.boolean_nodes)
    src2 = {u: (Node(data.draw(st.sampled_from(["load", "run"]))) if u in bools else
                data.draw(rationals(-2, 2, nonzero=True)) * Node("c") + data.draw(rationals()))
            for u in aug1.nodes if u not in aug1.inputs}
    aug2, claimed2 = gating.augment(aug1, ctl2, sources=src2, prefix="ctl2")
    assert claimed2 == aug2.size == aug1.size + ctl2.size - len(ctl2.inputs)
    # Lemma 10 with R := aug1 (whose own controls are now gated too) and the second control
    mism = _check_second_round(aug1, aug2, tokens, src2)
    assert mism == []
    # merged, not nested: a node's depth stays ≤ max(depth f_u, 1) + 1 over every later gating
    aug3, _ = gating.augment(aug2, schedule_control(sched2, rnn.alphabet, onehot, name="s3"),
                             sources={u: Node("c") for u in aug2.nodes if u not in aug2.inputs}, prefix="ctl3")
    d1, d2, d3 = aug1.node_depths(), aug2.node_depths(), aug3.node_depths()
    for u in rnn.nodes:
        if u not in rnn.inputs:
            bound = max(rnn.transitions[u].depth(), 1) + 1
            assert d1[u] <= bound and d2[u] <= bound and d3[u] <= bound, u
    for u in aug1.nodes:
        if u not in aug1.inputs:
            bound = max(aug1.transitions[u].depth(), 1) + 1
            assert d2[u] <= bound and d3[u] <= bound, u


def test_regating_with_a_constant_load_source_keeps_depth():
    ctl = {"r1", "h1", "l1", "r2", "h2", "l2", "r3", "h3", "l3"}
    g1 = gating.gate(G.ge(Node("a"), 2), "u", run="r1", hold="h1", load="l1", source=5, controls=ctl)
    g2 = gating.gate(g1, "u", run="r2", hold="h2", load="l2", source=3, controls=ctl)
    g3 = gating.gate(g2, "u", run="r3", hold="h3", load="l3", source=7, controls=ctl)
    assert g3.depth() == g2.depth() == g1.depth() == 2


def _check_second_round(r1, r2, tokens, sources):
    """Lemma 10 for R = r1 gated by the 'ctl2.' controls of r2."""
    tr = rnnsim.simulate(r2, tokens, "exact", engine="reference", record="all")
    state = {u: r1.init[u] for u in r1.nodes if u not in r1.inputs}
    bad = []
    for t in range(len(tokens) * r1.tau):
        tok = tokens[t // r1.tau]
        env_in = ({r1.inputs[0]: tok} if r1.input_encoding == "value"
                  else {n: int(s == tok) for s, n in enumerate(r1.inputs)})
        ctl = {c: tr.value(f"ctl2.{c}", t) for c in CTRL}
        assert sorted(ctl.values()) == [0, 0, 1]
        env = {**state, **env_in}
        aug_env = {n: tr.value(n, t) for n in r2.nodes}
        src = {u: rnnsim.as_expr(e).substitute({k: Node(f"ctl2.{k}") for k in ("c",) + CTRL})
               .evaluate(aug_env, rnnsim.EXACT) for u, e in sources.items()}
        state = {u: (src[u] if ctl["load"] else
                     r1.transitions[u].evaluate(env, rnnsim.EXACT) if ctl["run"] else state[u])
                 for u in state}
        bad += [(t + 1, u) for u, v in state.items() if tr.value(u, t + 1) != v]
    return bad


# ---- the gate expression itself ------------------------------------------------------------------

@settings(max_examples=100)
@given(st.data())
def test_gate_expression_selects_the_branch_of_the_one_hot_control(data):
    leaves = ["a", "b", "u"]
    f = data.draw(expressions(leaves, 2, recip=False))
    z = data.draw(expressions(leaves, 1, recip=False))
    g = gating.gate(f, "u", run="r", hold="h", load="l", source=z, controls={"r", "h", "l"})
    env = {n: data.draw(rationals()) for n in leaves}
    for which in CTRL:
        ctl = {"l": int(which == "load"), "r": int(which == "run"), "h": int(which == "hold")}
        want = {"load": z, "run": f, "hold": Node("u")}[which].evaluate(env, rnnsim.EXACT)
        assert g.evaluate({**env, **ctl}, rnnsim.EXACT) == want
    assert g.depth() <= max(f.depth(), z.depth(), 1) + 1


def test_gating_a_gated_expression_merges_controls():
    f = G.ge(Node("a"), 2) + Node("u")            # depth 1
    inner = gating.gate(f, "u", run="r1", hold="h1", controls={"r1", "h1"})
    outer = gating.gate(inner, "u", run="r2", hold="h2", controls={"r1", "h1", "r2", "h2"})
    assert outer.depth() == inner.depth() == 2
    for a, u, r1, r2 in itertools.product(range(4), (Fraction(1, 3), 5), (0, 1), (0, 1)):
        env = {"a": a, "u": u, "r1": r1, "h1": 1 - r1, "r2": r2, "h2": 1 - r2}
        inner_v = f.evaluate(env, rnnsim.EXACT) if r1 else u
        assert outer.evaluate(env, rnnsim.EXACT) == (inner_v if r2 else u)


def test_gate_nodes_requires_boolean_controls():
    b = Builder("g")
    b.input("x")
    b.node("r", update=Node("x"))
    b.node("u", update=Node("u") + 1)
    with pytest.raises(rnnsim.NetworkError):
        gating.gate_nodes(b, ["u"], run="r", hold="r")


def test_load_without_source_is_an_error():
    with pytest.raises(rnnsim.NetworkError):
        gating.gate(Node("u") + 1, "u", run="r", hold="h", load="l")


@settings(max_examples=150, deadline=None)
@given(data=st.data(), rounds=st.integers(0, 3), load=st.booleans())
def test_gated_depth_is_the_depth_of_the_gated_transition(data, rounds, load):
    """gating.gated_depth (the closed form behind the claimed depths of the enumeration,
    boost and augment) equals the depth of the expression :func:`gating.gate` builds, for
    random transitions over Boolean and other nodes, gated 0–3 times before (merged
    AND(C)·body forms, constant bodies included) and constant or non-constant LOAD sources."""
    f = data.draw(expressions(["a", "b", "p", "q"], data.draw(st.integers(0, 2))))
    sources = st.sampled_from([rnnsim.Const(0), rnnsim.Const(2), Node("z"), Node("z") + Node("a")])
    controls: set[str] = {"p", "q"}  # Boolean nodes of R: f = p, 2p + q, … is already "gated"
    for i in range(rounds):          # earlier gatings: f becomes Σ AND(C_g)·body_g
        ld = data.draw(st.booleans())
        f = gating.gate(f, "u", run=f"r{i}", hold=f"h{i}", load=f"l{i}" if ld else None,
                        source=data.draw(sources) if ld else None, controls=controls | {f"r{i}", f"h{i}", f"l{i}"})
        controls |= {f"r{i}", f"h{i}", f"l{i}"}
    source = data.draw(sources)
    built = gating.gate(f, "u", run="run", hold="hold", load="ld" if load else None,
                        source=source if load else None, controls=controls | {"run", "hold", "ld"})
    assert gating.gated_depth(f, load=load, source=source, controls=controls) == built.depth()
