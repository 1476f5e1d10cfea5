"""Per-network straight-line C for the ``native`` CPU engine, vectorized over lanes.

Statement realized (THEORY §2.4, §8): the generated function advances W runs ("lanes") at
once exactly as the reference advances each of them in float64 — every operation of one
step written out as one statement on GCC vectors of W doubles, in the reference's order
(Affine: ((0.0 + w0·x0) + w1·x1 …) + c, a product term w·(x·y) rounded as in the
reference; Prod x·y; ReLU x > 0 ? x : 0.0, done as a comparison mask ANDed with the bits
of x, so NaN and −0.0 give +0.0; Recip 1.0/x), constants as exact round-trip literals,
compiled with FMA contraction off — and records, per lane, the first run-time error by
the rules of :mod:`rnnsim.engines.run_errors` (a Recip of zero: of the Recips with
argument 0 in one step, the node first in node order; the time t of the values read).
A group of W lanes keeps running to the end of the token in which one of its lanes
failed (so every lane's first error in that token is recorded, as the numba kernel
does), then stops and leaves its start state untouched.

The entry point ``rnn_run(V, tok, Bp, g_lo, g_hi, M, t0, steps, out, ek, et, ew, ec)``
advances lane groups ``g_lo … g_hi − 1`` (lanes ``g·W … g·W + W − 1``) of the padded state
``V[node, lane]`` (Bp lanes, Bp a multiple of W) through ``tok[lane, m]`` (m < M),
``steps`` steps per token from time ``t0``; ``out[lane, m]`` is the output after token m.
Node values, next values and temporaries are local vectors: the compiler keeps what it
can in registers (the source grows with the program, one statement per operation).
"""

from __future__ import annotations

from .codegen import literal, register_var
from .kernel_plan import K_AFFINE, K_AFFINE_RELU, K_CONST, K_COPY, K_PROD, K_RECIP, K_RELU, KernelPlan
from .run_errors import c_defines

ENTRY = "rnn_run"
ENTRY_PARAMS = ("V", "tok", "Bp", "g_lo", "g_hi", "M", "t0", "steps", "out", "ek", "et", "ew", "ec")

_PRELUDE = r"""
#include <string.h>
typedef long long i64;
typedef double vd __attribute__((vector_size(8 * W)));
typedef long long vl __attribute__((vector_size(8 * W)));
#define NO_NODE 0x7fffffffffffffffLL
static inline int any_set(vl m) {
    i64 r = 0;
    for (int j = 0; j < W; ++j) r |= m[j];
    return r != 0;
}
static inline vd relu(vd x) {           /* x > 0 ? x : +0.0 per lane (NaN, -0.0 -> +0.0) */
    const vd zero = {0};
    vl keep = x > zero;
    return (vd)((vl)x & keep);
}
static inline vd load(const double* p) { vd v; memcpy(&v, p, sizeof v); return v; }
static inline void store(double* p, vd v) { memcpy(p, &v, sizeof v); }
/* a Recip of zero on the lanes of z: remember per lane the node first in node order */
static void flag_recip(vl z, i64 node, i64* rn) {
    for (int j = 0; j < W; ++j)
        if (z[j] && node < rn[j]) rn[j] = node;
}
"""


