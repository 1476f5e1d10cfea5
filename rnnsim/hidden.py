"""Hidden node sets (THEORY §2.5; paper: Definition 3 item 9 and the relaxation of Section 2.2).

H is a hidden node set of an RNN R when (a) every u ∈ H reads only nodes of H ∪ I, and
(b) for every m, the outputs at times m'τ, m' > m, are a function of the values of H at
time mτ and of the later tokens x_{m+1}, x_{m+2}, …. Condition (a) is structural and is
checked by :func:`check_structural` (``RNN`` also enforces it when it is built).
Condition (b) is semantic and is tested by :func:`transplant_test`: run a document to time
mτ, overwrite every node outside H ∪ I with arbitrary values, continue, and compare the
outputs at every later multiple of τ with the untouched run. Any difference (or a run-time
error that the untouched run did not have) disproves (b) for that H. A node declared
Boolean (``RNN.boolean_nodes``) is overwritten with 0 or 1 only: the declaration says it
never holds anything else, and gated constructions rely on it (a control merged into
AND(c, run) = ReLU(c + run − 1) is 0 when run = 0 only if c ≤ 1; THEORY §2.2).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Sequence

from .arith import Fixed, Float64, parse_arithmetic
from .engines import get_engine
from .engines.base import raw_to_exact
from .errors import InputError, SimulationError
from .simulate import check_tokens
from .validation import hidden_set_problems

__all__ = ["check_structural", "transplant_test", "TransplantReport", "Mismatch"]


def check_structural(rnn, hidden: Iterable[str] | None = None) -> list[str]:
    """Problems with THEORY §2.5(a) for ``hidden`` (default: ``rnn.hidden``); [] when none.

    One line per problem: a hidden name that is not a node, an input node in H, or a
    hidden node whose transition reads nodes outside H ∪ I (named) — the rule of
    :func:`rnnsim.validation.hidden_set_problems`, which ``RNN`` also enforces when built.
    """
    hset = list(rnn.hidden if hidden is None else hidden)
    return hidden_set_problems(hset, rnn.nodes, rnn.inputs, rnn.in_neighbours, network=rnn.name)


@dataclass
class Mismatch:
    """The first place where a transplanted run differs from the untouched one."""

    document: int            # index into the tokens list
    tokens: tuple[int, ...]
    m: int                   # values outside H ∪ I were overwritten at time m·τ
    m_later: int             # first m' > m whose output differs (or where the run failed)
    expected: object         # untouched output at time m'·τ (exact)
    got: object              # transplanted output (exact), or None when the run failed
    error: str | None = None  # run-time error of the transplanted run, if that is the difference

    def __str__(self):
        doc = "".join(map(str, self.tokens)) if max(self.tokens, default=0) < 10 else str(self.tokens)
        head = f"document {self.document} ({doc}): after overwriting the nodes outside H ∪ I at time m·τ with m = {self.m}, "
        if self.error is not None:
            return head + (
                f"every garbage draw made the run fail (first at token m' = {self.m_later}: {self.error}); "
                "the untouched run did not fail, so garbage in non-hidden nodes reaches a Recip/overflow"
            )
        return head + f"the output at time m'·τ with m' = {self.m_later} is {self.got}, expected {self.expected}"


@dataclass
class TransplantReport:
    """Outcome of :func:`transplant_test`.

    ``ok`` is True when no transplanted run produced a different output and every
    (document, m) pair had at least one garbage draw that ran through. A transplanted run
    that fails with a run-time error (a reciprocal of zero or an overflow reached only
    because of the garbage) is retried with new garbage and counted in
    ``garbage_errors``; only when every retry fails is the pair ``inconclusive`` (and
    ``ok`` False), since then nothing shows that the outputs ignore the garbage.
    """

    hidden: tuple[str, ...]
    overwritten: tuple[str, ...]     # the nodes outside H ∪ I
    documents: int
    transplants: int = 0             # transplanted runs that ran through
    comparisons: int = 0             # outputs compared
    mismatch: Mismatch | None = None  # the first differing output (or the first inconclusive pair)
    all_mismatches: int = 0
    garbage_errors: int = 0          # transplanted runs that failed with a run-time error
    first_garbage_error: str | None = None
    inconclusive: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.all_mismatches == 0 and self.inconclusive == 0

    def __bool__(self):
        return self.ok

    def __str__(self):
        if self.ok:
            s = (
                f"transplant test passed: {self.transplants} transplants over {self.documents} "
                f"document(s), {self.comparisons} outputs compared, {len(self.overwritten)} node(s) overwritten"
            )
        else:
            s = (
                f"transplant test FAILED ({self.all_mismatches} transplant(s) with a different output, "
                f"{self.inconclusive} inconclusive); first: {self.mismatch}"
            )
        if self.garbage_errors:
            s += (f"\n  note: {self.garbage_errors} transplanted run(s) failed because of the garbage and "
                  f"were retried; first: {self.first_garbage_error}")
        return s + "".join(f"\n  note: {n}" for n in self.notes)

    def raise_if_failed(self) -> "TransplantReport":
        if not self.ok:
            raise SimulationError(f"hidden set violates THEORY §2.5(b): {self}")
        return self


def transplant_test(
    rnn,
    tokens_list: Sequence[Sequence[int]],
    *,
    hidden: Iterable[str] | None = None,
    m_values: Iterable[int] | None = None,
    arithmetic="exact",
    seed: int = 0,
    garbage: int = 1,
    retries: int = 8,
) -> TransplantReport:
    """Test THEORY §2.5(b) for ``hidden`` (default ``rnn.hidden``) on the given documents.

    For each document and each m in ``m_values`` (default 0 … N−1), run to time mτ, set
    every node outside H ∪ I to a random rational (seeded by ``seed``; ``garbage`` draws
    per (document, m)), run on and compare the outputs at m' = m+1 … N with the untouched
    run. Uses the reference engine, so ``exact`` (default) compares rationals exactly. An
    error of the untouched run (e.g. a genuine reciprocal of zero) is raised; an error
    that only a transplanted run hits is retried with new garbage (up to ``retries``
    extra draws) and reported (see :class:`TransplantReport`).
    """
    arith = parse_arithmetic(arithmetic)
    hset = tuple(rnn.hidden if hidden is None else hidden)
    problems = check_structural(rnn, hset)
    notes = [f"structural (THEORY §2.5(a)): {p}" for p in problems]
    keep = set(hset) | set(rnn.inputs)
    over_idx = [i for i, n in enumerate(rnn.nodes) if n not in keep]
    boolean = {rnn.index(n) for n in getattr(rnn, "boolean_nodes", ())}
    overwritten = tuple(rnn.nodes[i] for i in over_idx)
    ex = get_engine("reference").compile(rnn.program, arith)
    rng = random.Random(seed)
    docs = [tuple(int(t) for t in check_tokens(rnn, d).reshape(-1)) for d in tokens_list]
    if not docs:
        raise InputError("transplant_test needs at least one document")
    report = TransplantReport(hset, overwritten, len(docs), notes=notes)
    for di, doc in enumerate(docs):
        N = len(doc)
        # untouched run: keep the state at every multiple of τ and every output
        state = ex.init_state(1)
        snapshots, expected = [ex.take(state, [0])], []
        for m in range(N):
            state, out = ex.advance(state, [doc[m]], m * rnn.tau)
            expected.append(out[0])
            snapshots.append(ex.take(state, [0]))
        ms = range(N) if m_values is None else [m for m in m_values if 0 <= m < N]
        for m in ms:
            done, attempts, first_err = 0, 0, None
            while done < garbage and attempts < garbage + retries:
                attempts += 1
                st = ex.take(snapshots[m], [0])
                values = ex.node_values(st, 0)
                for i in over_idx:
                    values[i] = _garbage(rng, arith, i in boolean)
                ex.set_node_values(st, 0, values)
                found, failed = None, False
                for m2 in range(m, N):
                    try:
                        st, out = ex.advance(st, [doc[m2]], m2 * rnn.tau)
                    except SimulationError as e:
                        failed = True
                        report.garbage_errors += 1
                        if first_err is None:
                            first_err = (m2 + 1, str(e))
                        if report.first_garbage_error is None:
                            report.first_garbage_error = f"document {di}, m = {m}, token m' = {m2 + 1}: {e}"
                        break
                    report.comparisons += 1
                    if not _same(out[0], expected[m2]):
                        found = Mismatch(di, doc, m, m2 + 1, _exact(expected[m2], arith), _exact(out[0], arith))
                        break
                if failed:
                    continue
                done += 1
                report.transplants += 1
                if found is not None:
                    report.all_mismatches += 1
                    if report.mismatch is None or report.mismatch.error is not None:
                        report.mismatch = found  # a differing output outranks an inconclusive pair
            if done == 0:
                report.inconclusive += 1
                if report.mismatch is None:
                    m_at, err = first_err
                    report.mismatch = Mismatch(di, doc, m, m_at, _exact(expected[m_at - 1], arith), None, err)
    return report


def _garbage(rng: random.Random, arith, boolean: bool = False):
    """An arbitrary value a node could hold: a random rational (on the grid and in range
    for fixed formats, a float for float64); 0 or 1 for a node declared Boolean."""
    if boolean:
        v = Fraction(rng.randint(0, 1))
        return float(v) if isinstance(arith, Float64) else v
    if isinstance(arith, Fixed):
        lim = arith.limit * arith.scale - 1
        return Fraction(rng.randint(-lim, lim), arith.scale)
    v = Fraction(rng.randint(-50, 50), rng.choice((1, 2, 3, 7, 16)))
    return float(v) if isinstance(arith, Float64) else v


def _same(a, b) -> bool:
    return a == b or (a != a and b != b)  # NaN == NaN for this purpose


def _exact(v, arith):
    return raw_to_exact([v], arith)[0]
