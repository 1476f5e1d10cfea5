"""Running independent shards of one job: inline, on local worker processes, or on a Dask
distributed cluster — with a progress bar over shards and retries when a worker is lost.

What holds (the contract :mod:`workflows.verify` relies on): ``run_shards(fn, job, args)``
returns ``[fn(job, a) for a in args]`` in the order of ``args`` whatever the backend, the
number of workers and the failures on the way; ``fn`` must be deterministic and a
module-level function (workers import it by name), ``job`` picklable with cloudpickle (it is
serialized once and sent once per worker).

Backends:
* ``workers=1`` and no scheduler: inline, in this process.
* ``workers=n > 1``: n local processes (``spawn``: a fresh interpreter each, so numba's
  thread pool of this process is never forked), each with cores/n numba threads. Scripts
  that call this need the usual ``if __name__ == "__main__":`` guard.
* ``scheduler="tcp://host:8786"`` (or a ``distributed.Client``): tasks on that cluster.

Worker loss: a local process that dies (killed, out of memory) breaks the pool; the shards
not yet finished are resubmitted to a new pool. On Dask, the scheduler itself reruns a task
whose worker died (counted from the scheduler's record of each task, ``suspicious``), and a
task that ends in ``KilledWorker`` or a lost connection is resubmitted here. Both are
counted in :class:`RunStats` (``lost_workers``, ``retries``); a shard that loses its worker
more than ``max_retries`` times raises :class:`WorkerLost`. An exception raised by ``fn``
itself is not retried (the computation is deterministic): it is raised here unchanged.

``fault`` (tests only): ``{"shard": i, "action": "exit" | "close_worker", "marker": path}``
makes the first attempt of shard i kill its worker process (``exit``) or close its Dask
worker (``close_worker``); the marker file makes it happen once.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

__all__ = ["RunStats", "WorkerLost", "run_shards", "default_workers"]


class WorkerLost(RuntimeError):
    """A shard lost its worker more often than allowed."""


@dataclass
class RunStats:
    backend: str                      # "inline", "processes", "dask tcp://…"
    workers: int
    retries: int = 0                  # shard executions repeated because a worker was lost
    lost_workers: int = 0             # worker losses seen
    events: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


# ---- worker side ---------------------------------------------------------------------------------

_JOBS: dict[bytes, Any] = {}


def _load(payload: bytes):
    key = hashlib.sha1(payload).digest()
    if key not in _JOBS:
        import cloudpickle

        _JOBS.clear()
        _JOBS[key] = cloudpickle.loads(payload)
    return _JOBS[key]


def _maybe_fault(fault, i: int) -> None:
    if not fault or fault.get("shard") != i:
        return
    marker = fault["marker"]
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.close(fd)
    if fault["action"] == "exit":
        os._exit(17)
    if fault["action"] == "close_worker":
        import asyncio

        from distributed import get_worker

        w = get_worker()
        asyncio.run_coroutine_threadsafe(w.close(), w.loop.asyncio_loop)
        time.sleep(2.0)               # still running when the scheduler drops the worker


def _call(payload: bytes, i: int, arg):
    fn, job, fault = _load(payload)
    _maybe_fault(fault, i)
    return fn(job, arg)


_PAYLOAD: bytes | None = None
CONNECT_TIMEOUT_S = 20


def _init_process(payload: bytes, threads: int) -> None:
    global _PAYLOAD
    os.environ["NUMBA_NUM_THREADS"] = str(threads)     # before numba is imported here
    os.environ["RNNSIM_THREADS"] = str(threads)
    os.environ.setdefault("RNNSIM_NO_PROGRESS", "1")
    _PAYLOAD = payload
    _load(payload)


def _call_process(i: int, arg):
    return _call(_PAYLOAD, i, arg)


def _suspicious(keys, dask_scheduler=None) -> dict:
    """(on the scheduler) how often each task was on a worker that died."""
    return {k: dask_scheduler.tasks[k].suspicious for k in keys if k in dask_scheduler.tasks}


# ---- coordinator side ------------------------------------------------------------------------------

def _bar(total: int, progress, desc: str):
    from tqdm import tqdm

    show = progress if progress is not None else (total > 1 and sys.stderr.isatty()
                                                  and not os.environ.get("RNNSIM_NO_PROGRESS"))
    return tqdm(total=total, desc=desc, unit="shard", disable=not show, leave=False)


def run_shards(fn: Callable, job, args: Sequence, *, workers: int = 1, scheduler=None,
               progress: bool | None = None, max_retries: int = 3, desc: str = "shards",
               fault: dict | None = None) -> tuple[list, RunStats]:
    """``[fn(job, a) for a in args]`` on the chosen backend (module docstring) and its stats."""
    t0 = time.perf_counter()
    args = list(args)
    if scheduler is not None:
        out, stats = _run_dask(fn, job, args, scheduler, progress, max_retries, desc, fault)
    elif workers <= 1 or len(args) <= 1:
        stats = RunStats("inline", 1)
        out = []
        with _bar(len(args), progress, desc) as bar:
            for i, a in enumerate(args):
                out.append(fn(job, a))
                bar.update()
    else:
        out, stats = _run_processes(fn, job, args, min(workers, len(args)), progress, max_retries,
                                    desc, fault)
    stats.wall_s = time.perf_counter() - t0
    return out, stats


def _payload(fn, job, fault) -> bytes:
    import cloudpickle

    return cloudpickle.dumps((fn, job, fault))


def _count_loss(stats: RunStats, attempts: list, pending, max_retries: int, what: str) -> None:
    stats.lost_workers += 1
    stats.retries += len(pending)
    stats.events.append(f"{what}: {len(pending)} shard(s) resubmitted")
    for i in pending:
        attempts[i] += 1
        if attempts[i] > max_retries:
            raise WorkerLost(f"shard {i} lost its worker {attempts[i]} times (max_retries = {max_retries})")


def _run_processes(fn, job, args, workers, progress, max_retries, desc, fault):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    payload = _payload(fn, job, fault)
    threads = max(1, default_workers() // workers)
    stats = RunStats("processes", workers)
    results: list = [None] * len(args)
    pending = set(range(len(args)))
    attempts = [0] * len(args)
    ctx = multiprocessing.get_context("spawn")
    with _bar(len(args), progress, desc) as bar:
        while pending:
            pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_process,
                                       initargs=(payload, threads))
            broken = False
            try:
                futs = {pool.submit(_call_process, i, args[i]): i for i in sorted(pending)}
                for f in as_completed(futs):
                    i = futs[f]
                    try:
                        results[i] = f.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    pending.discard(i)
                    bar.update()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True, cancel_futures=True)
            if broken and pending:
                _count_loss(stats, attempts, pending, max_retries, "a worker process died")
    return results, stats


def _run_dask(fn, job, args, scheduler, progress, max_retries, desc, fault):
    from distributed import Client, KilledWorker, as_completed

    own = not isinstance(scheduler, Client)
    if own:
        try:
            client = Client(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as e:
            raise ValueError(f"cannot reach the Dask scheduler at {scheduler!r}: {e}") from None
    else:
        client = scheduler
    futs: dict = {}
    try:
        n_workers = len(client.scheduler_info().get("workers", {}))
        stats = RunStats(f"dask {client.scheduler.address}", n_workers)
        payload = client.scatter(_payload(fn, job, fault), broadcast=True, hash=False)
        token = uuid.uuid4().hex[:12]
        results: list = [None] * len(args)
        attempts = [0] * len(args)
        keys: list[str] = []

        def submit(i):
            key = f"rnnsim-{desc}-{token}-{i}-{attempts[i]}"
            keys.append(key)
            return client.submit(_call, payload, i, args[i], key=key, pure=False)

        for i in range(len(args)):
            f = submit(i)
            futs[f.key] = (i, f)
        ac = as_completed([f for _, f in futs.values()], loop=client.loop)
        with _bar(len(args), progress, desc) as bar:
            for f in ac:
                i, _ = futs[f.key]
                if f.status == "error":
                    exc = f.exception()
                    if isinstance(exc, (KilledWorker, OSError)):
                        _count_loss(stats, attempts, [i], max_retries, f"shard {i}: {type(exc).__name__}")
                        g = submit(i)
                        futs[g.key] = (i, g)
                        ac.add(g)
                        continue
                    client.cancel([g for _, g in futs.values()])
                    raise exc
                results[i] = f.result()
                bar.update()
        reruns = client.run_on_scheduler(_suspicious, keys=keys)
        extra = sum(reruns.values())
        if extra:
            stats.retries += extra
            stats.lost_workers += 1
            stats.events.append(f"the scheduler reran {extra} shard(s) after losing their worker")
        return results, stats
    finally:
        if own:
            client.close()
