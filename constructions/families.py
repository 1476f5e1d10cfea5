"""Distinguisher classes as networks (THEORY §3 and §4.7): the complement 1 − d of any
distinguisher RNN, and ready-made families of distinguishers with their parameters.

**Complement (THEORY §3).** For a next-k-token distinguisher d, 1 − d is one too, and its
advantage is −α (every A_j flips sign); Theorem 1's loop boosts with whichever of d and
1 − d has the positive advantage, so a class 𝒟 is used *closed under complement*.
:func:`complement` builds 1 − d as a network from any distinguisher RNN D: the output
node's transition f_o becomes 1 − f_o and its initial value 1 − v_0(o) (so at every time
the output is 1 − D's output). When another node of D reads the output node, the
rewritten output would change what that node sees, so a new output node ``not_d`` with
transition 1 − f_o is added instead: |D̄| = |D| + [o is read], the hidden set, τ and depth
are D's (1 − f is affine, free glue). The role (window k) is D's; the record
(:class:`constructions.records.Complement`) keeps D's, so the exact definition of 1 − d is
read back from it (:func:`constructions.models.exact_definition`).

**Families (THEORY §4.7).** A :class:`Spec` names one member: the record of a model
distinguisher (pattern set, motif, parity, repeat, bracket, or the complement of one) and
its τ. ``Spec.build()`` builds the network, ``Spec.definition()`` is its exact
definition, ``Spec.complement()`` the member computing 1 − d (canonically: the pattern set
Σ^k∖P for a pattern set P, D for ¬D, else ¬D). Families: :func:`pattern_sets` (all
2^(2^k) pattern sets of window k, k ≤ 4), :func:`motifs` (every motif of the given
lengths), :func:`parity`, :func:`repeat`, :func:`brackets` (depth caps), and
:func:`mixed` — one member of each family with different τ_D (1, 2, 3), the class whose
rounds exercise every case of the boosting bookkeeping (V = 1 or 2 distinct periods).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rnnsim import Claims, ConstructionError, RNN
from rnnsim.registry import realizes
from rnnsim.roles import require_distinguisher
from rnnsim.strings import all_strings

from . import records
from .models import (
    bracket_distinguisher, exact_definition, motif_distinguisher, parity_distinguisher,
    pattern_distinguisher, repeat_distinguisher,
)
from .models.common import bits_of, bits_str, check_k, check_tau

MAX_PATTERN_K = 4          # 2^(2^4) = 65536 pattern sets; k = 5 would be 2^32


# ---- the complement -----------------------------------------------------------------------------

def complement_d(d):
    """The exact definition of 1 − d."""
    def not_d(j, x):
        return 1 - d(j, x)
    return not_d


@realizes("§3 advantage", "the complement 1 − d of a distinguisher RNN, as a network: advantage −α")
def complement(dist: RNN, *, name: str | None = None) -> RNN:
    """The network computing 1 − d for the distinguisher network ``dist`` (module docstring)."""
    if not isinstance(dist, RNN):
        raise ConstructionError(f"complement: dist must be an rnnsim.RNN, got {type(dist).__name__}")
    role = require_distinguisher(dist, "complement", what="the distinguisher (dist)")
    o = dist.output
    f_o = dist.transitions[o]
    read = any(o in f.nodes() for f in dist.transitions.values())
    tr = dict(dist.transitions)
    init = dict(dist.init)
    nodes = list(dist.nodes)
    out = o
    if read:
        out = "not_d"
        k = 1
        while out in tr or out in dist.inputs:
            out, k = f"not_d{k}", k + 1
        nodes.append(out)
    tr[out] = 1 - f_o
    init[out] = 1 - dist.init[o]
    boolean = tuple(dist.boolean_nodes) + ((out,) if read and o in dist.boolean_nodes else ())
    claims = Claims(dist.size + int(read), dist.hidden_size, dist.tau, dist.depth, statement="§3 advantage")
    rec = records.Complement(role.window, records.record_or_none(dist))
    return RNN(nodes=nodes, inputs=dist.inputs, output=out, hidden=dist.hidden, tau=dist.tau,
               transitions=tr, init=init, alphabet=dist.alphabet, input_encoding=dist.input_encoding,
               name=name or f"not_{dist.name}", meta=dict(dist.meta), role=role, boolean_nodes=boolean,
               claims=claims, construction=rec.to_json())


# ---- members ------------------------------------------------------------------------------------

_BUILDERS = {
    records.PatternDistinguisher: lambda r, tau: pattern_distinguisher(r.k, r.patterns, tau=tau),
    records.MotifDistinguisher: lambda r, tau: motif_distinguisher(r.k, r.motif, tau=tau),
    records.ParityDistinguisher: lambda r, tau: parity_distinguisher(r.k, tau=tau),
    records.RepeatDistinguisher: lambda r, tau: repeat_distinguisher(r.k, tau=tau),
    records.BracketDistinguisher: lambda r, tau: bracket_distinguisher(r.k, r.cap, tau=tau),
}


@dataclass(frozen=True)
class Spec:
    """One ready-made distinguisher: the record of its model (or of its complement) and τ."""

    record: records.Record
    tau: int = 1

    def __post_init__(self):
        base = self.record
        while isinstance(base, records.Complement):
            base = base.base
        if type(base) not in _BUILDERS:
            raise ConstructionError(f"a family member is a model distinguisher record (pattern, motif, parity, "
                                    f"repeat, bracket) or the complement of one, got {self.record!r}")
        check_tau(self.tau)

    @property
    def k(self) -> int:
        return self.record.k

    @property
    def label(self) -> str:
        return _label(self.record) + (f" τ{self.tau}" if self.tau > 1 else "")

    def build(self) -> RNN:
        r = self.record
        if isinstance(r, records.Complement):
            return complement(Spec(r.base, self.tau).build())
        return _BUILDERS[type(r)](r, self.tau)

    def definition(self):
        """The exact definition d(j, x) (read from the record, as for the built network)."""
        return exact_definition(self.record)

    def complement(self) -> "Spec":
        r = self.record
        if isinstance(r, records.Complement):
            return Spec(r.base, self.tau)
        if isinstance(r, records.PatternDistinguisher):
            have = set(r.patterns)
            return Spec(records.PatternDistinguisher(r.k, tuple(w for w in _words(r.k) if w not in have)), self.tau)
        return Spec(records.Complement(r.k, r), self.tau)


def _label(r) -> str:
    if isinstance(r, records.PatternDistinguisher):
        if 2 * len(r.patterns) > 2 ** r.k:        # more than half of Σ^k: name what is missing
            have = set(r.patterns)
            return "P=Σ^k∖{" + ",".join(w for w in _words(r.k) if w not in have) + "}"
        return "P{" + ",".join(r.patterns) + "}"
    if isinstance(r, records.MotifDistinguisher):
        return f"motif {r.motif}"
    if isinstance(r, records.ParityDistinguisher):
        return "parity"
    if isinstance(r, records.RepeatDistinguisher):
        return "repeat"
    if isinstance(r, records.BracketDistinguisher):
        return f"bracket≤{r.cap}"
    return f"¬{_label(r.base)}"


# ---- families -----------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _words(k: int) -> tuple[str, ...]:
    """Σ^k as strings, in increasing order (THEORY §1)."""
    return tuple(bits_str(w) for w in all_strings(k))


def pattern_sets(k: int, *, tau: int = 1) -> list[Spec]:
    """All 2^(2^k) pattern sets P ⊆ Σ^k (member n holds s_i iff bit i of n is set; n = 0 is
    the empty set, d ≡ 0). Closed under complement by itself (P ↔ Σ^k∖P)."""
    k = check_k(k)
    if k > MAX_PATTERN_K:
        raise ConstructionError(f"all pattern sets of window k = {k} are 2^(2^{k}) distinguishers; this family "
                                f"is for k ≤ {MAX_PATTERN_K} (give a list of pattern sets instead)")
    words = _words(k)
    return [Spec(records.PatternDistinguisher(k, tuple(w for i, w in enumerate(words) if n >> i & 1)), tau)
            for n in range(2 ** len(words))]


def patterns(k: int, sets, *, tau: int = 1) -> list[Spec]:
    """Given pattern sets (each an iterable of binary strings of length k)."""
    k = check_k(k)
    out = []
    for P in sets:
        ws = sorted({bits_str(bits_of(w, k)) for w in P})
        out.append(Spec(records.PatternDistinguisher(k, tuple(ws)), tau))
    return out


def motifs(k: int, lengths=None, *, tau: int = 1) -> list[Spec]:
    """d = 1[μ occurs in the window] for every binary motif μ with |μ| in ``lengths``
    (default 1 … k)."""
    k = check_k(k)
    lengths = range(1, k + 1) if lengths is None else lengths
    out = []
    for L in lengths:
        if not (isinstance(L, int) and 1 <= L <= k):
            raise ConstructionError(f"motif length {L!r} must be an integer in 1 … k = {k}")
        out += [Spec(records.MotifDistinguisher(k, bits_str(m)), tau) for m in all_strings(L)]
    return out


def parity(k: int, *, tau: int = 1) -> list[Spec]:
    return [Spec(records.ParityDistinguisher(check_k(k)), tau)]


def repeat(k: int, *, tau: int = 1) -> list[Spec]:
    return [Spec(records.RepeatDistinguisher(check_k(k)), tau)]


def brackets(k: int, caps=(1, 2, 3), *, tau: int = 1) -> list[Spec]:
    """Balanced-bracket prefix checks with the given depth caps."""
    k = check_k(k)
    return [Spec(records.BracketDistinguisher(k, int(c)), tau) for c in caps]


def mixed(k: int) -> list[Spec]:
    """One member of each family with different τ_D: the pattern set {1^k} (τ 1), the motif
    1^min(k,2) (τ 2), parity (τ 3), repeat (τ 1), bracket ≤ 2 (τ 2)."""
    k = check_k(k)
    return (patterns(k, [["1" * k]]) + motifs(k, [min(k, 2)], tau=2)[-1:] + parity(k, tau=3)
            + repeat(k) + brackets(k, (2,), tau=2))


FAMILIES = {"patterns": pattern_sets, "motifs": motifs, "parity": parity, "repeat": repeat,
            "brackets": brackets, "mixed": mixed}


__all__ = ["complement", "complement_d", "Spec", "pattern_sets", "patterns", "motifs", "parity", "repeat",
           "brackets", "mixed", "FAMILIES", "MAX_PATTERN_K"]
