"""Raw representations of values — the one home of every conversion between exact values,
an engine's raw numbers and floats (THEORY §2.4).

Raw representations: ``exact`` → Python ints/Fractions (object arrays); ``float64`` →
float64; ``Fixed(i, f)`` → the integer X = v·2^f (int64 in the compiled engines, Python
ints in the reference, object arrays when i + f > 62). Conversions:

* :func:`const_raw` — an exact constant (weight, offset, initial value) → raw, quantized
  with Q for Fixed; :func:`program_constants` converts a program's constant pool and names
  the node of a constant the arithmetic cannot hold (a float64 constant beyond the double
  range raises :class:`~rnnsim.errors.UnsupportedFormat`, not a bare OverflowError);
* :func:`value_raw` — an exact value already on the grid → raw;
* :func:`raw_value` / :func:`raw_to_exact` — raw → exact (one value / an array);
* :func:`raw_to_float` / :func:`to_float` — raw or exact → float64, ±inf beyond the double
  range (IEEE rounding of a finite value too large for a double), never an OverflowError.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..arith import Exact, Fixed, Float64, describe_number
from ..errors import UnsupportedFormat
from ..program import AFFINE, CONST

__all__ = ["raw_dtype", "const_raw", "value_raw", "raw_value", "raw_to_exact", "raw_to_float", "to_float",
           "program_constants", "initial_value"]


def raw_dtype(arith):
    """numpy dtype of raw values: float64, int64 (Fixed) or object (exact)."""
    if isinstance(arith, Float64):
        return np.float64
    if isinstance(arith, Fixed):
        return np.int64
    return object


def value_raw(v, arith):
    """An exact value (on the grid for Fixed) → raw: int X = v·2^f, float, or v itself."""
    if isinstance(arith, Fixed):
        if type(v) is int:
            return v << arith.frac_bits
        q = Fraction(v) * arith.scale
        if q.denominator != 1:
            raise ValueError(f"{v} is not a multiple of 2^-{arith.frac_bits}")
        return q.numerator
    if isinstance(arith, Float64):
        return float(v)
    return v


def const_raw(c, arith):
    """An exact constant → raw (quantized with Q for Fixed). float64: raises OverflowError
    beyond the double range (see :func:`program_constants` for the named error)."""
    if isinstance(arith, Fixed):
        return value_raw(arith.quantize(c), arith)
    if isinstance(arith, Float64):
        return float(c)
    return c


def raw_value(v, arith):
    """One raw value → exact int/Fraction (float64: the double's exact value; NaN and ±inf,
    which IEEE arithmetic can reach, stay floats)."""
    if isinstance(arith, Fixed):
        q = Fraction(int(v), arith.scale)
    elif isinstance(arith, Float64):
        v = float(v)
        if v != v or v in (float("inf"), float("-inf")):
            return v
        q = Fraction(v)
    else:
        q = Fraction(v)
    return q.numerator if q.denominator == 1 else q


def raw_to_exact(values, arith) -> np.ndarray:
    """Raw engine values → object array of exact ints/Fractions (same shape)."""
    a = np.asarray(values)
    out = np.empty(a.shape, dtype=object)
    flat_out = out.reshape(-1)
    for i, v in enumerate(a.reshape(-1)):
        flat_out[i] = raw_value(v, arith)
    return out


def to_float(v) -> float:
    """float(v) for an exact value or float, ±inf beyond the double range."""
    try:
        return float(v)
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")


def raw_to_float(values, arith) -> np.ndarray:
    """Raw engine values → float64 values (same shape)."""
    a = np.asarray(values)
    if isinstance(arith, Float64):
        return a.astype(np.float64, copy=False)
    if isinstance(arith, Fixed) and a.dtype != object:
        return a.astype(np.float64) / float(arith.scale)
    if not a.size:
        return a.astype(np.float64)
    if isinstance(arith, Fixed):
        return np.vectorize(lambda v: to_float(Fraction(int(v), arith.scale)), otypes=[np.float64])(a)
    return np.vectorize(to_float, otypes=[np.float64])(a)


def _users_of_constant(program, ci: int):
    """Node indices whose transitions use constant ``ci`` (first in node order first)."""
    p = program
    users = set()
    for k in range(p.n_ops):
        code = int(p.op_code[k])
        if code in (AFFINE, CONST) and int(p.op_c[k]) == ci:
            users.add(int(p.op_node[k]))
        if code == AFFINE and ci in p.term_w[int(p.op_a[k]):int(p.op_b[k])]:
            users.add(int(p.op_node[k]))
    return sorted(users)


def _out_of_range(what: str, value, arith) -> UnsupportedFormat:
    return UnsupportedFormat(
        f"{what}: the constant {describe_number(value)} is beyond the range of {arith} "
        "(largest finite double ≈ 1.8e308); use arithmetic 'exact' or a fixed format")


def program_constants(program, arith, *, raw: bool = True) -> list:
    """The program's constant pool in the raw form of ``arith`` (``raw=False``: as
    ``arith.const`` gives it, e.g. quantized exact values for Fixed)."""
    if isinstance(arith, Exact):
        return list(program.consts)
    out = []
    for ci, c in enumerate(program.consts):
        try:
            out.append(const_raw(c, arith) if raw else arith.const(c))
        except OverflowError:
            users = _users_of_constant(program, ci)
            where = f"node {program.names[users[0]]!r}" if users else "a constant"
            raise _out_of_range(where, c, arith) from None
    return out


def initial_value(program, arith, u: int):
    """The initial value of node ``u`` converted by ``arith.const`` (exact, float or the
    quantized exact value for Fixed), naming the node when float64 cannot hold it."""
    v = program.init[u]
    try:
        return arith.const(v)
    except OverflowError:
        raise _out_of_range(f"node {program.names[u]!r} (initial value)", v, arith) from None
