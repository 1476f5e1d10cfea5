"""The native CPU engine: per-network straight-line C, vectorized over lanes, compiled with
the system C compiler and loaded with ctypes — for the small batches (1…64 runs) where the
numba interpreter is bound by its per-operation dispatch.

Statement realized (THEORY §2.4, §8): ``engine="native"`` returns in float64 exactly the
outputs and node values of the reference engine (the same operations in the same order,
see :mod:`rnnsim.engines.native_codegen`; the tests compare the raw bits, sign of zeros
included, with numba's) and
raises the reference's errors (node, time, cause). Fixed-point and exact arithmetic are
refused with :class:`~rnnsim.errors.UnsupportedFormat` (they run on ``numba`` and
``reference``). ``engine="auto"`` never picks it; it is chosen by name.

Lanes: the batch is cut into groups of W runs (W = 8 with AVX-512, 4 with AVX2, else 2:
one vector register of doubles); the last group is padded with copies of the batch's
last run, whose results and errors are dropped. Groups are split over threads (the
compiled call releases the GIL) when there are at least two. A group in which a run
fails keeps its start state, as numba's chunks do.

Compilation: ``gcc`` (else ``cc``; ``RNNSIM_CC`` names another) with ``-O1`` (the run time
of ``-O2`` measured the same, its compile time 2× longer), FMA contraction off and no
fast-math. The shared library is cached on disk under ``RNNSIM_NATIVE_CACHE`` (default
``~/.cache/rnnsim/native``), named by the SHA-256 of the source, the compiler's version
and the flags (the ISA flag chosen for this machine is one of them), written to a
temporary file and renamed into place, so processes running at once never load half a
file; and per (program, arithmetic) in this process.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import threading
import weakref
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..arith import Fixed, Float64
from ..errors import EngineUnavailable, UnsupportedFormat
from .array_executor import ArrayExecutor
from .base import Engine
from .plan_dump import dump_plan
from .native_codegen import native_source
from .numba_engine import cached_plan
from .threads import run_parts

BASE_FLAGS = ("-O1", "-shared", "-fPIC", "-ffp-contract=off", "-fno-fast-math", "-fno-strict-aliasing")
_LIBS: dict[str, ctypes.CDLL] = {}
_KERNELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def compiler() -> str | None:
    """Path of the C compiler: ``RNNSIM_CC``, else gcc, else cc (None: none found)."""
    forced = os.environ.get("RNNSIM_CC")
    if forced:
        return shutil.which(forced)
    return shutil.which("gcc") or shutil.which("cc")


@lru_cache(maxsize=8)
def compiler_version(cc: str) -> str:
    r = subprocess.run([cc, "--version"], capture_output=True, text=True)
    return (r.stdout or r.stderr).splitlines()[0] if (r.stdout or r.stderr) else cc


@lru_cache(maxsize=1)
def _cpu_flags() -> frozenset:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def lane_width() -> tuple[int, tuple[str, ...]]:
    """(W, ISA flags) for this machine: one vector register of doubles. Measured on round 5
    of ``boosting.iterate`` (k = 2): W = 8 with ``-mavx512f`` 1.2 s per token at batch 16,
    W = 4 with ``-mavx2`` 2.0 s; W = 8 with only AVX2 (two registers) 5× slower and W = 16
    with AVX-512 5× slower (spills); without an ISA flag (SSE2) W = 4 1.4–2× slower than W = 2.
    ``RNNSIM_NATIVE_WIDTH`` forces W (with no ISA flag unless the machine has one that fits)."""
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    flags = _cpu_flags() if x86 else frozenset()
    if "avx512f" in flags:
        best = (8, ("-mavx512f",))
    elif "avx2" in flags:
        best = (4, ("-mavx2",))
    else:
        best = (2, ())
    forced = int(os.environ.get("RNNSIM_NATIVE_WIDTH", 0))
    if forced and forced != best[0]:
        return forced, best[1] if forced < best[0] else ()
    return best


def cache_dir() -> Path:
    """``RNNSIM_NATIVE_CACHE`` if set (used as given: an unwritable one is an error), else
    ``~/.cache/rnnsim/native``, or — where the home directory cannot be written (CI sandboxes,
    read-only homes) — ``<tmp>/rnnsim-native-<uid>``, made private to this user."""
    d = os.environ.get("RNNSIM_NATIVE_CACHE")
    if d:
        return Path(d)
    home = Path.home() / ".cache" / "rnnsim" / "native"
    try:
        home.mkdir(parents=True, exist_ok=True)
        if os.access(home, os.W_OK):
            return home
    except OSError:
        pass
    uid = os.getuid() if hasattr(os, "getuid") else None
    tmp = Path(tempfile.gettempdir()) / f"rnnsim-native-{uid if uid is not None else 'user'}"
    try:
        tmp.mkdir(mode=0o700, exist_ok=True)
        foreign = uid is not None and tmp.stat().st_uid != uid
    except OSError:
        foreign = False               # build_library names the directory it cannot write
    if foreign:                       # libraries are loaded from here: never from another user's directory
        raise EngineUnavailable(f"engine 'native': {tmp} belongs to another user; set RNNSIM_NATIVE_CACHE "
                                "to a directory of your own")
    return tmp


def build_library(src: str, flags: tuple[str, ...]) -> ctypes.CDLL:
    """Compile ``src`` into a shared library (or load it from the disk cache)."""
    cc = compiler()
    if cc is None:
        raise EngineUnavailable("engine 'native' needs a C compiler (gcc or cc) on PATH; none was found")
    flags = BASE_FLAGS + tuple(flags)
    key = hashlib.sha256("\0".join((src, compiler_version(cc), " ".join(flags), platform.machine()))
                         .encode()).hexdigest()
    with _LOCK:
        if key in _LIBS:
            return _LIBS[key]
        d = cache_dir()
        so = d / f"rnn_{key[:32]}.so"
        if not so.exists():
            try:
                d.mkdir(parents=True, exist_ok=True)
                tmpdir = tempfile.TemporaryDirectory(dir=d, prefix=".build-")
            except OSError as e:
                raise EngineUnavailable(f"engine 'native' cannot write its cache directory {d} ({e}); "
                                        "set RNNSIM_NATIVE_CACHE to a writable directory") from None
            with tmpdir as tmp:
                c, out = Path(tmp) / "kernel.c", Path(tmp) / "kernel.so"
                c.write_text(src)
                r = subprocess.run([cc, *flags, "-x", "c", str(c), "-o", str(out)], capture_output=True, text=True)
                if r.returncode != 0 or not out.exists():
                    head = "\n".join((r.stderr or r.stdout).strip().splitlines()[:12])
                    raise EngineUnavailable(f"engine 'native': the C compiler {cc} failed "
                                            f"(exit status {r.returncode}):\n{head}")
                os.replace(out, so)            # atomic: another process sees all of it or nothing
        _LIBS[key] = lib = ctypes.CDLL(str(so))
        return lib


def native_kernel(program, arith, plan, width: int, isa: tuple[str, ...]):
    """The compiled ``rnn_run`` of ``plan`` (cached per program, arithmetic, W and plan object)."""
    per = _KERNELS.setdefault(program, {})
    key = (str(arith), width, isa)
    if key not in per or per[key][0] is not plan:
        src = native_source(plan, program, width)
        dump_plan(plan, program, arith, "native", text=src, suffix="c")
        fn = build_library(src, isa).rnn_run
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_longlong] * 6 + [ctypes.c_void_p] * 5
        per[key] = (plan, fn)
    return per[key][1]


class NativeExecutor(ArrayExecutor):
    updates_per_second = 1e9

    def __init__(self, program, arith, plan, threads=None, width=None):
        super().__init__(program, arith, plan, engine="native")
        self.threads = threads
        self.width, isa = lane_width() if width is None else (int(width), ())
        self.kernel = native_kernel(program, arith, plan, self.width, isa)

    def _run(self, state, toks, t0, steps):
        W = self.width
        V = np.ascontiguousarray(state, dtype=np.float64)
        B, M = toks.shape
        if B == 0:
            return V, np.empty((0, M)), None
        Bp = -(-B // W) * W
        if Bp != B:      # pad with copies of the last run (a real one); dropped below
            Vp = np.ascontiguousarray(np.concatenate([V, np.repeat(V[:, -1:], Bp - B, axis=1)], axis=1))
            tk = np.ascontiguousarray(np.concatenate([toks, np.repeat(toks[-1:], Bp - B, axis=0)]))
        else:
            Vp, tk = V, np.ascontiguousarray(toks)
        out = np.empty((Bp, M), dtype=np.float64)
        ek = np.zeros(Bp, dtype=np.int32)
        et, ew, ec = (np.zeros(Bp, dtype=np.int64) for _ in range(3))
        threads = self.threads or int(os.environ.get("RNNSIM_THREADS", 0)) or os.cpu_count() or 1
        ptrs = [a.ctypes.data for a in (out, ek, et, ew, ec)]

        def call(lo, hi):
            self.kernel(Vp.ctypes.data, tk.ctypes.data, Bp, lo, hi, M, t0, steps, *ptrs)

        run_parts(call, Bp // W, threads)
        if Bp != B:
            V[:, :] = Vp[:, :B]
        ek = ek[:B]
        err = (ek, et[:B], ew[:B], ec[:B], np.zeros(B, dtype=np.int64)) if ek.any() else None
        return V, np.ascontiguousarray(out[:B]), err


class NativeEngine(Engine):
    name = "native"

    def __init__(self, threads: int | None = None):
        self.threads = threads

    def available(self):
        if compiler() is None:
            return "no C compiler found (engine 'native' compiles with gcc or cc; RNNSIM_CC names another)"
        return None

    def check(self, program, arith):
        if isinstance(arith, Fixed):
            raise UnsupportedFormat(f"engine 'native' runs float64 only, not {arith}; fixed formats run on "
                                    "engine='numba' (engine='auto' picks it)")
        if not isinstance(arith, Float64):
            raise UnsupportedFormat(f"engine 'native' runs float64 only, not {arith}; exact arithmetic runs on "
                                    "engine='reference' (engine='auto' picks it)")
        self.plan(program, arith)

    def plan(self, program, arith):
        return cached_plan(program, arith, "native")        # unfused: -O1 compiles it faster

    def compile(self, program, arith):
        self.check(program, arith)
        return NativeExecutor(program, arith, self.plan(program, arith), self.threads)
