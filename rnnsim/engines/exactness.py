"""Exactness check of fixed-point formats for the compiled engines (THEORY §2.4: an engine
that cannot represent a format exactly refuses it; it never silently differs).

Statement realized (THEORY §2.4, "intermediates may use wider internal precision; an engine
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
same f that this network supports. Soundness (every value a run computes is within these
bounds) is tested against an independent raw-integer interpreter.
"""

from __future__ import annotations

from fractions import Fraction

from ..arith import Fixed
from ..errors import UnsupportedFormat
from ..program import AFFINE, CONST, PROD, RECIP, RELU

INT64_LIMIT = 1 << 63        # |raw register value| must be < this
WIDE_LIMIT = 1 << 127        # |intermediate| must be < this (128-bit path)
RECIP_MAX_FRAC = 31          # 2^(2f) must fit in int64

# per-op arithmetic path chosen for a Fixed format
PATH_INT64, PATH_INT_WEIGHTS, PATH_WIDE = "int64", "int_weights", "wide"


def raw_const(value, arith):
    """An exact constant in the raw representation of ``arith`` (Python int for Fixed)."""
    if isinstance(arith, Fixed):
        return int(arith.quantize(value) * arith.scale)
    return float(value)


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


def fixed_paths(program, arith, conv=None, *, engine: str = "numba"):
    """Per op: the arithmetic path (int64, int_weights for integer-weight Affines, or wide
    128-bit), and the raw bound per register — or UnsupportedFormat."""
    if conv is None:
        conv = [raw_const(c, arith) for c in program.consts]
    problem = _first_problem(program, arith, conv)
    if problem is not None:
        raise UnsupportedFormat(_refusal(program, arith, problem, engine))
    bound, inter, intw = register_bounds(program, arith, conv)
    paths = []
    for k in range(program.n_ops):
        if inter[k] >= INT64_LIMIT:
            paths.append(PATH_WIDE)
        elif int(program.op_code[k]) == AFFINE and intw[k]:
            paths.append(PATH_INT_WEIGHTS)
        else:
            paths.append(PATH_INT64)
    return paths, bound


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
    bound, inter, _ = register_bounds(p, arith, conv)
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
    hi = 63 - frac_bits
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
