"""The GPU engine (CuPy): the plan of a program run by a generated CUDA kernel, one run per
thread, state kept on the device between tokens. Install with ``pip install -e .[gpu]``.

Statement realized (THEORY §2.4, §8): ``engine="cupy"`` computes what the reference computes —
bit-identical raw integers in the fixed formats the plan accepts (64-bit arithmetic where
the bounds allow, exact 128-bit products via ``__umul64hi`` otherwise; wider formats are
refused with :class:`~rnnsim.errors.UnsupportedFormat`), float64 with the reference's
operation order and FMA contraction disabled (``--fmad=false``), so equal up to the sign
of zeros — and raises the reference's errors. Programs of up to
:data:`~rnnsim.engines.codegen.STRAIGHT_LINE_MAX_OPS` operations run as straight-line
kernels (one statement per operation, values in registers); larger ones run on a generic
interpreter kernel whose register file lives in device memory (lanes processed in slices
so that it stays under ``INTERP_BYTES``). CuPy caches compiled kernels on disk, and this
module caches them per (program, arithmetic) in the process.

The CUDA source is shared with a plain-C build (see :mod:`rnnsim.engines.codegen`), which
the test-suite compiles with gcc and compares with the reference on machines without a GPU.
"""

from __future__ import annotations

import weakref

import numpy as np

from .array_executor import ArrayExecutor, PlanEngine
from .codegen import STRAIGHT_LINE_MAX_OPS, interpreter_source, straight_line_source
from .plan_dump import dump_plan
from .numba_engine import cached_plan

BLOCK = 128
INTERP_BYTES = 1 << 30
NVRTC_OPTIONS = ("--fmad=false",)
_KERNELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_INTERP_KERNELS: dict = {}


def _cupy():
    import cupy

    return cupy


def straight_line_kernel(program, arith, plan):
    cp = _cupy()
    per = _KERNELS.setdefault(program, {})
    key = str(arith)
    if key not in per:
        src = straight_line_source(plan, program, arith)
        dump_plan(plan, program, arith, "cupy", text=src, suffix="cu")
        per[key] = cp.RawKernel(src, "rnn_run", options=NVRTC_OPTIONS)
    return per[key]


def interpreter_kernel(fixed: bool):
    cp = _cupy()
    if fixed not in _INTERP_KERNELS:
        _INTERP_KERNELS[fixed] = cp.RawKernel(interpreter_source(fixed), "rnn_interp", options=NVRTC_OPTIONS)
    return _INTERP_KERNELS[fixed]


class CupyExecutor(ArrayExecutor):
    updates_per_second = 1e10

    def __init__(self, program, arith, plan):
        super().__init__(program, arith, plan, engine="cupy")
        self.straight = plan.n_ops <= STRAIGHT_LINE_MAX_OPS
        cp = _cupy()
        self.dev = {}
        if not self.straight:
            p = plan
            self.dev = {k: cp.asarray(np.ascontiguousarray(v)) for k, v in dict(
                ops=p.ops.astype(np.int32), aux=p.aux, kconst=p.kconst, trows=p.term_rows.astype(np.int32),
                tw=p.term_w, inputs=p.inputs.astype(np.int32), check_rows=p.check_rows.astype(np.int32),
                check_nodes=p.check_nodes, terminal=p.terminal.astype(np.int8)).items()}

    # ---- state on the device ------------------------------------------------------------------
    def init_state(self, batch):
        cp = _cupy()
        return cp.asarray(np.repeat(self.initial[:, None], int(batch), axis=1))

    def take(self, state, rows):
        cp = _cupy()
        return cp.ascontiguousarray(state[:, cp.asarray(np.asarray(rows, dtype=np.int64))])

    def _host(self, state):
        return _cupy().asnumpy(state)

    def _set_column(self, state, row, col):
        state[:, row] = _cupy().asarray(col)

    # ---- running ----------------------------------------------------------------------------
    def _run(self, state, toks, t0, steps):
        cp = _cupy()
        p = self.plan
        B, M = toks.shape
        V = state if isinstance(state, cp.ndarray) else cp.asarray(state)
        V = cp.ascontiguousarray(V, dtype=self.dtype)
        tok = cp.asarray(np.ascontiguousarray(toks.T))            # (M, B): coalesced per token
        out = cp.empty((M, B), dtype=self.dtype)
        ek = cp.zeros(B, dtype=np.int32)
        et, ew, ec, ev = (cp.zeros(B, dtype=np.int64) for _ in range(4))
        i64 = np.int64
        if B:
            if self.straight:
                kern = straight_line_kernel(self.program, self.arith, p)
                kern(((B + BLOCK - 1) // BLOCK,), (BLOCK,),
                     (V, tok, i64(B), i64(M), i64(t0), i64(steps), out, ek, et, ew, ec, ev))
            else:
                kern = interpreter_kernel(self.fixed)
                d = self.dev
                L = int(max(1, min(B, INTERP_BYTES // (8 * p.n_rows))))
                R = cp.empty(p.n_rows * L, dtype=self.dtype)
                for lane0 in range(0, B, L):
                    width = min(L, B - lane0)
                    kern(((width + BLOCK - 1) // BLOCK,), (BLOCK,), (
                        V, tok, i64(B), i64(M), i64(t0), i64(steps), d["ops"], i64(p.n_ops),
                        d["aux"], d["kconst"], d["trows"], i64(p.term_rows.shape[1]), d["tw"], d["inputs"],
                        np.int32(len(p.inputs)), np.int32(p.onehot), np.int32(p.output), d["check_rows"],
                        d["check_nodes"], d["terminal"], np.int32(len(p.check_nodes)), np.int32(p.frac_bits), i64(p.max_raw),
                        np.int32(p.saturate), i64(p.n), i64(p.n_rows), R, i64(lane0), i64(L), out,
                        ek, et, ew, ec, ev))
        host_out = cp.asnumpy(out).T
        err = None
        if bool(ek.any()):
            err = tuple(cp.asnumpy(a) for a in (ek, et, ew, ec, ev))
        return V, host_out, err


class CupyEngine(PlanEngine):
    name = "cupy"

    def available(self):
        try:
            import cupy
        except ImportError as e:
            return f"CuPy is not installed (pip install -e .[gpu]): {e}"
        try:
            if cupy.cuda.runtime.getDeviceCount() < 1:
                return "no CUDA device is visible"
        except Exception as e:  # noqa: BLE001 - CUDA raises many kinds
            return f"no usable CUDA device: {e}"
        return None

    def plan(self, program, arith):
        return cached_plan(program, arith, "cupy")

    def executor(self, program, arith, plan):
        return CupyExecutor(program, arith, plan)
