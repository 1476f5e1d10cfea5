"""The CUDA engine's generated source built as plain C with gcc, as an executor: the GPU
path's logic runs (and is compared with the reference) on any machine with gcc.

``CSourceExecutor(program, arith, "straight" | "interp")`` is an
:class:`~rnnsim.engines.array_executor.ArrayExecutor` over the C build; ``needs_gcc``
skips a test where gcc is missing.
"""

from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from rnnsim.engines.array_executor import ArrayExecutor
from rnnsim.engines.codegen import interpreter_source, straight_line_source
from rnnsim.engines.kernel_plan import build_plan

GCC = shutil.which("gcc")
needs_gcc = pytest.mark.skipif(GCC is None, reason="gcc is not installed")
_BUILD = Path(tempfile.gettempdir()) / "rnnsim_codegen_tests"
_LIBS: dict = {}
EXTRA_CFLAGS: list[str] = []      # e.g. ["-fsanitize=undefined", "-fno-sanitize-recover"] when hunting UB

P = ctypes.c_void_p
I64 = ctypes.c_longlong
I32 = ctypes.c_int


def _build(src: str) -> ctypes.CDLL:
    key = hashlib.sha256((src + " ".join(EXTRA_CFLAGS)).encode()).hexdigest()[:20]
    if key not in _LIBS:
        _BUILD.mkdir(parents=True, exist_ok=True)
        c = _BUILD / f"k{key}.c"
        so = _BUILD / f"k{key}.so"
        if not so.exists():
            c.write_text(src)
            subprocess.run([GCC, "-O1", "-shared", "-fPIC", "-ffp-contract=off", "-fno-fast-math", *EXTRA_CFLAGS,
                            "-x", "c", str(c), "-o", str(so)], check=True, capture_output=True)
        _LIBS[key] = ctypes.CDLL(str(so))
    return _LIBS[key]


class CSourceExecutor(ArrayExecutor):
    """Runs the CUDA engine's source compiled as plain C (lanes looped on the CPU)."""

    def __init__(self, program, arith, kind):
        super().__init__(program, arith, build_plan(program, arith, engine="cupy", fuse=False), engine="cupy")
        self.kind = kind
        if kind == "straight":
            self.lib = _build(straight_line_source(self.plan, program, arith))
        else:
            self.lib = _build(interpreter_source(self.fixed))

    def _run(self, state, toks, t0, steps):
        p = self.plan
        V = np.ascontiguousarray(state, dtype=self.dtype)
        B, M = toks.shape
        tok = np.ascontiguousarray(toks.T)
        out = np.zeros((M, B), dtype=self.dtype)
        ek = np.zeros(B, dtype=np.int32)
        et, ew, ec, ev = (np.zeros(B, dtype=np.int64) for _ in range(4))
        ptr = lambda a: P(a.ctypes.data)  # noqa: E731
        if self.kind == "straight":
            self.lib.rnn_run(ptr(V), ptr(tok), I64(B), I64(M), I64(t0), I64(steps), ptr(out), ptr(ek), ptr(et),
                             ptr(ew), ptr(ec), ptr(ev))
        else:
            arrs = dict(ops=np.ascontiguousarray(p.ops, dtype=np.int32), aux=p.aux, kconst=p.kconst,
                        trows=np.ascontiguousarray(p.term_rows, dtype=np.int32), tw=p.term_w,
                        inputs=p.inputs.astype(np.int32), check_rows=np.ascontiguousarray(p.check_rows, dtype=np.int32),
                        check_nodes=p.check_nodes, terminal=np.ascontiguousarray(p.terminal, dtype=np.int8))
            L = 3   # a small slice so that several slices are exercised
            R = np.zeros(p.n_rows * L, dtype=self.dtype)
            for lane0 in range(0, B, L):
                self.lib.rnn_interp(
                    ptr(V), ptr(tok), I64(B), I64(M), I64(t0), I64(steps), ptr(arrs["ops"]),
                    I64(p.n_ops), ptr(arrs["aux"]), ptr(arrs["kconst"]), ptr(arrs["trows"]),
                    I64(p.term_rows.shape[1]), ptr(arrs["tw"]), ptr(arrs["inputs"]), I32(len(p.inputs)),
                    I32(int(p.onehot)), I32(p.output), ptr(arrs["check_rows"]), ptr(arrs["check_nodes"]),
                    ptr(arrs["terminal"]),
                    I32(len(p.check_nodes)), I32(p.frac_bits), I64(p.max_raw), I32(int(p.saturate)),
                    I64(p.n), I64(p.n_rows), ptr(R), I64(lane0), I64(L), ptr(out), ptr(ek), ptr(et),
                    ptr(ew), ptr(ec), ptr(ev))
        err = (ek, et, ew, ec, ev) if ek.any() else None
        return V, np.ascontiguousarray(out.T), err
