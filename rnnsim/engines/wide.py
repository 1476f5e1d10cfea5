"""Exact 64×64→128-bit integer helpers for the fixed-point kernels (THEORY §2.4: products
that need more than 64 bits are computed exactly).

Statement realized: for signed 64-bit X, Y (|X|, |Y| ≤ 2^63) and 0 ≤ f ≤ 63,
``mul_shift_trunc_checked(X, Y, f)`` = trunc(X·Y / 2^f) (truncation toward zero);
``add_signed_product`` sums signed 128-bit products exactly (two's complement, carry
propagated), so ``shift_trunc128_checked`` of the sum = trunc(Σ W_j·X_j / 2^f); and
``recip_wide(X, f)`` = trunc(2^(2f) / X) by an exact 128-by-64-bit division. Each returns
(value, 0) when the result fits in int64, else (its sign, the bits it needs): the
compiled engines then stop the run (:class:`~rnnsim.errors.EngineRangeExceeded`, after a
rerun on the reference) instead of wrapping.
Everything is unsigned 64-bit arithmetic on 32-bit halves (numba has no 128-bit type);
every literal is typed uint64 explicitly because numba turns mixed int64/uint64 arithmetic
into float64.
"""

from __future__ import annotations

import numpy as np

from .numba_cache import jit as njit

_U32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S63 = np.uint64(63)
_S64 = np.uint64(64)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)


@njit(inline="always", cache=True)
def umul128(a, b):
    """(hi, lo) of the 128-bit product of two uint64."""
    a0 = a & _U32
    a1 = a >> _S32
    b0 = b & _U32
    b1 = b >> _S32
    p00 = a0 * b0
    p01 = a0 * b1
    p10 = a1 * b0
    p11 = a1 * b1
    mid = (p00 >> _S32) + (p01 & _U32) + (p10 & _U32)
    lo = (p00 & _U32) | (mid << _S32)
    hi = p11 + (p01 >> _S32) + (p10 >> _S32) + (mid >> _S32)
    return hi, lo


@njit(inline="always", cache=True)
def uabs(x):
    """|x| of an int64 as uint64 (exact for −2^63 too), and whether x < 0."""
    if x < 0:
        return np.uint64(0) - np.uint64(x), True
    return np.uint64(x), False


@njit(inline="always", cache=True)
def add_signed_product(acc_hi, acc_lo, x, y):
    """acc + x·y in 128-bit two's complement (acc as uint64 hi, lo)."""
    ux, nx = uabs(x)
    uy, ny = uabs(y)
    hi, lo = umul128(ux, uy)
    if nx != ny:
        lo2 = acc_lo - lo
        borrow = _ONE if acc_lo < lo else _ZERO
        return acc_hi - hi - borrow, lo2
    lo2 = acc_lo + lo
    carry = _ONE if lo2 < acc_lo else _ZERO
    return acc_hi + hi + carry, lo2


@njit(inline="always", cache=True)
def bit_length128(hi, lo):
    """Number of bits of the unsigned 128-bit value hi·2^64 + lo."""
    n = 0
    if hi != _ZERO:
        x = hi
        n = 64
    else:
        x = lo
    while x != _ZERO:
        x = x >> _ONE
        n += 1
    return n


@njit(inline="always", cache=True)
def narrow(neg, hi, lo):
    """(int64 value, 0) of ±(hi·2^64 + lo) when |value| < 2^63, else (±1, bits needed)."""
    if hi != _ZERO or lo >= (_ONE << _S63):
        return np.int64(-1 if neg else 1), np.int64(bit_length128(hi, lo) + 1)
    r = np.int64(lo)
    return (-r if neg else r), np.int64(0)


@njit(inline="always", cache=True)
def shift_right128_full(hi, lo, f):
    """(hi, lo) >> f for 0 ≤ f ≤ 63, all 128 bits."""
    if f == 0:
        return hi, lo
    s = np.uint64(f)
    return hi >> s, (lo >> s) | (hi << (_S64 - s))


@njit(inline="always", cache=True)
def mul_shift_trunc_checked(x, y, f):
    """trunc(x·y / 2^f) for int64 x, y: (value, 0), or (±1, bits) when it needs ≥ 64 bits."""
    ux, nx = uabs(x)
    uy, ny = uabs(y)
    hi, lo = umul128(ux, uy)
    hi, lo = shift_right128_full(hi, lo, f)
    return narrow(nx != ny, hi, lo)


@njit(inline="always", cache=True)
def shift_trunc128_checked(acc_hi, acc_lo, f):
    """trunc(acc / 2^f) of a signed 128-bit value: (value, 0), or (±1, bits) if it needs ≥ 64."""
    neg = (acc_hi >> _S63) != _ZERO
    if neg:
        lo = (~acc_lo) + _ONE
        hi = (~acc_hi) + (_ONE if lo == _ZERO else _ZERO)
    else:
        hi = acc_hi
        lo = acc_lo
    hi, lo = shift_right128_full(hi, lo, f)
    return narrow(neg, hi, lo)


@njit(inline="always", cache=True)
def recip_wide(x, f):
    """trunc(2^(2f) / x) for int64 x ≠ 0 and 32 ≤ f ≤ 63 by exact 128-by-64-bit division:
    (value, 0), or (±1, bits) when the quotient needs ≥ 64 bits."""
    d, neg = uabs(x)
    e = np.uint64(2 * f)                    # numerator 2^e, 64 ≤ e ≤ 126
    num_hi = _ONE << (e - _S64)             # numerator = num_hi · 2^64
    q_hi = num_hi // d
    r = num_hi - q_hi * d                   # r < d ≤ 2^63: 2r + 1 < 2^64
    q_lo = _ZERO
    for _ in range(64):                     # the low 64 numerator bits are 0
        r = r << _ONE
        q_lo = q_lo << _ONE
        if r >= d:
            r = r - d
            q_lo = q_lo | _ONE
    return narrow(neg, q_hi, q_lo)
