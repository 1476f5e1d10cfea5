"""The pieces the compiled engines share, tested on CPU: exact 128-bit helpers, the
magnitude bounds that decide whether a fixed format is exact in 64/128 bits, and the
kernel plan's register allocation (THEORY §2.4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from rnnsim import Fixed
from rnnsim.engines import exactness as ex
from rnnsim.engines import kernel_plan as kp
from rnnsim.engines.raw import const_raw
from rnnsim.engines.wide import add_signed_product, mul_shift_trunc_checked, recip_wide, shift_trunc128_checked
from rnnsim.program import AFFINE, PROD, RECIP, RELU
from tests.strategies import networks

pytestmark = pytest.mark.lemma("§2.4 arithmetic")

I64 = st.integers(-(2**63) + 1, 2**63 - 1)


def trunc_div(a: int, f: int) -> int:
    q = abs(a) >> f
    return q if a >= 0 else -q


@njit(cache=True)
def _affine128(ws, xs, f):
    hi = np.uint64(0)
    lo = np.uint64(0)
    for i in range(ws.shape[0]):
        hi, lo = add_signed_product(hi, lo, ws[i], xs[i])
    return shift_trunc128_checked(hi, lo, f)


@njit(cache=True)
def _mst(x, y, f):
    return mul_shift_trunc_checked(x, y, f)


@njit(cache=True)
def _rw(x, f):
    return recip_wide(x, f)


def _checked(exact: int):
    """What a checked narrowing returns: (value, 0) if it fits int64, else (sign, bits)."""
    if abs(exact) < 2**63:
        return (exact, 0)
    return (1 if exact > 0 else -1, abs(exact).bit_length() + 1)


@settings(max_examples=300)
@given(I64, I64, st.integers(0, 62))
def test_mul_shift_trunc_equals_python_truncated_product_or_reports_its_bits(x, y, f):
    assert tuple(_mst(x, y, f)) == _checked(trunc_div(x * y, f))


@settings(max_examples=300)
@given(st.lists(st.tuples(I64, I64), min_size=1, max_size=3), st.integers(0, 62))
def test_128_bit_affine_sum_equals_python_sum_or_reports_its_bits(pairs, f):
    exact_sum = sum(w * x for w, x in pairs)
    if abs(exact_sum) >= 2**127 or any(abs(w * x) >= 2**127 for w, x in pairs):
        return
    ws = np.array([w for w, _ in pairs], dtype=np.int64)
    xs = np.array([x for _, x in pairs], dtype=np.int64)
    assert tuple(_affine128(ws, xs, f)) == _checked(trunc_div(exact_sum, f))


@settings(max_examples=300)
@given(st.one_of(I64, st.integers(-(2**40), 2**40), st.sampled_from([1, -1, 2, 3, 2**63 - 1, -(2**63 - 1)])),
       st.integers(32, 62))
def test_128_by_64_bit_reciprocal_equals_python_truncated_quotient_or_reports_its_bits(x, f):
    if x == 0:
        return
    q = (1 << (2 * f)) // abs(x)
    assert tuple(_rw(x, f)) == _checked(q if x > 0 else -q)


def _run_raw_recording(program, fmt, docs, steps):
    """Independent raw-integer interpreter of the Program (Python ints, no bounds): the
    largest |intermediate| and |result| per op, and whether it ended without error."""
    f = fmt.frac_bits
    conv = [const_raw(c, fmt) for c in program.consts]
    n = program.n_nodes
    lim = 1 << (fmt.int_bits + f)
    inter_max = [0] * program.n_ops
    res_max = [0] * program.n_ops
    for doc in docs:
        vals = [0] * n
        for u, v in enumerate(program.init):
            vals[u] = const_raw(v, fmt)
        for m, tok in enumerate(doc):
            for s, i in enumerate(program.inputs):
                vals[int(i)] = (tok << f) if program.encoding == "value" else ((1 << f) if tok == s else 0)
            for _ in range(steps):
                regs = list(vals)
                for k in range(program.n_ops):
                    c, a, b, ci = (int(program.op_code[k]), int(program.op_a[k]), int(program.op_b[k]),
                                   int(program.op_c[k]))
                    if c == AFFINE:
                        it = (conv[ci] << f) + sum(conv[int(program.term_w[j])] * regs[int(program.term_reg[j])]
                                                   for j in range(a, b))
                        r = trunc_div(it, f)
                    elif c == PROD:
                        it = regs[a] * regs[b]
                        r = trunc_div(it, f)
                    elif c == RELU:
                        it = r = max(regs[a], 0)
                    elif c == RECIP:
                        if regs[a] == 0:
                            return inter_max, res_max
                        it = 1 << (2 * f)
                        r = (it // abs(regs[a])) * (1 if regs[a] > 0 else -1)
                    else:
                        it = r = conv[ci]
                    inter_max[k] = max(inter_max[k], abs(it))
                    res_max[k] = max(res_max[k], abs(r))
                    regs.append(r)
                new = list(vals)
                for u in range(n):
                    if program.src[u] >= 0:
                        v = regs[int(program.src[u])]
                        if abs(v) >= lim:
                            if fmt.overflow == "raise":
                                return inter_max, res_max
                            v = (lim - 1) if v > 0 else -(lim - 1)
                        new[u] = v
                vals = new
    return inter_max, res_max


@settings(max_examples=40)
@given(networks(max_nodes=4, clamp_bound=None), st.sampled_from([Fixed(3, 6), Fixed(2, 4, "saturate"), Fixed(5, 12)]))
def test_register_bounds_dominate_every_value_a_run_computes(rnn, fmt):
    """Soundness of the exactness check: every intermediate and result a run actually
    computes is within the bound the plan uses to pick 64- or 128-bit arithmetic (a result
    checked at run time may exceed its bound only where the check is made)."""
    p = rnn.program
    b = ex.register_bounds(p, fmt)
    bound, inter, int_weights = b.reg, b.inter, b.int_weights
    docs = [[0, 1, 1], [1, 0, rnn.alphabet - 1]]
    seen_inter, seen_res = _run_raw_recording(p, fmt, docs, rnn.tau)
    for k in range(p.n_ops):
        # integer-weight Affines are bounded without the 2^f scale the recorder includes
        limit = inter[k] << fmt.frac_bits if int_weights[k] else inter[k]
        assert seen_inter[k] <= limit, (k, seen_inter[k], limit)
        assert seen_res[k] <= bound[p.n_nodes + k] or b.checked[k], (k, seen_res[k], bound[p.n_nodes + k])


@pytest.mark.parametrize("fuse", [True, False])
@settings(max_examples=30)
@given(rnn=networks(max_nodes=6))
def test_plan_rows_are_written_before_read_and_node_rows_once_per_step(rnn, fuse):
    """Every row an op reads is the current bank or was written earlier in the step, and
    every updated node's next-bank row is written exactly once (with and without fusion).
    Overwriting a live temporary is excluded by the engine-vs-reference tests."""
    plan = kp.build_plan(rnn.program, Fixed(8, 8), fuse=fuse)
    n = plan.n
    for par in (0, 1):
        ops = plan.ops[par]
        writer: dict[int, int] = {}
        written_nodes = set()
        for k, (code, d, a, b) in enumerate(ops):
            reads = []
            if code in kp.AFFINE_CODES:
                reads = list(plan.term_rows[par, a:b]) + [r for r in plan.term_rows2[par, a:b] if r >= 0]
            elif code in (kp.K_PROD, kp.K_PROD_WIDE):
                reads = [a, b]
            elif code in (kp.K_RELU, kp.K_RECIP, kp.K_COPY):
                reads = [a]
            cur = range(par * n, par * n + n)
            for r in reads:
                r = int(r)
                assert r in cur or r in writer, f"op {k} reads row {r} before it is written"
            d = int(d)
            if d >= 2 * n:
                writer[d] = k
            else:
                assert d not in cur, "an op writes the current bank"
                assert d not in written_nodes, "a node row is written twice in one step"
                written_nodes.add(d)
                writer[d] = k
        assert written_nodes == {(1 - par) * n + u for u in range(n) if rnn.program.src[u] >= 0}


def test_chunk_size_policy():
    from rnnsim.engines.numba_engine import chunk_size

    MiB = 1 << 20
    # a 2 MiB L2 per core (the project machine)
    assert chunk_size(2026, 4096, 1, l2=2 * MiB) == 128     # 1000 nodes: 128 runs = 1.98 MiB fits L2
    assert chunk_size(6057, 4096, 1, l2=2 * MiB) == 64      # 3000 nodes: L2 holds < 64 runs; 64 fit L3
    assert chunk_size(20_000, 4096, 1, l2=2 * MiB) == 64    # 10^4 nodes: 64 runs = 10 MiB in L3
    assert chunk_size(200_000, 4096, 1, l2=2 * MiB) == 256  # 10^5 nodes: DRAM-bound anyway, long rows
    assert chunk_size(200, 4096, 1, l2=2 * MiB) == 512      # small networks: the longest rows
    # the same networks with a larger L2 (e.g. 8 MiB) take longer rows while they fit
    assert chunk_size(2026, 4096, 1, l2=8 * MiB) == 512
    assert chunk_size(6057, 4096, 1, l2=8 * MiB) == 128
    # threads and small batches
    assert chunk_size(2000, 64, 2, l2=8 * MiB) == 32        # one chunk per thread
    assert chunk_size(2000, 1, 1, l2=8 * MiB) == 8


def test_l2_size_from_sysfs_text_and_override(monkeypatch):
    from rnnsim.engines import numba_engine as ne

    assert ne._sysfs_size("2048K\n") == 2 << 20 and ne._sysfs_size("1M") == 1 << 20
    assert ne._sysfs_size("512") == 512 and ne._sysfs_size("n/a") is None
    ne.l2_bytes.cache_clear()
    monkeypatch.setenv("RNNSIM_L2_BYTES", str(3 << 20))
    try:
        assert ne.l2_bytes() == 3 << 20
    finally:
        monkeypatch.delenv("RNNSIM_L2_BYTES")
        ne.l2_bytes.cache_clear()
    assert ne.l2_bytes() >= 1 << 15                    # whatever this machine says, a real size


def test_constants_exceeding_64_bits_are_refused():
    from rnnsim import Builder, UnsupportedFormat

    b = Builder("big")
    x = b.input("x")
    c = b.node("c", init=0)
    b.update(c, c + 2**40 * x)
    b.output(c)
    rnn = b.build()
    with pytest.raises(UnsupportedFormat, match="needs"):
        kp.build_plan(rnn.program, Fixed(2, 30))
