"""Run-time errors of every engine, built in one place (THEORY §7), and the error codes the
compiled kernels record (defined here once; numba imports them, the C/CUDA sources get
them as ``#define``s from :func:`c_defines`).

Rules shared by all engines (the reference defines them, the kernels follow):

* Within one step, every Recip is evaluated before the node-value rule. When several
  nodes divide by zero in the same step, the node named is the *first in node order*
  (``RNN.nodes``, saved by ``rnnsim.save``) whose transition contains a Recip whose
  argument is 0 — so the name does not depend on the order of ``Builder.update`` calls,
  on common-subexpression sharing, nor on the engine. The time is t, the time of the
  values read.
* The node-value rule (fixed-point overflow, the exact size limit) inspects nodes in node
  order and names the first that fails, at time t+1 (the time of the new value); an
  initial value out of range fails at time 0, a value set by ``set_node_values`` says so.
* A batch reports the error of the earliest token, and among runs failing on that token
  the lowest-numbered run (the reference runs a batch run by run).
* A compiled engine that meets a value it cannot hold exactly reports
  :class:`~rnnsim.errors.EngineRangeExceeded` (node, time, bits); it never continues with
  a wrong value.
"""

from __future__ import annotations

from ..arith import NodeValueSignal, OverflowSignal, SizeSignal, value_bits
from ..errors import EngineRangeExceeded, ExactValueTooLarge, FixedPointOverflow, ReciprocalOfZero

# error codes recorded per run by the compiled kernels (kind), by priority of discovery
ERR_NONE, ERR_RECIP, ERR_OVERFLOW, ERR_RANGE = 0, 1, 2, 3
ERROR_CODES = {"ERR_NONE": ERR_NONE, "ERR_RECIP": ERR_RECIP, "ERR_OVERFLOW": ERR_OVERFLOW,
               "ERR_RANGE": ERR_RANGE}


def c_defines() -> str:
    """The error codes as C preprocessor definitions (injected into generated sources)."""
    return "".join(f"#define {k} {v}\n" for k, v in ERROR_CODES.items())


def reciprocal_of_zero(program, u: int, t: int) -> ReciprocalOfZero:
    node = program.names[u]
    return ReciprocalOfZero(
        f"node {node!r} at time {t}: reciprocal of zero while computing its value for "
        f"time {t + 1} (the argument of a Recip in its transition is 0)",
        node=node, time=t,
    )


def _when(t) -> str:
    return f"at time {t}" if t is not None else "(value set by set_node_values)"


def node_value_error(program, arith, u: int, t, signal: NodeValueSignal):
    """The error for a node value refused by ``arith.node_value`` (``t`` None: a value set
    from outside a run)."""
    node = program.names[u]
    msg = f"node {node!r} {_when(t)}: {signal}"
    if isinstance(signal, SizeSignal):
        return ExactValueTooLarge(msg, node=node, time=t, bits=signal.bits)
    assert isinstance(signal, OverflowSignal), signal
    return FixedPointOverflow(msg, node=node, time=t)


def fixed_overflow(program, arith, u: int, t: int, value) -> FixedPointOverflow:
    """Overflow of node ``u`` at time ``t`` with exact ``value`` (from a kernel record)."""
    node = program.names[u]
    return FixedPointOverflow(f"node {node!r} {_when(t)}: {arith.overflow_message(value)}", node=node, time=t)


def exact_too_large(program, arith, u: int, t, value) -> ExactValueTooLarge:
    node = program.names[u]
    return ExactValueTooLarge(f"node {node!r} {_when(t)}: {arith.size_message(value)}", node=node, time=t,
                              bits=value_bits(value))


def engine_range(program, arith, engine: str, u: int, t: int, bits: int) -> EngineRangeExceeded:
    node = program.names[u]
    return EngineRangeExceeded(
        f"engine {engine!r} cannot run {arith} exactly on this input: node {node!r} at time {t}: an "
        f"intermediate value needs {bits} bits, more than its 64-bit registers hold; use engine='reference' "
        "(engine='auto' does)", node=node, time=t, bits=bits)
