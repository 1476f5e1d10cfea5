"""The numba kernels: one generic interpreter of a :class:`~rnnsim.engines.kernel_plan.KernelPlan`
per arithmetic (float64, fixed point on int64), batched and parallel over the batch.

Statement realized (THEORY §2.3–§2.4): for every run b of the batch, the kernel computes the
same values as the reference engine — float64 operations in the reference's order
(Affine: s = 0.0; s = s + w·x per term; s + c), fixed-point operations on raw integers
X = v·2^f with truncation toward zero after every Affine (shift by f), Prod (shift by f)
and Recip (2^(2f) / X) — and records, per run, the first run-time error by the rules of
:mod:`rnnsim.engines.run_errors` (within a step: of the Recips with argument 0, the one
whose first node comes first in node order; then the overflow rule in node order; a
checked 128→64-bit narrowing that fails replaces an error of the same step, since the
values after it are not the reference's; the caller reruns that run on the reference to
name the true error, see :mod:`rnnsim.engines.array_executor`). A narrowing that fails on
an operation read only by node commits (``terminal``) in a saturating format writes
±max_raw, which is what the node-value rule makes of any value beyond 2^63. A chunk
with an error keeps its start state in ``V``. The caller raises the error.

Layout: the batch is cut into chunks of C runs; each chunk owns a register file
``R[row, j]`` (C runs per row, contiguous), so every operation is one vectorizable loop
over C runs (indexed ``R[row, j]`` directly: row views would cost reference counting per
operation, measured 25–40 % slower); chunks run in parallel (``prange``). The kernel is
compiled once per machine (numba's on-disk cache, made robust by
:mod:`rnnsim.engines.numba_cache`); a program is data (the plan's tables),
so a new network never recompiles. Generated straight-line numba source per program was
measured to compile far too slowly to be useful here (about 3 s for 100 nodes and 90 s
for 1000 nodes, and LLVM did not vectorize it), so the interpreter is used at every size.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .kernel_plan import (
    K_AFFINE, K_AFFINE_INT, K_AFFINE_INT_RELU, K_AFFINE_RELU, K_AFFINE_WIDE, K_COPY, K_PROD, K_PROD_WIDE,
    K_RECIP, K_RECIP_WIDE, K_RELU,
)
from .numba_cache import jit as njit
from .run_errors import ERR_NONE, ERR_OVERFLOW, ERR_RANGE, ERR_RECIP
from .wide import add_signed_product, mul_shift_trunc_checked, recip_wide, shift_trunc128_checked

_OPTS = dict(parallel=True, cache=True, nogil=True, boundscheck=False, error_model="numpy")
_INL = dict(inline="always", cache=True, boundscheck=False, error_model="numpy")


@njit(**_INL)
def _flag_recip(ek, et, ew, ec, b, t, node, m):
    """Record a Recip of zero of run b at step t: the first error of the run, or, in the
    same step, a node earlier in node order than the one recorded (run_errors)."""
    if ek[b] == ERR_NONE:
        ek[b] = ERR_RECIP
        et[b] = t
        ew[b] = node
        ec[b] = m
        return True
    if ek[b] == ERR_RECIP and et[b] == t and node < ew[b]:
        ew[b] = node
    return True


@njit(**_INL)
def _flag_range(ek, et, ew, ec, ev, b, t, node, m, bits):
    """Record a failed 64-bit narrowing of run b at step t (replaces a same-step error)."""
    if ek[b] == ERR_NONE or (et[b] == t and ek[b] == ERR_RECIP):
        ek[b] = ERR_RANGE
        et[b] = t
        ew[b] = node
        ec[b] = m
        ev[b] = bits
    return True


# ---- float64 ----------------------------------------------------------------------------------

@njit(**_INL)
def _f_affine(R, dr, t_lo, t_hi, trows, trows2, tw, par, c, relu, w):
    """R[dr] = relu?(((0.0 + w0·x0) + w1·x1 …) + c), x = R[a] or R[a]·R[a2] (product term)."""
    nt = t_hi - t_lo
    ar = trows[par, t_lo]
    ar2 = trows2[par, t_lo]
    w0 = tw[t_lo]
    if nt == 1 and ar2 < 0:
        for j in range(w):
            v = (0.0 + w0 * R[ar, j]) + c
            R[dr, j] = v if (v > 0.0 or not relu) else 0.0
        return
    if nt == 2:
        br = trows[par, t_lo + 1]
        br2 = trows2[par, t_lo + 1]
        w1 = tw[t_lo + 1]
        if ar2 < 0 and br2 < 0:
            for j in range(w):
                v = ((0.0 + w0 * R[ar, j]) + w1 * R[br, j]) + c
                R[dr, j] = v if (v > 0.0 or not relu) else 0.0
            return
        if ar2 >= 0 and br2 >= 0:
            for j in range(w):
                v = ((0.0 + w0 * (R[ar, j] * R[ar2, j])) + w1 * (R[br, j] * R[br2, j])) + c
                R[dr, j] = v if (v > 0.0 or not relu) else 0.0
            return
    if ar2 < 0:
        for j in range(w):
            R[dr, j] = 0.0 + w0 * R[ar, j]
    else:
        for j in range(w):
            R[dr, j] = 0.0 + w0 * (R[ar, j] * R[ar2, j])
    for tt in range(t_lo + 1, t_hi):
        xr = trows[par, tt]
        xr2 = trows2[par, tt]
        wt = tw[tt]
        if xr2 < 0:
            for j in range(w):
                R[dr, j] = R[dr, j] + wt * R[xr, j]
        else:
            for j in range(w):
                R[dr, j] = R[dr, j] + wt * (R[xr, j] * R[xr2, j])
    for j in range(w):
        v = R[dr, j] + c
        R[dr, j] = v if (v > 0.0 or not relu) else 0.0


@njit(**_INL)
def _f_inputs(R, tok, m, b0, w, n, inputs, onehot):
    if onehot:
        for s in range(inputs.shape[0]):
            u = inputs[s]
            for j in range(w):
                v = 1.0 if tok[b0 + j, m] == s else 0.0
                R[u, j] = v
                R[n + u, j] = v
    else:
        u = inputs[0]
        for j in range(w):
            v = float(tok[b0 + j, m])
            R[u, j] = v
            R[n + u, j] = v


@njit(**_OPTS)
def run_float(V, tok, t0, tau, ops, aux, kconst, trows, trows2, tw, inputs, onehot, out_node, C, n_rows,
              out, ek, et, ew, ec):
    """Advance the runs in ``V`` (n × B float64, updated in place) through the tokens
    ``tok`` (B × M); ``out[b, m]`` = output after token m. Errors go to ek/et/ew/ec."""
    n, B = V.shape
    M = tok.shape[1]
    nk = ops.shape[1]
    nch = (B + C - 1) // C
    for ci in prange(nch):
        b0 = ci * C
        w = min(C, B - b0)
        R = np.empty((n_rows, C), dtype=np.float64)
        for u in range(n):
            for j in range(w):
                R[u, j] = V[u, b0 + j]
        failed = False
        g = 0
        for m in range(M):
            _f_inputs(R, tok, m, b0, w, n, inputs, onehot)
            for s in range(tau):
                par = g & 1
                t = t0 + m * tau + s
                for k in range(nk):
                    code = ops[par, k, 0]
                    dr = ops[par, k, 1]
                    if code == K_AFFINE or code == K_AFFINE_RELU:
                        _f_affine(R, dr, ops[par, k, 2], ops[par, k, 3], trows, trows2, tw, par, kconst[k],
                                  code == K_AFFINE_RELU, w)
                    elif code == K_PROD:
                        ar = ops[par, k, 2]
                        br = ops[par, k, 3]
                        for j in range(w):
                            R[dr, j] = R[ar, j] * R[br, j]
                    elif code == K_RELU:
                        ar = ops[par, k, 2]
                        for j in range(w):
                            x = R[ar, j]
                            R[dr, j] = x if x > 0.0 else 0.0
                    elif code == K_COPY:
                        ar = ops[par, k, 2]
                        for j in range(w):
                            R[dr, j] = R[ar, j]
                    elif code == K_RECIP:
                        ar = ops[par, k, 2]
                        zero = False
                        for j in range(w):
                            zero |= R[ar, j] == 0.0
                        if zero:
                            for j in range(w):
                                if R[ar, j] == 0.0:
                                    failed |= _flag_recip(ek, et, ew, ec, b0 + j, t, aux[k], m)
                        for j in range(w):
                            R[dr, j] = 1.0 / R[ar, j]
                    else:  # K_CONST
                        c = kconst[k]
                        for j in range(w):
                            R[dr, j] = c
                g += 1
            cur = (g & 1) * n
            for j in range(w):
                out[b0 + j, m] = R[cur + out_node, j]
            if failed:
                break
        if not failed:          # a failed chunk keeps its start state (the caller may rerun it)
            cur = (g & 1) * n
            for u in range(n):
                for j in range(w):
                    V[u, b0 + j] = R[cur + u, j]


# ---- fixed point on raw int64 -----------------------------------------------------------------

@njit(**_INL)
def _trunc(s, f):
    """trunc(s / 2^f) toward zero."""
    return (s >> f) if s >= 0 else -((-s) >> f)


@njit(**_INL)
def _x_affine(R, dr, t_lo, t_hi, trows, trows2, tw, par, c0, sh, f, relu, w):
    """R[dr] = relu?(trunc((c0 + Σ W·x) / 2^sh)), x = R[a] or trunc(R[a]·R[a2] / 2^f)."""
    nt = t_hi - t_lo
    ar = trows[par, t_lo]
    ar2 = trows2[par, t_lo]
    w0 = tw[t_lo]
    if nt == 1 and ar2 < 0:
        for j in range(w):
            v = _trunc(c0 + w0 * R[ar, j], sh)
            R[dr, j] = v if (v > 0 or not relu) else 0
        return
    if nt == 2:
        br = trows[par, t_lo + 1]
        br2 = trows2[par, t_lo + 1]
        w1 = tw[t_lo + 1]
        if ar2 < 0 and br2 < 0:
            for j in range(w):
                v = _trunc(c0 + w0 * R[ar, j] + w1 * R[br, j], sh)
                R[dr, j] = v if (v > 0 or not relu) else 0
            return
        if ar2 >= 0 and br2 >= 0:
            for j in range(w):
                v = _trunc(c0 + w0 * _trunc(R[ar, j] * R[ar2, j], f) + w1 * _trunc(R[br, j] * R[br2, j], f), sh)
                R[dr, j] = v if (v > 0 or not relu) else 0
            return
    if ar2 < 0:
        for j in range(w):
            R[dr, j] = c0 + w0 * R[ar, j]
    else:
        for j in range(w):
            R[dr, j] = c0 + w0 * _trunc(R[ar, j] * R[ar2, j], f)
    for tt in range(t_lo + 1, t_hi):
        xr = trows[par, tt]
        xr2 = trows2[par, tt]
        wt = tw[tt]
        if xr2 < 0:
            for j in range(w):
                R[dr, j] += wt * R[xr, j]
        else:
            for j in range(w):
                R[dr, j] += wt * _trunc(R[xr, j] * R[xr2, j], f)
    for j in range(w):
        v = _trunc(R[dr, j], sh)
        R[dr, j] = v if (v > 0 or not relu) else 0


@njit(**_OPTS)
def run_fixed(V, tok, t0, tau, ops, aux, kconst, trows, trows2, tw, inputs, onehot, out_node, C, n_rows,
              check_rows, check_nodes, terminal, f, max_raw, saturate,
              out, ek, et, ew, ec, ev):
    """Fixed-point twin of :func:`run_float` on raw int64 values (X = v·2^f)."""
    n, B = V.shape
    M = tok.shape[1]
    nk = ops.shape[1]
    nchk = check_rows.shape[1]
    nch = (B + C - 1) // C
    one = np.int64(1) << f
    recip_num = np.int64(1) << (2 * f) if 2 * f < 63 else np.int64(0)
    for ci in prange(nch):
        b0 = ci * C
        w = min(C, B - b0)
        R = np.empty((n_rows, C), dtype=np.int64)
        for u in range(n):
            for j in range(w):
                R[u, j] = V[u, b0 + j]
        failed = False
        g = 0
        for m in range(M):
            if onehot:
                for s in range(inputs.shape[0]):
                    u = inputs[s]
                    for j in range(w):
                        v = one if tok[b0 + j, m] == s else np.int64(0)
                        R[u, j] = v
                        R[n + u, j] = v
            else:
                u = inputs[0]
                for j in range(w):
                    v = tok[b0 + j, m] << f
                    R[u, j] = v
                    R[n + u, j] = v
            for s in range(tau):
                par = g & 1
                t = t0 + m * tau + s
                for k in range(nk):
                    code = ops[par, k, 0]
                    dr = ops[par, k, 1]
                    if code == K_AFFINE or code == K_AFFINE_RELU:
                        _x_affine(R, dr, ops[par, k, 2], ops[par, k, 3], trows, trows2, tw, par, kconst[k] << f,
                                  f, f, code == K_AFFINE_RELU, w)
                    elif code == K_AFFINE_INT or code == K_AFFINE_INT_RELU:
                        _x_affine(R, dr, ops[par, k, 2], ops[par, k, 3], trows, trows2, tw, par, kconst[k],
                                  0, f, code == K_AFFINE_INT_RELU, w)
                    elif code == K_PROD:
                        ar = ops[par, k, 2]
                        br = ops[par, k, 3]
                        for j in range(w):
                            R[dr, j] = _trunc(R[ar, j] * R[br, j], f)
                    elif code == K_RELU:
                        ar = ops[par, k, 2]
                        for j in range(w):
                            x = R[ar, j]
                            R[dr, j] = x if x > 0 else np.int64(0)
                    elif code == K_COPY:
                        ar = ops[par, k, 2]
                        for j in range(w):
                            R[dr, j] = R[ar, j]
                    elif code == K_PROD_WIDE:
                        ar = ops[par, k, 2]
                        br = ops[par, k, 3]
                        for j in range(w):
                            v, bits = mul_shift_trunc_checked(R[ar, j], R[br, j], f)
                            if bits == 0:
                                R[dr, j] = v
                            elif terminal[k] and saturate:    # |v| ≥ 2^63 > max_raw: the node saturates
                                R[dr, j] = max_raw if v > 0 else -max_raw
                            else:
                                R[dr, j] = 0
                                failed |= _flag_range(ek, et, ew, ec, ev, b0 + j, t, aux[k], m, bits)
                    elif code == K_AFFINE_WIDE:
                        t_lo = ops[par, k, 2]
                        t_hi = ops[par, k, 3]
                        c = kconst[k]
                        for j in range(w):
                            hi = np.uint64(0)
                            lo = np.uint64(0)
                            hi, lo = add_signed_product(hi, lo, c, one)
                            for tt in range(t_lo, t_hi):
                                hi, lo = add_signed_product(hi, lo, tw[tt], R[trows[par, tt], j])
                            v, bits = shift_trunc128_checked(hi, lo, f)
                            if bits == 0:
                                R[dr, j] = v
                            elif terminal[k] and saturate:    # |v| ≥ 2^63 > max_raw: the node saturates
                                R[dr, j] = max_raw if v > 0 else -max_raw
                            else:
                                R[dr, j] = 0
                                failed |= _flag_range(ek, et, ew, ec, ev, b0 + j, t, aux[k], m, bits)
                    elif code == K_RECIP or code == K_RECIP_WIDE:
                        ar = ops[par, k, 2]
                        zero = False
                        for j in range(w):
                            zero |= R[ar, j] == 0
                        if zero:
                            for j in range(w):
                                if R[ar, j] == 0:
                                    failed |= _flag_recip(ek, et, ew, ec, b0 + j, t, aux[k], m)
                        if code == K_RECIP:
                            for j in range(w):
                                x = R[ar, j]
                                if x > 0:
                                    R[dr, j] = recip_num // x
                                elif x < 0:
                                    R[dr, j] = -(recip_num // (-x))
                                else:
                                    R[dr, j] = 0
                        else:
                            for j in range(w):
                                x = R[ar, j]
                                if x == 0:
                                    R[dr, j] = 0
                                    continue
                                v, bits = recip_wide(x, f)
                                if bits == 0:
                                    R[dr, j] = v
                                elif terminal[k] and saturate:    # |v| ≥ 2^63 > max_raw: the node saturates
                                    R[dr, j] = max_raw if v > 0 else -max_raw
                                else:
                                    R[dr, j] = 0
                                    failed |= _flag_range(ek, et, ew, ec, ev, b0 + j, t, aux[k], m, bits)
                    else:  # K_CONST
                        c = kconst[k]
                        for j in range(w):
                            R[dr, j] = c
                # the node-value rule, in node order
                for i in range(nchk):
                    rr = check_rows[par, i]
                    if saturate:
                        for j in range(w):
                            x = R[rr, j]
                            R[rr, j] = max_raw if x > max_raw else (-max_raw if x < -max_raw else x)
                    else:
                        bad = False
                        for j in range(w):
                            x = R[rr, j]
                            bad |= (x > max_raw) | (x < -max_raw)
                        if bad:
                            for j in range(w):
                                x = R[rr, j]
                                if (x > max_raw or x < -max_raw) and ek[b0 + j] == ERR_NONE:
                                    ek[b0 + j] = ERR_OVERFLOW
                                    et[b0 + j] = t + 1
                                    ew[b0 + j] = check_nodes[i]
                                    ev[b0 + j] = x
                                    ec[b0 + j] = m
                                    failed = True
                g += 1
            cur = (g & 1) * n
            for j in range(w):
                out[b0 + j, m] = R[cur + out_node, j]
            if failed:
                break
        if not failed:          # a failed chunk keeps its start state (the caller may rerun it)
            cur = (g & 1) * n
            for u in range(n):
                for j in range(w):
                    V[u, b0 + j] = R[cur + u, j]
