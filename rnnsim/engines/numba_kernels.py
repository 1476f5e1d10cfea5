"""The numba kernels: one generic interpreter of a :class:`~rnnsim.engines.kernel_plan.KernelPlan`
per arithmetic (float64, fixed point on int64), batched and parallel over the batch.

Statement realized (SPEC §2.3–§2.4): for every run b of the batch, the kernel computes the
same values as the reference engine — float64 operations in the reference's order
(Affine: s = 0.0; s = s + w·x per term; s + c), fixed-point operations on raw integers
X = v·2^f with truncation toward zero after every Affine (shift by f), Prod (shift by f)
and Recip (2^(2f) / X) — and records, per run, the first run-time error in the
reference's order (earliest token; within a step every Recip in program order before the
overflow rule, which inspects nodes in node order). The caller raises it.

Layout: the batch is cut into chunks of C runs; each chunk owns a flat register file
``R[row, j]`` (C runs per row, contiguous), so every operation is
one vectorizable loop over C runs; chunks run in parallel (``prange``). The kernel is
compiled once per machine (numba's on-disk cache); a program is data (the plan's tables),
so a new network never recompiles. Generated straight-line numba source per program was
measured to compile far too slowly to be useful here (about 3 s for 100 nodes and 90 s
for 1000 nodes, and LLVM did not vectorize it), so the interpreter is used at every size.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .kernel_plan import (
    K_AFFINE, K_AFFINE_INT, K_AFFINE_WIDE, K_CONST, K_COPY, K_PROD, K_PROD_WIDE, K_RECIP, K_RELU,
)
from .wide import add_signed_product, mul_shift_trunc, shift_trunc128

ERR_NONE, ERR_RECIP, ERR_OVERFLOW = 0, 1, 2

_OPTS = dict(parallel=True, cache=True, nogil=True, boundscheck=False, error_model="numpy")


@njit(**_OPTS)
def run_float(V, tok, t0, tau, ops, aux, kconst, trows, tw, inputs, onehot, out_node, C,
              out, ek, et, ew, ec):
    """Advance the runs in ``V`` (n × B float64, updated in place) through the tokens
    ``tok`` (B × M); ``out[b, m]`` = output after token m. Errors go to ek/et/ew/ec."""
    n, B = V.shape
    M = tok.shape[1]
    nk = ops.shape[1]
    nch = (B + C - 1) // C
    n_rows = 0
    for p in range(2):
        for k in range(nk):
            n_rows = max(n_rows, ops[p, k, 1] + 1)
    n_rows = max(n_rows, 2 * n)
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
            _set_inputs_float(R, tok, m, b0, w, n, inputs, onehot)
            for s in range(tau):
                par = g & 1
                t = t0 + m * tau + s
                for k in range(nk):
                    code = ops[par, k, 0]
                    dv = R[ops[par, k, 1]]
                    if code == K_AFFINE:
                        t_lo = ops[par, k, 2]
                        t_hi = ops[par, k, 3]
                        c = kconst[k]
                        nt = t_hi - t_lo
                        av = R[trows[par, t_lo]]
                        w0 = tw[t_lo]
                        if nt == 1:
                            for j in range(w):
                                dv[j] = (0.0 + w0 * av[j]) + c
                        elif nt == 2:
                            bv = R[trows[par, t_lo + 1]]
                            w1 = tw[t_lo + 1]
                            for j in range(w):
                                dv[j] = ((0.0 + w0 * av[j]) + w1 * bv[j]) + c
                        else:
                            for j in range(w):
                                dv[j] = 0.0 + w0 * av[j]
                            for tt in range(t_lo + 1, t_hi - 1):
                                av = R[trows[par, tt]]
                                wt = tw[tt]
                                for j in range(w):
                                    dv[j] = dv[j] + wt * av[j]
                            av = R[trows[par, t_hi - 1]]
                            wt = tw[t_hi - 1]
                            for j in range(w):
                                dv[j] = (dv[j] + wt * av[j]) + c
                    elif code == K_PROD:
                        av = R[ops[par, k, 2]]
                        bv = R[ops[par, k, 3]]
                        for j in range(w):
                            dv[j] = av[j] * bv[j]
                    elif code == K_RELU:
                        av = R[ops[par, k, 2]]
                        for j in range(w):
                            x = av[j]
                            dv[j] = x if x > 0.0 else 0.0
                    elif code == K_COPY:
                        av = R[ops[par, k, 2]]
                        for j in range(w):
                            dv[j] = av[j]
                    elif code == K_RECIP:
                        av = R[ops[par, k, 2]]
                        zero = False
                        for j in range(w):
                            zero |= av[j] == 0.0
                        if zero:
                            for j in range(w):
                                if av[j] == 0.0 and ek[b0 + j] == ERR_NONE:
                                    ek[b0 + j] = ERR_RECIP
                                    et[b0 + j] = t
                                    ew[b0 + j] = aux[k]
                                    ec[b0 + j] = m
                                    failed = True
                        for j in range(w):
                            dv[j] = 1.0 / av[j]
                    else:  # K_CONST
                        c = kconst[k]
                        for j in range(w):
                            dv[j] = c
                g += 1
            cur = (g & 1) * n
            for j in range(w):
                out[b0 + j, m] = R[cur + out_node, j]
            if failed:
                break
        cur = (g & 1) * n
        for u in range(n):
            for j in range(w):
                V[u, b0 + j] = R[cur + u, j]


@njit(inline="always", cache=True)
def _set_inputs_float(R, tok, m, b0, w, n, inputs, onehot):
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


@njit(inline="always", cache=True)
def _trunc(s, f):
    """trunc(s / 2^f) toward zero."""
    return (s >> f) if s >= 0 else -((-s) >> f)


@njit(**_OPTS)
def run_fixed(V, tok, t0, tau, ops, aux, kconst, trows, tw, inputs, onehot, out_node, C,
              check_rows, check_nodes, f, max_raw, saturate,
              out, ek, et, ew, ec, ev):
    """Fixed-point twin of :func:`run_float` on raw int64 values (X = v·2^f)."""
    n, B = V.shape
    M = tok.shape[1]
    nk = ops.shape[1]
    nchk = check_rows.shape[1]
    nch = (B + C - 1) // C
    n_rows = 0
    for p in range(2):
        for k in range(nk):
            n_rows = max(n_rows, ops[p, k, 1] + 1)
    n_rows = max(n_rows, 2 * n)
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
                    dv = R[ops[par, k, 1]]
                    if code == K_AFFINE_INT or code == K_AFFINE:
                        t_lo = ops[par, k, 2]
                        t_hi = ops[par, k, 3]
                        c = kconst[k] if code == K_AFFINE_INT else kconst[k] << f
                        sh = 0 if code == K_AFFINE_INT else f
                        nt = t_hi - t_lo
                        av = R[trows[par, t_lo]]
                        w0 = tw[t_lo]
                        if nt == 1:
                            for j in range(w):
                                dv[j] = _trunc(c + w0 * av[j], sh)
                        elif nt == 2:
                            bv = R[trows[par, t_lo + 1]]
                            w1 = tw[t_lo + 1]
                            for j in range(w):
                                dv[j] = _trunc(c + w0 * av[j] + w1 * bv[j], sh)
                        else:
                            for j in range(w):
                                dv[j] = c + w0 * av[j]
                            for tt in range(t_lo + 1, t_hi - 1):
                                av = R[trows[par, tt]]
                                wt = tw[tt]
                                for j in range(w):
                                    dv[j] += wt * av[j]
                            av = R[trows[par, t_hi - 1]]
                            wt = tw[t_hi - 1]
                            for j in range(w):
                                dv[j] = _trunc(dv[j] + wt * av[j], sh)
                    elif code == K_PROD:
                        av = R[ops[par, k, 2]]
                        bv = R[ops[par, k, 3]]
                        for j in range(w):
                            dv[j] = _trunc(av[j] * bv[j], f)
                    elif code == K_RELU:
                        av = R[ops[par, k, 2]]
                        for j in range(w):
                            x = av[j]
                            dv[j] = x if x > 0 else np.int64(0)
                    elif code == K_COPY:
                        av = R[ops[par, k, 2]]
                        for j in range(w):
                            dv[j] = av[j]
                    elif code == K_PROD_WIDE:
                        av = R[ops[par, k, 2]]
                        bv = R[ops[par, k, 3]]
                        for j in range(w):
                            dv[j] = mul_shift_trunc(av[j], bv[j], f)
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
                            dv[j] = shift_trunc128(hi, lo, f)
                    elif code == K_RECIP:
                        av = R[ops[par, k, 2]]
                        zero = False
                        for j in range(w):
                            zero |= av[j] == 0
                        if zero:
                            for j in range(w):
                                if av[j] == 0 and ek[b0 + j] == ERR_NONE:
                                    ek[b0 + j] = ERR_RECIP
                                    et[b0 + j] = t
                                    ew[b0 + j] = aux[k]
                                    ec[b0 + j] = m
                                    failed = True
                        for j in range(w):
                            x = av[j]
                            if x > 0:
                                dv[j] = recip_num // x
                            elif x < 0:
                                dv[j] = -(recip_num // (-x))
                            else:
                                dv[j] = 0
                    else:  # K_CONST
                        c = kconst[k]
                        for j in range(w):
                            dv[j] = c
                # the node-value rule, in node order
                for i in range(nchk):
                    rv = R[check_rows[par, i]]
                    if saturate:
                        for j in range(w):
                            x = rv[j]
                            rv[j] = max_raw if x > max_raw else (-max_raw if x < -max_raw else x)
                    else:
                        bad = False
                        for j in range(w):
                            x = rv[j]
                            bad |= (x > max_raw) | (x < -max_raw)
                        if bad:
                            for j in range(w):
                                x = rv[j]
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
        cur = (g & 1) * n
        for u in range(n):
            for j in range(w):
                V[u, b0 + j] = R[cur + u, j]
