"""The reference engine: a plain-Python interpreter of the lowered program.

It is the definition of correct for every other engine (THEORY §2.4): in ``exact`` mode it
computes with Python ints and Fractions and never rounds; in ``Fixed`` mode it computes
each operation exactly and then truncates it with Q (see :mod:`rnnsim.arith`); in
``float64`` it uses Python floats. It also records traces (node values at chosen times
and the largest |value| per node), which the compiled engines do not.
"""

from __future__ import annotations

import numpy as np

from ..arith import Fixed, Float64, OverflowSignal
from ..errors import FixedPointOverflow, ReciprocalOfZero
from ..program import AFFINE, CONST, PROD, RECIP, RELU
from .base import Engine, Executor


class ReferenceExecutor(Executor):
    def __init__(self, program, arith):
        self.program = program
        self.arith = arith
        p = program
        conv = [arith.const(c) for c in p.consts]
        ops = []
        for k in range(p.n_ops):
            code = int(p.op_code[k])
            a, b, c = int(p.op_a[k]), int(p.op_b[k]), int(p.op_c[k])
            if code == AFFINE:
                terms = tuple((int(p.term_reg[j]), conv[int(p.term_w[j])]) for j in range(a, b))
                ops.append((code, terms, conv[c]))
            elif code == CONST:
                ops.append((code, conv[c], None))
            else:
                ops.append((code, a, b))
        self.ops = ops
        self.n = p.n_nodes
        self.src = [int(s) for s in p.src]
        self.updated = [u for u in range(self.n) if self.src[u] >= 0]
        input_regs = set(p.inputs.tolist())
        self.init = [arith.token(0) if u in input_regs else self.checked_value(u, arith.const(v), 0)
                     for u, v in enumerate(p.init)]
        self.inputs = [int(i) for i in p.inputs]
        self.fixed = isinstance(arith, Fixed)
        self.float = isinstance(arith, Float64)

    # ---- state ------------------------------------------------------------------------------
    def init_state(self, batch):
        return [list(self.init) for _ in range(batch)]

    def take(self, state, rows):
        return [list(state[int(r)]) for r in rows]

    def node_values(self, state, row):
        return [self.arith.to_exact(v) for v in state[row]]

    def set_node_values(self, state, row, values):
        state[row] = [self.checked_value(u, self.arith.const(v), None) for u, v in enumerate(values)]

    # ---- running ----------------------------------------------------------------------------
    def set_inputs(self, vals, token):
        p = self.program
        if p.encoding == "value":
            vals[self.inputs[0]] = self.arith.token(int(token))
        else:
            for s, i in enumerate(self.inputs):
                vals[i] = self.arith.token(1 if s == token else 0)

    def step(self, vals, t):
        """Values at time t → values at time t+1 (a new list)."""
        arith = self.arith
        affine, relu, prod, recip = arith.affine_regs, arith.relu, arith.prod, arith.recip
        regs = list(vals)
        push = regs.append
        k = -1
        try:
            for code, a, b in self.ops:
                k += 1
                if code == AFFINE:
                    push(affine(regs, a, b))
                elif code == RELU:
                    push(relu(regs[a]))
                elif code == PROD:
                    push(prod(regs[a], regs[b]))
                elif code == RECIP:
                    push(recip(regs[a]))
                else:
                    push(a)
        except ZeroDivisionError:
            node = self.program.names[int(self.program.op_node[k])]
            raise ReciprocalOfZero(
                f"node {node!r} at time {t}: reciprocal of zero while computing its value for "
                f"time {t + 1} (the argument of a Recip in its transition is 0)",
                node=node, time=t,
            ) from None
        new = list(vals)
        u = -1
        try:
            for u in self.updated:
                new[u] = arith.node_value(regs[self.src[u]])
        except OverflowSignal as e:
            node = self.program.names[u]
            raise FixedPointOverflow(f"node {node!r} at time {t + 1}: {e}", node=node, time=t + 1) from None
        return new

    def advance(self, state, tokens, t0):
        tau = self.program.tau
        out = np.empty(len(state), dtype=object if not self.float else np.float64)
        o = self.program.output
        for r, vals in enumerate(state):
            self.set_inputs(vals, tokens[r])
            t = t0
            for _ in range(tau):
                vals = self.step(vals, t)
                t += 1
            state[r] = vals
            out[r] = self._raw(vals[o])
        return state, out

    def raw_outputs_dtype(self):
        # fixed formats wider than int64 keep their raw integers as Python ints
        if self.fixed and self.arith.int_bits + self.arith.frac_bits > 62:
            return object
        return super().raw_outputs_dtype()

    def _raw(self, v):
        if self.fixed:
            return int(v * self.arith.scale)
        return v

    def run_recording(self, tokens, *, times=None, nodes=None, track_max=False, state=None):
        """One run with recording. ``times``: None (no values), "all", "tokens" or a set."""
        vals = list(self.init) if state is None else list(state)
        names = self.program.names
        sel = list(range(self.n)) if nodes is None else list(nodes)
        rec_times: list[int] = []
        rec: dict[str, list] = {names[u]: [] for u in sel} if times is not None else {}
        maxabs = [0] * self.n if track_max else None
        tau = self.program.tau
        outputs = []

        def record(t, vals):
            if times is None:
                return
            if times == "all" or (times == "tokens" and t % tau == 0) or (
                not isinstance(times, str) and t in times
            ):
                rec_times.append(t)
                for u in sel:
                    rec[names[u]].append(self.arith.to_exact(vals[u]))

        def upd_max(vals):
            for u in range(self.n):
                a = abs(vals[u])
                if a > maxabs[u]:
                    maxabs[u] = a

        t = 0
        for m, tok in enumerate(tokens):
            self.set_inputs(vals, tok)
            record(t, vals)
            if track_max:
                upd_max(vals)
            for _ in range(tau):
                vals = self.step(vals, t)
                t += 1
                if t % tau:
                    record(t, vals)
                    if track_max:
                        upd_max(vals)
            outputs.append(self.arith.to_exact(vals[self.program.output]) if not self.float else vals[self.program.output])
        # the final time N·τ (inputs would hold x_{N+1}, which does not exist)
        record(t, vals)
        if track_max:
            upd_max(vals)
        max_abs = None
        if track_max:
            max_abs = {names[u]: self.arith.to_exact(maxabs[u]) if not self.float else maxabs[u] for u in range(self.n)}
        return outputs, rec_times, rec, max_abs, vals


class ReferenceEngine(Engine):
    name = "reference"

    def compile(self, program, arith):
        return ReferenceExecutor(program, arith)
