"""The abstract domain of the range analysis (THEORY §5): intervals with integrality and a
fixed-point error bound, their join, widening and outward rounding.

An abstract value AV(lo, hi, integer, err) stands for every exact value v in [lo, hi] (an
integer when ``integer``) together with every Fixed value ṽ with |ṽ − v| ≤ err. Joins take
the hull and the larger error. Widening with thresholds (:func:`widen`) moves a bound that
is still growing to the next power of two (lo first to 0, err to the next 2^j·ulp), and
:func:`to_infinity` sends it to ±∞; :func:`round_outward` keeps the rationals short (64
significant bits, |x| > 2^80 unbounded, |x| < 2^−300 rounded to 0/±2^−300) without ever
shrinking an interval. :func:`int_bits_for` is Definition 4's integer-bit count: the least
i ≥ 0 with max|ṽ| < 2^i.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..errors import RNNSimError

INF = math.inf
HUGE = 2 ** 80   # bounds beyond this are treated as unbounded (no fixed format holds them)
TINY = Fraction(1, 2 ** 300)


@dataclass(frozen=True)
class AV:
    """Abstract value: exact values in [lo, hi] (integers when ``integer``), Fixed values
    within ``err`` of them. lo/hi are ints/Fractions or ±inf."""

    lo: object
    hi: object
    integer: bool
    err: object = 0

    @property
    def maxabs(self):
        return max(abs(self.lo), abs(self.hi))

    @property
    def exact_bool(self) -> bool:
        return self.integer and self.err == 0 and self.lo >= 0 and self.hi <= 1

    def join(self, o: "AV") -> "AV":
        return AV(min(self.lo, o.lo), max(self.hi, o.hi), self.integer and o.integer, max(self.err, o.err))


def mul(a, b):
    return 0 if a == 0 or b == 0 else a * b


def isint(v) -> bool:
    return isinstance(v, int) or (isinstance(v, Fraction) and v.denominator == 1)


def int_bits_for(maxabs) -> int:
    """Least i ≥ 0 with maxabs < 2^i (∞ for an unbounded value)."""
    if maxabs == INF:
        return INF
    m = Fraction(maxabs)
    i = 0
    while m >= (1 << i):
        i += 1
    return i


class Unbounded(RNNSimError, ValueError):
    """The analysis could not bound a node (named) — declare its range or give a horizon. An
    RNNSimError, so the CLI reports it in one line (status 1), not as an internal error."""


def round_outward(x, direction: int, bits: int = 64):
    """x rounded outward (direction −1: down, +1: up) to ``bits`` significant bits, so that
    the rationals of the analysis keep a bounded size (ints, ±∞ and short dyadics unchanged)."""
    if x in (INF, -INF):
        return x
    if abs(x) > HUGE:
        return INF if x > 0 else -INF
    if isinstance(x, int):
        return x
    x = Fraction(x)
    if abs(x) < TINY:  # keep exponents bounded: round outward to 0 or ±2^−300
        if x > 0:
            return TINY if direction > 0 else 0
        if x < 0:
            return 0 if direction > 0 else -TINY
        return 0
    if x.denominator == 1 or (x.denominator & (x.denominator - 1) == 0 and x.denominator.bit_length() <= 2 * bits
                              and abs(x.numerator).bit_length() <= bits):
        return x
    e = abs(x.numerator).bit_length() - x.denominator.bit_length()
    s = bits - e
    scaled = x * (Fraction(2) ** s)
    m = math.floor(scaled) if direction < 0 else math.ceil(scaled)
    return Fraction(m) / (Fraction(2) ** s)


def widen(old: AV, new: AV, ulp) -> AV:
    """Widening with thresholds: a bound still moving jumps to the next power of two (lo to 0
    first, err to the next 2^j·ulp), and to ±∞ beyond 2^64."""
    def up(v):
        if v <= 0:
            return 0 if v == 0 else -pow2_below(-v)
        return pow2_above(v)

    lo, hi, err = new.lo, new.hi, new.err
    if new.hi > old.hi:
        hi = up(new.hi)
    if new.lo < old.lo:
        lo = 0 if new.lo >= 0 else -pow2_above(-new.lo)
    if new.err > old.err:
        unit = ulp or 1
        err = pow2_above(new.err / unit) * unit
    return AV(lo, hi, new.integer, err)


def to_infinity(old: AV, new: AV) -> AV:
    return AV(-INF if new.lo < old.lo else new.lo, INF if new.hi > old.hi else new.hi, new.integer,
              INF if new.err > old.err else new.err)


def pow2_above(v):
    if v == INF or v > 2 ** 64:
        return INF
    j = -200
    while Fraction(2) ** j < v:
        j += 1
    return Fraction(2) ** j


def pow2_below(v):
    p = pow2_above(v)
    return p if p == v or p == INF else p / 2


__all__ = ["AV", "INF", "HUGE", "TINY", "mul", "isint", "int_bits_for", "Unbounded", "round_outward", "widen",
           "to_infinity", "pow2_above", "pow2_below"]
