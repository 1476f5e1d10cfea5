"""Kernel plans: the frozen Program lowered to integer tables for the compiled engines, and
the exactness check of fixed-point formats (SPEC §2.4: an engine that cannot represent a
format exactly refuses it; it never silently differs).

Statement realized (SPEC §2.4, "intermediates may use wider internal precision; an engine
that cannot represent them exactly must refuse the format"): with raw values X = v·2^f held
in signed 64-bit integers and products/sums formed in 64 or 128 bits, the compiled engines
compute every operation of a ``Fixed(i, f)`` run *exactly as the reference does* provided
that, for every operation, (a) the exact intermediate before truncation is < 2^127 in
magnitude (< 2^63 for the fast 64-bit path), and (b) the truncated result is < 2^63. Both
are decided before running from a magnitude bound per register: node values satisfy
|X| ≤ 2^(i+f) − 1 (every node value passes the overflow rule), tokens |X| ≤ (b−1)·2^f, and
for the operations, with M the operand bounds and W, C the quantized raw constants,

    Affine   |Σ W_j·X_j + C·2^f| ≤ Σ|W_j|·M_j + |C|·2^f        result ≤ that / 2^f
    Affine with every W_j a multiple of 2^f (integer weights):  Σ|W_j/2^f|·M_j + |C|, no shift
    Prod     |X·Y| ≤ M_a·M_b                                    result ≤ that / 2^f
    Recip    2^(2f)/|X| ≤ 2^(2f)   (needs f ≤ 31)               ReLU keeps M.

A program that fails (a) or (b) somewhere raises :class:`~rnnsim.errors.UnsupportedFormat`
naming the operation's node, the bits it needs, and the largest ``Fixed(i, f)`` with the
same f that this network supports.

Physical register layout (the "plan"): rows ``[0, n)`` and ``[n, 2n)`` are two banks of node
values (current / next, swapped every step, so no commit copy is needed for a node whose
transition's last operation writes straight into its next-bank row), rows ``2n …`` are
temporaries, reused once their last reader has run (liveness), so the working set stays
small. Operand rows are given for both step parities (``ops[p]``); a few COPY operations
finish the commit (nodes that copy another node or share their source with an earlier
node). A check list names the rows the overflow rule must inspect, in node order (the
reference's order), leaving out rows whose bound proves they cannot overflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..arith import Fixed, Float64
from ..errors import UnsupportedFormat
from ..program import AFFINE, CONST, PROD, RECIP, RELU

# kernel opcodes
K_CONST, K_AFFINE, K_RELU, K_PROD, K_RECIP, K_COPY, K_AFFINE_INT, K_AFFINE_WIDE, K_PROD_WIDE = range(9)
KNAMES = ("const", "affine", "relu", "prod", "recip", "copy", "affine_int", "affine_wide", "prod_wide")

INT64_LIMIT = 1 << 63        # |raw register value| must be < this
WIDE_LIMIT = 1 << 127        # |intermediate| must be < this (128-bit path)
RECIP_MAX_FRAC = 31          # 2^(2f) must fit in int64


@dataclass
class KernelPlan:
    """Integer tables describing one step of a program for one arithmetic."""

    n: int                       # nodes
    n_rows: int                  # 2n + temporaries
    n_temps: int
    ops: np.ndarray              # int32 [2, nk, 4]: code, dst row, a row / term start, b row / term stop
    aux: np.ndarray              # int64 [nk]: program op index (for error messages), -1 for copies
    kconst: np.ndarray           # float64 or int64 [nk]: CONST value / affine offset (raw)
    term_rows: np.ndarray        # int32 [2, nt]
    term_w: np.ndarray           # float64 or int64 [nt] (AFFINE_INT: integer weight)
    inputs: np.ndarray           # int32 node index of each input node
    onehot: bool
    output: int                  # node index of the output
    check_rows: np.ndarray       # int32 [2, m]: next-bank row of each node the overflow rule inspects
    check_nodes: np.ndarray      # int64 [m]: its node index (ascending)
    init_raw: np.ndarray         # raw initial value per node (0 for inputs)
    fixed: bool
    frac_bits: int = 0
    max_raw: int = 0             # 2^(i+f) − 1
    saturate: bool = False
    counts: dict = field(default_factory=dict)

    @property
    def n_ops(self) -> int:
        return self.ops.shape[1]


def raw_const(value, arith):
    """An exact constant in the raw representation of ``arith`` (Python int for Fixed)."""
    if isinstance(arith, Fixed):
        return int(arith.quantize(value) * arith.scale)
    return float(value)


def build_plan(program, arith, *, engine: str = "numba") -> KernelPlan:
    """Lower ``program`` for ``arith`` (float64 or Fixed); raises UnsupportedFormat when a
    Fixed format cannot be computed exactly in 64-bit registers (see module docstring)."""
    if not isinstance(arith, (Fixed, Float64)):
        raise UnsupportedFormat(
            f"engine {engine!r} runs float64 and fixed formats only, not {arith!r}; "
            "exact arithmetic runs on engine='reference'"
        )
    p = program
    n = p.n_nodes
    fixed = isinstance(arith, Fixed)
    conv = [raw_const(c, arith) for c in p.consts]
    kinds = fixed_op_kinds(p, arith, conv, engine=engine) if fixed else None

    # --- which op writes straight into a node's next-bank row ------------------------------
    owner_of_op: dict[int, int] = {}
    copies: list[tuple[int, int]] = []          # (dst virtual row, src virtual row)
    for u in range(n):
        s = int(p.src[u])
        if s < 0:
            continue
        if s >= n and (s - n) not in owner_of_op:
            owner_of_op[s - n] = u
        elif s >= n:
            copies.append((n + u, n + owner_of_op[s - n]))
        else:
            copies.append((n + u, s))            # copy of a node's current value

    # --- liveness of temporaries ---------------------------------------------------------------
    last_use = np.full(p.n_ops, -1, dtype=np.int64)

    def operands(k):
        c = int(p.op_code[k])
        if c == AFFINE:
            return [int(r) for r in p.term_reg[p.op_a[k]:p.op_b[k]]]
        if c in (RELU, RECIP):
            return [int(p.op_a[k])]
        if c == PROD:
            return [int(p.op_a[k]), int(p.op_b[k])]
        return []

    op_operands = [operands(k) for k in range(p.n_ops)]
    for k, regs in enumerate(op_operands):
        for r in regs:
            if r >= n:
                last_use[r - n] = k
    row_of_op = np.empty(p.n_ops, dtype=np.int64)
    free: list[int] = []
    n_temps = 0
    dying: dict[int, list[int]] = {}
    for k in range(p.n_ops):
        if k in owner_of_op:
            row_of_op[k] = n + owner_of_op[k]
        else:
            if free:
                slot = free.pop()
            else:
                slot = n_temps
                n_temps += 1
            row_of_op[k] = 2 * n + slot
            dying.setdefault(int(last_use[k]), []).append(slot) if last_use[k] >= 0 else free.append(slot)
        for slot in dying.pop(k, ()):
            free.append(slot)

    def vrow(r):
        return r if r < n else int(row_of_op[r - n])

    # --- kernel op table (virtual rows) ------------------------------------------------------
    vops: list[tuple[int, int, int, int]] = []
    aux: list[int] = []
    kconst: list = []
    trow: list[int] = []
    tw: list = []
    counts: dict[str, int] = {}
    for k in range(p.n_ops):
        c = int(p.op_code[k])
        d = int(row_of_op[k])
        if c == AFFINE:
            regs = op_operands[k]
            ws = [conv[int(j)] for j in p.term_w[p.op_a[k]:p.op_b[k]]]
            code = kinds[k] if fixed else K_AFFINE
            if code == K_AFFINE_INT:
                ws = [w >> arith.frac_bits for w in ws]
            start = len(trow)
            trow.extend(vrow(r) for r in regs)
            tw.extend(ws)
            vops.append((code, d, start, len(trow)))
            kconst.append(conv[int(p.op_c[k])])
        elif c == CONST:
            code = K_CONST
            vops.append((code, d, 0, 0))
            kconst.append(conv[int(p.op_c[k])])
        elif c == RELU:
            code = K_RELU
            vops.append((code, d, vrow(int(p.op_a[k])), 0))
            kconst.append(0)
        elif c == PROD:
            code = kinds[k] if fixed else K_PROD
            vops.append((code, d, vrow(int(p.op_a[k])), vrow(int(p.op_b[k]))))
            kconst.append(0)
        else:
            code = K_RECIP
            vops.append((code, d, vrow(int(p.op_a[k])), 0))
            kconst.append(0)
        aux.append(k)
        counts[KNAMES[code]] = counts.get(KNAMES[code], 0) + 1
    for dst, src in copies:
        vops.append((K_COPY, dst, src, 0))
        aux.append(-1)
        kconst.append(0)
        counts["copy"] = counts.get("copy", 0) + 1

    # --- overflow checks (Fixed): next-bank rows in node order ----------------------------------
    check_nodes: list[int] = []
    if fixed:
        bounds = kinds.bounds
        max_raw = (1 << (arith.int_bits + arith.frac_bits)) - 1
        input_set = {int(i) for i in p.inputs}
        for u in range(n):
            s = int(p.src[u])
            if s < 0:
                continue
            if s < n:
                bound = bounds[s] if s in input_set else max_raw
            else:
                bound = bounds[s]
            if bound > max_raw:
                check_nodes.append(u)

    # --- both parities -----------------------------------------------------------------------
    def phys(r, par):
        if r < n:
            return r + par * n
        if r < 2 * n:
            return r - n + (1 - par) * n
        return r

    nk = len(vops)
    ops = np.zeros((2, nk, 4), dtype=np.int32)
    trows = np.zeros((2, len(trow)), dtype=np.int32)
    for par in (0, 1):
        for k, (code, d, a, b) in enumerate(vops):
            if code in (K_AFFINE, K_AFFINE_INT, K_AFFINE_WIDE):
                ops[par, k] = (code, phys(d, par), a, b)
            elif code == K_CONST:
                ops[par, k] = (code, phys(d, par), 0, 0)
            elif code in (K_PROD, K_PROD_WIDE):
                ops[par, k] = (code, phys(d, par), phys(a, par), phys(b, par))
            else:
                ops[par, k] = (code, phys(d, par), phys(a, par), 0)
        for j, r in enumerate(trow):
            trows[par, j] = phys(r, par)
    check_rows = np.array([[phys(n + u, par) for u in check_nodes] for par in (0, 1)],
                          dtype=np.int32).reshape(2, len(check_nodes))

    dtype = np.int64 if fixed else np.float64
    input_set = {int(i) for i in p.inputs}
    init_raw = np.zeros(n, dtype=dtype)
    if fixed:
        for u, v in enumerate(p.init):
            if u not in input_set:
                init_raw[u] = raw_const(v, arith)
    else:
        for u, v in enumerate(p.init):
            if u not in input_set:
                init_raw[u] = float(v)
    return KernelPlan(
        n=n, n_rows=2 * n + n_temps, n_temps=n_temps, ops=ops, aux=np.asarray(aux, dtype=np.int64),
        kconst=np.asarray(kconst, dtype=dtype), term_rows=trows, term_w=np.asarray(tw, dtype=dtype),
        inputs=np.asarray(p.inputs, dtype=np.int32), onehot=p.encoding == "onehot",
        output=int(p.output), check_rows=check_rows, check_nodes=np.asarray(check_nodes, dtype=np.int64),
        init_raw=init_raw, fixed=fixed,
        frac_bits=arith.frac_bits if fixed else 0,
        max_raw=((1 << (arith.int_bits + arith.frac_bits)) - 1) if fixed else 0,
        saturate=fixed and arith.overflow == "saturate", counts=counts,
    )


class _Kinds(list):
    """Per-op kernel opcode for a Fixed format, plus the raw magnitude bound per register."""

    bounds: dict


def register_bounds(program, arith, conv=None):
    """Raw magnitude bounds: (bound per register, intermediate bound per op) as Python ints."""
    p = program
    n = p.n_nodes
    f = arith.frac_bits
    if conv is None:
        conv = [raw_const(c, arith) for c in p.consts]
    max_raw = (1 << (arith.int_bits + f)) - 1
    bound = [max_raw] * n
    tok = (p.alphabet - 1) << f if p.encoding == "value" else 1 << f
    for i in p.inputs:
        bound[int(i)] = tok
    inter: list[int] = []
    int_weights: list[bool] = []
    mask = (1 << f) - 1
    for k in range(p.n_ops):
        c = int(p.op_code[k])
        a = int(p.op_a[k])
        if c == AFFINE:
            ws = [conv[int(j)] for j in p.term_w[a:p.op_b[k]]]
            regs = [int(r) for r in p.term_reg[a:p.op_b[k]]]
            cst = conv[int(p.op_c[k])]
            if all(w & mask == 0 for w in ws):
                s = sum(abs(w >> f) * bound[r] for w, r in zip(ws, regs)) + abs(cst)
                int_weights.append(True)
                inter.append(s)
                bound.append(s)
            else:
                s = sum(abs(w) * bound[r] for w, r in zip(ws, regs)) + (abs(cst) << f)
                int_weights.append(False)
                inter.append(s)
                bound.append(s >> f)
        elif c == CONST:
            v = abs(conv[int(p.op_c[k])])
            int_weights.append(False)
            inter.append(v)
            bound.append(v)
        elif c == RELU:
            int_weights.append(False)
            inter.append(bound[a])
            bound.append(bound[a])
        elif c == PROD:
            s = bound[a] * bound[int(p.op_b[k])]
            int_weights.append(False)
            inter.append(s)
            bound.append(s >> f)
        else:  # RECIP: |2^(2f) / X| with |X| ≥ 1
            s = 1 << (2 * f)
            int_weights.append(False)
            inter.append(s)
            bound.append(s)
    return bound, inter, int_weights


def fixed_op_kinds(program, arith, conv=None, *, engine: str = "numba") -> _Kinds:
    """Choose the 64-bit or 128-bit path per op, or raise UnsupportedFormat."""
    p = program
    n = p.n_nodes
    problem = _first_problem(p, arith, conv)
    if problem is not None:
        raise UnsupportedFormat(_refusal(p, arith, problem, engine))
    bound, inter, intw = register_bounds(p, arith, conv)
    kinds = _Kinds()
    for k in range(p.n_ops):
        c = int(p.op_code[k])
        wide = inter[k] >= INT64_LIMIT
        if c == AFFINE:
            kinds.append(K_AFFINE_WIDE if wide else (K_AFFINE_INT if intw[k] else K_AFFINE))
        elif c == PROD:
            kinds.append(K_PROD_WIDE if wide else K_PROD)
        else:
            kinds.append({CONST: K_CONST, RELU: K_RELU, RECIP: K_RECIP}[c])
    kinds.bounds = {r: b for r, b in enumerate(bound)}
    del n
    return kinds


def _first_problem(p, arith, conv=None):
    """None if supported, else (op index or -1, kind, bits needed, what)."""
    f = arith.frac_bits
    if arith.int_bits + f > 63:
        return (-1, "node", arith.int_bits + f + 1, "node values")
    if conv is None:
        conv = [raw_const(c, arith) for c in p.consts]
    for v in conv:
        if abs(v) >= INT64_LIMIT:
            return (-1, "const", abs(v).bit_length() + 1, f"the constant {Fraction(v, 1 << f)}")
    bound, inter, intw = register_bounds(p, arith, conv)
    n = p.n_nodes
    for k in range(p.n_ops):
        c = int(p.op_code[k])
        if c == RECIP and f > RECIP_MAX_FRAC:
            return (k, "recip", 2 * f + 1, "a Recip (2^(2f)/X)")
        if inter[k] >= WIDE_LIMIT:
            return (k, "inter", inter[k].bit_length() + 1, _opname(c) + " intermediate")
        if bound[n + k] >= INT64_LIMIT:
            return (k, "result", bound[n + k].bit_length() + 1, _opname(c) + " result")
    return None


def _opname(c):
    return {AFFINE: "an Affine", PROD: "a Prod", RELU: "a ReLU", RECIP: "a Recip", CONST: "a constant"}[c]


def largest_supported_int_bits(program, frac_bits: int) -> int | None:
    """The largest int_bits i such that Fixed(i, frac_bits) passes the exactness check on
    ``program`` (None if even i = 1 does not)."""
    lo, hi = 0, 63 - frac_bits
    if hi < 1 or _first_problem(program, Fixed(1, frac_bits)) is not None:
        return None
    lo = 1
    while lo < hi:                    # supported(lo), find the last supported
        mid = (lo + hi + 1) // 2
        if _first_problem(program, Fixed(mid, frac_bits)) is None:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _refusal(p, arith, problem, engine):
    k, kind, bits, what = problem
    if kind == "node":
        where = f"node values of {arith} need {bits} bits"
    elif kind == "const":
        where = f"{what} needs {bits} bits in {arith}"
    else:
        node = p.names[int(p.op_node[k])]
        where = f"node {node!r}: {what} can need {bits} bits in {arith}"
    best = largest_supported_int_bits(p, arith.frac_bits) if arith.frac_bits <= 62 else None
    hint = (f"the largest format with frac_bits={arith.frac_bits} this engine runs exactly on this "
            f"network is fixed:{best}:{arith.frac_bits} (bit size {1 + best + arith.frac_bits})"
            if best is not None else
            f"no format with frac_bits={arith.frac_bits} fits"
            + (" (a Recip needs frac_bits ≤ 31)"
               if arith.frac_bits > RECIP_MAX_FRAC and RECIP in set(p.op_code.tolist()) else ""))
    return (
        f"engine {engine!r} cannot run {arith} exactly: {where}, but it holds values in 64-bit "
        f"registers and forms products and sums in at most 128 bits (bit size ≤ 64, Recip needs "
        f"frac_bits ≤ {RECIP_MAX_FRAC}); {hint}. Use engine='reference' for this format."
    )


def plan_listing(plan: KernelPlan, program) -> str:
    """Human-readable kernel op table (parity 0 rows) for debugging."""
    n = plan.n
    names = program.names

    def r(x):
        x = int(x)
        if x < n:
            return names[x]
        if x < 2 * n:
            return names[x - n] + "'"
        return f"t{x - 2 * n}"

    lines = [f"# plan: {n} nodes, {plan.n_rows} rows ({plan.n_temps} temporaries), "
             f"{plan.n_ops} kernel ops {plan.counts}"]
    for k in range(plan.n_ops):
        code, d, a, b = (int(v) for v in plan.ops[0, k])
        name = KNAMES[code]
        if code in (K_AFFINE, K_AFFINE_INT, K_AFFINE_WIDE):
            rhs = " + ".join(f"{plan.term_w[j]}*{r(plan.term_rows[0, j])}" for j in range(a, b))
            rhs += f" + {plan.kconst[k]}"
        elif code == K_CONST:
            rhs = f"{plan.kconst[k]}"
        elif code in (K_PROD, K_PROD_WIDE):
            rhs = f"{r(a)} * {r(b)}"
        else:
            rhs = f"{r(a)}"
        lines.append(f"{r(d)} = {name}({rhs})")
    if len(plan.check_nodes):
        lines.append("# overflow rule on: " + ", ".join(names[int(u)] for u in plan.check_nodes))
    return "\n".join(lines) + "\n"


def source_key(program, arith, extra: str = "") -> str:
    """A stable hash of a program and an arithmetic (for caches and dump file names)."""
    import hashlib

    h = hashlib.sha256()
    for arr in (program.op_code, program.op_a, program.op_b, program.op_c, program.term_reg,
                program.term_w, program.src, program.inputs):
        h.update(np.ascontiguousarray(arr).tobytes())
        h.update(b"|")
    h.update(repr((program.consts, program.init, program.tau, program.encoding, program.alphabet,
                   program.output, str(arith), extra)).encode())
    return h.hexdigest()[:16]


def dump_plan(plan: KernelPlan, program, arith, engine: str, text: str | None = None,
              suffix: str = "txt") -> str | None:
    """Write ``text`` (default: the plan listing) to $RNNSIM_DUMP_SOURCE, if set."""
    import os

    d = os.environ.get("RNNSIM_DUMP_SOURCE")
    if not d:
        return None
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"{engine}_{source_key(program, arith)}.{suffix}")
    with open(path, "w") as fh:
        fh.write(text if text is not None else program.listing() + "\n" + plan_listing(plan, program))
    return path
