"""Lowering a kernel plan to C source that compiles both as CUDA (NVRTC, for the CuPy
engine) and as plain C (gcc, so the GPU path's logic is tested on any machine).

Statement realized (THEORY §2.4): the generated code advances one run ("lane") exactly as
the reference does — float64 operations in the reference's order, constants as exact
round-trip literals (compile with FMA
contraction off: ``--fmad=false`` / ``-ffp-contract=off``), fixed point on raw int64 with
truncation toward zero (64-bit where the plan's bounds allow, otherwise exact 128-bit via
the high half of the unsigned product) — and stops a lane at its first error, recorded
as (kind, time, where, token, value) the way the numba kernel records it.

Two kernels per arithmetic:

* ``straight_line_source(plan, program, arith)``: one statement per operation, node values
  and temporaries in local variables (registers), one lane per CUDA thread. Its source
  grows with the program; used up to ``STRAIGHT_LINE_MAX_OPS`` operations.
* ``interpreter_source(arith)``: a generic interpreter of the plan's tables with the
  register file in global memory, row-major over a slice of lanes (coalesced); the same
  source for every program (compiled once), used for larger programs.

Entry points (``extern "C"``): ``rnn_run`` (straight line) and ``rnn_interp``; their
parameter lists are ``STRAIGHT_LINE_PARAMS`` and ``INTERP_PARAMS``. Under plain C the
kernel body loops over the lanes instead of using the CUDA thread index.
"""

from __future__ import annotations

from .kernel_plan import (
    K_AFFINE, K_AFFINE_INT, K_AFFINE_WIDE, K_CONST, K_COPY, K_PROD, K_PROD_WIDE, K_RECIP, K_RECIP_WIDE, K_RELU,
    KernelPlan,
)
from .run_errors import c_defines

STRAIGHT_LINE_MAX_OPS = 6000

PRELUDE = r"""
typedef long long i64;
typedef unsigned long long u64;
#ifdef __CUDACC__
#define RNN_KERNEL extern "C" __global__
#define RNN_DEVICE __device__ static __forceinline__
RNN_DEVICE u64 umulhi(u64 a, u64 b) { return __umul64hi(a, b); }
#else
#define RNN_KERNEL
#define RNN_DEVICE static inline
RNN_DEVICE u64 umulhi(u64 a, u64 b) { return (u64)(((unsigned __int128)a * b) >> 64); }
#endif
RNN_DEVICE i64 trunc_shift(i64 s, int f) { return s >= 0 ? (s >> f) : -((-s) >> f); }
RNN_DEVICE u64 uabs64(i64 x) { return x < 0 ? (u64)0 - (u64)x : (u64)x; }
RNN_DEVICE int bitlen128(u64 hi, u64 lo) {
    int n = hi ? 64 : 0; u64 x = hi ? hi : lo;
    while (x) { x >>= 1; ++n; }
    return n;
}
// ±(hi·2^64 + lo) as i64 with *bits = 0, or ±1 (its sign) with *bits = the bits it needs (≥ 64)
RNN_DEVICE i64 narrow128(int neg, u64 hi, u64 lo, i64* bits) {
    if (hi != 0 || lo >= ((u64)1 << 63)) { *bits = bitlen128(hi, lo) + 1; return neg ? -1 : 1; }
    *bits = 0;
    return neg ? -(i64)lo : (i64)lo;
}
RNN_DEVICE void shr128(u64* hi, u64* lo, int f) {
    if (f) { *lo = (*lo >> f) | (*hi << (64 - f)); *hi >>= f; }
}
RNN_DEVICE i64 mul_shift_trunc(i64 x, i64 y, int f, i64* bits) {
    u64 ux = uabs64(x), uy = uabs64(y);
    u64 hi = umulhi(ux, uy), lo = ux * uy;
    shr128(&hi, &lo, f);
    return narrow128((x < 0) != (y < 0), hi, lo, bits);
}
RNN_DEVICE void acc128(u64 *hi, u64 *lo, i64 x, i64 y) {
    u64 ux = uabs64(x), uy = uabs64(y);
    u64 phi = umulhi(ux, uy), plo = ux * uy;
    if ((x < 0) != (y < 0)) { u64 br = (u64)(*lo < plo); *lo -= plo; *hi -= phi + br; }
    else { u64 l = *lo + plo; *hi += phi + (u64)(l < *lo); *lo = l; }
}
RNN_DEVICE i64 fin128(u64 hi, u64 lo, int f, i64* bits) {
    int neg = (int)(hi >> 63);
    if (neg) { lo = ~lo + 1; hi = ~hi + (u64)(lo == 0); }
    shr128(&hi, &lo, f);
    return narrow128(neg, hi, lo, bits);
}
// trunc(2^(2f) / x), x != 0, 32 <= f <= 63: exact 128-by-64-bit division
RNN_DEVICE i64 recip_wide(i64 x, int f, i64* bits) {
    u64 d = uabs64(x), nh = (u64)1 << (2 * f - 64);
    u64 qh = nh / d, r = nh - qh * d, ql = 0;
    for (int i = 0; i < 64; ++i) { r <<= 1; ql <<= 1; if (r >= d) { r -= d; ql |= 1; } }
    return narrow128(x < 0, qh, ql, bits);
}
"""

