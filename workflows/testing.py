"""Property testing for your own constructions: hypothesis strategies for networks, LMs,
distinguishers and arithmetic formats, and a one-call check "this network computes this
Python function" (THEORY §2.3: R computes F when v_{mτ}(o) = F(x_1 … x_m) for every
document and every m ≥ 1).

**Checking a network.** :func:`check_computes` compares a network with a Python function
F(prefix) (the value expected at time mτ after reading the prefix x_1 … x_m; return None
to leave a prefix unchecked). When b^N ≤ ``max_docs`` it runs every document of Σ^N
(``rnnsim.simulate_all``: prefixes shared) and checks every prefix once; otherwise
hypothesis draws documents (``examples`` of them) and shrinks a failure to a short one. It
returns a :class:`ComputeReport` whose ``counterexample`` is the *first* failure — the
shortest failing prefix, the first in Σ^m order (exhaustive) or hypothesis's minimal one —
with the network's value, the expected value and a text waveform of the output node and
the nodes it reads over the last token's τ steps. ``lm_function(q)`` and
``distinguisher_function(d, k)`` turn an LM ``q(prefix) -> probabilities`` and a
distinguisher ``d(j, x) -> 0/1`` (THEORY §6) into such an F; :func:`assert_computes`
raises AssertionError with the report.

**Strategies** (``hypothesis.strategies``; needs hypothesis: ``pip install rnnsim[test]``):
the test suite's :func:`rationals`, :func:`expressions`, :func:`networks` (random valid
RNNs: mixed Affine/ReLU/Prod/Recip transitions, random τ, alphabet, input encoding,
hierarchical names, shared subexpressions, a hidden set satisfying THEORY §2.5(a), values
clamped to [−B, B]; ``bounded_digits=True`` for exact arithmetic over many steps),
:func:`documents` and :func:`networks_and_documents` (from :mod:`workflows.strategies`),
:func:`tokens` (one document over Σ), :func:`lm_networks` ((network, exact q) from the
model families of THEORY §4.7: uniform, Markov, PFA, motif automata; ``positive=True``
keeps every conditional > 0, as boosting needs), :func:`distinguisher_networks` ((network,
exact d) for a window k: pattern sets, motifs, parity, repeat, brackets and complements,
τ ∈ 1…max_tau) and :func:`formats` (exact, float64 and Fixed(i, f) formats).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import hypothesis.strategies as st

import rnnsim
from constructions import families, models
from .strategies import (  # noqa: F401  (re-exported: the whole kit from one module)
    clamp, documents, expressions, linear_expressions, networks, networks_and_documents, rationals,
)
from rnnsim.arith import Exact, parse_arithmetic
from rnnsim.strings import by_prefix, nth_string

__all__ = ["rationals", "expressions", "linear_expressions", "networks", "documents", "networks_and_documents",
           "clamp", "tokens", "lm_networks", "distinguisher_networks", "formats",
           "check_computes", "assert_computes", "lm_function", "distinguisher_function", "ComputeReport",
           "Counterexample"]

def tokens(b: int, *, min_len: int = 1, max_len: int = 6):
    """One token sequence over Σ = {0, …, b−1}."""
    return st.lists(st.integers(0, b - 1), min_size=min_len, max_size=max_len)


# ---- strategies: models --------------------------------------------------------------------------------

def _probs(positive: bool):
    vals = [Fraction(1, 4), Fraction(1, 3), Fraction(1, 2), Fraction(2, 3), Fraction(3, 4)]
    return st.sampled_from(vals if positive else [Fraction(0), Fraction(1)] + vals)


@st.composite
def lm_networks(draw, *, max_tau: int = 2, positive: bool = False, kinds=("uniform", "markov", "pfa", "motif")):
    """(LM network, its exact definition q(prefix) -> [q(0|·), q(1|·)]) over b = 2."""
    kind = draw(st.sampled_from(list(kinds)))
    tau = draw(st.integers(1, max_tau))
    if kind == "uniform":
        return models.uniform_lm(2, tau=tau), models.uniform_q(2)
    if kind == "markov":
        order = draw(st.integers(0, 2))
        table = [draw(_probs(positive)) for _ in range(2 ** order)]
        return models.markov_lm(order, table, tau=tau), models.markov_q(order, table)
    if kind == "pfa":
        n = draw(st.integers(1, 3))
        delta = tuple(tuple(draw(st.integers(0, n - 1)) for _ in range(2)) for _ in range(n))
        emit = []
        for _ in range(n):
            p1 = draw(_probs(positive))
            emit.append((1 - p1, p1))
        pfa = models.PFA(delta, tuple(emit), 0)
        return models.pfa_lm(pfa, tau=tau), pfa
    motif = draw(st.lists(st.integers(0, 1), min_size=1, max_size=3))
    mode = "seek" if positive else draw(st.sampled_from(["avoid", "seek"]))
    noise = Fraction(1, 10) if positive else 0
    pfa = models.motif_pfa(motif, mode, noise=noise)
    return models.motif_automaton_lm(motif, mode, noise=noise, tau=tau), pfa


@st.composite
def distinguisher_networks(draw, k: int | None = None, *, max_k: int = 3, max_tau: int = 3, complement: bool = True):
    """(distinguisher network for window k, its exact definition d(j, x) -> 0/1)."""
    k = draw(st.integers(1, max_k)) if k is None else k
    tau = draw(st.integers(1, max_tau))
    fam = draw(st.sampled_from(["patterns", "motifs", "parity", "repeat", "brackets"]))
    if fam == "patterns":
        words = [''.join(map(str, nth_string(i, k))) for i in range(2 ** k)]
        chosen = draw(st.lists(st.sampled_from(words), max_size=len(words), unique=True))
        spec = families.patterns(k, [chosen], tau=tau)[0]
    elif fam == "motifs":
        spec = draw(st.sampled_from(families.motifs(k, tau=tau)))
    elif fam == "brackets":
        spec = families.brackets(k, (draw(st.integers(1, 4)),), tau=tau)[0]
    else:
        spec = families.FAMILIES[fam](k, tau=tau)[0]
    if complement and draw(st.booleans()):
        spec = spec.complement()
    return spec.build(), spec.definition()


def formats(*, max_int_bits: int = 12, max_frac_bits: int = 24, fixed_only: bool = False):
    """Arithmetic modes: ``"exact"``, ``"float64"`` and ``rnnsim.Fixed(i, f)``."""
    fixed = st.builds(rnnsim.Fixed, st.integers(1, max_int_bits), st.integers(0, max_frac_bits))
    return fixed if fixed_only else st.one_of(st.sampled_from(["exact", "float64"]), fixed)


# ---- the check -----------------------------------------------------------------------------------------

def lm_function(q) -> Callable:
    """F(x_1 … x_m) = q(x_m | x_<m) for an LM callable q (THEORY §2.6)."""
    def F(prefix):
        return q(tuple(prefix[:-1]))[prefix[-1]]
    return F


def distinguisher_function(d, k: int) -> Callable:
    """F(x_1 … x_m) = d(m − k + 1, x_≤m) for m ≥ k (None: unchecked) (THEORY §2.6)."""
    def F(prefix):
        m = len(prefix)
        return None if m < k else d(m - k + 1, tuple(prefix))
    return F


@dataclass
class Counterexample:
    document: tuple           # the failing prefix x_1 … x_m
    m: int
    got: Any
    expected: Any
    trace: str                # waveform of the output node and its in-neighbours, last token

    def __str__(self) -> str:
        doc = "".join(map(str, self.document)) if max(self.document, default=0) < 10 else str(self.document)
        return (f"after x = {doc} (m = {self.m}) the network outputs {self.got}, expected {self.expected}\n"
                f"{self.trace}")


@dataclass
class ComputeReport:
    ok: bool
    mode: str                 # "exhaustive" or "hypothesis"
    checked: int              # prefixes (exhaustive) or documents (hypothesis) checked
    N: int
    counterexample: Counterexample | None

    def __str__(self) -> str:
        head = f"{'ok' if self.ok else 'FAILED'}: {self.mode} check, {self.checked} cases, documents up to N = {self.N}"
        return head if self.ok else f"{head}\n{self.counterexample}"


def _equal(got, want, tol) -> bool:
    if tol == 0:
        return got == want
    return abs(float(got) - float(want)) <= tol


def _trace(net, doc, arith) -> str:
    tr = rnnsim.simulate(net, list(doc), arithmetic="exact" if isinstance(arith, Exact) else "float64",
                         engine="reference", record="all")
    o = net.output
    names = [o] + sorted(n for n in net.in_neighbours(o) if n != o)[:8]
    m = len(doc)
    return tr.waveform(names, start=(m - 1) * net.tau, stop=m * net.tau + 1, width=0)


def check_computes(net, F: Callable, *, N: int = 8, max_docs: int = 4096, arithmetic="exact", tol=0,
                   engine: str = "auto", examples: int = 200, seed: int | None = 0) -> ComputeReport:
    """Does ``net`` compute F on every prefix of every document of length ≤ N? (module docstring)"""
    arith = parse_arithmetic(arithmetic)
    b = net.alphabet
    if not isinstance(arith, Exact) and tol == 0:
        tol = 1e-12
    if b ** N <= max_docs:
        out = rnnsim.simulate_all(net, N, arith, engine, raw=isinstance(arith, Exact))
        if isinstance(arith, Exact):
            from rnnsim.engines.base import raw_to_exact

            out = raw_to_exact(out, arith)
        checked = 0
        for m in range(1, N + 1):
            col = by_prefix(out, m, b)
            for P, got in enumerate(col):
                prefix = nth_string(P, m, b)
                want = F(prefix)
                if want is None:
                    continue
                checked += 1
                if not _equal(got, want, tol):
                    return ComputeReport(False, "exhaustive", checked, N,
                                         Counterexample(prefix, m, got, want, _trace(net, prefix, arith)))
        return ComputeReport(True, "exhaustive", checked, N, None)
    return _by_hypothesis(net, F, N, arith, tol, engine, examples, seed)


def _by_hypothesis(net, F, N, arith, tol, engine, examples, seed) -> ComputeReport:
    from hypothesis import find, settings
    from hypothesis.errors import NoSuchExample

    def first_bad(doc) -> int | None:
        if not doc:
            return None
        outs = rnnsim.simulate(net, list(doc), arithmetic=arith, engine=engine).outputs
        for m in range(1, len(doc) + 1):
            want = F(tuple(doc[:m]))
            if want is not None and not _equal(outs[m - 1], want, tol):
                return m
        return None

    cfg = settings(max_examples=examples, database=None, derandomize=seed is not None, deadline=None)
    try:
        doc = find(tokens(net.alphabet, max_len=N), lambda d: first_bad(d) is not None, settings=cfg)
    except NoSuchExample:
        return ComputeReport(True, "hypothesis", examples, N, None)
    m = first_bad(doc)
    prefix = tuple(doc[:m])
    got = rnnsim.simulate(net, list(prefix), arithmetic=arith, engine=engine).outputs[m - 1]
    return ComputeReport(False, "hypothesis", examples, N,
                         Counterexample(prefix, m, got, F(prefix), _trace(net, prefix, arith)))


def assert_computes(net, F: Callable, **kw) -> ComputeReport:
    """:func:`check_computes`, raising AssertionError (with the counterexample and its trace) on failure."""
    rep = check_computes(net, F, **kw)
    if not rep.ok:
        raise AssertionError(str(rep))
    return rep
