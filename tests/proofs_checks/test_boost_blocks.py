"""Lemma 2's table computed per block prefix (``BoostedLM.rows`` / ``.table``) equals the
per-prefix definition (``BoostedLM.__call__``, tabulated by ``LM.from_callable``) entry by
entry: the same numbers bit for bit, the same Python types, the same errors (THEORY §3)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs_checks import boost as pboost
from proofs_checks.advantage import DistTable, random_distinguisher
from proofs_checks.lm import LM
from rnnsim.errors import ConstructionError
from rnnsim.strings import nth_string
from tests.proofs_checks.strategies import instances

FACTORS = st.sampled_from(["fraction", "eta"])


def _old_table(ql, b, N):
    return LM.from_callable(ql, b, N)


def _same_value(x, y) -> bool:
    """Equal, of the same kind (exact vs float), and for floats the same bits (sign of 0 too)."""
    fx, fy = isinstance(x, float), isinstance(y, float)
    if fx != fy:
        return False
    if fx:
        return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)
    return type(x) is type(y) and x == y


def _assert_tables_equal(old: LM, new: LM):
    assert old.exact == new.exact
    for a, c in zip(old.levels, new.levels):
        if old.exact:
            assert (a == c).all()
        else:
            assert np.array_equal(a.view(np.int64), c.view(np.int64))   # bit for bit


def _assert_rows_are_calls(ql, b, N):
    for m in range(N):
        rows = ql.rows(m, 0, b ** m)
        for P in range(b ** m):
            want = ql(nth_string(P, m, b))
            assert all(_same_value(x, y) for x, y in zip(want, rows[P])), (m, P, want, rows[P])


def _build(inst, data, kind, callable_d):
    k = inst.k
    r = data.draw(st.integers(1, k))
    d = inst.d if not callable_d else (lambda j, x, D=inst.d: D(j, x))
    if kind == "fraction":
        kw = dict(factor=Fraction(data.draw(st.integers(1, 19)), 20))
    else:
        kw = dict(eta=data.draw(st.floats(0.05, 2.0)))
    return pboost.boosted_conditional(inst.q, d, k=k, r=r, N=inst.N, **kw), r, kw


@pytest.mark.lemma("Lemma 2")
@settings(max_examples=40, deadline=None)
@given(instances(exact=True, max_docs=81), st.data(), FACTORS, st.booleans())
def test_table_per_block_equals_per_prefix_exact_q(inst, data, kind, callable_d):
    """Exact q with a rational factor (exact sums) or with eta (mixed exact/float: the old
    loop's switch to float at the first u·w term)."""
    ql, _, _ = _build(inst, data, kind, callable_d)
    _assert_tables_equal(_old_table(ql, inst.b, inst.N), ql.table())
    _assert_rows_are_calls(ql, inst.b, inst.N)


@pytest.mark.lemma("Lemma 2")
@settings(max_examples=30, deadline=None)
@given(instances(exact=False, max_docs=81), st.data(), FACTORS, st.booleans())
def test_table_per_block_equals_per_prefix_float_q(inst, data, kind, callable_d):
    ql, _, _ = _build(inst, data, kind, callable_d)
    _assert_tables_equal(_old_table(ql, inst.b, inst.N), ql.table())
    _assert_rows_are_calls(ql, inst.b, inst.N)


@pytest.mark.lemma("Lemma 2")
@settings(max_examples=25, deadline=None)
@given(instances(exact=True, max_docs=64), st.data(), FACTORS)
def test_nested_boosting_table_equals_per_prefix(inst, data, kind):
    """q' of q' (iterated boosting): the inner rows keep the old per-entry types."""
    ql, r, kw = _build(inst, data, kind, False)
    k2 = data.draw(st.integers(1, inst.k))
    r2 = data.draw(st.integers(1, k2))
    d2 = random_distinguisher(inst.b, k2, inst.N, np.random.default_rng(data.draw(st.integers(0, 99))))
    outer = pboost.boosted_conditional(ql, d2, k=k2, r=r2, N=inst.N, **kw)
    _assert_tables_equal(_old_table(outer, inst.b, inst.N), outer.table())
    _assert_rows_are_calls(outer, inst.b, inst.N)


@settings(max_examples=20, deadline=None)
@given(instances(exact=True, max_docs=243, min_N=3), st.data(), FACTORS)
def test_rows_of_any_prefix_range_are_the_slice_of_the_level(inst, data, kind):
    """Shards ask for contiguous prefix ranges: every range gives the slice of the full level."""
    ql, _, _ = _build(inst, data, kind, False)
    b, N = inst.b, inst.N
    m = data.draw(st.integers(0, N - 1))
    lo = data.draw(st.integers(0, b ** m))
    hi = data.draw(st.integers(lo, b ** m))
    full = pboost.boosted_conditional(ql.q, ql.d, k=ql.k, r=ql.r, N=N, factor=ql.w).rows(m, 0, b ** m)
    part = ql.rows(m, lo, hi)
    assert part.shape == (hi - lo, b)
    assert all(_same_value(x, y) for x, y in zip(full[lo:hi].reshape(-1), part.reshape(-1)))


def test_mixed_rows_with_and_without_a_leading_d_equal_one():
    """Exact q, float factor: block prefixes whose first string has d = 1 take the float
    running sum; the others replay the loop (exact partial sums until the first u·w)."""
    rng = np.random.default_rng(5)
    b, N, k, r = 2, 7, 3, 1
    # ~31-bit numerators and denominators: products of k of them exceed 2^53, so float(u)
    # must be rounded once from the exact product (as Fraction·float does), not per factor
    q = LM.from_weights([rng.integers(2 ** 30, 2 ** 31, size=b ** (m + 1)) for m in range(N)], b)
    tables = []
    for j in range(1, N - k + 2):
        t = rng.integers(0, 2, size=b ** (j - 1 + k)).astype(np.int8)
        t.reshape(-1, b ** k)[::2, 0] = 1            # half the block prefixes: d(s_0) = 1
        t.reshape(-1, b ** k)[1::2, 0] = 0
        tables.append(t)
    d = DistTable(tables, b, k, N)
    ql = pboost.boosted_conditional(q, d, k=k, r=r, N=N, eta=0.37)
    _assert_tables_equal(_old_table(ql, b, N), ql.table())
    _assert_rows_are_calls(ql, b, N)
    # the two kinds of rows really differ in type before the final conversion
    kinds = {type(v) for v in ql.rows(3, 0, b ** 3).reshape(-1)}
    assert float in kinds


def test_zero_denominator_is_the_same_error_at_the_same_prefix():
    q = LM.from_weights([[1, 1], [[1, 0], [1, 1]], [[1, 1]] * 4, [[1, 1]] * 8], 2)
    d = random_distinguisher(2, 2, 4, np.random.default_rng(0))
    for kw in (dict(eta=1.0), dict(factor=Fraction(1, 2))):
        old_ql = pboost.boosted_conditional(q, d, k=2, r=2, N=4, **kw)
        new_ql = pboost.boosted_conditional(q, d, k=2, r=2, N=4, **kw)
        with pytest.raises(ZeroDivisionError) as old:
            _old_table(old_ql, 2, 4)
        with pytest.raises(ZeroDivisionError) as new:
            new_ql.table()
        assert type(old.value) is type(new.value)
        assert str(old.value) == str(new.value) and "probability 0" in str(new.value)


def test_bad_distinguisher_value_is_the_same_error():
    q = LM.uniform(2, 4)

    def d(j, x):
        return 2 if (j == 2 and tuple(x[:j + 1]) == (1, 0, 1)) else 0
    old_ql = pboost.boosted_conditional(q, d, k=2, r=2, N=4, factor=Fraction(1, 2))
    new_ql = pboost.boosted_conditional(q, d, k=2, r=2, N=4, factor=Fraction(1, 2))
    with pytest.raises(ValueError) as old:
        _old_table(old_ql, 2, 4)
    with pytest.raises(ValueError) as new:
        new_ql.table()
    assert type(old.value) is type(new.value) is ConstructionError
    assert str(old.value) == str(new.value) == "d(2, (1, 0, 1)) = 2 is not 0 or 1"


def test_rows_rejects_ranges_outside_the_level():
    ql = pboost.boosted_conditional(LM.uniform(2, 3), lambda j, x: 0, k=1, r=1, N=3, factor=Fraction(1, 2))
    with pytest.raises(ValueError, match="rows"):
        ql.rows(3, 0, 1)
    with pytest.raises(ValueError, match="rows"):
        ql.rows(1, 0, 3)


def test_errors_come_in_the_order_of_the_per_prefix_loop():
    """A zero denominator at ℓ = 0 for an earlier block prefix wins over a bad d value at a
    later one (the old loop meets it first); an unnormalized callable q makes both possible."""
    def q(prefix):
        return (0, 0) if tuple(prefix) == (0,) else (Fraction(1, 2), Fraction(1, 2))

    def d(j, x):
        return 5 if x[0] == 1 else 0
    for kw in (dict(eta=0.5), dict(factor=Fraction(1, 3))):
        old_ql = pboost.boosted_conditional(q, d, k=2, r=2, N=3, **kw)
        new_ql = pboost.boosted_conditional(q, d, k=2, r=2, N=3, **kw)
        with pytest.raises(ZeroDivisionError) as old:
            _old_table(old_ql, 2, 3)
        with pytest.raises(ZeroDivisionError) as new:
            new_ql.table()
        assert str(old.value) == str(new.value)
