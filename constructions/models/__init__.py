"""Models to build and boost (THEORY §4.7): LM RNNs and distinguisher RNNs with exact definitions.

THEORY §4.7 (project form). For each model there is an RNN builder and an exact Python
definition, and the RNN computes the definition: an LM RNN outputs at time mτ the
probability q(x_m | x_{<m}) of the token just read (``q(prefix) -> [p_0, …, p_{b−1}]``,
Fractions); a distinguisher RNN for window k outputs at time mτ, m ≥ k, the value
d(m−k+1, x_{≤m}) ∈ {0, 1} (``d(j, x) -> 0/1``). Hidden sets are the state only (the output
node is computed from H and the current input), and each network declares its role
(``rnnsim.LMRole`` / ``rnnsim.DistinguisherRole(k)``), states its claimed size, hidden size,
τ and depth (closed forms, ``RNN.claims``) and records its parameters
(:mod:`constructions.records`).

Modules: :mod:`.lm` (``uniform_lm``, ``markov_lm(order, table)``, ``pfa_lm(PFA)``,
``motif_automaton_lm(motif, mode)``), :mod:`.dist` (``pattern_distinguisher(k, patterns)``,
``motif_distinguisher(k, motif)``, ``parity_distinguisher(k)``, ``repeat_distinguisher(k)``,
``bracket_distinguisher(k, cap)``), :mod:`.common` (clock, shift register, literals) and
:mod:`.registry` (:func:`exact_definition`: the definition of any network built here, read
from its record).
"""

from __future__ import annotations

from .dist import (  # noqa: F401
    SENTINEL, bracket_d, bracket_distinguisher, motif_d, motif_distinguisher, parity_d,
    parity_distinguisher, pattern_d, pattern_distinguisher, repeat_d, repeat_distinguisher,
)
from .lm import (  # noqa: F401
    PFA, kmp_delta, markov_lm, markov_q, markov_table, motif_automaton_lm, motif_automaton_q,
    motif_pfa, pfa_lm, uniform_lm, uniform_q,
)
from .registry import exact_definition  # noqa: F401


__all__ = [
    "uniform_lm", "uniform_q", "markov_lm", "markov_q", "markov_table", "PFA", "pfa_lm",
    "kmp_delta", "motif_pfa", "motif_automaton_lm", "motif_automaton_q",
    "pattern_distinguisher", "pattern_d", "motif_distinguisher", "motif_d",
    "parity_distinguisher", "parity_d", "repeat_distinguisher", "repeat_d",
    "bracket_distinguisher", "bracket_d", "SENTINEL", "exact_definition",
]
