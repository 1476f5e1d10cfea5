"""Inhomogeneous order-o Markov LMs as RNNs: the nested family on which Algorithm 1 can be run
with an exact minimizer (paper: Lemma 4, Algorithm 1; THEORY §9).

An inhomogeneous order-o Markov LM on documents of length N has one table per position:
q(x_i = 1 | x_{<i}) = tables[i−1][c_i], where the context c_i = (x_{i−o}, …, x_{i−1}) is
left-padded with 0 (so for i ≤ o it encodes the whole prefix). The family F_o of these LMs
is nested (F_o ⊆ F_{o+1}: an order-o table is an order-(o+1) table that ignores the oldest
token) and reaches every LM at o = N − 1.

Network (``inhomogeneous_markov_lm(order, tables, N)``, τ = 1, binary, value input): a
one-hot position register pos.1 … pos.N (hidden, Boolean; pos.1 starts at 1, pos.{i+1} ←
pos.i, pos.N absorbing, so at time m−1 exactly pos.m is 1 for m ≤ N), the shift register
reg.1 … reg.o of :mod:`constructions.models.common` (hidden; reg.j holds x_{m−j}), and the
output q ← Σ_{i, c, σ} q_i(σ | c)·AND(pos.i, literals of c, 1[x = σ]) over the contexts c
that can occur at position i (those whose first max(0, o − i + 1) tokens are padding 0).
Exact claims: size N + o + 2, hidden size N + o, τ = 1, depth 1. The output at time m is
q(x_m | x_{<m}) for every document of length ≤ N (past N the last table is reused).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping, Sequence

from rnnsim import Builder, Claims, ConstructionError, LMRole
from rnnsim.expr import exact
from rnnsim.registry import realizes
from rnnsim.strings import all_strings

from . import records
from .models.common import matches, shift_register, weighted_sum

_STMT = "an inhomogeneous order-o Markov LM (one context table per position) as an LM RNN of size N + o + 2"


def contexts(order: int, i: int) -> list[tuple[int, ...]]:
    """The contexts that occur at position i (1-indexed): length ``order``, left-padded with 0."""
    pad = max(0, order - (i - 1))
    return [(0,) * pad + c for c in all_strings(order - pad)]


def normalize_tables(order: int, N: int, tables) -> tuple[dict, ...]:
    """tables[i−1]: {context: P(x_i = 1 | context)} for every context of position i; exact
    probabilities in [0, 1] (ConstructionError naming the position and context otherwise)."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ConstructionError(f"Markov order must be a non-negative integer, got {order!r}")
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise ConstructionError(f"document length N must be a positive integer, got {N!r}")
    tables = list(tables)
    if len(tables) != N:
        raise ConstructionError(f"an inhomogeneous Markov LM on length-{N} documents needs N = {N} tables, got {len(tables)}")
    out = []
    for i, t in enumerate(tables, start=1):
        if not isinstance(t, Mapping):
            raise ConstructionError(f"table of position {i} must map contexts to P(1 | context), got {type(t).__name__}")
        norm = {}
        for c in contexts(order, i):
            if c not in t:
                raise ConstructionError(f"table of position {i} misses context {''.join(map(str, c)) or '()'}")
            try:
                v = Fraction(exact(t[c], where=f"table[{i}][{c}]"))
            except Exception as e:  # noqa: BLE001 - any bad number
                raise ConstructionError(f"table of position {i}, context {c}: {t[c]!r} is not a number ({e})") from None
            if not 0 <= v <= 1:
                raise ConstructionError(f"table of position {i}, context {c}: probability {v} is outside [0, 1]")
            norm[c] = v
        out.append(norm)
    return tuple(out)


def inhomogeneous_markov_q(order: int, tables, N: int):
    """The exact definition: q(prefix) = [1 − p, p], p = tables[min(|prefix|+1, N) − 1][context]."""
    tabs = normalize_tables(order, N, tables)

    def q(prefix):
        prefix = tuple(int(t) for t in prefix)
        i = min(len(prefix) + 1, N)                       # past N the last table is reused
        ctx = ((0,) * order + prefix)[len(prefix):]       # the last `order` tokens, 0-padded
        p = tabs[i - 1][ctx]
        return [1 - p, p]
    return q


@realizes("Lemma 4", _STMT, bound="size N + o + 2, hidden N + o, τ = 1, depth 1")
def inhomogeneous_markov_lm(order: int, tables: Sequence[Mapping], N: int, *, name: str = "markov_inh"):
    """The network of the module docstring."""
    tabs = normalize_tables(order, N, tables)
    b = Builder(name, tau=1, alphabet=2, role=LMRole(2))
    x = b.input("x")
    pos = [b.node(f"pos.{i}", init=int(i == 1), hidden=True, boolean=True) for i in range(1, N + 1)]
    vals = shift_register(b, x, order, None)                 # vals[j] = x_{m−j}
    ctx_nodes = list(reversed(vals[1:]))                     # oldest first, as the contexts
    for i in range(1, N):
        b.update(pos[i], pos[i - 1] if i < N - 1 else pos[i - 1] + pos[i])
    if N == 1:
        b.update(pos[0], pos[0])
    else:
        b.update(pos[0], 0)
    o = b.node("q", init=0)
    b.update(o, weighted_sum(
        (tabs[i - 1][c] if s else 1 - tabs[i - 1][c], matches([pos[i - 1]] + ctx_nodes + [x], (1,) + c + (s,)))
        for i in range(1, N + 1) for c in tabs[i - 1] for s in (0, 1)))
    b.output(o)
    rec = records.InhomogeneousMarkovLM(order, N, tuple(tuple(t[c] for c in contexts(order, i))
                                                         for i, t in enumerate(tabs, start=1)))
    return b.build(claims=Claims(N + order + 2, N + order, 1, 1, statement="Lemma 4"), construction=rec.to_json())


__all__ = ["contexts", "normalize_tables", "inhomogeneous_markov_q", "inhomogeneous_markov_lm"]
