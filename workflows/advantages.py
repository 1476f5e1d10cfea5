"""The advantage of every member of a distinguisher class against a model, exactly (THEORY §3).

Algorithm 1's report and the measurement of trained models need, for a data distribution p
and an LM q, the advantage α(p, q, d) of each member d of a class 𝒟 closed under complement
(d and 1 − d; α(1 − d) = −α(d), so max_{d∈𝒟} α = max_d |α(d)| over either half). Two kinds of
class are handled:

* :class:`PatternSets` — all window-k pattern sets P ⊆ Σ^k, d_P(j, x) = 1[x_{j..j+k−1} ∈ P]
  (2^(2^k) members, closed under complement). The advantage is additive over patterns,
  α(P) = Σ_{w∈P} α({w}), so max_P α = Σ_w max(α({w}), 0), attained by P⁺ = {w : α({w}) > 0};
  as Σ_w α({w}) = 0 this is also max_P |α|. 2^k advantages give the exact maximum over the
  whole class.
* :class:`DistinguisherList` — any finite list of distinguishers (callables d(j, x), tables, or
  distinguisher RNNs, read with ``distinguisher_from_rnn``); with ``complement=True`` each
  member's complement is in the class too.

Both return an :class:`AdvantageTable` (one row per member computed, the largest |α|, the
member and sign that attain it). Exact (Fractions) when p and q are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

from proofs_checks.advantage import DistTable, advantage, as_table, distinguisher_from_rnn
from proofs_checks.lm import as_distribution, as_lm
from rnnsim.errors import ConstructionError
from rnnsim.strings import all_strings


@dataclass
class AdvantageRow:
    name: str
    alpha: object                  # model minus data (exact when p, q are)


@dataclass
class AdvantageTable:
    rows: list = field(default_factory=list)
    best: str = ""                 # the member with the largest |α| (a complement is named "¬…")
    max_abs: object = 0
    k: int = 0

    def __str__(self):
        lines = ["| distinguisher | α (model − data) |", "|---|---|"]
        lines += [f"| {r.name} | {float(r.alpha):+.6g} |" for r in self.rows]
        return "\n".join(lines)


def _pname(P) -> str:
    return "{" + ",".join("".join(map(str, w)) for w in P) + "}"


@dataclass(frozen=True)
class PatternSets:
    """All window-k pattern sets over Σ = {0, 1} (module docstring)."""

    k: int

    def __post_init__(self):
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ConstructionError(f"pattern sets: the window k must be a positive integer, got {self.k!r}")

    @property
    def size(self) -> int:
        return 2 ** (2 ** self.k)

    def pattern_d(self, P):
        P = {tuple(w) for w in P}
        k = self.k
        return lambda j, x: int(tuple(x[j - 1:j - 1 + k]) in P)

    def alphas(self, p, q) -> list[tuple[tuple[int, ...], object]]:
        """α({w}) for every single pattern w ∈ Σ^k (exact when p and q are)."""
        p = as_distribution(p)
        q = as_lm(q, p.b, p.N)
        if self.k > p.N:
            raise ConstructionError(f"window k = {self.k} exceeds the document length N = {p.N}")
        return [(w, advantage(p, q, self.pattern_d([w]), k=self.k).alpha) for w in all_strings(self.k)]

    @staticmethod
    def _best(vals):
        """P⁺ = {w : α({w}) > 0} and its advantage Σ⁺. Since Σ_w α({w}) = 0 (both laws of a
        window sum to 1), Σ⁺ = Σ⁻ = max |α| over the class, and the complement of P⁺ has α = −Σ⁺."""
        zero = 0 * vals[0][1]
        return [w for w, a in vals if a > 0], sum((a for _, a in vals if a > 0), zero)

    def table(self, p, q) -> AdvantageTable:
        """One row per single pattern, and the best member of the class (largest α)."""
        vals = self.alphas(p, q)
        P, mx = self._best(vals)
        rows = [AdvantageRow(_pname([w]), a) for w, a in vals] + [AdvantageRow(f"best: {_pname(P)}", mx)]
        return AdvantageTable(rows, _pname(P), mx, self.k)

    def best_distinguisher(self, p, q):
        """(d, α ≥ 0, patterns): the member with the largest advantage (model minus data)."""
        P, mx = self._best(self.alphas(p, q))
        return self.pattern_d(P), mx, P


class DistinguisherList:
    """A finite class given as a list of distinguishers (callables, DistTables or networks);
    ``complement=True`` adds 1 − d for each (so the largest α is the largest |α|)."""

    def __init__(self, dists: Sequence, k: int, *, names: Sequence[str] | None = None, complement: bool = True):
        if not dists:
            raise ConstructionError("a distinguisher class needs at least one member")
        self.k, self.complement = k, complement
        self.dists = list(dists)
        self.names = list(names) if names is not None else [getattr(d, "name", f"d{i}") for i, d in enumerate(dists)]

    def _table(self, d, b: int, N: int) -> DistTable:
        if hasattr(d, "transitions"):          # a distinguisher RNN
            return distinguisher_from_rnn(d, self.k, N)
        return as_table(d, b, self.k, N)

    def table(self, p, q) -> AdvantageTable:
        p = as_distribution(p)
        q = as_lm(q, p.b, p.N)
        rows, best, mx = [], "", None
        for nm, d in zip(self.names, self.dists):
            a = advantage(p, q, self._table(d, p.b, p.N), k=self.k).alpha
            rows.append(AdvantageRow(nm, a))
            cand = abs(a) if self.complement else a
            if mx is None or cand > mx:
                mx, best = cand, (nm if a >= 0 or not self.complement else "¬" + nm)
        return AdvantageTable(rows, best, mx, self.k)

    def best_distinguisher(self, p, q):
        p = as_distribution(p)
        q = as_lm(q, p.b, p.N)
        best = None
        for d in self.dists:
            D = self._table(d, p.b, p.N)
            a = advantage(p, q, D, k=self.k).alpha
            if self.complement and a < 0:
                D, a = D.complement(), -a
            if best is None or a > best[1]:
                best = (D, a, None)
        return best


def as_class(dclass, k: int):
    """A PatternSets / DistinguisherList / other object with ``table`` and
    ``best_distinguisher``, or a list of distinguishers (→ DistinguisherList)."""
    if hasattr(dclass, "table") and hasattr(dclass, "best_distinguisher"):
        return dclass
    if isinstance(dclass, (list, tuple)):
        return DistinguisherList(list(dclass), k)
    raise ConstructionError(f"not a distinguisher class: {type(dclass).__name__} (give PatternSets(k) or a list)")


__all__ = ["AdvantageRow", "AdvantageTable", "PatternSets", "DistinguisherList", "as_class"]
