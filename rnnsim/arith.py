"""Arithmetic modes (THEORY §2.4; paper: Definition 4 for the bit size of fixed formats).

* ``exact``   — rational arithmetic with Python ints/Fractions; the reference, never rounded.
* ``float64`` — IEEE doubles, no quantization.
* ``Fixed(int_bits, frac_bits, overflow="raise"|"saturate")`` — bit size
  B = 1 + int_bits + frac_bits. Every constant (weight, offset, initial value) is
  quantized with Q(x) = sign(x)·⌊|x|·2^f⌋·2^−f, and so is the result of every elementary
  operation (each Affine, ReLU, Prod, Recip), computed exactly before truncation. A node
  value with |v| ≥ 2^int_bits is an overflow: policy "raise" raises
  :class:`FixedPointOverflow` naming node and time, "saturate" clamps it to
  ±(2^int_bits − 2^−frac_bits).

An arithmetic object turns exact constants into its own representation and implements the
four operations; engines name node and time when an operation fails.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Union

from .errors import NetworkError
from .registry import realizes

DEFAULT_EXACT_MAX_BITS = 1 << 16
"""Default size limit of an exact value: numerator and denominator at most this many bits."""


def describe_number(v) -> str:
    """A short decimal rendering of any exact or float value, for error messages: never
    fails, whatever the size (``float(v)`` overflows beyond 1.8e308 and ``str`` of an
    integer over 4,300 digits raises)."""
    if isinstance(v, float):
        return f"{v:.6g}"
    q = Fraction(v)
    if q == 0:
        return "0"
    num, den = abs(q.numerator), q.denominator
    if num.bit_length() < 1000 and den.bit_length() < 1000:
        return f"{float(q):.6g}"
    lg = math.log10(num) - math.log10(den)
    e = math.floor(lg)
    mant = 10 ** (lg - e)
    if mant >= 9.999995:
        mant, e = 1.0, e + 1
    return f"{'-' if q < 0 else ''}{mant:.6g}e{e:+d}"


def value_bits(v) -> int:
    """max(bits of numerator, bits of denominator) of an exact value."""
    if type(v) is int:
        return v.bit_length()
    return max(v.numerator.bit_length(), v.denominator.bit_length())


class Exact:
    """Rational arithmetic: ints stay ints, everything else is a Fraction.

    Protocol shared by the three modes: ``const(c)`` converts an exact constant (weights,
    offsets, initial values) to the mode's representation; ``affine(pairs, c)`` takes
    (value, converted weight) pairs and a converted offset; ``relu``, ``prod``, ``recip``
    (raising ZeroDivisionError on 0); ``node_value(v)`` applies the node-value rule
    (overflow for Fixed); ``to_exact`` converts back.
    """

    name = "exact"

    def __init__(self, max_bits: int | None = None):
        mb = DEFAULT_EXACT_MAX_BITS if max_bits is None else max_bits
        if not (isinstance(mb, int) and not isinstance(mb, bool) and mb >= 1):
            raise NetworkError(f"Exact: max_bits must be an integer ≥ 1, got {max_bits!r}")
        self.max_bits = mb

    def const(self, c):
        return c

    def token(self, x: int):
        return x

    def affine(self, pairs, c):
        s = c
        for v, w in pairs:
            s = s + w * v
        return _norm(s)

    def affine_regs(self, regs, terms, c):
        """affine() over (register, weight) terms, reading ``regs``."""
        s = c
        for r, w in terms:
            s = s + w * regs[r]
        if type(s) is Fraction and s.denominator == 1:
            return s.numerator
        return s

    def relu(self, v):
        return v if v > 0 else 0

    def prod(self, a, b):
        p = a * b
        if type(p) is Fraction and p.denominator == 1:
            return p.numerator
        return p

    def recip(self, v):
        if v == 0:
            raise ZeroDivisionError
        return _norm(Fraction(1) / v)

    def node_value(self, v):
        """The size limit: a node value whose numerator or denominator has more than
        ``max_bits`` bits raises :class:`SizeSignal` (the engine names node and time)."""
        mb = self.max_bits
        if type(v) is int:
            if v.bit_length() > mb:
                raise SizeSignal(self.size_message(v), value_bits(v))
        elif v.numerator.bit_length() > mb or v.denominator.bit_length() > mb:
            raise SizeSignal(self.size_message(v), value_bits(v))
        return v

    def size_message(self, v) -> str:
        num = abs(v.numerator if type(v) is not int else v).bit_length()
        den = 1 if type(v) is int else v.denominator.bit_length()
        return (f"exact value too large: numerator {num} bits, denominator {den} bits, over the limit of "
                f"{self.max_bits} bits (raise it with rnnsim.Exact(max_bits=…))")

    def to_exact(self, v):
        return v

    def __repr__(self):
        return "exact" if self.max_bits == DEFAULT_EXACT_MAX_BITS else f"Exact(max_bits={self.max_bits})"

    def __eq__(self, other):
        return isinstance(other, Exact) and other.max_bits == self.max_bits

    def __hash__(self):
        return hash(("exact", self.max_bits))


class Float64:
    """IEEE double arithmetic, operations in the same order as written."""

    name = "float64"

    def const(self, c):
        return float(c)

    def token(self, x: int):
        return float(x)

    def affine(self, pairs, c):
        s = 0.0
        for v, w in pairs:
            s += w * v
        return s + c

    def affine_regs(self, regs, terms, c):
        s = 0.0
        for r, w in terms:
            s += w * regs[r]
        return s + c

    def relu(self, v):
        return v if v > 0.0 else 0.0

    def prod(self, a, b):
        return a * b

    def recip(self, v):
        if v == 0.0:
            raise ZeroDivisionError
        return 1.0 / v

    def node_value(self, v):
        return v

    def to_exact(self, v):
        """The double's exact value (NaN and ±inf stay floats)."""
        if v != v or v in (math.inf, -math.inf):
            return v
        return Fraction(v)

    def __repr__(self):
        return "float64"

    def __eq__(self, other):
        return isinstance(other, Float64)

    def __hash__(self):
        return hash("float64")