STRAIGHT_LINE_PARAMS = ("V", "tok", "B", "M", "t0", "tau", "out", "ek", "et", "ew", "ec", "ev")
INTERP_PARAMS = ("V", "tok", "B", "M", "t0", "tau", "ops", "nk", "aux", "kconst", "trows", "nt", "tw",
                 "inputs", "n_in", "onehot", "out_node", "check_rows", "check_nodes", "terminal", "nchk", "f",
                 "maxr", "saturate", "n", "n_rows", "R", "lane0", "L", "out", "ek", "et", "ew", "ec", "ev")


def literal(v, fixed: bool) -> str:
    """An exact C literal: the shortest round-trip decimal for doubles (C and CUDA parse it
    correctly rounded, hence to the same double; hex floats would need C++17), LL integer
    for raw fixed values."""
    if fixed:
        return f"{int(v)}LL" if int(v) >= 0 else f"(-{-int(v)}LL)"
    r = repr(float(v))
    if "." not in r and "e" not in r:
        r += ".0"
    return f"({r})"


def register_var(r, n: int) -> str:
    """The C variable of plan row ``r`` in straight-line code: v<u> (node u now), w<u> (its
    next value), r<i> (temporary i)."""
    r = int(r)
    if r < n:
        return f"v{r}"
    if r < 2 * n:
        return f"w{r - n}"
    return f"r{r - 2 * n}"


def _lane_loop(body_call: str) -> str:
    return (
        "#ifdef __CUDACC__\n"
        "    i64 b = (i64)blockIdx.x * blockDim.x + threadIdx.x;\n"
        "    if (b >= B) return;\n"
        f"    {body_call}\n"
        "#else\n"
        f"    for (i64 b = 0; b < B; ++b) {body_call}\n"
        "#endif\n"
    )


