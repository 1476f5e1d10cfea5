"""(LM, distinguisher with window k) pairs shared by the component and boosting tests:
equal and different periods τ, Markov / PFA LMs, pattern / parity / repeat distinguishers."""

from __future__ import annotations

from fractions import Fraction as Fr

from constructions import models


def pairs(k):
    """(LM, distinguisher with window k) pairs: equal and different periods."""
    pats = sorted({format(1, f"0{k}b"), format(2 ** k - 2 if k > 1 else 1, f"0{k}b")})
    return {
        "markov2+parity_tau3": (models.markov_lm(2, [Fr(1, 3), Fr(1, 2), Fr(3, 4), Fr(1, 5)]),
                                models.parity_distinguisher(k, tau=3)),
        "markov1_tau2+pattern": (models.markov_lm(1, [Fr(1, 4), Fr(2, 3)], tau=2),
                                 models.pattern_distinguisher(k, pats)),
        "pfa+repeat": (models.motif_automaton_lm("11", "avoid", noise=Fr(1, 5)),
                       models.repeat_distinguisher(k)),
    }


PAIR_NAMES = sorted(pairs(2))