def native_source(plan: KernelPlan, program, width: int) -> str:
    """C source of ``rnn_run`` for a float64 plan (fused or not) and W = ``width`` lanes."""
    if plan.fixed:
        raise ValueError("the native engine generates float64 code only")
    n = plan.n
    lit = lambda v: literal(v, False)  # noqa: E731

    def var(r):
        return register_var(r, n)

    updated = [u for u in range(n) if program.src[u] >= 0]
    L: list[str] = [f"#define W {int(width)}", c_defines() + _PRELUDE]
    L.append(f"/* native straight-line kernel: {n} nodes, {plan.n_ops} ops, float64, {width} lanes */")
    L.append("static int rnn_group(double* V, const i64* tok, i64 Bp, i64 b0, i64 M, i64 t0, i64 steps, "
             "double* out, int* ek, i64* et, i64* ew, i64* ec) {")
    for u in range(n):
        L.append(f"    vd v{u} = load(V + {u}LL * Bp + b0);")
    if updated:
        L.append("    vd " + ", ".join(f"w{u}" for u in updated) + ";")
    if plan.n_temps:
        L.append("    vd " + ", ".join(f"r{i}" for i in range(plan.n_temps)) + ";")
    L.append("    const vd zero = {0};")
    L.append("    (void)zero;")
    L.append("    i64 rn[W]; int rz = 0, failed = 0;")
    L.append("    for (int j = 0; j < W; ++j) rn[j] = NO_NODE;")
    L.append("    for (i64 m = 0; m < M; ++m) {")
    L.append("        double x[W];")
    for s, u in enumerate(plan.inputs):
        u = int(u)
        if plan.onehot:
            L.append(f"        for (int j = 0; j < W; ++j) x[j] = tok[(b0 + j) * M + m] == {s} ? 1.0 : 0.0;")
        else:
            L.append("        for (int j = 0; j < W; ++j) x[j] = (double)tok[(b0 + j) * M + m];")
        L.append(f"        v{u} = load(x);")
    L.append("        for (i64 s = 0; s < steps; ++s) {")
    ops = plan.ops[0]
    trows, trows2 = plan.term_rows[0], plan.term_rows2[0]
    for k in range(plan.n_ops):
        code, d, a, b = (int(x) for x in ops[k])
        c = plan.kconst[k]
        if code in (K_AFFINE, K_AFFINE_RELU):
            e = "0.0"
            for j in range(a, b):
                x = var(trows[j]) if trows2[j] < 0 else f"({var(trows[j])} * {var(trows2[j])})"
                e = f"({e} + {lit(plan.term_w[j])} * {x})"
            e = f"{e} + {lit(c)}"
            if code == K_AFFINE_RELU:
                e = f"relu({e})"
        elif code == K_PROD:
            e = f"{var(a)} * {var(b)}"
        elif code == K_RELU:
            e = f"relu({var(a)})"
        elif code == K_COPY:
            e = var(a)
        elif code == K_RECIP:
            L.append(f"            {{ vl z = {var(a)} == zero; if (any_set(z)) {{ rz = 1; "
                     f"flag_recip(z, {int(plan.aux[k])}, rn); }} }}")
            e = f"1.0 / {var(a)}"
        elif code == K_CONST:
            e = f"zero + {lit(c)}"
        else:  # pragma: no cover - float64 plans have no other codes
            raise ValueError(f"opcode {code} in a float64 plan")
        L.append(f"            {var(d)} = {e};")
    L.append("            if (rz) {")
    L.append("                i64 t = t0 + m * steps + s;")
    L.append("                for (int j = 0; j < W; ++j) {")
    L.append("                    if (rn[j] != NO_NODE && ek[b0 + j] == ERR_NONE) {")
    L.append("                        ek[b0 + j] = ERR_RECIP; et[b0 + j] = t; ew[b0 + j] = rn[j]; ec[b0 + j] = m;")
    L.append("                    }")
    L.append("                    rn[j] = NO_NODE;")
    L.append("                }")
    L.append("                rz = 0; failed = 1;")
    L.append("            }")
    for u in updated:
        L.append(f"            v{u} = w{u};")
    L.append("        }")
    L.append("        { double y[W]; store(y, v%d);" % int(plan.output))
    L.append("          for (int j = 0; j < W; ++j) out[(b0 + j) * M + m] = y[j]; }")
    L.append("        if (failed) return 1;       /* the group keeps its start state */")
    L.append("    }")
    for u in range(n):
        L.append(f"    store(V + {u}LL * Bp + b0, v{u});")
    L.append("    return 0;")
    L.append("}")
    L.append("int rnn_run(double* V, const i64* tok, i64 Bp, i64 g_lo, i64 g_hi, i64 M, i64 t0, i64 steps, "
             "double* out, int* ek, i64* et, i64* ew, i64* ec) {")
    L.append("    int failed = 0;")
    L.append("    for (i64 g = g_lo; g < g_hi; ++g)")
    L.append("        failed |= rnn_group(V, tok, Bp, g * W, M, t0, steps, out, ek, et, ew, ec);")
    L.append("    return failed;")
    L.append("}")
    return "\n".join(L) + "\n"