def straight_line_source(plan: KernelPlan, program, arith) -> str:
    """Source of ``rnn_run``: every operation of one step as one statement."""
    if plan.fused:
        raise ValueError("the CUDA source is generated from unfused plans (build_plan(..., fuse=False))")
    fixed = plan.fixed
    T = "i64" if fixed else "double"
    n = plan.n
    f = plan.frac_bits
    lit = lambda v: literal(v, fixed)  # noqa: E731

    def var(r):
        return register_var(r, n)

    updated = [u for u in range(n) if program.src[u] >= 0]
    L: list[str] = [c_defines() + PRELUDE]
    L.append(f"// straight-line lane kernel: {n} nodes, {plan.n_ops} ops, {arith}")
    L.append(f"RNN_DEVICE void rnn_lane(i64 b, {T}* V, const i64* tok, i64 B, i64 M, i64 t0, i64 tau, {T}* out, "
             "int* ek, i64* et, i64* ew, i64* ec, i64* ev) {")
    for u in range(n):
        L.append(f"    {T} v{u} = V[{u}LL * B + b];")
    if updated:
        L.append(f"    {T} " + ", ".join(f"w{u}" for u in updated) + ";")
    if plan.n_temps:
        L.append(f"    {T} " + ", ".join(f"r{i}" for i in range(plan.n_temps)) + ";")
    L.append("    i64 bits = 0, rn = 0; int rz = 0;")
    L.append("    (void)bits; (void)rn; (void)rz;")
    L.append("    for (i64 m = 0; m < M; ++m) {")
    L.append("        i64 tk = tok[m * B + b];")
    for s, u in enumerate(plan.inputs):
        u = int(u)
        if plan.onehot:
            one = lit(1 << f) if fixed else "1.0"
            zero = "0LL" if fixed else "0.0"
            L.append(f"        v{u} = (tk == {s}) ? {one} : {zero};")
        else:
            L.append(f"        v{u} = " + (f"tk << {f};" if fixed else "(double)tk;"))
    L.append("        for (i64 s = 0; s < tau; ++s) {")
    L.append("            i64 t = t0 + m * tau + s;")
    L.append("            rz = 0;")
    mxl = lit(plan.max_raw) if fixed else "0"

    def rng(k, dv):
        if plan.saturate and plan.terminal[k]:   # read only by node commits: the node saturates
            return f"if (bits) {dv} = {dv} > 0 ? {mxl} : -{mxl};"
        return (f"if (bits) {{ ek[b] = ERR_RANGE; et[b] = t; ew[b] = {int(plan.aux[k])}; ec[b] = m; "
                "ev[b] = bits; return; }")
    ops = plan.ops[0]
    trows = plan.term_rows[0]
    for k in range(plan.n_ops):
        code, d, a, b = (int(x) for x in ops[k])
        dv = var(d)
        c = plan.kconst[k]
        if code == K_AFFINE and not fixed:
            e = "0.0"
            for j in range(a, b):
                e = f"({e} + {lit(plan.term_w[j])} * {var(trows[j])})"
            e = f"({e} + {lit(c)})"
        elif code == K_AFFINE:
            terms = " + ".join(f"{lit(plan.term_w[j])} * {var(trows[j])}" for j in range(a, b))
            e = f"trunc_shift({lit(int(c) << f)} + {terms}, {f})"
        elif code == K_AFFINE_INT:
            terms = " + ".join(f"{lit(plan.term_w[j])} * {var(trows[j])}" for j in range(a, b))
            e = f"{lit(c)} + {terms}"
        elif code == K_AFFINE_WIDE:
            L.append("            { u64 hi = 0, lo = 0;")
            L.append(f"              acc128(&hi, &lo, {lit(c)}, {lit(1 << f)});")
            for j in range(a, b):
                L.append(f"              acc128(&hi, &lo, {lit(plan.term_w[j])}, {var(trows[j])});")
            L.append(f"              {dv} = fin128(hi, lo, {f}, &bits); }}")
            L.append("            " + rng(k, dv))
            continue
        elif code == K_PROD:
            e = f"trunc_shift({var(a)} * {var(b)}, {f})" if fixed else f"{var(a)} * {var(b)}"
        elif code == K_PROD_WIDE:
            L.append(f"            {dv} = mul_shift_trunc({var(a)}, {var(b)}, {f}, &bits);")
            L.append("            " + rng(k, dv))
            continue
        elif code == K_RELU:
            e = f"{var(a)} > 0 ? {var(a)} : " + ("0LL" if fixed else "0.0")
        elif code == K_COPY:
            e = var(a)
        elif code in (K_RECIP, K_RECIP_WIDE):
            z = "0" if fixed else "0.0"
            node = int(plan.aux[k])
            L.append(f"            if ({var(a)} == {z} && (!rz || {node} < rn)) {{ rn = {node}; rz = 1; }}")
            if not fixed:
                e = f"1.0 / {var(a)}"
            elif code == K_RECIP:
                e = f"{var(a)} != 0 ? {lit(1 << (2 * f))} / {var(a)} : 0LL"
            else:
                L.append(f"            {dv} = {var(a)} != 0 ? recip_wide({var(a)}, {f}, &bits) : 0LL;")
                L.append(f"            if ({var(a)} != 0) {{ {rng(k, dv)} }}")
                continue
        elif code == K_CONST:
            e = lit(c)
        else:  # pragma: no cover
            raise ValueError(code)
        L.append(f"            {dv} = {e};")
    L.append("            if (rz) { ek[b] = ERR_RECIP; et[b] = t; ew[b] = rn; ec[b] = m; return; }")
    if fixed:
        mx = lit(plan.max_raw)
        for i, u in enumerate(plan.check_nodes):
            w = var(plan.check_rows[0, i])
            if plan.saturate:
                L.append(f"            {w} = {w} > {mx} ? {mx} : ({w} < -{mx} ? -{mx} : {w});")
            else:
                L.append(f"            if ({w} > {mx} || {w} < -{mx}) {{ ek[b] = ERR_OVERFLOW; et[b] = t + 1; "
                         f"ew[b] = {int(u)}; ev[b] = {w}; ec[b] = m; return; }}")
    for u in updated:
        L.append(f"            v{u} = w{u};")
    L.append("        }")
    L.append(f"        out[m * B + b] = v{int(plan.output)};")
    L.append("    }")
    for u in range(n):
        L.append(f"    V[{u}LL * B + b] = v{u};")
    L.append("}")
    L.append(f"RNN_KERNEL void rnn_run({T}* V, const i64* tok, i64 B, i64 M, i64 t0, i64 tau, {T}* out, "
             "int* ek, i64* et, i64* ew, i64* ec, i64* ev) {")
    L.append(_lane_loop("rnn_lane(b, V, tok, B, M, t0, tau, out, ek, et, ew, ec, ev);"))
    L.append("}")
    return "\n".join(L) + "\n"


