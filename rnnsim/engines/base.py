"""The engine interface every engine implements, the reference included.

An engine compiles a lowered :class:`~rnnsim.program.Program` for one arithmetic into an
:class:`Executor` that advances a *batch* of independent runs token by token:

* ``init_state(B)``  — B runs at time 0 (every node at its initial value);
* ``advance(state, tokens)`` — feed one token per run (an int array of shape (B,)) and run
  τ steps; returns ``(state, outputs)`` with ``outputs[b]`` the output node's value at the
  new multiple of τ, in the engine's *raw* representation (see below);
* ``take(state, rows)`` — the runs at ``rows`` (used to fork a prefix into its b
  continuations for exhaustive enumeration);
* ``node_values(state, row)`` / ``set_node_values(state, row, values)`` — exact values of
  every node of one run (used by the transplant test and tests).

Raw representations: ``exact`` → Python ints/Fractions (object arrays); ``float64`` →
float64 arrays; ``Fixed(i, f)`` → the exact value times 2^f as int64 (or Python ints in the
reference). :func:`raw_to_float` / :func:`raw_to_exact` convert. Errors name node and
time: :class:`~rnnsim.errors.ReciprocalOfZero`, :class:`~rnnsim.errors.FixedPointOverflow`.
An engine that cannot represent a format exactly raises
:class:`~rnnsim.errors.UnsupportedFormat` from :meth:`Engine.check` — it never falls back.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from fractions import Fraction

import numpy as np

from ..arith import Arithmetic, Exact, Fixed, Float64, OverflowSignal
from ..errors import FixedPointOverflow


class Executor(ABC):
    program = None
    arith: Arithmetic = None

    @abstractmethod
    def init_state(self, batch: int): ...

    @abstractmethod
    def advance(self, state, tokens: np.ndarray, t0: int):
        """Run τ steps from time ``t0`` (a multiple of τ) with one token per run."""

    @abstractmethod
    def take(self, state, rows: np.ndarray): ...

    @abstractmethod
    def node_values(self, state, row: int) -> list:
        """Exact values (ints/Fractions) of every node of run ``row``, in node order."""

    @abstractmethod
    def set_node_values(self, state, row: int, values) -> None: ...

    def raw_outputs_dtype(self):
        return raw_dtype(self.arith)

    def checked_value(self, u: int, v, t: int | None):
        """The node-value rule (fixed-point overflow) for a value set from outside a step:
        an initial value (t = 0) or one transplanted by set_node_values (t = None)."""
        try:
            return self.arith.node_value(v)
        except OverflowSignal as e:
            node = self.program.names[u]
            when = f"at time {t}" if t is not None else "(value set by set_node_values)"
            raise FixedPointOverflow(f"node {node!r} {when}: {e}", node=node, time=t) from None


class Engine(ABC):
    name: str = "?"

    def available(self) -> str | None:
        """None when usable on this machine, else the reason it is not."""
        return None

    def check(self, program, arith: Arithmetic) -> None:
        """Raise UnsupportedFormat when the engine cannot run ``program`` exactly in ``arith``."""

    @abstractmethod
    def compile(self, program, arith: Arithmetic) -> Executor: ...


def raw_dtype(arith):
    if isinstance(arith, Float64):
        return np.float64
    if isinstance(arith, Fixed):
        return np.int64
    return object


def raw_to_float(values, arith) -> np.ndarray:
    """Raw engine outputs → float64 values."""
    a = np.asarray(values)
    if isinstance(arith, Float64):
        return a.astype(np.float64, copy=False)
    if isinstance(arith, Fixed):
        return a.astype(np.float64) / float(arith.scale) if a.dtype != object else np.vectorize(
            lambda v: float(Fraction(int(v), arith.scale)), otypes=[np.float64])(a)
    return np.vectorize(float, otypes=[np.float64])(a) if a.size else a.astype(np.float64)


def raw_to_exact(values, arith) -> np.ndarray:
    """Raw engine outputs → object array of exact ints/Fractions."""
    a = np.asarray(values)
    out = np.empty(a.shape, dtype=object)
    flat_in = a.reshape(-1)
    flat_out = out.reshape(-1)
    for i, v in enumerate(flat_in):
        if isinstance(arith, Fixed):
            q = Fraction(int(v), arith.scale)
        elif isinstance(arith, Float64):
            q = Fraction(float(v))
        else:
            q = Fraction(v)
        flat_out[i] = q.numerator if q.denominator == 1 else q
    return out


def exact_to_raw(value, arith):
    """One exact value → the raw representation of ``arith``."""
    if isinstance(arith, Fixed):
        q = arith.quantize(value)
        return int(q * arith.scale)
    if isinstance(arith, Float64):
        return float(value)
    return value


def is_exact_arith(arith) -> bool:
    return isinstance(arith, Exact)
