/* C baseline for bench_engines.py (THEORY §8): the lowered Program's operation list run in
 * float64 with the batch contiguous per register, so every inner loop over the batch
 * vectorizes. Same evaluation order as the reference (Affine: s = 0; s += w*x; s + c).
 * Build: gcc -O3 -march=native -ffp-contract=off -shared -fPIC c_baseline.c -o c_baseline.so
 * Registers: regs[r * C + j] for a chunk of C runs; nodes first, then one temp per op. */
#include <stdlib.h>
#include <string.h>

enum { CONST = 0, AFFINE = 1, RELU = 2, PROD = 3, RECIP = 4 };

void run_f64(double *V, long n, long B, long n_ops, const signed char *code, const int *opa,
             const int *opb, const int *opc, const int *treg, const double *tw, const double *consts,
             const int *src, long steps, long C) {
    long n_regs = n + n_ops;
    double *R = (double *)aligned_alloc(64, sizeof(double) * n_regs * C + 64);
    double *NV = (double *)aligned_alloc(64, sizeof(double) * n * C + 64);
    for (long b0 = 0; b0 < B; b0 += C) {
        long w = B - b0 < C ? B - b0 : C;
        for (long u = 0; u < n; ++u) memcpy(R + u * C, V + u * B + b0, sizeof(double) * w);
        for (long s = 0; s < steps; ++s) {
            for (long k = 0; k < n_ops; ++k) {
                double *restrict d = R + (n + k) * C;
                int c = code[k];
                if (c == AFFINE) {
                    for (long j = 0; j < w; ++j) d[j] = 0.0;
                    for (int t = opa[k]; t < opb[k]; ++t) {
                        const double *restrict x = R + (long)treg[t] * C;
                        double wt = tw[t];
                        for (long j = 0; j < w; ++j) d[j] += wt * x[j];
                    }
                    double cc = consts[opc[k]];
                    for (long j = 0; j < w; ++j) d[j] += cc;
                } else if (c == RELU) {
                    const double *restrict x = R + (long)opa[k] * C;
                    for (long j = 0; j < w; ++j) d[j] = x[j] > 0.0 ? x[j] : 0.0;
                } else if (c == PROD) {
                    const double *restrict x = R + (long)opa[k] * C;
                    const double *restrict y = R + (long)opb[k] * C;
                    for (long j = 0; j < w; ++j) d[j] = x[j] * y[j];
                } else if (c == RECIP) {
                    const double *restrict x = R + (long)opa[k] * C;
                    for (long j = 0; j < w; ++j) d[j] = 1.0 / x[j];
                } else {
                    double cc = consts[opc[k]];
                    for (long j = 0; j < w; ++j) d[j] = cc;
                }
            }
            /* commit: node-to-node copies through NV first, then temps straight in */
            for (long u = 0; u < n; ++u)
                if (src[u] >= 0 && src[u] < n) memcpy(NV + u * C, R + (long)src[u] * C, sizeof(double) * w);
            for (long u = 0; u < n; ++u)
                if (src[u] >= n) memcpy(R + u * C, R + (long)src[u] * C, sizeof(double) * w);
                else if (src[u] >= 0) memcpy(R + u * C, NV + u * C, sizeof(double) * w);
        }
        for (long u = 0; u < n; ++u) memcpy(V + u * B + b0, R + u * C, sizeof(double) * w);
    }
    free(R);
    free(NV);
}
