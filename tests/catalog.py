"""The shared table of test cases: every kind of network the project can build, small.

Like tracr's shared case table, each entry is run through the same stage checks in
tests/test_catalog.py — compiled engine vs reference (float64 and fixed), save/load
round trip, transplant test of the declared hidden set, claimed counts vs built counts.
A new builder adds one line here and is checked at every stage.

Each entry: name → (thunk building the RNN, N for exhaustive runs, a fixed format wide
enough for it). Thunks are cached so a network is built once per test session.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from constructions import boosting, components, enumeration, models, universal

F = Fraction


def _markov1():
    return models.markov_lm(1, {(0,): F(1, 4), (1,): F(2, 3)})


def _markov2():
    return models.markov_lm(2, {(0, 0): F(1, 2), (0, 1): F(1, 8), (1, 0): F(3, 4), (1, 1): F(1, 4)})


def _pattern2():
    return models.pattern_distinguisher(2, [(0, 1), (1, 1)])


def _example():
    from rnnsim import io  # the shipped example network

    return io.load_example("example")


CASES = {
    # name: (builder, N, fixed format)
    "example": (_example, 6, "fixed:7:24"),
    "uniform": (lambda: models.uniform_lm(), 6, "fixed:4:8"),
    "markov1": (_markov1, 7, "fixed:4:16"),
    "markov2_tau2": (lambda: models.markov_lm(2, {(0, 0): F(1, 2), (0, 1): F(1, 8), (1, 0): F(3, 4), (1, 1): F(1, 4)}, tau=2), 6, "fixed:4:16"),
    "motif_avoid": (lambda: models.motif_automaton_lm([1, 1, 0], "avoid"), 7, "fixed:4:16"),
    "pattern2": (_pattern2, 7, "fixed:4:4"),
    "motif3": (lambda: models.motif_distinguisher(3, [1, 0]), 7, "fixed:4:4"),
    "parity3": (lambda: models.parity_distinguisher(3), 7, "fixed:4:4"),
    "repeat2": (lambda: models.repeat_distinguisher(2), 7, "fixed:4:4"),
    "bracket2": (lambda: models.bracket_distinguisher(2, 3), 7, "fixed:4:4"),
    "enumeration_k2": (lambda: enumeration.synchronized_enumeration(_markov2(), 2, 1, 5), 4, "fixed:8:16"),
    "components_k2": (lambda: components.components(_markov1(), _pattern2(), 2, 2, 5, factor=F(1, 2)), 4, "fixed:8:16"),
    "boost_k1": (lambda: boosting.boost(_markov1(), models.pattern_distinguisher(1, [(1,)]), k=1, r=1, N=5, factor=F(2, 3)), 5, "fixed:7:24"),
    "boost_k2": (lambda: boosting.boost(_markov1(), _pattern2(), k=2, r=2, N=5, factor=F(1, 2)), 4, "fixed:7:24"),
    "boost_simple_k2": (lambda: boosting.boost_simple(_markov1(), _pattern2(), k=2, r=1, N=5, factor=F(1, 2)), 4, "fixed:7:24"),
    "universal": (lambda: universal.universal(6, 3, 2, seed=1), 5, "fixed:12:20"),
}


@lru_cache(maxsize=None)
def build(name: str):
    return CASES[name][0]()
