"""Lemma 2's boosted conditionals block by block: the table of :class:`~proofs_checks.boost.BoostedLM`
without recomputing Σ u·v·1 for every prefix (THEORY §3, Lemma 2).

**Statement computed.** For a block [j, j+k−1], j ∈ I_r, a block prefix z = x_{<j} and
w(s) = u(s)·v(s), u(s) = q(s|z), v(s) = e^{−η·d(j, zs)} (s ∈ Σ^k in increasing order), the
conditional at ℓ = i − j after the seen tokens e = x_{j..i−1} is
q'(σ | z e) = Σ_{s ∈ [eσ]} w(s) / Σ_{s ∈ [e]} w(s), where [e] is the set of s beginning with e —
a *contiguous* run of b^{k−ℓ} strings in increasing order. So u·v is computed once per block
prefix (2^k values, u by the prefix tree of q's rows) and every numerator and denominator is
the sum of one contiguous run: per run, not per prefix.

**Identical results.** The values (and, in mixed exact/float inputs, the Python types) are
those of ``BoostedLM.__call__`` on every prefix, which sums ``den = den + u·v·1_den`` over all
2^k strings in increasing order starting from the integer 0:
* float q (and a float or rational factor): the run's terms added left to right — a running
  sum restarted at each run (adding the zero terms of other runs changes no float);
* exact q and a rational factor: exact sums of the runs (order-free);
* exact q and a float factor (``eta=``): the old loop keeps a partial sum exact until the
  first float term u·w of *any* string of the block prefix, then continues in float with
  float(u) for the exact terms. Block prefixes whose first string has d = 1 (F = 0, e.g. any
  pattern set containing 0…0) are therefore a float running sum of float(u)·w or float(u),
  float(u) rounded once from the exact product (integer numerators and denominators, one
  correctly rounded division); the others, and any other mix of types, replay the old loop
  literally on object arrays (numpy calling Python's own operators, in the same order).
Errors are the old ones: a d value outside {0, 1} (ConstructionError naming d(j, x)) and a zero
denominator (ZeroDivisionError naming the prefix).

``block_conditionals(q_rows, d, j, zlo, zhi, *, k, b, w)`` → a list over ℓ = 0 … k−1 of the
conditionals after every prefix z·e (z ∈ [zlo, zhi), e ∈ Σ^ℓ, in prefix-index order), each an
array of shape ((zhi−zlo)·b^ℓ, b), or the ZeroDivisionError that level raises.
``raw_rows(q, m, lo, hi, b)`` → q's conditionals after the prefixes of length m with index in
[lo, hi): float64 rows for a float LM, object rows otherwise (q's own values).
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from operator import attrgetter

import numpy as np

from rnnsim.errors import ConstructionError
from rnnsim.strings import nth_string

from .advantage import DistTable
from .lm import LM

__all__ = ["raw_rows", "block_conditionals", "strings"]

_num = np.frompyfunc(attrgetter("numerator"), 1, 1)
_den = np.frompyfunc(attrgetter("denominator"), 1, 1)


def strings(L: int, lo: int, hi: int, b: int):
    """s_n of length L for n in [lo, hi), in increasing order (tuples)."""
    if hi <= lo:
        return iter(())
    span = hi - lo
    free = 0
    while b ** (free + 1) <= span and lo % b ** (free + 1) == 0 and free < L:
        free += 1
    if span == b ** free:            # an aligned run: a fixed head and every tail
        head = nth_string(lo // b ** free, L - free, b)
        return (head + t for t in itertools.product(range(b), repeat=free))
    return (nth_string(n, L, b) for n in range(lo, hi))


def raw_rows(q, m: int, lo: int, hi: int, b: int) -> np.ndarray:
    """q(·|s_n) for the prefixes s_n of length m, n ∈ [lo, hi): shape (hi−lo, b)."""
    if isinstance(q, LM) and m < q.N and q.b == b:
        return q.levels[m][lo:hi]
    rows = getattr(q, "rows", None)
    if rows is not None and getattr(q, "b", b) == b and m < getattr(q, "N", 0):
        return rows(m, lo, hi)
    out = np.empty((hi - lo, b), dtype=object)
    for i, pre in enumerate(strings(m, lo, hi, b)):
        r = tuple(q(pre))
        if len(r) != b:
            raise ConstructionError(f"q({pre}) returned {len(r)} values, expected b = {b}")
        out[i, :] = r
    return out


def _kind(a: np.ndarray) -> str:
    """'float' (float64 or Python floats), 'exact' (Fractions only) or 'other'."""
    if a.dtype == np.float64:
        return "float"
    if a.dtype != object:
        return "other"
    types = {type(v) for v in a.reshape(-1)}
    if types <= {Fraction}:
        return "exact"
    if types <= {float, np.float64}:
        return "float"
    return "other"


def _d_window(d, j: int, zlo: int, zhi: int, k: int, b: int) -> tuple[np.ndarray, Exception | None, int]:
    """d(j, z·s) as int8 (zhi−zlo, b^k); on a value outside {0, 1}: the rows before it, the error
    and the row index where it happened."""
    S = b ** k
    if isinstance(d, DistTable) and d.b == b and d.k == k and j <= d.M:
        return d.window(j)[zlo:zhi].astype(np.int8), None, zhi - zlo
    xs = list(strings(j - 1 + k, zlo * S, zhi * S, b))
    vals = [d(j, x) for x in xs]
    try:
        out = np.array(vals, dtype=np.int8)
        ok = len(vals) == 0 or bool(np.all(((out == 0) | (out == 1)) & (out == np.asarray(vals, dtype=object))))
    except (TypeError, ValueError, OverflowError):
        ok = False
    if ok:
        return out.reshape(-1, S), None, zhi - zlo
    for n, dv in enumerate(vals):          # the first value outside {0, 1}, as the old loop met it
        if dv not in (0, 1):
            good = np.array(vals[: (n // S) * S], dtype=np.int8)
            return good.reshape(-1, S), ConstructionError(f"d({j}, {xs[n]}) = {dv!r} is not 0 or 1"), n // S
    return np.array([1 if v == 1 else 0 for v in vals], dtype=np.int8).reshape(-1, S), None, zhi - zlo


def _zero_error(j: int, m: int, row: int, b: int) -> ZeroDivisionError:
    prefix = nth_string(row, m, b)
    return ZeroDivisionError(
        f"q'(·|{prefix}) is undefined: q gives probability 0 to the block prefix {prefix[j - 1:]} "
        f"after x_<{j} (Σ u·v·1_den = 0)")


def _run_sums_float(T: np.ndarray, runs: int) -> np.ndarray:
    """Left-to-right sums of ``runs`` equal contiguous runs of every row of T (Z, S)."""
    Z, S = T.shape
    X = T.reshape(Z, runs, S // runs)
    acc = X[:, :, 0].copy()
    for i in range(1, S // runs):
        acc = acc + X[:, :, i]
    return acc


def _divide(sums, b):
    """[(num (R, b), den (R,))] per ℓ → [(num/den, zero mask (R,))] (zero rows hold 0)."""
    out = []
    for num, den in sums:
        zero = np.asarray(den == 0, dtype=bool)
        if num.dtype == object:
            safe = den.copy()
            safe[zero] = 1
            res = np.empty(num.shape, dtype=object)
            for sg in range(b):
                res[:, sg] = num[:, sg] / safe
        else:
            res = num / np.where(zero, 1.0, den)[:, None]
        out.append((res, zero))
    return out


def _float_block(U, D, w, k, b):
    wf = w if isinstance(w, float) else float(w)
    T = np.where(D == 1, U * wf, U)
    sums = [(_run_sums_float(T, b ** (ell + 1)).reshape(-1, b), _run_sums_float(T, b ** ell).reshape(-1))
            for ell in range(k)]
    return _divide(sums, b)


def _exact_block(Qs, D, w, k, b):
    Z = D.shape[0]
    U = Qs[0].reshape(Z, b)
    for t in range(1, k):
        U = (U.reshape(-1)[:, None] * Qs[t]).reshape(Z, b ** (t + 1))
    T = U.copy()
    sel = D == 1
    T[sel] = U[sel] * w
    level = [T]                                  # level[c]: sums over the runs of length b^c
    for _ in range(k):
        level.append(level[-1].reshape(Z, -1, b).sum(axis=2))
    sums = [(level[k - ell - 1].reshape(-1, b), level[k - ell].reshape(-1)) for ell in range(k)]
    return _divide(sums, b)


def _literal_block(Qs, D, w, k, b):
    """The old per-prefix loop, replayed on object arrays (Python operators, same order)."""
    Z = D.shape[0]
    S = b ** k
    U = np.empty((Z, 1), dtype=object)
    U[:] = 1
    for t in range(k):
        Qt = np.asarray(Qs[t], dtype=object)
        U = (U.reshape(-1)[:, None] * Qt).reshape(Z, b ** (t + 1))
    V = np.empty(D.shape, dtype=object)
    V[:] = 1
    V[D == 1] = w
    UV = U * V
    sums = []
    for ell in range(k):
        R = Z * b ** ell
        seen = np.tile(np.arange(b ** ell), Z)
        den = np.zeros(R, dtype=object)
        num = np.zeros((R, b), dtype=object)
        G = b ** (k - ell)
        for s in range(S):
            uv = np.repeat(UV[:, s], b ** ell)
            den = den + uv * (seen == s // G).astype(np.int64).astype(object)
            for sg in range(b):
                one = (seen * b + sg == s // (G // b)).astype(np.int64).astype(object)
                num[:, sg] = num[:, sg] + uv * one
        sums.append((num, den))
    return _divide(sums, b)


def _rows_of(Qt, zrows, t, b):
    return Qt[(zrows[:, None] * b ** t + np.arange(b ** t)).reshape(-1)]


def _mixed_block(Qs, D, w, k, b):
    """Exact q, float factor: float running sums of float(u)·w / float(u) where the first
    string has d = 1, the old loop literally elsewhere (module docstring)."""
    Z = D.shape[0]
    fast = np.flatnonzero(D[:, 0] == 1)
    slow = np.flatnonzero(D[:, 0] != 1)
    parts = []
    if fast.size:
        for t in range(k):
            Qt = _rows_of(Qs[t], fast, t, b)
            qn, qd = _num(Qt), _den(Qt)
            if t == 0:
                Un, Ud = qn, qd
            else:
                Un = Un.reshape(-1)[:, None] * qn
                Ud = Ud.reshape(-1)[:, None] * qd
        Uf = (Un.reshape(fast.size, -1) / Ud.reshape(fast.size, -1)).astype(np.float64)
        parts.append((fast, _float_block(Uf, D[fast], w, k, b)))
    if slow.size:
        sub = [_rows_of(Qs[t], slow, t, b) for t in range(k)]
        parts.append((slow, _literal_block(sub, D[slow], w, k, b)))
    out = []
    for ell in range(k):
        B = b ** ell
        res = np.empty((Z, B, b), dtype=object if slow.size else np.float64)
        zero = np.zeros((Z, B), dtype=bool)
        for idx, levels in parts:
            vals, z = levels[ell]
            res[idx] = vals.reshape(idx.size, B, b)
            zero[idx] = z.reshape(idx.size, B)
        out.append((res.reshape(-1, b), zero.reshape(-1)))
    return out


def block_conditionals(q, d, j: int, zlo: int, zhi: int, *, k: int, b: int, w) -> list:
    """Lemma 2 for the block starting at j and the block prefixes z ∈ [zlo, zhi) (module
    docstring): [conditionals at ℓ = 0 … k−1 (arrays ((zhi−zlo)·b^ℓ, b)) or the
    ZeroDivisionError of that level's first prefix with a zero denominator]."""
    Qs = [raw_rows(q, j - 1 + t, zlo * b ** t, zhi * b ** t, b) for t in range(k)]
    D, d_err, z_bad = _d_window(d, j, zlo, zhi, k, b)
    if d_err is not None:
        # the old loop meets the bad value at z_bad, after the ℓ = 0 rows before it
        if z_bad > 0:
            first = block_conditionals(q, d, j, zlo, zlo + z_bad, k=k, b=b, w=w)[0]
            if isinstance(first, ZeroDivisionError):
                raise first
        raise d_err
    kinds = {_kind(np.asarray(Qt)) for Qt in Qs}
    if kinds == {"float"}:
        Z = zhi - zlo
        U = np.asarray(Qs[0], dtype=np.float64).reshape(Z, b)
        for t in range(1, k):
            U = (U.reshape(-1)[:, None] * np.asarray(Qs[t], dtype=np.float64)).reshape(Z, b ** (t + 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            levels = _float_block(U, D, w, k, b)
    elif kinds == {"exact"} and isinstance(w, Fraction):
        levels = _exact_block([np.asarray(Qt) for Qt in Qs], D, w, k, b)
    elif kinds == {"exact"} and isinstance(w, float):
        with np.errstate(divide="ignore", invalid="ignore"):
            levels = _mixed_block([np.asarray(Qt) for Qt in Qs], D, w, k, b)
    else:
        levels = _literal_block(Qs, D, w, k, b)
    out = []
    for ell, (vals, zero) in enumerate(levels):
        bad = np.flatnonzero(zero)
        out.append(_zero_error(j, j - 1 + ell, zlo * b ** ell + int(bad[0]), b) if bad.size else vals)
    return out
