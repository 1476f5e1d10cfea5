"""Weighted sums of expressions (THEORY §2.2: Affine combinations with constant weights are
the free glue of transition functions).

Statement: ``_affine_sum(pairs, c0)`` is Σ w·e + c0 over (expression, weight) pairs with
nested Affine sums flattened, constants folded into the offset, equal expressions merged
(weights added exactly; a merged weight 0 drops the term), terms in order of first
appearance; a sum with no terms is a Const and a single term of weight 1 with offset 0 is
that term itself. Every weight and constant stays exact (int or Fraction; ints stay ints).
The operators of :class:`rnnsim.expr.Expr` and :func:`affine` build every sum through it.
"""

from __future__ import annotations

from fractions import Fraction

from .expr import Affine, Const, Expr, Node, Number, as_expr, exact

__all__ = ["affine"]


def affine(terms, const=0) -> Expr:
    """Σ w·e + const from an iterable of (expr, weight) pairs."""
    return _affine_sum([(as_expr(e), w) for e, w in terms] + [(Const(const), 1)])


def _affine_sum(pairs, c0=0) -> Expr:
    """Flatten and merge a weighted sum (plus the constant ``c0``, an int or Fraction); keep
    term order of first appearance. Weights and constants are exact (:func:`exact`) at every
    step; the int and Fraction cases are inlined (no Fraction arithmetic where an operand is
    0 or the weight is 1), since building a big network calls this hundreds of thousands of
    times."""
    acc: dict[Expr, Number] = {}
    c: Number = c0 if type(c0) is int else exact(c0)
    for e, w in pairs:
        tw = type(w)
        if tw is Fraction:
            if w.denominator == 1:
                w = w.numerator
        elif tw is not int:
            w = exact(w)
        one = w == 1 if type(w) is int else False
        te = type(e)
        if te is Const or (te is not Node and te is not Affine and isinstance(e, Const)):
            v = e.value if one else _mul(w, e.value)
            c = v if (type(c) is int and c == 0) else _add(c, v)
        elif te is Affine or (te is not Node and isinstance(e, Affine)):
            if one and not acc:
                acc = dict(e.terms)     # (a well-formed Affine lists each expression once)
                if len(acc) == len(e.terms):
                    if e.const:
                        c = _add(c, e.const)
                    continue
                acc = {}
            get = acc.get
            if one:
                for ee, ww in e.terms:
                    prev = get(ee)
                    acc[ee] = ww if prev is None else _add(prev, ww)
            else:
                for ee, ww in e.terms:
                    x = _mul(w, ww)
                    prev = get(ee)
                    acc[ee] = x if prev is None else _add(prev, x)
            if e.const:
                c = _add(c, e.const if one else _mul(w, e.const))
        else:
            prev = acc.get(e)
            acc[e] = w if prev is None else _add(prev, w)
    # a merged weight 0 is the int 0 (exact() never leaves a Fraction equal to an int)
    terms = tuple([(e, w) for e, w in acc.items() if type(w) is not int or w != 0])
    if not terms:
        return Const._exact(c)
    if len(terms) == 1 and c == 0 and terms[0][1] == 1:
        return terms[0][0]
    return Affine._exact(terms, c)


def _add(x: Number, y: Number) -> Number:
    """exact(x + y) for exact x, y."""
    if type(x) is int and type(y) is int:
        return x + y
    return exact(x + y)


def _mul(x: Number, y: Number) -> Number:
    """exact(x · y) for exact x, y."""
    if type(x) is int and type(y) is int:
        return x * y
    return exact(x * y)
