"""A construction's claims about the network it builds, as a typed field of the RNN (THEORY §4).

Every lemma of THEORY §4 states the size |V|, the hidden size |H|, the RNN-time τ and the
depth of the network it builds, and bounds them. A builder computes the *exact* values
from its closed forms (never by counting the network it built) and the bounds from the
statement; :class:`Claims` holds both, with the name of the statement they come from.
:class:`rnnsim.RNN` checks them when it is built (or loaded): a claim that differs from the
built network, or exceeds its bound, raises :class:`~rnnsim.errors.ClaimError` — the closed
form or the construction is wrong. :meth:`Claims.compare` gives one row per quantity
(built, claimed, bound) for reports such as ``rnnsim demo``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

QUANTITIES = ("size", "hidden_size", "tau", "depth")
LABELS = {"size": "size |V|", "hidden_size": "hidden size |H|", "tau": "RNN-time τ", "depth": "depth"}


def built_values(rnn) -> dict[str, int]:
    """The four quantities of a network, counted: size, hidden size, τ and depth."""
    return {"size": rnn.size, "hidden_size": rnn.hidden_size, "tau": rnn.tau, "depth": rnn.depth}


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


@dataclass(frozen=True)
class Bounds:
    """Upper bounds of THEORY §4 on the four quantities (None: the statement bounds nothing)."""

    size: int | None = None
    hidden_size: int | None = None
    tau: int | None = None
    depth: int | None = None

    def to_json(self) -> dict:
        return {q: getattr(self, q) for q in QUANTITIES if getattr(self, q) is not None}


@dataclass(frozen=True)
class ClaimRow:
    quantity: str
    built: int
    claimed: int
    bound: int | None

    @property
    def ok(self) -> bool:
        return self.built == self.claimed and (self.bound is None or self.claimed <= self.bound)


@dataclass(frozen=True)
class Claims:
    """The exact size, hidden size, τ and depth a construction claims (closed forms), their
    THEORY bounds, and ``statement``: the lemma they come from (e.g. "Lemma 3")."""

    size: int
    hidden_size: int
    tau: int
    depth: int
    bounds: Bounds = field(default_factory=Bounds)
    statement: str = ""

    def problems(self) -> list[str]:
        """Malformed fields (not the comparison with a network: see :meth:`mismatches`)."""
        out = [f"claimed {q} must be a non-negative integer, got {getattr(self, q)!r}"
               for q in QUANTITIES if not _count(getattr(self, q))]
        if not isinstance(self.bounds, Bounds):
            out.append(f"claims: bounds must be an rnnsim.Bounds, got {type(self.bounds).__name__}")
        else:
            out += [f"bound on {q} must be a non-negative integer or None, got {getattr(self.bounds, q)!r}"
                    for q in QUANTITIES if getattr(self.bounds, q) is not None and not _count(getattr(self.bounds, q))]
        if not isinstance(self.statement, str):
            out.append(f"claims: statement must be a string, got {self.statement!r}")
        return out

    def compare(self, rnn) -> list[ClaimRow]:
        """One row per quantity: the built value, the claim and the bound."""
        built = built_values(rnn)
        return [ClaimRow(q, built[q], getattr(self, q), getattr(self.bounds, q)) for q in QUANTITIES]

    def mismatches(self, rnn) -> list[str]:
        """Every way the claims fail on ``rnn``: a claim ≠ the built value, a claim > its bound."""
        src = f" ({self.statement})" if self.statement else ""
        out = []
        for row in self.compare(rnn):
            if row.built != row.claimed:
                out.append(f"claimed {LABELS[row.quantity]} {row.claimed}{src}, built {row.built}")
            if row.bound is not None and row.claimed > row.bound:
                out.append(f"claimed {LABELS[row.quantity]} {row.claimed} exceeds its bound {row.bound}{src}")
        return out

    def to_json(self) -> dict:
        d: dict[str, Any] = {q: getattr(self, q) for q in QUANTITIES}
        if self.bounds.to_json():
            d["bounds"] = self.bounds.to_json()
        if self.statement:
            d["statement"] = self.statement
        return d

    @staticmethod
    def from_json(d: Any) -> "Claims":
        """The inverse of :meth:`to_json`; ValueError (naming the problem) on anything else."""
        if not isinstance(d, dict):
            raise ValueError(f"claims must be an object, got {d!r}")
        extra = set(d) - set(QUANTITIES) - {"bounds", "statement"}
        missing = set(QUANTITIES) - set(d)
        if extra or missing:
            raise ValueError(f"claims have fields {list(QUANTITIES)} (+ bounds, statement); "
                             f"missing {sorted(missing)}, unknown {sorted(extra)}")
        b = d.get("bounds", {})
        if not isinstance(b, dict) or set(b) - set(QUANTITIES):
            raise ValueError(f"claims.bounds must be an object with fields among {list(QUANTITIES)}, got {b!r}")
        c = Claims(*(d[q] for q in QUANTITIES), bounds=Bounds(**b), statement=d.get("statement", ""))
        if c.problems():
            raise ValueError("; ".join(c.problems()))
        return c


__all__ = ["Claims", "Bounds", "ClaimRow", "QUANTITIES", "built_values"]
