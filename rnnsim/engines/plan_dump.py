"""Listings of kernel plans for debugging (THEORY §2.4: what an engine runs is the lowered
program's operations, fused and placed in registers by :mod:`rnnsim.engines.kernel_plan`).

Statement: ``plan_listing(plan, program)`` prints every operation of a plan (parity-0
rows) with node names, ``source_key`` is a stable hash of a program and an arithmetic, and
``dump_plan`` writes a plan's listing — or an engine's generated source — to the directory
named by ``$RNNSIM_DUMP_SOURCE`` (nothing when it is unset), one file per program and
arithmetic.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from .kernel_plan import AFFINE_CODES, K_CONST, K_PROD, K_PROD_WIDE, KNAMES, KernelPlan

__all__ = ["plan_listing", "source_key", "dump_plan"]


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
        if code in AFFINE_CODES:
            rhs = " + ".join(f"{plan.term_w[j]}*{r(plan.term_rows[0, j])}"
                             + (f"*{r(plan.term_rows2[0, j])}" if plan.term_rows2[0, j] >= 0 else "")
                             for j in range(a, b))
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
    d = os.environ.get("RNNSIM_DUMP_SOURCE")
    if not d:
        return None
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"{engine}_{source_key(program, arith)}.{suffix}")
    with open(path, "w") as fh:
        fh.write(text if text is not None else program.listing() + "\n" + plan_listing(plan, program))
    return path
