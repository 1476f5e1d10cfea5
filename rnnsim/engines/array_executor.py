"""Shared executor logic of the compiled engines (numba, CuPy): state as a raw array
``V[node, run]`` (float64, or int64 = value·2^f for Fixed), the Executor interface on top
of it, and turning the per-run error records of a kernel into the reference's exceptions.

Statement realized (THEORY §2.4, §7): a compiled engine's results and errors are those of the
reference engine. The reference runs a batch run by run, so of the runs that fail on the
same token the lowest-numbered one is reported, with the reference's message: a
:class:`~rnnsim.errors.ReciprocalOfZero` names the node whose transition holds the Recip
and the time t of the values it read; a :class:`~rnnsim.errors.FixedPointOverflow` names
the node and the time t+1 of the new value. Initial values follow the node-value rule too
(an initial value out of range raises FixedPointOverflow at time 0, a transplanted one
names set_node_values).
"""

from __future__ import annotations

from abc import abstractmethod
from fractions import Fraction

import numpy as np

from ..arith import Fixed, Float64, OverflowSignal
from ..errors import FixedPointOverflow, ReciprocalOfZero, UnsupportedFormat
from .base import Engine, Executor
from .kernel_plan import KernelPlan, build_plan

ERR_NONE, ERR_RECIP, ERR_OVERFLOW = 0, 1, 2


class ArrayExecutor(Executor):
    """Executor over a raw state array; subclasses implement :meth:`_run`."""

    updates_per_second = 3e8     # rough node-updates/s (decides when to show a progress bar)

    def __init__(self, program, arith, plan: KernelPlan | None = None, *, engine: str = "numba"):
        self.program = program
        self.arith = arith
        self.plan = plan if plan is not None else build_plan(program, arith, engine=engine)
        self.fixed = isinstance(arith, Fixed)
        self.dtype = np.int64 if self.fixed else np.float64
        self.init_raw = self._initial_values()

    # ---- state ------------------------------------------------------------------------------
    def _initial_values(self) -> np.ndarray:
        p = self.program
        inputs = {int(i) for i in p.inputs}
        out = np.zeros(p.n_nodes, dtype=self.dtype)
        for u, v in enumerate(p.init):
            if u in inputs:
                continue
            out[u] = self._to_raw(self.checked_value(u, self.arith.const(v), 0))
        return out

    def _to_raw(self, v):
        if self.fixed:
            return int(Fraction(v) * self.arith.scale)
        return float(v)

    def init_state(self, batch: int):
        return np.repeat(self.init_raw[:, None], int(batch), axis=1)

    def take(self, state, rows):
        return np.ascontiguousarray(state[:, np.asarray(rows, dtype=np.int64)])

    def node_values(self, state, row):
        col = self._host(state)[:, row]
        if self.fixed:
            return [Fraction(int(v), self.arith.scale) for v in col]
        return [Fraction(float(v)) for v in col]

    def set_node_values(self, state, row, values):
        raw = [self._to_raw(self.checked_value(u, self.arith.const(v), None)) for u, v in enumerate(values)]
        self._set_column(state, row, np.asarray(raw, dtype=self.dtype))

    def _host(self, state) -> np.ndarray:
        return state

    def _set_column(self, state, row, col):
        state[:, row] = col

    # ---- running ----------------------------------------------------------------------------
    def advance(self, state, tokens, t0):
        toks = np.ascontiguousarray(np.asarray(tokens, dtype=np.int64).reshape(-1, 1))
        state, out = self.advance_many(state, toks, t0)
        return state, out[:, 0]

    def advance_many(self, state, tokens, t0):
        """Feed tokens[:, m] for m = 0 … M−1 (times t0 + m·τ); outputs (B, M) raw."""
        toks = np.ascontiguousarray(tokens, dtype=np.int64)
        B = toks.shape[0]
        if state.shape[1] != B:
            raise ValueError(f"state holds {state.shape[1]} runs but {B} token rows were given")
        state, out, err = self._run(state, toks, int(t0))
        if err is not None:
            self._raise(err, t0)
        return state, out

    def _raise(self, err, t0):
        kind, time, where, col, val = err
        names = self.program.names
        failed = np.flatnonzero(kind != ERR_NONE)
        if failed.size == 0:
            return
        # the reference runs token by token, run by run: the earliest token, then lowest run
        first = failed[np.lexsort((failed, col[failed]))[0]]
        t = int(time[first])
        if kind[first] == ERR_RECIP:
            node = names[int(self.program.op_node[int(where[first])])]
            raise ReciprocalOfZero(
                f"node {node!r} at time {t}: reciprocal of zero while computing its value for "
                f"time {t + 1} (the argument of a Recip in its transition is 0)",
                node=node, time=t,
            )
        node = names[int(where[first])]
        try:  # the arithmetic's own message, as the reference reports it
            self.arith.node_value(Fraction(int(val[first]), self.arith.scale))
            why = "fixed-point overflow"  # pragma: no cover - the kernel only flags overflows
        except OverflowSignal as e:
            why = str(e)
        raise FixedPointOverflow(f"node {node!r} at time {t}: {why}", node=node, time=t)

    @abstractmethod
    def _run(self, state, tokens, t0):
        """Run the kernel over ``tokens`` (B, m) from time ``t0``; return raw outputs (B, m)."""


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