_INTERP = r"""
RNN_DEVICE void rnn_interp_lane(i64 b, T* V, const i64* tok, i64 B, i64 M, i64 t0, i64 tau,
        const int* ops, i64 nk, const i64* aux, const T* kconst, const int* trows, i64 nt, const T* tw,
        const int* inputs, int n_in, int onehot, int out_node, const int* check_rows,
        const i64* check_nodes, const signed char* terminal, int nchk, int f, i64 maxr, int saturate, i64 n, i64 n_rows,
        T* R, i64 lane0, i64 L, T* out, int* ek, i64* et, i64* ew, i64* ec, i64* ev) {
    i64 j = b - lane0;
    i64 bits = 0, rn = 0; int rz = 0;
    (void)bits;
    #define REG(row) R[(i64)(row) * L + j]
    for (i64 u = 0; u < n; ++u) REG(u) = V[u * B + b];
    i64 g = 0;
    for (i64 m = 0; m < M; ++m) {
        i64 tk = tok[m * B + b];
        for (int s = 0; s < n_in; ++s) {
            T v = onehot ? (tk == s ? ONE : ZERO) : TOKEN(tk);
            REG(inputs[s]) = v;
            REG(n + inputs[s]) = v;
        }
        for (i64 s = 0; s < tau; ++s, ++g) {
            int par = (int)(g & 1);
            i64 t = t0 + m * tau + s;
            const int* op = ops + (i64)par * nk * 4;
            const int* tr = trows + (i64)par * nt;
            rz = 0;
            for (i64 k = 0; k < nk; ++k) {
                int code = op[4 * k], d = op[4 * k + 1], a = op[4 * k + 2], bb = op[4 * k + 3];
                OPS
            }
            if (rz) { ek[b] = ERR_RECIP; et[b] = t; ew[b] = rn; ec[b] = m; return; }
            CHECKS
        }
        out[m * B + b] = REG(((g & 1) ? n : 0) + out_node);
    }
    for (i64 u = 0; u < n; ++u) V[u * B + b] = REG(((g & 1) ? n : 0) + u);
    #undef REG
}
RNN_KERNEL void rnn_interp(T* V, const i64* tok, i64 B, i64 M, i64 t0, i64 tau,
        const int* ops, i64 nk, const i64* aux, const T* kconst, const int* trows, i64 nt, const T* tw,
        const int* inputs, int n_in, int onehot, int out_node, const int* check_rows,
        const i64* check_nodes, const signed char* terminal, int nchk, int f, i64 maxr, int saturate, i64 n, i64 n_rows,
        T* R, i64 lane0, i64 L, T* out, int* ek, i64* et, i64* ew, i64* ec, i64* ev) {
#ifdef __CUDACC__
    i64 b = lane0 + (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= B || b >= lane0 + L) return;
    LANE_CALL
#else
    for (i64 b = lane0; b < B && b < lane0 + L; ++b) LANE_CALL
#endif
}
"""

_CALL = ("rnn_interp_lane(b, V, tok, B, M, t0, tau, ops, nk, aux, kconst, trows, nt, tw, inputs, n_in, "
         "onehot, out_node, check_rows, check_nodes, terminal, nchk, f, maxr, saturate, n, n_rows, R, lane0, L, out, "
         "ek, et, ew, ec, ev);")

_OPS_FLOAT = r"""if (code == %(AFFINE)d) {
                    double acc = 0.0;
                    for (int q = a; q < bb; ++q) acc = acc + tw[q] * REG(tr[q]);
                    REG(d) = acc + kconst[k];
                } else if (code == %(PROD)d) { REG(d) = REG(a) * REG(bb);
                } else if (code == %(RELU)d) { double x = REG(a); REG(d) = x > 0.0 ? x : 0.0;
                } else if (code == %(COPY)d) { REG(d) = REG(a);
                } else if (code == %(RECIP)d) {
                    double x = REG(a);
                    if (x == 0.0 && (!rz || aux[k] < rn)) { rn = aux[k]; rz = 1; }
                    REG(d) = 1.0 / x;
                } else { REG(d) = kconst[k]; }"""

