"""Recording traces with any engine, through the :class:`~rnnsim.engines.base.Executor`
contract only (THEORY §2.3): node values at chosen times and the largest |value| per node.

Statement realized: the values recorded at time t are v_t(u) for every selected node u —
for the input nodes the token they hold at t (x_{⌊t/τ⌋+1}; at the final time N·τ, the
last token x_N) — and ``outputs[m-1]`` = v_{mτ}(o). Steps inside a token are taken one at
a time with ``advance_many(…, steps=1)`` (each step reads the same token, and times stay
global, so run-time errors name the same node and time as an unrecorded run); whole
tokens are taken at once where no time inside them is wanted. ``float64`` values are
recorded as the exact value of the double (``Fraction``), outputs as floats.
"""

from __future__ import annotations

import numpy as np

from ..arith import Float64
from .raw import raw_value, to_float


def record_run(ex, tokens, *, times=None, nodes=None, track_max: bool = False):
    """One run of ``tokens`` on executor ``ex``. ``times``: None (no values), ``"all"``,
    ``"tokens"`` (multiples of τ) or a set of times; ``nodes``: node indices recorded
    (None: all). Returns ``(outputs, times, values, max_abs, final)``."""
    p = ex.program
    tau = p.tau
    names = p.names
    sel = list(range(p.n_nodes)) if nodes is None else list(nodes)
    is_float = isinstance(ex.arith, Float64)
    inputs = [int(i) for i in p.inputs]
    onehot = p.encoding == "onehot"
    rec_times: list[int] = []
    rec: dict[str, list] = {names[u]: [] for u in sel} if times is not None else {}
    maxabs = [0] * p.n_nodes if track_max else None
    wanted_set = times if (times is not None and not isinstance(times, str)) else None

    def wanted(t: int) -> bool:
        if times is None:
            return False
        if times == "all":
            return True
        if times == "tokens":
            return t % tau == 0
        return t in wanted_set

    def observe(state, t: int, tok):
        want = wanted(t)
        if not (want or track_max):
            return
        vals = ex.node_values(state, 0)
        if tok is not None:
            if onehot:
                for s, i in enumerate(inputs):
                    vals[i] = 1 if s == tok else 0
            else:
                vals[inputs[0]] = int(tok)
        if want:
            rec_times.append(t)
            for u in sel:
                rec[names[u]].append(vals[u])
        if track_max:
            for u, v in enumerate(vals):
                a = abs(v)
                if a > maxabs[u]:
                    maxabs[u] = a

    def inner_wanted(t: int) -> bool:
        if track_max or times == "all":
            return True
        if wanted_set is not None:
            return any(t < x < t + tau for x in wanted_set)
        return False

    state = ex.init_state(1)
    outputs = []
    t = 0
    tok = None
    for tok in tokens:
        tok = int(tok)
        cell = np.array([[tok]], dtype=np.int64)
        observe(state, t, tok)
        if tau > 1 and inner_wanted(t):
            for s in range(tau):
                state, out = ex.advance_many(state, cell, t, steps=1)
                t += 1
                if s < tau - 1:
                    observe(state, t, tok)
        else:
            state, out = ex.advance_many(state, cell, t)
            t += tau
        v = out[0, 0]
        outputs.append(float(v) if is_float else raw_value(v, ex.arith))
    observe(state, t, tok)   # the final time N·τ (inputs still hold x_N)
    max_abs = None
    if track_max:
        max_abs = {names[u]: (to_float(maxabs[u]) if is_float else maxabs[u]) for u in range(p.n_nodes)}
    final = ex.node_values(state, 0)
    return outputs, rec_times, rec, max_abs, final
