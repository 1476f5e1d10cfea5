"""Transition gadgets (Lemma 18, THEORY §4.1): exhaustive on their integer domains, random
beyond, in exact, float64 and Fixed arithmetic; depth constant as inputs/digits grow."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import rnnsim
from rnnsim import Builder, Node
from constructions import gadgets as G

pytestmark = pytest.mark.lemma("Lemma 18")

ARITHS = {"exact": rnnsim.EXACT, "float64": rnnsim.FLOAT64, "fixed": rnnsim.Fixed(20, 6)}


def ev(expr, env, arith):
    """Evaluate an expression; the result converted to an exact number for comparison."""
    a = ARITHS[arith] if isinstance(arith, str) else arith
    conv = {k: a.const(v) for k, v in env.items()}
    v = rnnsim.as_expr(expr).evaluate(conv, a)
    return Fraction(v)


X, C = Node("x"), Node("c")


# ---- indicators --------------------------------------------------------------------------------

@pytest.mark.parametrize("arith", sorted(ARITHS))
def test_indicators_exhaustive_on_integers(arith):
    for c in range(-5, 6):
        for x in range(-9, 10):
            env = {"x": x}
            assert ev(G.ge(X, c), env, arith) == (x >= c)
            assert ev(G.le(X, c), env, arith) == (x <= c)
            assert ev(G.eq(X, c), env, arith) == (x == c)
            for hi in range(c, c + 3):
                assert ev(G.between(X, c, hi), env, arith) == (c <= x <= hi)


@pytest.mark.parametrize("arith", sorted(ARITHS))
def test_indicators_with_node_threshold_exhaustive(arith):
    # the threshold may itself be an expression (a node): ge(x, c) with both on the grid
    for x, c in itertools.product(range(-6, 7), repeat=2):
        env = {"x": x, "c": c}
        assert ev(G.ge(X, C), env, arith) == (x >= c)
        assert ev(G.eq(X, C), env, arith) == (x == c)


@pytest.mark.parametrize("arith", sorted(ARITHS))
def test_indicators_on_a_dyadic_grid(arith):
    eps = Fraction(1, 8)
    for n in range(-20, 21):
        for m in (-3, 0, 5):
            x, c = n * eps, m * eps
            env = {"x": x}
            assert ev(G.ge(X, c, eps), env, arith) == (x >= c)
            assert ev(G.le(X, c, eps), env, arith) == (x <= c)
            assert ev(G.eq(X, c, eps), env, arith) == (x == c)


def test_eq_hat_equals_ge_times_le_on_the_grid():
    for x, c in itertools.product(range(-5, 6), repeat=2):
        env = {"x": x}
        assert ev(G.eq(X, c), env, "exact") == ev(G.ge(X, c) * G.le(X, c), env, "exact")


@settings(max_examples=200)
@given(st.integers(-10 ** 6, 10 ** 6), st.integers(-10 ** 6, 10 ** 6), st.integers(0, 4),
       st.sampled_from(sorted(ARITHS)))
def test_indicators_hold_for_large_values_on_dyadic_grids(n, m, s, arith):
    eps = Fraction(1, 2 ** s)
    x, c = n * eps, m * eps
    env = {"x": x}
    assert ev(G.ge(X, c, eps), env, arith) == (x >= c)
    assert ev(G.le(X, c, eps), env, arith) == (x <= c)
    assert ev(G.eq(X, c, eps), env, arith) == (x == c)


@settings(max_examples=100)
@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(1, 9))
def test_indicators_exact_on_non_dyadic_grids(n, m, den):
    eps = Fraction(1, den)
    env = {"x": n * eps}
    assert ev(G.ge(X, m * eps, eps), env, "exact") == (n >= m)
    assert ev(G.eq(X, m * eps, eps), env, "exact") == (n == m)


@pytest.mark.parametrize("n_terms", [1, 2, 8, 64])
def test_indicator_depth_is_one_whatever_the_argument_size(n_terms):
    s = sum((Node(f"v{i}") for i in range(n_terms)), start=rnnsim.Const(0))
    for g in (G.ge(s, 3), G.le(s, 3), G.eq(s, 3), G.between(s, 1, 4)):
        assert g.depth() == 1


# ---- if-then-else ---------------------------------------------------------------------------------

@pytest.mark.parametrize("arith", sorted(ARITHS))
def test_ite_exhaustive_small_integers(arith):
    for b, a, c in itertools.product((0, 1), range(-4, 5), range(-4, 5)):
        assert ev(G.ite(Node("b"), Node("a"), Node("c")), {"b": b, "a": a, "c": c}, arith) == (a if b else c)


@settings(max_examples=200)
@given(st.integers(0, 1), st.integers(-10 ** 5, 10 ** 5), st.integers(-10 ** 5, 10 ** 5),
       st.integers(0, 6), st.sampled_from(sorted(ARITHS)))
def test_ite_selects_on_dyadic_values(b, na, nc, s, arith):
    a, c = Fraction(na, 2 ** s), Fraction(nc, 2 ** s)
    assert ev(G.ite(Node("b"), Node("a"), Node("c")), {"b": b, "a": a, "c": c}, arith) == (a if b else c)


def test_ite_adds_one_level_of_depth():
    body = G.ge(X, 2)
    assert G.ite(Node("b"), body, Node("c")).depth() == body.depth() + 1


# ---- Boolean logic ----------------------------------------------------------------------------------

@pytest.mark.parametrize("arith", sorted(ARITHS))
@pytest.mark.parametrize("m", [0, 1, 2, 3, 5, 7])
def test_and_or_not_exhaustive(m, arith):
    vs = [Node(f"b{i}") for i in range(m)]
    for bits in itertools.product((0, 1), repeat=m):
        env = {f"b{i}": v for i, v in enumerate(bits)}
        assert ev(G.AND(*vs), env, arith) == all(bits)
        assert ev(G.OR(*vs), env, arith) == any(bits)
        if m:
            assert ev(G.NOT(vs[0]), env, arith) == 1 - bits[0]


@settings(max_examples=100)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=60))
def test_and_or_of_many_bits(bits):
    vs = [Node(f"b{i}") for i in range(len(bits))]
    env = {f"b{i}": v for i, v in enumerate(bits)}
    for arith in ARITHS:
        assert ev(G.AND(vs), env, arith) == all(bits)
        assert ev(G.OR(vs), env, arith) == any(bits)


@pytest.mark.parametrize("m", [2, 4, 16, 128])
def test_and_or_depth_is_one_whatever_the_number_of_inputs(m):
    vs = [Node(f"b{i}") for i in range(m)]
    assert G.AND(*vs).depth() == 1
    assert G.OR(*vs).depth() == 1
    assert G.NOT(vs[0]).depth() == 0


# ---- counter increment -----------------------------------------------------------------------------

def digits_of(n, base, d):
    return [(n // base ** (d - 1 - i)) % base for i in range(d)]


@pytest.mark.parametrize("base,d", [(2, 1), (2, 2), (2, 3), (2, 5), (3, 1), (3, 3), (4, 2), (10, 2)])
@pytest.mark.parametrize("arith", sorted(ARITHS))
def test_increment_exhaustive_over_all_counter_values(base, d, arith):
    names = [Node(f"e{i}") for i in range(d)]
    nxt = G.increment(names, base)
    nxt_en = G.increment(names, base, enable=Node("en"))
    for n in range(base ** d):
        env = {f"e{i}": v for i, v in enumerate(digits_of(n, base, d))}
        assert [ev(e, env, arith) for e in nxt] == digits_of((n + 1) % base ** d, base, d)
        for en in (0, 1):
            got = [ev(e, {**env, "en": en}, arith) for e in nxt_en]
            assert got == digits_of((n + en) % base ** d, base, d)


@settings(max_examples=100)
@given(st.integers(2, 5), st.integers(1, 30), st.data())
def test_increment_on_long_counters(base, d, data):
    n = data.draw(st.integers(0, base ** d - 1))
    names = [Node(f"e{i}") for i in range(d)]
    env = {f"e{i}": v for i, v in enumerate(digits_of(n, base, d))}
    for arith in ARITHS:
        assert [ev(e, env, arith) for e in G.increment(names, base)] == digits_of((n + 1) % base ** d, base, d)


@pytest.mark.parametrize("base", [2, 3, 7])
def test_increment_depth_is_one_for_every_number_of_digits(base):
    depths = set()
    for d in (1, 2, 4, 8, 16, 32):
        names = [Node(f"e{i}") for i in range(d)]
        depths |= {e.depth() for e in G.increment(names, base)}
        depths |= {e.depth() for e in G.increment(names, base, enable=Node("en"))}
    assert depths == {1}


@pytest.mark.parametrize("arith", sorted(ARITHS))
def test_inc_mod_exhaustive(arith):
    for m in range(1, 13):
        for c in range(m):
            assert ev(G.inc_mod(C, m), {"c": c}, arith) == (c + 1) % m
            for en in (0, 1):
                assert ev(G.inc_mod(C, m, enable=Node("en")), {"c": c, "en": en}, arith) == (c + en) % m
    assert max(G.inc_mod(C, m, enable=Node("en")).depth() for m in range(1, 200)) == 1


@pytest.mark.parametrize("arith", ["exact", "float64", rnnsim.Fixed(6, 0), rnnsim.Fixed(4, 3)])
def test_counter_network_built_from_gadgets_counts_steps(arith):
    """A 3-digit base-3 counter and a mod-5 counter run in the simulator: after t steps they
    hold t mod 27 and t mod 5, in every arithmetic (no overflow in the small Fixed format)."""
    b = Builder("cnt", tau=1)
    x = b.input("x")
    es = [b.node(f"e{i}", init=0) for i in range(3)]
    for e, new in zip(es, G.increment(es, 3)):
        b.update(e, new)
    c = b.node("c", init=0)
    b.update(c, G.inc_mod(c, 5))
    o = b.node("o", update=x)
    b.output(o)
    net = b.build()
    tr = rnnsim.simulate(net, [0] * 40, arith, engine="reference", record="all")
    for i, t in enumerate(tr.times):
        assert [tr.values[f"e{j}"][i] for j in range(3)] == digits_of(t % 27, 3, 3)
        assert tr.values["c"][i] == t % 5


# ---- exp on binary input --------------------------------------------------------------------------------

@pytest.mark.parametrize("factor", [Fraction(1, 3), Fraction(5, 2), 1, Fraction(1, 1024)])
def test_exp_binary_exact_factor(factor):
    e = G.exp_binary(Node("z"), factor=factor)
    assert e.depth() == 0
    assert ev(e, {"z": 0}, "exact") == 1
    assert ev(e, {"z": 1}, "exact") == factor
    assert abs(ev(e, {"z": 1}, "float64") - factor) <= Fraction(1, 2 ** 50) * factor
    fx = rnnsim.Fixed(4, 12)
    got = ev(e, {"z": 1}, fx)
    if factor == fx.quantize(factor):               # on the grid: exact
        assert got == factor
    else:                                           # Q of the weight e^λ − 1, then Q of the sum
        assert abs(got - factor) <= Fraction(2, fx.scale)


@settings(max_examples=50)
@given(st.floats(-5, 5, allow_nan=False))
def test_exp_binary_from_lambda_is_the_double_nearest_exp(lam):
    e = G.exp_binary(Node("z"), lam)
    assert ev(e, {"z": 1}, "exact") == Fraction(math.exp(lam))
    assert ev(e, {"z": 0}, "exact") == 1
    assert abs(float(ev(e, {"z": 1}, "float64")) - math.exp(lam)) <= 1e-12 * math.exp(lam)


def test_exp_binary_needs_exactly_one_parameter():
    with pytest.raises(ValueError):
        G.exp_binary(Node("z"))
    with pytest.raises(ValueError):
        G.exp_binary(Node("z"), 1.0, factor=2)
