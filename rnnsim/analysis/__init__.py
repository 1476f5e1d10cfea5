"""Range and error analysis of a network: an abstract interpretation over the IR (THEORY §5;
paper: Definition 4, the basis of Lemma 12's Claims 9 and 10).

For every node u the analysis computes an abstract value (lo_u, hi_u, int_u, err_u): every
exact value v_t(u) at every time t and for every input stream lies in [lo_u, hi_u], is an
integer when int_u, and the value ṽ_t(u) of a ``Fixed(i, f)`` run satisfies
|ṽ_t(u) − v_t(u)| ≤ err_u. From these come the integer bits a node needs (the least i with
max(|lo|, |hi|) + err < 2^i) and the error bound at the output — what a fixed-point format
for an error δ must respect. Like :mod:`rnnsim.engines.exactness` it is a pass over the
IR that never simulates. It has three separable parts:

* :mod:`.values` — the abstract domain (intervals with integrality and error; join,
  widening with thresholds, outward rounding);
* :mod:`.transfer` (with :mod:`.states`) — one transfer function per expression kind, exact
  enumeration over small joint states, case splits on 0/1 factors, piecewise-linear groups;
* :mod:`.fixpoint` — the iteration over time: to a fixed point with widening (all times) or
  an abstract simulation up to a horizon of N tokens.

Usage: ``analyze(rnn)`` (exact ranges) or ``analyze(rnn, Fixed(i, f), horizon=N)``.
"""

from .fixpoint import Analysis, analyze
from .transfer import Transfer
from .values import AV, INF, Unbounded, int_bits_for

__all__ = ["AV", "INF", "Analysis", "Transfer", "Unbounded", "analyze", "int_bits_for"]
