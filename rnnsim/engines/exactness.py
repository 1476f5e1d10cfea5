"""The exactness boundary of the compiled engines — derived and enforced here, in one place
(THEORY §2.4: an engine that cannot represent a format exactly refuses it; it never
silently differs).

Representation: raw values X = v·2^f in signed 64-bit registers; each operation is
computed on one of these paths (chosen per operation from magnitude bounds):

* ``int64`` — the exact intermediate is < 2^63, so 64-bit arithmetic is exact;
* ``int_weights`` — an Affine whose weights are integers (multiples of 2^f): no shift;
* ``wide`` — products and sums formed exactly in 128 bits (two's complement on 64-bit
  halves), then truncated by 2^f; the truncated result is narrowed to 64 bits with a
  *run-time check* when its bound is not provably < 2^63;
* ``recip64`` — 2^(2f) / X in 64 bits (f ≤ 31); ``recip_wide`` — 2^(2f) / X by an exact
  128-by-64-bit division (32 ≤ f ≤ 62), narrowed with a run-time check.

A checked narrowing that fails stops the run with
:class:`~rnnsim.errors.EngineRangeExceeded` naming node, time and bits (``engine="auto"``
then reruns on the reference): a compiled engine either returns the reference's values or
says it cannot.

A format is refused before running (:class:`~rnnsim.errors.UnsupportedFormat`, naming the
node, the bits needed, and the largest ``fixed:I:F`` with the same F that the network
supports) when

1. node values do not fit: 1 + i + f > 64 bits;
2. a quantized constant (weight, offset) needs ≥ 64 bits raw;
3. a token does not fit its raw register: (b−1)·2^f ≥ 2^63 (value-encoded input);
4. an Affine's exact 128-bit sum can reach 2^127.

Bounds (Python ints): node values |X| ≤ 2^(i+f) − 1 (every node value passes the
overflow rule), tokens (b−1)·2^f, and with M the operand bounds, W, C the raw constants:

    Affine   |Σ W_j·X_j + C·2^f| ≤ Σ|W_j|·M_j + |C|·2^f        result ≤ that / 2^f
    Affine with every W_j a multiple of 2^f (integer weights):  Σ|W_j/2^f|·M_j + |C|, no shift
    Prod     |X·Y| ≤ M_a·M_b                                    result ≤ that / 2^f
    Recip    2^(2f)/|X| ≤ 2^(2f)                                ReLU keeps M.

A result whose bound is ≥ 2^63 is checked at run time and bounded by 2^63 − 1 afterwards.
Soundness (every value a completed run computes is within these bounds) is tested against
an independent raw-integer interpreter; the boundary itself by a sweep of formats around
it (tests/rnnsim/test_engines_boundary.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..arith import Fixed, describe_number
from ..errors import UnsupportedFormat
from ..program import AFFINE, CONST, PROD, RECIP, RELU
from .raw import program_constants

INT64_LIMIT = 1 << 63        # |raw register value| must be < this
WIDE_LIMIT = 1 << 127        # |intermediate| must be < this (128-bit path)
RECIP64_MAX_FRAC = 31        # 2^(2f) fits in int64: Recip on the 64-bit path
MAX_NODE_BITS = 64           # bit size 1 + i + f of node values

# per-op arithmetic path chosen for a Fixed format
PATH_INT64, PATH_INT_WEIGHTS, PATH_WIDE, PATH_RECIP64, PATH_RECIP_WIDE = (
    "int64", "int_weights", "wide", "recip64", "recip_wide")


@dataclass
class Bounds:
    """Raw magnitude bounds of one program in one Fixed format."""

    reg: list            # bound per register (node registers, then one per op)
    inter: list          # bound of each op's exact intermediate (before truncation)
    int_weights: list    # Affine with integer weights (no shift)
    checked: list        # op's 64-bit result is checked at run time (its bound is ≥ 2^63)
    token: int           # bound of an input register


def register_bounds(program, arith: Fixed, conv=None) -> Bounds:
    """Raw magnitude bounds of every register and intermediate (Python ints)."""
    p = program
    n = p.n_nodes
    f = arith.frac_bits
    if conv is None:
        conv = program_constants(p, arith)
    max_raw = (1 << (arith.int_bits + f)) - 1
    reg = [max_raw] * n
    token = (p.alphabet - 1) << f if p.encoding == "value" else 1 << f
    for i in p.inputs:
        reg[int(i)] = token
    inter: list[int] = []
    int_weights: list[bool] = []
    checked: list[bool] = []
    mask = (1 << f) - 1
    for k in range(p.n_ops):
        c = int(p.op_code[k])
        a = int(p.op_a[k])
        iw = False
        if c == AFFINE:
            ws = [conv[int(j)] for j in p.term_w[a:p.op_b[k]]]
            regs = [int(r) for r in p.term_reg[a:p.op_b[k]]]
            cst = conv[int(p.op_c[k])]
            if all(w & mask == 0 for w in ws):
                iw = True
                s = sum(abs(w >> f) * reg[r] for w, r in zip(ws, regs)) + abs(cst)
                res = s
            else:
                s = sum(abs(w) * reg[r] for w, r in zip(ws, regs)) + (abs(cst) << f)
                res = s >> f
        elif c == CONST:
            s = res = abs(conv[int(p.op_c[k])])
        elif c == RELU:
            s = res = reg[a]
        elif c == PROD:
            s = reg[a] * reg[int(p.op_b[k])]
            res = s >> f
        else:  # RECIP: |2^(2f) / X| with |X| ≥ 1
            s = res = 1 << (2 * f)
        chk = res >= INT64_LIMIT
        inter.append(s)
        int_weights.append(iw)
        checked.append(chk)
        reg.append(INT64_LIMIT - 1 if chk else res)
    return Bounds(reg, inter, int_weights, checked, token)


def fixed_paths(program, arith: Fixed, conv=None, *, engine: str = "numba"):
    """Per op: its arithmetic path, and the bounds — or UnsupportedFormat."""
    if conv is None:
        conv = program_constants(program, arith)
    problem = _first_problem(program, arith, conv)
    if problem is not None:
        raise UnsupportedFormat(_refusal(program, arith, problem, engine))
    bounds = register_bounds(program, arith, conv)
    paths = []
    for k in range(program.n_ops):
        code = int(program.op_code[k])
        if code == RECIP:
            paths.append(PATH_RECIP64 if arith.frac_bits <= RECIP64_MAX_FRAC else PATH_RECIP_WIDE)
        elif bounds.inter[k] >= INT64_LIMIT:
            paths.append(PATH_WIDE)
        elif code == AFFINE and bounds.int_weights[k]:
            paths.append(PATH_INT_WEIGHTS)
        else:
            paths.append(PATH_INT64)
    return paths, bounds


def _first_problem(p, arith, conv=None):
    """None if supported, else (op index or -1, kind, bits needed, what)."""
    f = arith.frac_bits
    if 1 + arith.int_bits + f > MAX_NODE_BITS:
        return (-1, "node", arith.int_bits + f + 1, "node values")
    if conv is None:
        conv = program_constants(p, arith)
    for ci, v in enumerate(conv):
        if abs(v) >= INT64_LIMIT:
            return (_const_user(p, ci), "const", abs(v).bit_length() + 1,
                    f"the constant {describe_number(p.consts[ci])}")
    if p.encoding == "value" and ((p.alphabet - 1) << f) >= INT64_LIMIT:
        return (-1, "token", ((p.alphabet - 1) << f).bit_length() + 1,
                f"token {p.alphabet - 1} of input {p.names[int(p.inputs[0])]!r}")
    b = register_bounds(p, arith, conv)
    for k in range(p.n_ops):
        if b.inter[k] >= WIDE_LIMIT:
            return (k, "inter", b.inter[k].bit_length() + 1, _opname(int(p.op_code[k])) + " intermediate")
    return None


def _const_user(p, ci):
    for k in range(p.n_ops):
        code = int(p.op_code[k])
        if (code in (AFFINE, CONST) and int(p.op_c[k]) == ci) or (
                code == AFFINE and ci in p.term_w[int(p.op_a[k]):int(p.op_b[k])]):
            return k
    return -1


def _opname(c):
    return {AFFINE: "an Affine", PROD: "a Prod", RELU: "a ReLU", RECIP: "a Recip", CONST: "a constant"}[c]


def largest_supported_int_bits(program, frac_bits: int) -> int | None:
    """The largest int_bits i such that Fixed(i, frac_bits) passes the exactness check on
    ``program`` (None if even i = 1 does not)."""
    hi = MAX_NODE_BITS - 1 - frac_bits
    if hi < 1 or _first_problem(program, Fixed(1, frac_bits)) is not None:
        return None
    lo = 1
    while lo < hi:                    # Fixed(lo, f) is supported; find the last supported
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
    elif kind == "token":
        where = f"{what} needs {bits} bits raw in {arith}"
    else:
        node = p.names[int(p.op_node[k])] if k >= 0 else "?"
        verb = "needs" if kind == "const" else "can need"
        where = f"node {node!r}: {what} {verb} {bits} bits in {arith}"
    best = largest_supported_int_bits(p, arith.frac_bits) if arith.frac_bits <= MAX_NODE_BITS - 2 else None
    hint = (f"the largest format with frac_bits={arith.frac_bits} this engine runs exactly on this "
            f"network is fixed:{best}:{arith.frac_bits} (bit size {1 + best + arith.frac_bits})"
            if best is not None else f"no format with frac_bits={arith.frac_bits} fits")
    return (
        f"engine {engine!r} cannot run {arith} exactly: {where}, but it holds values in 64-bit "
        f"registers and forms products and sums in at most 128 bits (bit size ≤ {MAX_NODE_BITS}, constants "
        f"and tokens < 2^63 raw, Affine sums < 2^127); {hint}. Use engine='reference' for this format."
    )
