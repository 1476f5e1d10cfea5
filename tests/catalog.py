"""The shared table of test cases: every kind of network the project can build, small, each
with its exact definition.

Like tracr's shared case table, each entry is run through the same stage checks in
tests/test_catalog.py — outputs equal to the entry's exact definition on every document of
length N, compiled engine vs reference (float64 and fixed), save/load round trip,
transplant test of the declared hidden set, claims vs built counts. A new builder adds
one line here and is checked at every stage.

Each entry (:class:`Case`): a thunk building the RNN (cached, built once per session), N
for exhaustive runs, a fixed format wide enough for it, and its definition
(:mod:`tests.definitions`), written from the entry's own parameters — not read back from
the network — so a builder that records one thing and builds another is caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Callable

from constructions import boosting, components, counters, enumeration, models, universal
from proofs_checks.boost import boosted_conditional
from tests.definitions import (
    ComponentValues, CounterValues, Definition, DistOutputs, EnumerationOutputs, FloatOutputs,
    LMOutputs, Timing, lm_value,
)

F = Fraction


# ---- exact definitions written from the parameters (THEORY §2.6, §4.7) ------------------------

def markov_q(order: int, table: dict):
    """q(1 | prefix) = table[last `order` tokens, left-padded with 0]."""
    def q(prefix):
        ctx = ((0,) * order + tuple(prefix))[-order:] if order else ()
        return [1 - table[ctx], table[ctx]]
    return q


def laplace_q(prefix):
    """Laplace's rule of succession: q(1 | x_<m) = (#ones + 1) / (m + 1)."""
    ones, L = sum(prefix), len(prefix)
    return [F(L - ones + 1, L + 2), F(ones + 1, L + 2)]


def avoid_q(motif: tuple):
    """Uniform over the next tokens that do not complete the motif; uniform once it occurred."""
    def occurs(w):
        return any(tuple(w[i:i + len(motif)]) == motif for i in range(len(w) - len(motif) + 1))

    def q(prefix):
        prefix = tuple(prefix)
        if occurs(prefix):
            return [F(1, 2), F(1, 2)]
        ok = [s for s in (0, 1) if not occurs(prefix + (s,))]
        return [F(int(s in ok), len(ok)) for s in (0, 1)]
    return q


def window(j, x, k):
    return tuple(x[j - 1:j - 1 + k])


def pattern_d(k, patterns):
    return lambda j, x: int(window(j, x, k) in patterns)


def motif_d(k, motif):
    return lambda j, x: int(any(window(j, x, k)[i:i + len(motif)] == motif for i in range(k - len(motif) + 1)))


def parity_d(k):
    return lambda j, x: sum(window(j, x, k)) % 2


def repeat_d(k):
    return lambda j, x: int(j > k and window(j, x, k) == tuple(x[j - 1 - k:j - 1]))


def bracket_d(k, cap):
    def d(j, x):
        depth = 0
        for t in x[:j - 1 + k]:
            depth += 1 if t else -1
            if not 0 <= depth <= cap:
                return 0
        return int(depth == 0)
    return d


def lemma2(q, d, k, r, N, w):
    return boosted_conditional(q, d, k=k, r=r, factor=w, N=N)


# ---- the table ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    build: Callable
    N: int
    fixed: str
    definition: Definition
    model: bool = False          # built by constructions.models (exact_definition reads its record)


M1 = {(0,): F(1, 4), (1,): F(2, 3)}
M2 = {(0, 0): F(1, 2), (0, 1): F(1, 8), (1, 0): F(3, 4), (1, 1): F(1, 4)}
P2 = {(0, 1), (1, 1)}


def _markov1():
    return models.markov_lm(1, M1)


def _markov2(tau=1):
    return models.markov_lm(2, M2, tau=tau)


def _pattern2():
    return models.pattern_distinguisher(2, sorted(P2))


def _example():
    from rnnsim import io  # the shipped example network

    return io.load_example("example")


def _universal_oracle(toks):
    return universal.forward(6, 3, 2, universal.random_weights(6, 3, 2, seed=1), toks)


