"""The engine contract: everything ``simulate``, ``simulate_batch``, ``simulate_all``, the
trace recorder and the transplant test need is on :class:`Executor` — no engine is asked
for anything else.

An engine compiles a lowered :class:`~rnnsim.program.Program` for one arithmetic into an
:class:`Executor` that advances a *batch* of independent runs:

* ``init_state(B)`` — B runs at time 0 (every node at its initial value);
* ``advance_many(state, tokens, t0, steps=None)`` — feed ``tokens[:, m]`` (int array
  (B, M)) for m = 0 … M−1, each held for ``steps`` steps (default τ) starting at time
  ``t0``; returns ``(state, outputs)`` with ``outputs[b, m]`` the output node's value after
  token m, raw (see :mod:`rnnsim.engines.raw`). ``steps=1`` with each token repeated τ
  times runs the same steps one at a time (the recorder does this), so the times in error
  messages are the same;
* ``advance(state, tokens, t0)`` — one token per run (B,), τ steps (defined here);
* ``take(state, rows)`` — the runs at ``rows`` (forking a prefix into its continuations);
* ``run_keys(state)`` — one key per run (a list of hashables, or a NumPy array of raw
  ``void`` keys), equal exactly when the two runs' node values are identical bit for bit (the program is a function of (state, token), so two
  such runs stay identical under the same tokens: verification runs each once);
* ``node_values(state, row)`` / ``set_node_values(state, row, values)`` — exact values of
  every node of one run, in node order (the recorder, the transplant test);
* ``tokens_per_call(batch)`` — how many tokens ``simulate_batch`` feeds per
  ``advance_many`` call; ``updates_per_second`` — a rough throughput (node-updates/s),
  used to decide when to show a progress bar; ``raw_outputs_dtype()``.

Errors are built by :mod:`rnnsim.engines.run_errors` (one place); an engine that cannot
run a format exactly raises :class:`~rnnsim.errors.UnsupportedFormat` from
:meth:`Engine.check`, before running — it never falls back by itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ..arith import Arithmetic, NodeValueSignal
from . import run_errors
from .raw import raw_dtype, raw_to_exact, raw_to_float  # noqa: F401 - re-exported (older imports)

MAX_TIME = (1 << 63) - 1
"""The largest RNN-time any engine runs to (compiled kernels count time in int64)."""


class Executor(ABC):
    program = None
    arith: Arithmetic = None
    engine_name: str = "?"
    updates_per_second: float = 3e6      # rough node-updates/s of this executor

    @abstractmethod
    def init_state(self, batch: int): ...

    @abstractmethod
    def advance_many(self, state, tokens: np.ndarray, t0: int, steps: int | None = None):
        """Feed ``tokens[:, m]`` for ``steps`` (default τ) steps each from time ``t0``."""

    def advance(self, state, tokens, t0: int):
        """Run τ steps from time ``t0`` (a multiple of τ) with one token per run."""
        toks = np.asarray(tokens, dtype=np.int64).reshape(-1, 1)
        state, out = self.advance_many(state, toks, t0)
        return state, out[:, 0]

    @abstractmethod
    def take(self, state, rows: np.ndarray): ...

    @abstractmethod
    def run_keys(self, state):
        """One key per run (hashables, or an array of void keys): equal iff the runs' values are
        identical bit for bit."""

    @abstractmethod
    def node_values(self, state, row: int) -> list:
        """Exact values (ints/Fractions) of every node of run ``row``, in node order."""

    @abstractmethod
    def set_node_values(self, state, row: int, values) -> None: ...

    def tokens_per_call(self, batch: int) -> int:
        """Tokens per ``advance_many`` call in ``simulate_batch`` (1: token by token)."""
        return 1

    def raw_outputs_dtype(self):
        return raw_dtype(self.arith)

    def checked_value(self, u: int, v, t: int | None):
        """The node-value rule for a value set from outside a step: an initial value
        (t = 0) or one transplanted by set_node_values (t = None)."""
        try:
            return self.arith.node_value(v)
        except NodeValueSignal as e:
            raise run_errors.node_value_error(self.program, self.arith, u, t, e) from None


class Engine(ABC):
    name: str = "?"

    def available(self) -> str | None:
        """None when usable on this machine, else the reason it is not."""
        return None

    def check(self, program, arith: Arithmetic) -> None:
        """Raise UnsupportedFormat when the engine cannot run ``program`` exactly in ``arith``."""

    @abstractmethod
    def compile(self, program, arith: Arithmetic) -> Executor: ...
