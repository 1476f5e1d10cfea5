"""Shared executor logic of the compiled engines (numba, CuPy): state as a raw array
``V[node, run]`` (float64, or int64 = value·2^f for Fixed), the Executor contract on top
of it, and turning the per-run error records of a kernel into the reference's exceptions
(built by :mod:`rnnsim.engines.run_errors`, whose rules the kernels follow).

Statement realized (THEORY §2.4, §7): a compiled engine's results and errors are those of the
reference engine, or it stops with :class:`~rnnsim.errors.EngineRangeExceeded` where a
value does not fit its registers — after rerunning the failing run on the reference
from the state it started the call with, so that an error the reference raises there (a
node overflowing with the too-large value, a reciprocal of zero in the same step) is
reported exactly as the reference reports it. A kernel records per run (kind, time, node, token,
value); of the runs that fail, the earliest token and then the lowest run is reported.
Initial values follow the node-value rule in Python before they are converted to raw
(an initial value out of range raises FixedPointOverflow at time 0 or saturates, exactly
as in the reference, whatever its size).
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from ..arith import Fixed, Float64
from ..errors import InputError, UnsupportedFormat
from . import run_errors
from .base import MAX_TIME, Engine, Executor
from .kernel_plan import KernelPlan, build_plan
from .raw import initial_value, raw_value, value_raw
from .run_errors import ERR_NONE, ERR_OVERFLOW, ERR_RANGE, ERR_RECIP


class ArrayExecutor(Executor):
    """Executor over a raw state array; subclasses implement :meth:`_run`."""

    updates_per_second = 3e8     # rough node-updates/s (decides when to show a progress bar)

    def __init__(self, program, arith, plan: KernelPlan | None = None, *, engine: str = "numba"):
        self.program = program
        self.arith = arith
        self.engine_name = engine
        self.plan = plan if plan is not None else build_plan(program, arith, engine=engine)
        self.fixed = isinstance(arith, Fixed)
        self.dtype = np.int64 if self.fixed else np.float64
        self.initial = self._initial_values()

    # ---- state ------------------------------------------------------------------------------
    def _initial_values(self) -> np.ndarray:
        p = self.program
        inputs = {int(i) for i in p.inputs}
        out = np.zeros(p.n_nodes, dtype=self.dtype)
        for u in range(p.n_nodes):
            if u not in inputs:
                out[u] = value_raw(self.checked_value(u, initial_value(p, self.arith, u), 0), self.arith)
        return out

    def init_state(self, batch: int):
        return np.repeat(self.initial[:, None], int(batch), axis=1)

    def take(self, state, rows):
        return np.ascontiguousarray(state[:, np.asarray(rows, dtype=np.int64)])

    def run_keys(self, state):
        cols = np.ascontiguousarray(self._host(state).T)           # one row of raw values per run
        return cols.view(np.dtype((np.void, cols.shape[1] * cols.itemsize))).reshape(-1)

    def node_values(self, state, row):
        return [raw_value(v, self.arith) for v in self._host(state)[:, row]]

    def set_node_values(self, state, row, values):
        raw = [value_raw(self.checked_value(u, self.arith.const(v), None), self.arith) for u, v in enumerate(values)]
        self._set_column(state, row, np.asarray(raw, dtype=self.dtype))

    def _host(self, state) -> np.ndarray:
        return state

    def _set_column(self, state, row, col):
        state[:, row] = col

    # ---- running ----------------------------------------------------------------------------
    def tokens_per_call(self, batch: int) -> int:
        """≥ 64 steps per call (loading/storing the state is amortized), ~2e8 node-updates."""
        tau = self.program.tau
        return max(-(-64 // tau), int(2e8 // max(1, batch * tau * self.program.n_nodes)))

    def advance_many(self, state, tokens, t0, steps=None):
        """Feed tokens[:, m] for m = 0 … M−1, ``steps`` (default τ) steps each from ``t0``."""
        toks = np.ascontiguousarray(tokens, dtype=np.int64)
        B, M = toks.shape
        steps = self.program.tau if steps is None else int(steps)
        if state.shape[1] != B:
            raise ValueError(f"state holds {state.shape[1]} runs but {B} token rows were given")
        if int(t0) + M * steps > MAX_TIME:
            raise InputError(f"engine {self.engine_name!r} counts time in 64 bits; time "
                             f"{int(t0) + M * steps} is beyond 2^63 − 1")
        state, out, err = self._run(state, toks, int(t0), steps)
        if err is not None:
            self._raise(err, state, toks, int(t0), steps)
        return state, out

    def _raise(self, err, state, toks, t0, steps):
        kind, time, where, col, val = err
        failed = np.flatnonzero(kind != ERR_NONE)
        if failed.size == 0:
            return
        # the reference runs token by token, run by run: the earliest token, then lowest run
        first = failed[np.lexsort((failed, col[failed]))[0]]
        t, u, k = int(time[first]), int(where[first]), int(kind[first])
        p = self.program
        if k == ERR_RECIP:
            raise run_errors.reciprocal_of_zero(p, u, t)
        if k == ERR_RANGE:
            self._rerun_on_reference(state, toks, t0, steps, int(first), int(col[first]))
            raise run_errors.engine_range(p, self.arith, self.engine_name, u, t, int(val[first]))
        assert k == ERR_OVERFLOW, k
        raise run_errors.fixed_overflow(p, self.arith, u, t, raw_value(int(val[first]), self.arith))

    def _rerun_on_reference(self, state, toks, t0, steps, run: int, m: int) -> None:
        """A value of run ``run`` did not fit during token ``m``: rerun that run's tokens
        0 … m of this call on the reference engine from its start state (a failed chunk
        keeps it). The reference's error, if any, is the true one and is raised; if the
        reference passes, the caller raises EngineRangeExceeded."""
        from .reference import ReferenceExecutor

        ref = ReferenceExecutor(self.program, self.arith)
        st = ref.init_state(1)
        ref.set_node_values(st, 0, self.node_values(state, run))
        ref.advance_many(st, toks[run:run + 1, :m + 1], t0, steps)

    @abstractmethod
    def _run(self, state, tokens, t0, steps):
        """Run the kernel over ``tokens`` (B, m) from time ``t0``, ``steps`` steps per token;
        return (state, raw outputs (B, m), error records or None)."""


class PlanEngine(Engine):
    """An engine that runs a kernel plan (numba, cupy): float64 and fixed formats only.

    Subclasses set ``name`` and implement ``plan(program, arith)`` (build or fetch the
    plan; it raises UnsupportedFormat for a format it cannot run exactly) and
    ``executor(program, arith, plan)``.
    """

    def check(self, program, arith):
        if not isinstance(arith, (Float64, Fixed)):
            raise UnsupportedFormat(
                f"engine {self.name!r} runs float64 and fixed formats only, not {arith!r}; exact "
                "arithmetic runs on engine='reference' (engine='auto' picks it)"
            )
        self.plan(program, arith)

    def compile(self, program, arith):
        self.check(program, arith)
        return self.executor(program, arith, self.plan(program, arith))