MAX_FIXED_BITS = 1 << 16     # the largest bit size 1 + int_bits + frac_bits a Fixed format may have


class NodeValueSignal(ArithmeticError):
    """Raised by ``node_value`` of an arithmetic; engines name node and time
    (:mod:`rnnsim.engines.run_errors`)."""


class OverflowSignal(NodeValueSignal):
    """Fixed.node_value: |v| ≥ 2^int_bits; becomes FixedPointOverflow(node, time)."""


class SizeSignal(NodeValueSignal):
    """Exact.node_value: the value is over the size limit; becomes ExactValueTooLarge.
    ``bits``: the larger of the numerator's and the denominator's size."""

    def __init__(self, message: str, bits: int):
        super().__init__(message)
        self.bits = bits


@realizes("Definition 4", "fixed point with 1 sign, int_bits integer and frac_bits fractional bits")
@dataclass(frozen=True)
class Fixed:
    """Signed fixed point with ``int_bits`` integer and ``frac_bits`` fractional bits."""

    int_bits: int
    frac_bits: int
    overflow: str = "raise"

    def __post_init__(self):
        if type(self.int_bits) is not int or self.int_bits < 1:   # a bool is not a bit count
            raise NetworkError(f"Fixed: int_bits must be an integer ≥ 1, got {self.int_bits!r}")
        if type(self.frac_bits) is not int or self.frac_bits < 0:
            raise NetworkError(f"Fixed: frac_bits must be an integer ≥ 0, got {self.frac_bits!r}")
        if 1 + self.int_bits + self.frac_bits > MAX_FIXED_BITS:
            raise NetworkError(
                f"Fixed: bit size 1 + {self.int_bits} + {self.frac_bits} exceeds {MAX_FIXED_BITS} bits, the largest "
                "format rnnsim runs (use 'exact' for unbounded precision)")
        if type(self.overflow) is not str or self.overflow not in ("raise", "saturate"):
            raise NetworkError(
                f"Fixed: overflow policy must be 'raise' or 'saturate', got {self.overflow!r}"
            )

    name = "fixed"

    @property
    def bits(self) -> int:
        """Bit size B = 1 + int_bits + frac_bits (paper: Definition 4)."""
        return 1 + self.int_bits + self.frac_bits

    @property
    def scale(self) -> int:
        return 1 << self.frac_bits

    @property
    def limit(self) -> int:
        """|v| must stay below 2^int_bits."""
        return 1 << self.int_bits

    @property
    def max_value(self) -> Fraction:
        return Fraction((1 << (self.int_bits + self.frac_bits)) - 1, self.scale)

    def quantize(self, x) -> Fraction:
        """Q(x) = sign(x)·⌊|x|·2^f⌋·2^−f (truncation toward zero)."""
        if type(x) is int:
            return x
        x = Fraction(x)
        d = x.denominator
        if d & (d - 1) == 0 and d <= self.scale:  # already on the grid
            return x.numerator if d == 1 else x
        m = (abs(x.numerator) << self.frac_bits) // d
        return Fraction(-m if x < 0 else m, self.scale)

    def const(self, c):
        return self.quantize(c)

    def token(self, x: int):
        return x

    def affine(self, pairs, c):
        # weights and offset arrive already quantized by const()
        s = c
        for v, w in pairs:
            s += w * v
        return self.quantize(s)

    def affine_regs(self, regs, terms, c):
        s = c
        for r, w in terms:
            s += w * regs[r]
        return self.quantize(s)

    def relu(self, v):
        return v if v > 0 else 0

    def prod(self, a, b):
        return self.quantize(a * b)

    def recip(self, v):
        if v == 0:
            raise ZeroDivisionError
        return self.quantize(1 / Fraction(v))

    def node_value(self, v):
        if abs(v) >= self.limit:
            if self.overflow == "saturate":
                return self.max_value if v > 0 else -self.max_value
            raise OverflowSignal(self.overflow_message(v))
        return v

    def overflow_message(self, v) -> str:
        return f"fixed-point overflow: value {describe_number(v)} needs |v| < 2^{self.int_bits} in {self}"

    def to_exact(self, v):
        return v

    def __str__(self):
        return f"fixed:{self.int_bits}:{self.frac_bits}" + (
            ":saturate" if self.overflow == "saturate" else ""
        )


