"""The reference engine: a plain-Python interpreter of the lowered program.

It is the definition of correct for every other engine (THEORY §2.4): in ``exact`` mode it
computes with Python ints and Fractions and never rounds; in ``Fixed`` mode it computes
each operation exactly and then truncates it with Q (see :mod:`rnnsim.arith`); in
``float64`` it uses Python floats. Traces are recorded for every engine alike by
:mod:`rnnsim.engines.recorder`.
"""

from __future__ import annotations

import struct

import numpy as np

from ..arith import Fixed, Float64, NodeValueSignal
from ..program import AFFINE, CONST, PROD, RECIP, RELU
from . import run_errors
from .base import Engine, Executor
from .raw import initial_value, program_constants, value_raw


class ReferenceExecutor(Executor):
    engine_name = "reference"

    def __init__(self, program, arith):
        self.program = program
        self.arith = arith
        p = program
        conv = program_constants(p, arith, raw=False)
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
        self.init = [arith.token(0) if u in input_regs else self.checked_value(u, initial_value(p, arith, u), 0)
                     for u in range(self.n)]
        self.inputs = [int(i) for i in p.inputs]
        self.fixed = isinstance(arith, Fixed)
        self.float = isinstance(arith, Float64)

    # ---- state ------------------------------------------------------------------------------
    def init_state(self, batch):
        return [list(self.init) for _ in range(batch)]

    def take(self, state, rows):
        return [list(state[int(r)]) for r in rows]

    def run_keys(self, state):
        # floats by their bits (−0.0 and 0.0 differ, NaNs by payload); ints/Fractions as they are
        return [tuple(struct.pack("<d", v) if isinstance(v, float) else v for v in run) for run in state]

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
        try:
            for code, a, b in self.ops:
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
            raise run_errors.reciprocal_of_zero(self.program, self._first_zero_recip(vals), t) from None
        new = list(vals)
        u = -1
        try:
            for u in self.updated:
                new[u] = arith.node_value(regs[self.src[u]])
        except NodeValueSignal as e:
            raise run_errors.node_value_error(self.program, arith, u, t + 1, e) from None
        return new

    def _first_zero_recip(self, vals) -> int:
        """The node named when Recips divide by zero (run_errors: first in node order whose
        transition holds a Recip with argument 0). Recomputes the step, going on past
        zero arguments (their results are unused: a node holding a Recip that depends on
        a failed one also holds the failed one, so it cannot come first)."""
        arith = self.arith
        regs = list(vals)
        best = None
        owner = self.program.op_node
        for k, (code, a, b) in enumerate(self.ops):
            if code == RECIP:
                if regs[a] == 0:
                    u = int(owner[k])
                    best = u if best is None else min(best, u)
                    regs.append(regs[a])
                    continue
                regs.append(arith.recip(regs[a]))
            elif code == AFFINE:
                regs.append(arith.affine_regs(regs, a, b))
            elif code == RELU:
                regs.append(arith.relu(regs[a]))
            elif code == PROD:
                regs.append(arith.prod(regs[a], regs[b]))
            else:
                regs.append(a)
        return best

    def advance_many(self, state, tokens, t0, steps=None):
        steps = self.program.tau if steps is None else int(steps)
        toks = np.asarray(tokens)
        B, M = toks.shape
        out = np.empty((B, M), dtype=self.raw_outputs_dtype())
        o = self.program.output
        for r in range(B):
            vals = state[r]
            t = t0
            for m in range(M):
                self.set_inputs(vals, toks[r, m])
                for _ in range(steps):
                    vals = self.step(vals, t)
                    t += 1
                state[r] = vals
                out[r, m] = self._raw(vals[o])
        return state, out

    def raw_outputs_dtype(self):
        # fixed formats wider than int64 keep their raw integers as Python ints
        if self.fixed and self.arith.int_bits + self.arith.frac_bits > 62:
            return object
        return super().raw_outputs_dtype()

    def _raw(self, v):
        return value_raw(v, self.arith) if self.fixed else v


class ReferenceEngine(Engine):
    name = "reference"

    def compile(self, program, arith):
        return ReferenceExecutor(program, arith)