def _iterate_k1():
    dists = [models.pattern_distinguisher(1, ["1"]), models.parity_distinguisher(1)]
    return boosting.iterate(_markov1(), dists, k=1, rs=[1, 1], factors=[F(1, 2), F(3, 4)], N=3)[-1]


_q1, _q2 = markov_q(1, M1), markov_q(2, M2)

CASES = {
    "example": Case(_example, 6, "fixed:7:24", LMOutputs(laplace_q)),
    "uniform": Case(lambda: models.uniform_lm(), 6, "fixed:4:8", LMOutputs(lambda p: [F(1, 2), F(1, 2)]), model=True),
    "markov1": Case(_markov1, 7, "fixed:4:16", LMOutputs(_q1), model=True),
    "markov2_tau2": Case(lambda: _markov2(tau=2), 6, "fixed:4:16", LMOutputs(_q2), model=True),
    "motif_avoid": Case(lambda: models.motif_automaton_lm([1, 1, 0], "avoid"), 7, "fixed:4:16",
                        LMOutputs(avoid_q((1, 1, 0))), model=True),
    "pattern2": Case(_pattern2, 7, "fixed:4:4", DistOutputs(pattern_d(2, P2), 2), model=True),
    "motif3": Case(lambda: models.motif_distinguisher(3, [1, 0]), 7, "fixed:4:4", DistOutputs(motif_d(3, (1, 0)), 3), model=True),
    "parity3": Case(lambda: models.parity_distinguisher(3), 7, "fixed:4:4", DistOutputs(parity_d(3), 3), model=True),
    "repeat2": Case(lambda: models.repeat_distinguisher(2), 7, "fixed:4:4", DistOutputs(repeat_d(2), 2), model=True),
    "bracket2": Case(lambda: models.bracket_distinguisher(2, 3), 7, "fixed:4:4", DistOutputs(bracket_d(2, 3), 2), model=True),
    "counters_k2": Case(lambda: counters.counter_network(2, 2, 1, 5), 3, "fixed:4:4", CounterValues(Timing(2, 2, 1, 5))),
    "enumeration_k2": Case(lambda: enumeration.synchronized_enumeration(_markov2(), 2, 1, 5), 4, "fixed:8:16",
                           EnumerationOutputs(lambda w: lm_value(_q2, w), Timing(2, 1, 1, 5))),
    "components_k2": Case(lambda: components.components(_markov1(), _pattern2(), 2, 2, 5, factor=F(1, 2)), 4,
                          "fixed:8:16", ComponentValues(_q1, pattern_d(2, P2), F(1, 2), Timing(2, 1, 2, 5))),
    "boost_k1": Case(lambda: boosting.boost(_markov1(), models.pattern_distinguisher(1, [(1,)]), k=1, r=1, N=5,
                                            factor=F(2, 3)), 5, "fixed:7:24",
                     LMOutputs(lemma2(_q1, pattern_d(1, {(1,)}), 1, 1, 5, F(2, 3)))),
    "boost_k2": Case(lambda: boosting.boost(_markov1(), _pattern2(), k=2, r=2, N=5, factor=F(1, 2)), 4, "fixed:7:24",
                     LMOutputs(lemma2(_q1, pattern_d(2, P2), 2, 2, 5, F(1, 2)))),
    "boost_simple_k2": Case(lambda: boosting.boost_simple(_markov1(), _pattern2(), k=2, r=1, N=5, factor=F(1, 2)), 4,
                            "fixed:7:24", LMOutputs(lemma2(_q1, pattern_d(2, P2), 2, 1, 5, F(1, 2)))),
    "iterate_k1_round2": Case(_iterate_k1, 3, "fixed:7:20", LMOutputs(lemma2(
        lemma2(_q1, pattern_d(1, {(1,)}), 1, 1, 3, F(1, 2)), parity_d(1), 1, 1, 3, F(3, 4)))),
    "universal": Case(lambda: universal.universal(6, 3, 2, seed=1), 5, "fixed:12:20", FloatOutputs(_universal_oracle)),
}


@lru_cache(maxsize=None)
def build(name: str):
    return CASES[name].build()