Arithmetic = Union[Exact, Float64, Fixed]

EXACT = Exact()
FLOAT64 = Float64()


@realizes("§2.4 arithmetic", "the arithmetic modes exact, float64 and Fixed(i, f)")
def parse_arithmetic(spec) -> Arithmetic:
    """'exact' | 'float64' | 'fixed:I:F[:saturate]' | Fixed(...) → an arithmetic object."""
    if isinstance(spec, (Exact, Float64, Fixed)):
        return spec
    if isinstance(spec, str) and spec == "exact":
        return EXACT
    if isinstance(spec, str) and spec in ("float64", "float"):
        return FLOAT64
    if isinstance(spec, str) and spec.startswith("fixed:"):
        m = _FIXED_SPEC.fullmatch(spec)
        if m is None:
            raise NetworkError(
                f"arithmetic {_clip(spec)!r}: write fixed:INT_BITS:FRAC_BITS or fixed:INT_BITS:FRAC_BITS:saturate "
                "(or :raise), e.g. fixed:8:16"
            )
        i, f = m.group(1), m.group(2)
        if len(i) > 7 or len(f) > 7:    # before int(): a billion-bit format is refused, not built
            raise NetworkError(f"arithmetic {_clip(spec)!r}: bit size exceeds {MAX_FIXED_BITS} bits, the largest "
                               "format rnnsim runs (use 'exact' for unbounded precision)")
        return Fixed(int(i), int(f), m.group(3) or "raise")
    raise NetworkError(
        f"unknown arithmetic {_clip(repr(spec))}; use 'exact', 'float64', 'fixed:I:F' or rnnsim.Fixed(I, F)"
    )


_FIXED_SPEC = re.compile(r"fixed:([0-9]+):([0-9]+)(?::(raise|saturate))?", re.ASCII)


def _clip(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[:n - 1] + "…"


def _norm(v):
    if isinstance(v, Fraction) and v.denominator == 1:
        return v.numerator
    return v
