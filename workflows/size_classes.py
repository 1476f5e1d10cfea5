"""Workflow: is a network a member of a size class, and is it its class's universal graph?
(paper: Definition 3, Section 3; THEORY §2.5, §4.8, §9).

Membership of R in C(s, h, τ, d, c) has a structural half (:meth:`SizeClass.problems`: size,
hidden size, τ, depth, elementary functions per transition, hidden nodes reading only H ∪ I)
and a semantic half, checked here by :func:`reset_test`: run every document of length N
twice — untouched, and with every node outside H ∪ I set back to its initial value right
after each output at a multiple of τ (the reset of the universal graph, Section 3) — and
compare every output. It is the transplant test of THEORY §2.5(b) with the initial values as
the transplanted ones, on all documents at once (prefixes shared, any engine).
:func:`embed_and_compare` builds the class's universal graph with the weights of
:func:`constructions.universal_elementary.embed` and compares its outputs with R's on every
document (exactly in ``exact`` arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from constructions.size_classes import SizeClass
from constructions.templates import Template
from constructions.universal_elementary import embed, universal_elementary
from rnnsim import simulate_all
from rnnsim.arith import Exact, parse_arithmetic
from rnnsim.engines import select_engine
from rnnsim.engines.base import raw_to_float
from rnnsim.errors import SimulationError
from rnnsim.registry import realizes
from rnnsim.strings import nth_string

TOL = 1e-12


@dataclass
class ResetReport:
    """Outcome of :func:`reset_test`: ``ok`` when no output changed (and no run failed)."""

    network: str
    reset: tuple                      # the nodes outside H ∪ I
    documents: int
    compared: int = 0
    max_diff: float = 0.0
    first: str | None = None          # the first differing output, in words
    error: str | None = None          # a run-time error only the reset run hit

    @property
    def ok(self) -> bool:
        return self.first is None and self.error is None

    def __str__(self):
        if self.ok:
            return (f"reset test passed: {self.compared} outputs on {self.documents} documents unchanged with "
                    f"{len(self.reset)} non-hidden node(s) reset at every token")
        return f"reset test FAILED on {self.network!r}: {self.error or self.first}"


def _reset(state, idx: list[int], init, ex) -> object:
    if not idx:
        return state
    if isinstance(state, np.ndarray) and isinstance(init, np.ndarray) and state.shape[0] == init.shape[0]:
        state[idx, :] = init[idx, 0:1]
        return state
    if isinstance(state, list):
        for row in state:
            for i in idx:
                row[i] = init[0][i]
        return state
    base = ex.node_values(init, 0)                       # any other executor: row by row
    for r in range(_rows(state)):
        vals = ex.node_values(state, r)
        for i in idx:
            vals[i] = base[i]
        ex.set_node_values(state, r, vals)
    return state


def _rows(state) -> int:
    return len(state) if isinstance(state, list) else state.shape[1]


@realizes("§2.5 hidden set", "semantic class membership: resetting the non-hidden nodes to their initial values at "
          "each token boundary changes no output", kind="check")
def reset_test(rnn, N: int, *, arithmetic="exact", engine: str = "reference") -> ResetReport:
    """The semantic half of class membership on every document of Σ^N (module docstring)."""
    arith = parse_arithmetic(arithmetic)
    b = rnn.alphabet
    keep = set(rnn.hidden) | set(rnn.inputs)
    names = rnn.program.names
    idx = [i for i, n in enumerate(names) if n not in keep]
    rep = ResetReport(rnn.name, tuple(names[i] for i in idx), b ** N)
    want = simulate_all(rnn, N, arith, engine, raw=True)
    eng = select_engine(rnn.program, arith, engine, batch=b ** N, work=2 * b ** N * rnn.tau * rnn.size)
    ex = eng.compile(rnn.program, arith)
    init = ex.init_state(1)
    state = ex.init_state(1)
    got = np.empty_like(want)
    for m in range(1, N + 1):
        state = ex.take(state, np.repeat(np.arange(b ** (m - 1)), b))
        try:
            state, o = ex.advance(state, np.tile(np.arange(b, dtype=np.int64), b ** (m - 1)), (m - 1) * rnn.tau)
        except SimulationError as e:
            rep.error = f"with the reset, the run fails at token {m}: {e}"
            return rep
        got[:, m - 1] = np.repeat(o, b ** (N - m))
        state = _reset(state, idx, init, ex)
    rep.compared = got.size
    exact = isinstance(arith, Exact)
    if exact:
        bad = np.argwhere(got != want)
    else:
        diff = np.abs(raw_to_float(got, arith) - raw_to_float(want, arith))
        rep.max_diff = float(diff.max()) if diff.size else 0.0
        bad = np.argwhere(diff > TOL * np.maximum(1.0, np.abs(raw_to_float(want, arith))))
    if len(bad):
        d, m = (int(v) for v in bad[0])
        rep.first = (f"document {''.join(map(str, nth_string(d, N, b)))}: the output at token {m + 1} is "
                     f"{got[d, m]} with the reset, {want[d, m]} without (non-hidden state survives a token boundary)")
    return rep


@dataclass
class MembershipReport:
    """Structural problems and the reset test of one network against one class."""

    cls: SizeClass
    network: str
    problems: list = field(default_factory=list)
    reset: ResetReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and (self.reset is None or self.reset.ok)

    def __str__(self):
        head = f"{self.network!r} ∈ {self.cls}: " + ("yes" if self.ok else "NO")
        parts = [f"  structural: {p}" for p in self.problems]
        if self.reset is not None:
            parts.append(f"  {self.reset}")
        return "\n".join([head] + parts)


@realizes("Definition 3", "class membership C(s, h, τ, d, c): structural bounds and the reset test", kind="check")
def check_member(rnn, cls: SizeClass, N: int, *, arithmetic="exact", engine: str = "reference") -> MembershipReport:
    """Structural membership, then (when it holds) the reset test on every document of Σ^N."""
    rep = MembershipReport(cls, rnn.name, cls.problems(rnn))
    if not rep.problems:
        rep.reset = reset_test(rnn, N, arithmetic=arithmetic, engine=engine)
    return rep


@dataclass
class EmbedReport:
    cls: SizeClass
    template: Template
    network: str
    universal_size: int
    nonzero_weights: int
    n_weights: int
    documents: int
    max_diff: float
    identical: bool


@realizes("§4.8 universal graph", "every member embeds into its class's universal graph with identical outputs", kind="check")
def embed_and_compare(rnn, N: int, cls: SizeClass | None = None, template: Template | None = None, *,
                      arithmetic="exact", engine: str = "reference") -> EmbedReport:
    """Embed ``rnn`` into U(cls, template) and compare the outputs on every document of Σ^N
    (``identical``: equal as rationals in ``exact``, within 1e-12 relative in float64)."""
    from constructions.universal_elementary import Slots

    w, cls, template = embed(rnn, cls, template)
    U = universal_elementary(cls, w, template, role=rnn.role, name=f"universal[{rnn.name}]")
    arith = parse_arithmetic(arithmetic)
    a = simulate_all(rnn, N, arith, engine, raw=True)
    b = simulate_all(U, N, arith, engine, raw=True)
    if isinstance(arith, Exact):
        same = bool((a == b).all())
        diff = 0.0 if same else float(np.max(np.abs(raw_to_float(a, arith) - raw_to_float(b, arith))))
    else:
        fa, fb = raw_to_float(a, arith), raw_to_float(b, arith)
        diff = float(np.max(np.abs(fa - fb))) if fa.size else 0.0
        same = bool(np.all(np.abs(fa - fb) <= TOL * np.maximum(1.0, np.abs(fa))))
    return EmbedReport(cls, template, rnn.name, U.size, w.count(), Slots(cls).n_weights(template),
                       rnn.alphabet ** N, diff, same)


__all__ = ["ResetReport", "reset_test", "MembershipReport", "check_member", "EmbedReport", "embed_and_compare"]
