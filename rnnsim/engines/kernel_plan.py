"""Kernel plans: the frozen Program lowered to integer tables for the compiled engines.

Statement realized (THEORY §2.3): one step of the plan computes, for every node, the same
value as one step of the Program — the plan only renames registers, fuses operations
without changing any rounding, and moves the commit into the operations:

* Physical register layout: rows ``[0, n)`` and ``[n, 2n)`` are two banks of node values
  (current / next, swapped every step, so a node whose transition's last operation writes
  straight into its next-bank row needs no commit copy); rows ``2n …`` are temporaries,
  reused once their last reader has run (liveness), so the working set stays small.
  Operand rows are given for both step parities (``ops[p]``); a few COPY operations finish
  the commit (nodes copying a node, or sharing their source with an earlier node).
* Fusion (``fuse=True``, numba): a ReLU whose argument is an Affine read by nothing else
  becomes one AFFINE_RELU operation; a Prod read only as one term of one Affine becomes a
  product term ``w·(x·y)`` of it (float64: the product is rounded before it is weighted,
  as in the reference; Fixed: truncated to 2^-f first). The fused operation is evaluated
  where the last of its parts was, so every operand is ready.
* A check list names the rows the fixed-point overflow rule must inspect, in node order
  (the reference's order), leaving out rows whose bound proves they cannot overflow.

``build_plan`` runs named passes in order — ``formats`` (float64/Fixed only), ``constants``
(the raw constant pool; a float64 constant beyond the double range is refused naming its
node), ``exactness`` (:mod:`rnnsim.engines.exactness`: refuses a Fixed format that is not
exact in 64/128-bit arithmetic and picks the path of every operation), ``operations``
(one kernel op per Program op; an Affine with no terms becomes a constant), ``fusion``,
``registers`` (commit targets, liveness, rows), ``checks`` (the overflow rule's rows) and
``tables`` (both parities). An error raised by a pass names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from ..arith import Fixed, Float64
from ..errors import UnsupportedFormat
from ..gcpause import gc_paused
from ..program import AFFINE, PROD, RECIP, RELU
from .exactness import PATH_INT_WEIGHTS, PATH_RECIP_WIDE, PATH_WIDE, fixed_paths
from .raw import program_constants

_NO_SECOND = repeat(-1)     # the second factor of a plain term: none

# kernel opcodes
(K_CONST, K_AFFINE, K_RELU, K_PROD, K_RECIP, K_COPY, K_AFFINE_INT, K_AFFINE_WIDE, K_PROD_WIDE,
 K_AFFINE_RELU, K_AFFINE_INT_RELU, K_RECIP_WIDE) = range(12)
KNAMES = ("const", "affine", "relu", "prod", "recip", "copy", "affine_int", "affine_wide", "prod_wide",
          "affine_relu", "affine_int_relu", "recip_wide")
WIDE_CODES = (K_AFFINE_WIDE, K_PROD_WIDE, K_RECIP_WIDE)
AFFINE_CODES = (K_AFFINE, K_AFFINE_INT, K_AFFINE_WIDE, K_AFFINE_RELU, K_AFFINE_INT_RELU)
_AFFINE_SET = frozenset(AFFINE_CODES)
_PROD_SET = frozenset((K_PROD, K_PROD_WIDE))
_ONE_READ = frozenset((K_RELU, K_RECIP, K_RECIP_WIDE, K_COPY))


@dataclass
class KernelPlan:
    """Integer tables describing one step of a program for one arithmetic."""

    n: int                       # nodes
    n_rows: int                  # 2n + temporaries
    n_temps: int
    ops: np.ndarray              # int32 [2, nk, 4]: code, dst row, a row / term start, b row / term stop
    aux: np.ndarray              # int64 [nk]: node named by a Recip or range error (run_errors), -1 for copies
    kconst: np.ndarray           # float64 or int64 [nk]: CONST value / affine offset (raw)
    term_rows: np.ndarray        # int32 [2, nt]: row of each Affine term
    term_rows2: np.ndarray       # int32 [2, nt]: second factor row of a product term, −1 if none
    term_w: np.ndarray           # float64 or int64 [nt] (AFFINE_INT: integer weight)
    inputs: np.ndarray           # int32 node index of each input node
    onehot: bool
    output: int                  # node index of the output
    check_rows: np.ndarray       # int32 [2, m]: next-bank row of each node the overflow rule inspects
    check_nodes: np.ndarray      # int64 [m]: its node index (ascending)
    terminal: np.ndarray         # int8 [nk]: 1 when no op reads the result (only node commits do)
    fixed: bool
    frac_bits: int = 0
    max_raw: int = 0             # 2^(i+f) − 1
    saturate: bool = False
    fused: bool = False
    counts: dict = field(default_factory=dict)

    @property
    def n_ops(self) -> int:
        return self.ops.shape[1]

    @property
    def wide(self) -> bool:
        """Whether any operation needs the 128-bit paths (the kernel with them runs the plan)."""
        return bool(np.isin(self.ops[0, :, 0], WIDE_CODES).any())


@dataclass(slots=True)
class _VOp:
    """One operation of the plan before rows are assigned (registers are Program registers)."""

    code: int
    reg: int                      # Program register holding the result
    k: int                        # node named by its errors: first in node order holding the op
    a: int = -1
    b: int = -1
    terms: list = field(default_factory=list)    # (weight, reg, reg2 or -1)
    const: object = 0
    # what it reads: an Affine its terms' registers (both factors of a product term), a
    # Prod a and b, a ReLU, Recip or Copy a, a Const nothing (_pass_registers, _program_reads)


class _Ctx:
    """What the passes of :func:`build_plan` read and write."""

    def __init__(self, program, arith, engine, fuse):
        self.program, self.arith, self.engine, self.fuse = program, arith, engine, fuse
        self.fixed = isinstance(arith, Fixed)
        self.f = arith.frac_bits if self.fixed else 0
        self.n = program.n_nodes
        self.conv = self.paths = self.bounds = self.vops = None
        self.plan = None


def build_plan(program, arith, *, engine: str = "numba", fuse: bool = True) -> KernelPlan:
    """Lower ``program`` for ``arith`` (float64 or Fixed) by the passes of :data:`PASSES`;
    raises UnsupportedFormat (naming the pass) when a format cannot run exactly."""
    ctx = _Ctx(program, arith, engine, fuse)
    with gc_paused():       # acyclic tables from hundreds of thousands of objects (rnnsim.gcpause)
        for name, run in PASSES:
            try:
                run(ctx)
            except UnsupportedFormat as e:
                raise UnsupportedFormat(f"{e} [kernel plan pass {name!r}]") from None
        plan = ctx.plan
        # drop the passes' intermediate objects while the collector is still paused: the
        # first collection after the pause scans every object made during it that is alive
        del ctx
    return plan


def _pass_formats(ctx):
    if not isinstance(ctx.arith, (Fixed, Float64)):
        raise UnsupportedFormat(
            f"engine {ctx.engine!r} runs float64 and fixed formats only, not {ctx.arith!r}; "
            "exact arithmetic runs on engine='reference'"
        )


def _pass_constants(ctx):
    ctx.conv = program_constants(ctx.program, ctx.arith)


def _pass_exactness(ctx):
    if ctx.fixed:
        ctx.paths, ctx.bounds = fixed_paths(ctx.program, ctx.arith, ctx.conv, engine=ctx.engine)


def _pass_operations(ctx):
    """One virtual op per Program op, with the kernel opcode of its path."""
    p, conv, f, n = ctx.program, ctx.conv, ctx.f, ctx.n
    vops: list[_VOp] = []
    # plain lists: indexing numpy arrays element by element is ~10× slower
    codes, op_a, op_b, op_c, op_node = (x.tolist() for x in (p.op_code, p.op_a, p.op_b, p.op_c, p.op_node))
    term_w, term_reg = p.term_w.tolist(), p.term_reg.tolist()
    for k in range(p.n_ops):
        c = codes[k]
        a, b = op_a[k], op_b[k]
        path = ctx.paths[k] if ctx.fixed else None
        owner = op_node[k]
        if c == AFFINE and a == b:          # no terms: the (quantized) offset itself
            vops.append(_VOp(K_CONST, n + k, owner, const=conv[op_c[k]]))
        elif c == AFFINE:
            code = K_AFFINE_WIDE if path == PATH_WIDE else K_AFFINE_INT if path == PATH_INT_WEIGHTS else K_AFFINE
            ws = map(conv.__getitem__, term_w[a:b])
            if code == K_AFFINE_INT:
                ws = [w >> f for w in ws]
            terms = list(zip(ws, term_reg[a:b], _NO_SECOND))
            vops.append(_VOp(code, n + k, owner, terms=terms, const=conv[op_c[k]]))
        elif c == PROD:
            vops.append(_VOp(K_PROD_WIDE if path == PATH_WIDE else K_PROD, n + k, owner, a=a, b=b))
        elif c == RELU:
            vops.append(_VOp(K_RELU, n + k, owner, a=a))
        elif c == RECIP:
            vops.append(_VOp(K_RECIP_WIDE if path == PATH_RECIP_WIDE else K_RECIP, n + k, owner, a=a))
        else:
            vops.append(_VOp(K_CONST, n + k, owner, const=conv[op_c[k]]))
    ctx.vops = vops


def _pass_fusion(ctx):
    if ctx.fuse:
        is_src = {int(s) for s in ctx.program.src if s >= ctx.n}
        ctx.vops = _fuse(ctx.vops, ctx.n, is_src, ctx.program)


def _pass_registers(ctx):
    """Which op writes straight into a node's next-bank row, the commit copies, and a
    row for every temporary (reused after its last reader: liveness)."""
    p, n, vops = ctx.program, ctx.n, ctx.vops
    producer = {v.reg: i for i, v in enumerate(vops)}
    owner_of: dict[int, int] = {}            # vop index → node
    copies: list[tuple[int, int]] = []       # (node u, Program register to copy)
    src = p.src.tolist()
    for u in range(n):
        s = src[u]
        if s < 0:
            continue
        if s >= n and producer[s] not in owner_of:
            owner_of[producer[s]] = u
        else:
            copies.append((u, s))
    last_use: dict[int, int] = {}
    for i, v in enumerate(vops):        # the registers v reads (_VOp)
        c = v.code
        if c in _AFFINE_SET:
            for _, r, r2 in v.terms:
                if r >= n:
                    last_use[r] = i
                if r2 >= n:
                    last_use[r2] = i
        elif c in _ONE_READ:
            if v.a >= n:
                last_use[v.a] = i
        elif c in _PROD_SET:
            if v.a >= n:
                last_use[v.a] = i
            if v.b >= n:
                last_use[v.b] = i
    row_of: dict[int, int] = {r: r for r in range(n)}        # node registers: current bank
    free: list[int] = []
    n_temps = 0
    dying: dict[int, list[int]] = {}
    for i, v in enumerate(vops):
        if i in owner_of:
            row_of[v.reg] = n + owner_of[i]
        else:
            slot = free.pop() if free else n_temps
            n_temps = max(n_temps, slot + 1)
            row_of[v.reg] = 2 * n + slot
            if v.reg in last_use:
                dying.setdefault(last_use[v.reg], []).append(slot)
            else:
                free.append(slot)
        free.extend(dying.pop(i, ()))
    ctx.row_of, ctx.copies, ctx.owner_of, ctx.producer, ctx.n_temps = row_of, copies, owner_of, producer, n_temps
    ctx.last_use = last_use          # every temporary register some op reads (tables: terminal)


def _pass_checks(ctx):
    """Nodes the overflow rule must inspect (node order), leaving out those whose bound
    proves they stay in range."""
    p, n = ctx.program, ctx.n
    ctx.check_nodes = []
    ctx.max_raw = ((1 << (ctx.arith.int_bits + ctx.f)) - 1) if ctx.fixed else 0
    if not ctx.fixed:
        return
    input_set = {int(i) for i in p.inputs}
    for u in range(n):
        s = int(p.src[u])
        if s < 0:
            continue
        bound = ctx.max_raw if (s < n and s not in input_set) else ctx.bounds.reg[s]
        if bound > ctx.max_raw:
            ctx.check_nodes.append(u)


def _pass_tables(ctx):
    """The kernel op table over virtual rows, then physical rows for both parities."""
    n, row_of = ctx.n, ctx.row_of
    rows: list[tuple[int, int, int, int]] = []
    trow: list[int] = []
    trow2: list[int] = []
    tw: list = []
    read = ctx.last_use              # op registers (all ≥ n) that some op reads
    vops = ctx.vops
    terminal = [0 if v.reg in read else 1 for v in vops]
    aux = [v.k for v in vops]
    kconst = [v.const for v in vops]
    codes = [v.code for v in vops]
    add_row, add_trow, add_trow2, add_tw = rows.append, trow.append, trow2.append, tw.append
    for v, code in zip(vops, codes):
        d = row_of[v.reg]
        if code in _AFFINE_SET:
            start = len(trow)
            for w, r, r2 in v.terms:
                add_trow(row_of[r])
                add_trow2(row_of[r2] if r2 >= 0 else -1)
                add_tw(w)
            add_row((code, d, start, len(trow)))
        elif code in _PROD_SET:
            add_row((code, d, row_of[v.a], row_of[v.b]))
        elif code == K_CONST:
            add_row((code, d, 0, 0))
        else:
            add_row((code, d, row_of[v.a], 0))
    counts: dict[str, int] = {}
    for code in codes:                  # (in order of first appearance)
        counts[KNAMES[code]] = counts.get(KNAMES[code], 0) + 1
    for u, s in ctx.copies:
        src_row = row_of[s] if s < n else n + ctx.owner_of[ctx.producer[s]]
        rows.append((K_COPY, n + u, src_row, 0))
        terminal.append(0)
        aux.append(-1)
        kconst.append(0)
        counts["copy"] = counts.get("copy", 0) + 1

    # physical rows of both parities, by array masks (see _phys)
    nk = len(rows)
    tab = np.asarray(rows, dtype=np.int64).reshape(nk, 4)
    code = tab[:, 0]
    a_is_row = ~np.isin(code, AFFINE_CODES + (K_CONST,))      # an Affine's a, b are term ranges
    b_is_row = np.isin(code, (K_PROD, K_PROD_WIDE))
    trow_a = np.asarray(trow, dtype=np.int64)
    trow2_a = np.asarray(trow2, dtype=np.int64)
    check_a = np.asarray(ctx.check_nodes, dtype=np.int64) + n
    ops = np.zeros((2, nk, 4), dtype=np.int32)
    trows = np.zeros((2, len(trow)), dtype=np.int32)
    trows2 = np.zeros((2, len(trow)), dtype=np.int32)
    check_rows = np.zeros((2, len(ctx.check_nodes)), dtype=np.int32)
    for par in (0, 1):
        t = tab.copy()
        t[:, 1] = _phys(tab[:, 1], par, n)
        t[:, 2] = np.where(a_is_row, _phys(tab[:, 2], par, n), tab[:, 2])
        t[:, 3] = np.where(b_is_row, _phys(tab[:, 3], par, n), tab[:, 3])
        ops[par] = t
        trows[par] = _phys(trow_a, par, n)
        trows2[par] = _phys(trow2_a, par, n)
        check_rows[par] = _phys(check_a, par, n)
    dtype = np.int64 if ctx.fixed else np.float64
    p = ctx.program
    ctx.plan = KernelPlan(
        n=n, n_rows=2 * n + ctx.n_temps, n_temps=ctx.n_temps, ops=ops, aux=np.asarray(aux, dtype=np.int64),
        kconst=np.asarray(kconst, dtype=dtype), term_rows=trows, term_rows2=trows2,
        term_w=np.asarray(tw, dtype=dtype), inputs=np.asarray(p.inputs, dtype=np.int32),
        onehot=p.encoding == "onehot", output=int(p.output), check_rows=check_rows,
        check_nodes=np.asarray(ctx.check_nodes, dtype=np.int64), terminal=np.asarray(terminal, dtype=np.int8),
        fixed=ctx.fixed,
        frac_bits=ctx.f, max_raw=ctx.max_raw, saturate=ctx.fixed and ctx.arith.overflow == "saturate",
        fused=ctx.fuse, counts=counts,
    )


def _phys(r: np.ndarray, par: int, n: int) -> np.ndarray:
    """Physical rows at step parity ``par`` of virtual rows ``r`` (int64 array): −1 stays −1;
    a current-bank row ``[0, n)`` moves to bank ``par``, a next-bank row ``[n, 2n)`` to bank
    ``1 − par``; temporaries stay."""
    out = r.copy()
    cur = (r >= 0) & (r < n)
    nxt = (r >= n) & (r < 2 * n)
    out[cur] += par * n
    out[nxt] += (1 - par) * n - n
    return out


PASSES = (
    ("formats", _pass_formats), ("constants", _pass_constants), ("exactness", _pass_exactness),
    ("operations", _pass_operations), ("fusion", _pass_fusion), ("registers", _pass_registers),
    ("checks", _pass_checks), ("tables", _pass_tables),
)


def _program_reads(p):
    """Every (register, reading op) pair of the Program's operations as two int64 arrays (an
    Affine reads its terms' registers, a Prod both operands, a ReLU or Recip its one; the
    operations pass keeps these reads, one op per Program op)."""
    code = p.op_code
    a, b = p.op_a.astype(np.int64), p.op_b.astype(np.int64)
    k = np.arange(len(code), dtype=np.int64)
    aff = code == AFFINE
    lens = (b - a)[aff]
    ends = np.cumsum(lens)
    pos = np.repeat(a[aff] - (ends - lens), lens) + np.arange(int(ends[-1]) if len(ends) else 0)
    one = (code == RELU) | (code == RECIP) | (code == PROD)
    prod = code == PROD
    regs = np.concatenate([p.term_reg.astype(np.int64)[pos], a[one], b[prod]])
    readers = np.concatenate([np.repeat(k[aff], lens), k[one], k[prod]])
    return regs, readers


def _fuse(vops: list[_VOp], n: int, is_src: set, program) -> list[_VOp]:
    """ReLU(Affine) → AFFINE_RELU; single-use Prod terms → product terms (module docstring).

    ``vops`` is the operations pass's list (op i computes register n + i). A register is
    "read only by op i" when it is read once and op i reads it; the candidates are found with
    array masks over the Program's reads, then rewritten in op order."""
    n_regs = n + len(vops)
    regs, readers = _program_reads(program)
    n_reads = np.bincount(regs, minlength=n_regs)
    reader = np.full(n_regs, -1, dtype=np.int64)
    np.maximum.at(reader, regs, readers)
    vcode = np.fromiter((v.code for v in vops), dtype=np.int64, count=len(vops))
    code_of = np.concatenate([np.full(n, -1, dtype=np.int64), vcode])       # by register
    src_mask = np.zeros(n_regs, dtype=bool)
    if is_src:
        src_mask[np.fromiter(is_src, dtype=np.int64)] = True
    single = (n_reads == 1) & ~src_mask                     # by register: read once, not a node's source
    plain_affine = (code_of == K_AFFINE) | (code_of == K_AFFINE_INT)
    out = list(vops)
    gone = np.zeros(len(vops), dtype=bool)
    # single-use Prod terms of an Affine (a term read of register r by Affine op i)
    cand = (code_of[regs] == K_PROD) & single[regs] & (reader[regs] == readers) & plain_affine[readers + n]
    for i, r in zip(readers[cand].tolist(), regs[cand].tolist()):
        v = out[i]
        if v is vops[i]:                    # the first fused term of op i: copy its terms
            v = out[i] = _VOp(v.code, v.reg, v.k, terms=list(v.terms), const=v.const)
        j = r - n
        terms = v.terms
        for t, (w, tr, _) in enumerate(terms):
            if tr == r:
                terms[t] = (w, vops[j].a, vops[j].b)
                break
        gone[j] = True
    # ReLU of an Affine read by nothing else (its terms as fused above)
    relu_ops = np.flatnonzero(vcode == K_RELU)
    ra = program.op_a[relu_ops].astype(np.int64)
    ok = (ra >= n)
    ra_ok = np.where(ok, ra, 0)
    ok &= plain_affine[ra_ok] & single[ra_ok] & (reader[ra_ok] == relu_ops)
    for i, j in zip(relu_ops[ok].tolist(), (ra[ok] - n).tolist()):
        v, src = vops[i], out[j]
        code = K_AFFINE_RELU if src.code == K_AFFINE else K_AFFINE_INT_RELU
        out[i] = _VOp(code, v.reg, src.k, terms=src.terms, const=src.const)
        gone[j] = True
    return [v for v, g in zip(out, gone.tolist()) if not g]
