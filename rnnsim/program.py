"""Lowering of an RNN to a flat, immutable program — the only thing engines see.

Register file: registers ``0 … n−1`` hold the node values at time t (inputs first, in
``RNN.nodes`` order); registers ``n …`` are temporaries, one per operation. Operations are
listed in topological order; structurally equal subexpressions anywhere in the network
are computed once (common-subexpression sharing) and constants are pooled. One step is

    for op in ops: reg[op.dst] = op(reg)            # reads registers < op.dst only
    new[u] = reg[src[u]]  for every non-input u       # double-buffered commit

Opcodes: CONST (pool[c]); AFFINE (Σ pool[w_k]·reg[r_k] over terms[start:stop], + pool[c]);
RELU (reg[a]); PROD (reg[a]·reg[b]); RECIP (1/reg[a]). Transitions are lowered in node
order (``RNN.nodes``), so ``op_node`` — for each operation, the first node *in node order*
whose transition contains it (used in error messages, see
:mod:`rnnsim.engines.run_errors`) — and the program itself do not depend on the order of
``Builder.update`` calls (a network and its saved and reloaded copy lower identically).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .expr import Affine, Const, Expr, Node, Prod, Recip, ReLU
from .gcpause import gc_paused

CONST, AFFINE, RELU, PROD, RECIP = 0, 1, 2, 3, 4
OPNAMES = {CONST: "const", AFFINE: "affine", RELU: "relu", PROD: "prod", RECIP: "recip"}


@dataclass(frozen=True, eq=False)
class Program:
    names: tuple[str, ...]
    n_nodes: int
    inputs: np.ndarray          # register of each input node (int32)
    encoding: str               # "value" | "onehot"
    alphabet: int
    output: int
    tau: int
    hidden: np.ndarray          # registers of hidden nodes
    init: tuple                 # exact initial value per node (0 for inputs)
    consts: tuple               # exact constant pool (ints/Fractions)
    op_code: np.ndarray         # int8 [n_ops]
    op_a: np.ndarray            # int32 [n_ops]   first operand register / term start / const idx
    op_b: np.ndarray            # int32 [n_ops]   second operand register / term stop
    op_c: np.ndarray            # int32 [n_ops]   constant index (AFFINE offset, CONST value)
    op_node: np.ndarray         # int32 [n_ops]   node whose transition first used the op
    term_reg: np.ndarray        # int32 [n_terms]
    term_w: np.ndarray          # int32 [n_terms] index into consts
    src: np.ndarray             # int32 [n_nodes] register holding the new value; -1 for inputs

    @property
    def n_ops(self) -> int:
        return len(self.op_code)

    @property
    def n_regs(self) -> int:
        return self.n_nodes + self.n_ops

    def dst(self, k: int) -> int:
        return self.n_nodes + k

    def consts_float(self) -> np.ndarray:
        return np.array([float(c) for c in self.consts], dtype=np.float64)

    def kind_counts(self) -> dict[str, int]:
        counts = {name: 0 for name in OPNAMES.values()}
        for c in self.op_code:
            counts[OPNAMES[int(c)]] += 1
        counts["copy"] = int(sum(1 for u in range(self.n_nodes) if 0 <= self.src[u] < self.n_nodes))
        return counts

    def listing(self) -> str:
        """Human-readable op list (for debugging and RNNSIM_DUMP)."""
        lines = []
        n = self.n_nodes

        def r(i):
            return self.names[i] if i < n else f"t{i - n}"

        for k in range(self.n_ops):
            c = int(self.op_code[k])
            a, b, ci = int(self.op_a[k]), int(self.op_b[k]), int(self.op_c[k])
            if c == CONST:
                rhs = str(self.consts[ci])
            elif c == AFFINE:
                rhs = " + ".join(f"{self.consts[self.term_w[j]]}*{r(int(self.term_reg[j]))}" for j in range(a, b))
                rhs += f" + {self.consts[ci]}"
            elif c == RELU:
                rhs = f"relu({r(a)})"
            elif c == PROD:
                rhs = f"{r(a)} * {r(b)}"
            else:
                rhs = f"1/{r(a)}"
            lines.append(f"t{k} = {rhs}    # {self.names[self.op_node[k]]}")
        for u in range(n):
            if self.src[u] >= 0:
                lines.append(f"{self.names[u]}' = {r(int(self.src[u]))}")
        return "\n".join(lines)


def lower(rnn) -> Program:
    with gc_paused():      # an acyclic table built from millions of objects (rnnsim.gcpause)
        return _lower(rnn)


def _lower(rnn) -> Program:
    names = rnn.nodes
    n = len(names)
    index = {nm: i for i, nm in enumerate(names)}
    const_idx: dict = {}
    consts: list = []

    def cidx(v) -> int:
        # a Fraction and an int never share an entry; the key avoids hashing Fractions
        key = (v.numerator, v.denominator) if type(v) is Fraction else v
        k = const_idx.get(key)
        if k is None:
            k = len(consts)
            consts.append(v)
            const_idx[key] = k
        return k

    reg_of: dict[Expr, int] = {}
    op_code: list[int] = []
    op_a: list[int] = []
    op_b: list[int] = []
    op_c: list[int] = []
    op_node: list[int] = []
    term_reg: list[int] = []
    term_w: list[int] = []

    # Each transition is walked in post-order (children right to left, as Expr.walk does); an
    # object already lowered (by id) is not entered again: its whole subtree is lowered
    # already. An equal subexpression lowered before (reg_of) is found when the walk leaves
    # it. ``by_id`` gives every lowered object's register. The stack holds a subexpression
    # to enter as itself and one to leave (its children lowered) as a 1-tuple; Node leaves
    # and objects lowered already are never pushed (popping them would do nothing).
    src = np.full(n, -1, dtype=np.int64)
    by_id: dict[int, int] = {}
    transitions = rnn.transitions
    reg_setdefault, cget = reg_of.setdefault, const_idx.get
    add_code, add_a, add_b, add_c, add_node = (op_code.append, op_a.append, op_b.append, op_c.append,
                                               op_node.append)
    add_treg, add_tw = term_reg.append, term_w.append
    for u in names:
        f = transitions.get(u)
        if f is None:
            continue
        owner = index[u]
        if type(f) is Node:
            src[owner] = index[f.name]
            continue
        stack: list = [f]
        pop, push = stack.pop, stack.append
        while stack:
            e = pop()
            t = type(e)
            if t is tuple:                      # leaving: every child is lowered
                e = e[0]
                t = type(e)
            elif id(e) in by_id:
                continue
            elif t is Affine:
                push((e,))
                for c, _ in e.terms:
                    if type(c) is not Node and id(c) not in by_id:
                        push(c)
                continue
            elif t is not Const:
                push((e,))
                for c in e.children():
                    if type(c) is not Node and id(c) not in by_id:
                        push(c)
                continue
            i = id(e)
            if i in by_id:          # reached twice in this walk: lowered at the first
                continue
            reg = n + len(op_code)
            r = reg_setdefault(e, reg)  # hashed here, after its children (deep chains: no recursion)
            if r != reg:            # an equal subexpression is lowered already
                by_id[i] = r
                continue
            if t is Affine:
                start = len(term_reg)
                for c, w in e.terms:
                    add_treg(index[c.name] if type(c) is Node else by_id[id(c)])
                    key = (w.numerator, w.denominator) if type(w) is Fraction else w
                    k = cget(key)
                    add_tw(cidx(w) if k is None else k)
                code, a, b, c = AFFINE, start, len(term_reg), cidx(e.const)
            elif t is ReLU:
                code, a, b, c = RELU, _reg(e.arg, index, by_id), 0, 0
            elif t is Prod:
                code, a, b, c = PROD, _reg(e.left, index, by_id), _reg(e.right, index, by_id), 0
            elif t is Const:
                code, a, b, c = CONST, 0, 0, cidx(e.value)
            elif t is Recip:
                code, a, b, c = RECIP, _reg(e.arg, index, by_id), 0, 0
            else:  # pragma: no cover
                raise TypeError(type(e))
            add_code(code)
            add_a(a)
            add_b(b)
            add_c(c)
            add_node(owner)
            by_id[i] = reg
        src[owner] = by_id[id(f)]

    i32 = lambda xs: np.asarray(xs, dtype=np.int32)  # noqa: E731
    init = tuple(rnn.init.get(nm, 0) for nm in names)
    return Program(
        names=tuple(names), n_nodes=n, inputs=i32([index[i] for i in rnn.inputs]),
        encoding=rnn.input_encoding, alphabet=rnn.alphabet, output=index[rnn.output],
        tau=rnn.tau, hidden=i32([index[h] for h in rnn.hidden]), init=init, consts=tuple(consts),
        op_code=np.asarray(op_code, dtype=np.int8), op_a=i32(op_a), op_b=i32(op_b), op_c=i32(op_c),
        op_node=i32(op_node), term_reg=i32(term_reg), term_w=i32(term_w), src=i32(src),
    )


def _reg(e: Expr, index, by_id) -> int:
    if type(e) is Node:
        return index[e.name]
    return by_id[id(e)]
