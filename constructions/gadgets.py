"""Transition gadgets (paper: Lemma 18; THEORY §4.1).

Lemma 18 (project form). For inputs on a grid of spacing ε (ε = 1 for integer-valued
counters, digits and tokens) the following are expressions of *constant depth* (a
constant number of ReLU/Prod/Recip on any path, independent of the number of inputs or
digits), exact in ``exact`` and in every ``Fixed`` format whose grid contains the inputs:

* ge(x, c) = 1[x ≥ c] = ReLU((x−c)/ε + 1) − ReLU((x−c)/ε)                  depth 1
* le(x, c) = 1[x ≤ c] = ge(−x, −c)                                            depth 1
* eq(x, c) = 1[x = c] = ReLU(u+1) − 2·ReLU(u) + ReLU(u−1), u = (x−c)/ε        depth 1
  (the "hat" function; on the grid it equals ge·le, the form of docs/THEORY.md, without a Prod)
* between(x, lo, hi) = 1[lo ≤ x ≤ hi] = ge(x, lo) + le(x, hi) − 1             depth 1
* ite(b, a, c) = b·a + (1−b)·c = b·(a − c) + c for b ∈ {0, 1}                 depth +1
* AND(a_1..a_m) = ReLU(Σa − (m−1)), OR = 1 − ReLU(1 − Σa), NOT a = 1 − a on {0,1}
* increment of a d-digit base-b counter e_0 … e_{d−1} (e_0 most significant, wrapping
  from all b−1 to all 0): e_i' = e_i + ge(Σ_{j>i} e_j, (d−1−i)(b−1))
  − b·ge(Σ_{j≥i} e_j, (d−i)(b−1))                                             depth 1
  (the carry into digit i is "every lower digit is b−1"; digit i wraps when it is b−1 too)
* inc_mod(c, m) = (c + 1) mod m = c + 1 − m·ge(c, m−1)                       depth 1
* exp on binary input: e^{λz} = 1 + (e^λ − 1)·z for z ∈ {0, 1}                depth 0

Every gadget takes and returns :class:`rnnsim.Expr` (ints/Fractions are accepted and
constant-folded), so gadgets compose with the operators of the expression IR.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

from rnnsim import Const, ConstructionError, Expr, affine, as_expr, relu
from rnnsim.registry import realizes

_STMT = "indicators, if-then-else, Boolean logic, counter increment and exp on binary input are constant-depth transition functions"


@realizes("Lemma 18", _STMT, bound="depth ≤ 1 (ite: +1)")
def ge(x, c, eps=1) -> Expr:
    """1[x ≥ c] for x on the grid c + εℤ."""
    u = (as_expr(x) - c) / eps
    return relu(u + 1) - relu(u)


@realizes("Lemma 18", _STMT)
def le(x, c, eps=1) -> Expr:
    """1[x ≤ c] for x on the grid c + εℤ."""
    u = (c - as_expr(x)) / eps
    return relu(u + 1) - relu(u)


@realizes("Lemma 18", _STMT)
def eq(x, c, eps=1) -> Expr:
    """1[x = c] for x on the grid c + εℤ (hat function; equals ge·le on the grid)."""
    u = (as_expr(x) - c) / eps
    return relu(u + 1) - 2 * relu(u) + relu(u - 1)


@realizes("Lemma 18", _STMT)
def between(x, lo, hi, eps=1) -> Expr:
    """1[lo ≤ x ≤ hi] for x on the grid (lo ≤ hi, both on the grid)."""
    return ge(x, lo, eps) + le(x, hi, eps) - 1


@realizes("Lemma 18", _STMT)
def ite(b, a, c) -> Expr:
    """if b then a else c, for b ∈ {0, 1}: b·(a − c) + c."""
    b, a, c = as_expr(b), as_expr(a), as_expr(c)
    return b * (a - c) + c


@realizes("Lemma 18", _STMT)
def AND(*bits) -> Expr:
    """Conjunction of 0/1 values: ReLU(Σ bits − (m − 1)); a single bit is returned as is."""
    bits = _flatten(bits)
    if not bits:
        return Const(1)
    if len(bits) == 1:
        return as_expr(bits[0])
    return relu(affine([(b_, 1) for b_ in bits], -(len(bits) - 1)))


@realizes("Lemma 18", _STMT)
def OR(*bits) -> Expr:
    """Disjunction of 0/1 values: 1 − ReLU(1 − Σ bits)."""
    bits = _flatten(bits)
    if not bits:
        return Const(0)
    if len(bits) == 1:
        return as_expr(bits[0])
    return 1 - relu(1 - affine([(b_, 1) for b_ in bits]))


@realizes("Lemma 18", _STMT)
def NOT(bit) -> Expr:
    return 1 - as_expr(bit)


@realizes("Lemma 18", _STMT)
def increment(digits: Sequence, base: int = 2, enable=None) -> list[Expr]:
    """Next value of a d-digit base-``base`` counter (most significant digit first).

    With ``enable`` (an expression on {0, 1}) the counter advances only when enable = 1.
    Every new digit is a depth-1 expression of all digits, whatever d is.
    """
    ds = [as_expr(d) for d in digits]
    d = len(ds)
    top = base - 1
    en = [] if enable is None else [(as_expr(enable), 1)]
    extra = 0 if enable is None else 1
    out = []
    for i in range(d):
        lower = [(e, 1) for e in ds[i + 1:]] + en
        carry = ge(affine(lower), (d - 1 - i) * top + extra)
        wrap = ge(affine([(ds[i], 1)] + lower), (d - i) * top + extra)
        out.append(ds[i] + carry - base * wrap)
    return out


@realizes("Lemma 18", _STMT)
def inc_mod(c, m: int, enable=None) -> Expr:
    """(c + 1) mod m for an integer c ∈ [0, m); with ``enable`` ∈ {0,1}: advance only if 1."""
    c = as_expr(c)
    if m == 1:
        return Const(0)
    if enable is None:
        return c + 1 - m * ge(c, m - 1)
    en = as_expr(enable)
    return c + en - m * ge(c + en, m)


@realizes("Lemma 18", _STMT)
def exp_binary(z, lam=None, *, factor=None) -> Expr:
    """e^{λz} = 1 + (e^λ − 1)·z for z ∈ {0, 1}.

    ``factor`` gives e^λ exactly (an int/Fraction), for exact arithmetic; otherwise e^λ is
    the double nearest to it (converted exactly).
    """
    if (lam is None) == (factor is None):
        raise ConstructionError("exp_binary: give exactly one of lam (λ) or factor (= e^λ)")
    f = Fraction(factor) if factor is not None else Fraction(math.exp(lam))
    return 1 + (f - 1) * as_expr(z)


def _flatten(bits) -> list:
    out = []
    for b_ in bits:
        if isinstance(b_, (list, tuple)):
            out.extend(_flatten(b_))
        else:
            out.append(b_)
    return out


__all__ = ["ge", "le", "eq", "between", "ite", "AND", "OR", "NOT", "increment", "inc_mod", "exp_binary"]
