"""numba's kernel cache cannot break the compiled engine (rnnsim/engines/numba_cache.py):
a corrupted or unreadable cache is rebuilt or bypassed with a warning, no cache location
means compiling in memory, concurrent first use stays correct, and ``engine="auto"``
falls back to the reference when the compiled engine is unavailable.

The corruption kinds run on a small module of kernels built with the same decorator and
guard as rnnsim's (a cold compile of the real kernels takes about a minute); the real
kernels are exercised the same way by the slow tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import rnnsim
from rnnsim import EngineUnavailable

pytestmark = pytest.mark.lemma("§2.4 arithmetic")

ROOT = Path(__file__).resolve().parents[2]

HELP = textwrap.dedent('''
    from rnnsim.engines.numba_cache import jit

    @jit(cache=True, inline="always")
    def helper(x):
        return x * 2
''')

TINY = textwrap.dedent('''
    from rnnsim.engines.numba_cache import jit
    from tinyhelp import helper

    @jit(cache=True)
    def kern(a, b):
        return helper(a) + b

    @jit(cache=True)
    def kern3(a, b, c):
        return a * b * c + 1   # v1
''')

RUN = textwrap.dedent('''
    import warnings
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as w:
        import tinymod
        from rnnsim.engines.numba_cache import call, KernelCacheWarning
        r = call(tinymod.kern, 2, 3, modules=("tinyhelp", "tinymod"))
        r3 = call(tinymod.kern3, 2, 3, 4, modules=("tinyhelp", "tinymod"))
    print(r, r3, sum(1 for x in w if issubclass(x.category, KernelCacheWarning)))
    for x in w:
        print("W", x.message)
''')


def _run(tmp_path, cache_dir, extra_env=None):
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}", NUMBA_CACHE_DIR=str(cache_dir))
    env.update(extra_env or {})
    r = subprocess.run([sys.executable, "-c", RUN], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    first = r.stdout.splitlines()[0].split()
    return int(first[0]), int(first[1]), int(first[2]), r.stdout


def _files(cache_dir, stem, ext):
    return sorted(Path(cache_dir).rglob(f"tinymod.{stem}-*.{ext}"))


@pytest.mark.slow
def test_kernel_caches_are_flushed_when_an_inlined_helper_changes(tiny):
    """numba keys a kernel's cache by its own file; the hash of every kernel module kept
    beside the cache (numba_cache.ensure_fresh) catches an edited helper."""
    _check_kind(tiny, "stale_helper")


def _corrupt(cache_dir, kind):
    nbi = _files(cache_dir, "kern", "nbi")[0]
    nbc = _files(cache_dir, "kern", "nbc")[0]
    if kind == "index_empty":
        nbi.write_bytes(b"")
    elif kind == "index_garbage":
        nbi.write_bytes(b"\x80\x04garbage" * 10)
    elif kind == "index_truncated":
        nbi.write_bytes(nbi.read_bytes()[: len(nbi.read_bytes()) // 2])
    elif kind == "data_empty":
        nbc.write_bytes(b"")
    elif kind == "data_garbage":
        nbc.write_bytes(os.urandom(200))
    elif kind == "data_truncated":
        nbc.write_bytes(nbc.read_bytes()[:40])
    elif kind == "data_deleted":
        nbc.unlink()
    elif kind == "other_kernel":          # the entries of kern3 (3 arguments) under kern's name
        nbi.write_bytes(_files(cache_dir, "kern3", "nbi")[0].read_bytes())
        for f in _files(cache_dir, "kern3", "nbc"):
            (nbc.parent / f.name.replace("kern3", "kern")).write_bytes(f.read_bytes())
    elif kind == "stale_helper":          # the inlined helper edited in its own file: numba
        src = Path(cache_dir).parent / "tinyhelp.py"     # would keep the cached kernel
        src.write_text(src.read_text().replace("x * 2", "x * 3"))
    elif kind == "dir_is_a_file":
        d = nbi.parent
        for f in d.iterdir():
            f.unlink()
        d.rmdir()
        d.write_text("not a directory")
    else:  # pragma: no cover
        raise ValueError(kind)


KINDS = ["index_empty", "index_garbage", "index_truncated", "data_empty", "data_garbage", "data_truncated",
         "data_deleted", "other_kernel", "stale_helper", "dir_is_a_file"]
FAST_KINDS = ["index_garbage"]     # the rest run with -m slow
WARNS = {"index_empty", "index_garbage", "index_truncated", "data_empty", "data_garbage", "data_truncated"}


@pytest.fixture
def tiny(tmp_path):
    """A directory with the tiny kernel module (numba's cache path depends on it)."""
    (tmp_path / "tinymod.py").write_text(TINY)
    (tmp_path / "tinyhelp.py").write_text(HELP)
    return tmp_path


def _check_kind(tiny, kind):
    cache = tiny / "cache"
    assert _run(tiny, cache)[:3] == (7, 25, 0)           # cold: compiled and saved, no warning
    _corrupt(cache, kind)
    r, r3, warned, out = _run(tiny, cache)
    assert (r, r3) == (9 if kind == "stale_helper" else 7, 25), out
    if kind in WARNS:
        assert warned == 1 and "could not be used" in out and "rebuilding it" in out, out
    again = _run(tiny, cache)
    assert again[:2] == (r, r3)
    if kind != "dir_is_a_file":
        assert again[2] == 0, again[3]                   # rebuilt: the next process loads it silently


@pytest.mark.parametrize("kind", FAST_KINDS)
def test_a_corrupted_or_stale_cache_is_rebuilt_with_a_warning(tiny, kind):
    _check_kind(tiny, kind)


@pytest.mark.slow
@pytest.mark.parametrize("kind", [k for k in KINDS if k not in FAST_KINDS])
def test_every_corruption_kind_is_rebuilt_or_bypassed(tiny, kind):
    _check_kind(tiny, kind)


def test_no_cache_location_compiles_in_memory_with_a_warning(tiny):
    r, r3, warned, out = _run(tiny, tiny / "cache", {"NUMBA_CACHE_LOCATOR_CLASSES": "IPythonCacheLocator"})
    assert (r, r3) == (7, 25) and warned >= 1 and "compiles its kernels in memory" in out
    assert not list((tiny / "cache").rglob("*.nbi"))


def test_concurrent_first_use_is_correct(tiny):
    cache = tiny / "cache"
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{tiny}", NUMBA_CACHE_DIR=str(cache))
    procs = [subprocess.Popen([sys.executable, "-c", RUN], cwd=tiny, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        assert out.split()[:2] == ["7", "25"]
    assert _run(tiny, cache)[:3] == (7, 25, 0)


def test_auto_falls_back_to_the_reference_when_numba_is_unavailable(monkeypatch):
    import rnnsim.engines.numba_cache as nc

    def broken(kernel, *args, **kw):
        raise EngineUnavailable("engine 'numba' could not compile its kernels (test)")

    monkeypatch.setattr(nc, "call", broken)
    monkeypatch.setattr(rnnsim.engines, "AUTO_MIN_WORK", 0)
    from tests.rnnsim.test_engines import _counter_net

    rnn = _counter_net()
    docs = np.array([[0, 1, 1, 0]])
    ref = rnnsim.simulate_batch(rnn, docs, "fixed:12:20", engine="reference")
    with pytest.warns(RuntimeWarning, match="rerunning on the reference"):
        got = rnnsim.simulate_batch(rnn, docs, "fixed:12:20", engine="auto")
    assert np.array_equal(got, ref)
    with pytest.raises(EngineUnavailable):
        rnnsim.simulate_batch(rnn, docs, "fixed:12:20", engine="numba")


REAL = textwrap.dedent('''
    import warnings
    warnings.simplefilter("always")
    import rnnsim
    from tests.rnnsim.test_engines import _counter_net
    with warnings.catch_warnings(record=True) as w:
        a = rnnsim.simulate_batch(_counter_net(), [[0, 1, 1, 0]], "float64", engine="numba").tolist()
        b = rnnsim.simulate_batch(_counter_net(), [[0, 1, 1, 0]], "fixed:12:20", engine="numba", raw=True).tolist()
    print(a, b, len(w))
''')


def _real(cache, extra=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=str(cache))
    env.update(extra or {})
    return subprocess.run([sys.executable, "-c", REAL], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
def test_real_kernels_survive_a_corrupted_cache_and_concurrent_first_use(tmp_path):
    from tests.rnnsim.test_engines import _counter_net

    want_a = rnnsim.simulate_batch(_counter_net(), [[0, 1, 1, 0]], "float64", engine="reference").tolist()
    want_b = rnnsim.simulate_batch(_counter_net(), [[0, 1, 1, 0]], "fixed:12:20", engine="reference",
                                   raw=True).tolist()
    cache = tmp_path / "cache"
    procs = [subprocess.Popen([sys.executable, "-c", REAL], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=str(cache)))
             for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=900)
        assert p.returncode == 0, err[-2000:]
        assert out.startswith(f"{want_a} {want_b}")
    for f in cache.rglob("numba_kernels.run_f*.nbi"):
        f.write_bytes(b"\x80\x04garbage")
    r = _real(cache)
    assert r.returncode == 0 and r.stdout.startswith(f"{want_a} {want_b}"), r.stderr[-2000:]
    r = _real(tmp_path / "other", {"NUMBA_CACHE_LOCATOR_CLASSES": "IPythonCacheLocator"})
    assert r.returncode == 0 and r.stdout.startswith(f"{want_a} {want_b}"), r.stderr[-2000:]