_OPS_FIXED = r"""if (code == %(AFFINE)d || code == %(AFFINE_INT)d) {
                    int sh = code == %(AFFINE)d ? f : 0;
                    i64 acc = code == %(AFFINE)d ? kconst[k] * (((i64)1) << f) : kconst[k];  // no << of negatives (UB in C)
                    for (int q = a; q < bb; ++q) acc += tw[q] * REG(tr[q]);
                    REG(d) = trunc_shift(acc, sh);
                } else if (code == %(AFFINE_WIDE)d) {
                    u64 hi = 0, lo = 0;
                    acc128(&hi, &lo, kconst[k], ((i64)1) << f);
                    for (int q = a; q < bb; ++q) acc128(&hi, &lo, tw[q], REG(tr[q]));
                    REG(d) = fin128(hi, lo, f, &bits);
                    RANGE_CHECK
                } else if (code == %(PROD)d) { REG(d) = trunc_shift(REG(a) * REG(bb), f);
                } else if (code == %(PROD_WIDE)d) {
                    REG(d) = mul_shift_trunc(REG(a), REG(bb), f, &bits);
                    RANGE_CHECK
                } else if (code == %(RELU)d) { i64 x = REG(a); REG(d) = x > 0 ? x : 0;
                } else if (code == %(COPY)d) { REG(d) = REG(a);
                } else if (code == %(RECIP)d || code == %(RECIP_WIDE)d) {
                    i64 x = REG(a);
                    if (x == 0 && (!rz || aux[k] < rn)) { rn = aux[k]; rz = 1; }
                    if (x == 0) { REG(d) = 0; }
                    else if (code == %(RECIP)d) { REG(d) = (((i64)1) << (2 * f)) / x; }
                    else { REG(d) = recip_wide(x, f, &bits); RANGE_CHECK }
                } else { REG(d) = kconst[k]; }"""

_CHECKS_FIXED = r"""for (int q = 0; q < nchk; ++q) {
                int row = check_rows[(i64)par * nchk + q];
                i64 x = REG(row);
                if (x > maxr || x < -maxr) {
                    if (saturate) { REG(row) = x > maxr ? maxr : -maxr; }
                    else { ek[b] = ERR_OVERFLOW; et[b] = t + 1; ew[b] = check_nodes[q]; ev[b] = x; ec[b] = m; return; }
                }
            }"""

_CODES = dict(AFFINE=K_AFFINE, AFFINE_INT=K_AFFINE_INT, AFFINE_WIDE=K_AFFINE_WIDE, PROD=K_PROD,
              PROD_WIDE=K_PROD_WIDE, RELU=K_RELU, COPY=K_COPY, RECIP=K_RECIP, RECIP_WIDE=K_RECIP_WIDE,
              CONST=K_CONST)
_RANGE_CHECK = ("if (bits) { if (terminal[k] && saturate) REG(d) = REG(d) > 0 ? maxr : -maxr; "
                "else { ek[b] = ERR_RANGE; et[b] = t; ew[b] = aux[k]; ec[b] = m; ev[b] = bits; return; } }")


def interpreter_source(fixed: bool) -> str:
    """Source of ``rnn_interp`` for float64 (``fixed=False``) or raw int64 fixed point."""
    body = _INTERP.replace("LANE_CALL", _CALL)
    if fixed:
        body = (body.replace("OPS", _OPS_FIXED % _CODES).replace("RANGE_CHECK", _RANGE_CHECK)
                .replace("CHECKS", _CHECKS_FIXED)
                .replace("ONE", "(((i64)1) << f)").replace("ZERO", "((i64)0)").replace("TOKEN(tk)", "(tk << f)"))
        return c_defines() + PRELUDE + "typedef i64 T;\n" + body
    body = (body.replace("OPS", _OPS_FLOAT % _CODES).replace("CHECKS", "")
            .replace("ONE", "1.0").replace("ZERO", "0.0").replace("TOKEN(tk)", "(double)tk"))
    return c_defines() + PRELUDE + "typedef double T;\n" + body
