"""Models to build and boost (THEORY §4.7): LM RNNs and distinguisher RNNs with exact definitions.

THEORY §4.7 (project form). For each model there is an RNN builder and an exact Python
definition, and the RNN computes the definition: an LM RNN outputs at time mτ the
probability q(x_m | x_{<m}) of the token just read (``q(prefix) -> [p_0, …, p_{b−1}]``,
Fractions); a distinguisher RNN for window k outputs at time mτ, m ≥ k, the value
d(m−k+1, x_{≤m}) ∈ {0, 1} (``d(j, x) -> 0/1``). Hidden sets are the state only (the output
node is computed from H and the current input), and each network records in ``meta`` its
claimed size, hidden size, τ and depth (closed forms) and its parameters.

LMs (:mod:`constructions.models_lm`): ``uniform_lm``, ``markov_lm(order, table)``,
``pfa_lm(PFA)``, ``motif_automaton_lm(motif, mode)``. Distinguishers
(:mod:`constructions.models_dist`): ``pattern_distinguisher(k, patterns)``,
``motif_distinguisher(k, motif)``, ``parity_distinguisher(k)``, ``repeat_distinguisher(k)``,
``bracket_distinguisher(k, cap)``. :func:`exact_definition` returns the definition of any
network built here, rebuilt from its meta.
"""

from __future__ import annotations

from fractions import Fraction

from .models_dist import (  # noqa: F401
    SENTINEL, bracket_d, bracket_distinguisher, motif_d, motif_distinguisher, parity_d,
    parity_distinguisher, pattern_d, pattern_distinguisher, repeat_d, repeat_distinguisher,
)
from .models_lm import (  # noqa: F401
    PFA, kmp_delta, markov_lm, markov_q, markov_table, motif_automaton_lm, motif_automaton_q,
    motif_pfa, pfa_lm, pfa_q, uniform_lm, uniform_q,
)


def exact_definition(rnn):
    """The exact definition (LM ``q`` or distinguisher ``d``) of a network built by this
    module, rebuilt from ``rnn.meta["model"]``."""
    model = rnn.meta.get("model")
    if not model:
        raise ValueError(f"network {rnn.name!r} was not built by constructions.models (no meta['model'])")
    kind, p = model["builder"], model["params"]
    if kind == "uniform_lm":
        return uniform_q(p["b"])
    if kind == "markov_lm":
        return markov_q(p["order"], [Fraction(v) for v in p["table"]])
    if kind == "pfa_lm":
        return PFA(p["delta"], [[Fraction(v) for v in r] for r in p["emit"]], p["start"])
    if kind == "pattern_distinguisher":
        return pattern_d(p["k"], p["patterns"])
    if kind == "motif_distinguisher":
        return motif_d(p["k"], p["motif"])
    if kind == "parity_distinguisher":
        return parity_d(p["k"])
    if kind == "repeat_distinguisher":
        return repeat_d(p["k"])
    if kind == "bracket_distinguisher":
        return bracket_d(p["k"], p["cap"])
    raise ValueError(f"unknown model builder {kind!r} in meta of {rnn.name!r}")


__all__ = [
    "uniform_lm", "uniform_q", "markov_lm", "markov_q", "markov_table", "PFA", "pfa_lm", "pfa_q",
    "kmp_delta", "motif_pfa", "motif_automaton_lm", "motif_automaton_q",
    "pattern_distinguisher", "pattern_d", "motif_distinguisher", "motif_d",
    "parity_distinguisher", "parity_d", "repeat_distinguisher", "repeat_d",
    "bracket_distinguisher", "bracket_d", "SENTINEL", "exact_definition",
]
