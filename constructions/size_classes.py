"""Size classes C(s, h, τ, d, c) of RNNs (paper: Definition 3 and Section 3; THEORY §2, §9).

Definition (project form). An RNN R over Σ belongs to the class C(s, h, τ, d, c) when,
structurally,
  * |R| ≤ s (input nodes included) and |H_R| ≤ h;
  * τ_R ≤ τ (the RNN-time N·τ_R of a document of length N is at most N·τ);
  * every transition has depth ≤ d and at most c elementary functions (Definition 3's
    "composition of a constant number of elementary functions"; c = None: not bounded);
  * every hidden node reads only hidden nodes and the input (THEORY §2.5(a));
  * the output is a non-hidden node, or (when R's output is hidden) a non-hidden slot is
    left to compute it again — the universal graph's output is its last non-hidden node;
and, semantically, resetting every non-hidden node to its initial value at each token
boundary (after the output at mτ is read, before the step mτ → mτ+1) changes no output —
the reset the universal graph performs (Section 3), i.e. a transplant test of THEORY §2.5(b)
with the initial values as the transplanted ones. The structural part is
:meth:`SizeClass.problems` (here: builders never simulate); the semantic part and the whole
check are :func:`workflows.size_classes.check_member`.

The class sequence (THEORY §9, Lemma 3 bookkeeping). From C_m and a bound on the
distinguishers (a class C_D), :func:`next_class` gives the class that contains
``boost(R, D)`` for every R ∈ C_m and D ∈ C_D (THEORY §4.6 bounds, monotone in every
argument, so the largest members give the class):
  s' = s + 2h + s_D + 2h_D + 2k + 43,   h' = h + h_D + 2k + 20,
  τ' = (2^k + 1)·k·(max(τ, τ_D) + 1) + 3,   d' = max(d + 1, d_D + 1, 4),
  c' = max(c + s + 3, c_D + s_D + 3, c_k)
where c' comes from Lemma 10's gating (a copied transition f gains a RUN product, a HOLD
and a LOAD term, and each Boolean control f reads as a bare affine term becomes one merged
AND: ≤ ops(f) + |R| + 3) and c_k is the largest transition of the k-skeleton, the
components and the boost nodes (:func:`skeleton_ops`, measured on a boost of the smallest
models, since it does not depend on R or D). The tests compare each formula with the
networks ``boost`` builds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from rnnsim.errors import ConstructionError, NetworkError
from rnnsim.registry import realizes
from rnnsim.validation import hidden_set_problems

from .templates import Template, network_ops, network_template

_STMT = ("C(s, h, τ, d, c): size ≤ s, hidden ≤ h, τ ≤ τ_C, depth ≤ d, ≤ c elementary functions per "
         "transition, hidden nodes read only H ∪ I; resetting the non-hidden nodes at each token changes no output")


class NotInClass(ConstructionError, NetworkError):
    """A network is not a member of a class (or of the ReLU-affine class of a universal
    graph) it should lie in or embed into; the message names the node or bound that fails."""


@dataclass(frozen=True)
class SizeClass:
    """C(size, hidden, time, depth, ops) over an alphabet of size ``alphabet`` (module docstring)."""

    size: int
    hidden: int
    time: int
    depth: int
    ops: int | None = None
    alphabet: int = 2

    def __post_init__(self):
        for nm, lo in (("size", 2), ("hidden", 0), ("time", 1), ("depth", 0), ("alphabet", 2)):
            v = getattr(self, nm)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ConstructionError(f"size class: {nm} must be an integer ≥ {lo}, got {v!r}")
        if self.ops is not None and (isinstance(self.ops, bool) or not isinstance(self.ops, int) or self.ops < 0):
            raise ConstructionError(f"size class: ops must be a non-negative integer or None, got {self.ops!r}")
        if self.hidden > self.size - 1:
            raise ConstructionError(f"size class: hidden size {self.hidden} must be ≤ size − 1 = {self.size - 1} "
                                    "(the input node is not hidden)")

    def __str__(self):
        c = "∞" if self.ops is None else self.ops
        return f"C(s={self.size}, h={self.hidden}, τ={self.time}, d={self.depth}, c={c})"

    @property
    def stateless(self) -> int:
        """Nodes that are neither the input nor hidden (reset at each token in the universal graph)."""
        return self.size - 1 - self.hidden

    # ---- structural membership --------------------------------------------------------
    def problems(self, rnn) -> list[str]:
        """Why ``rnn`` is not a member, structurally ([] when it is)."""
        out = []
        if rnn.alphabet != self.alphabet:
            out.append(f"alphabet {rnn.alphabet} ≠ the class's {self.alphabet}")
        for what, have, cap in (("size", rnn.size, self.size), ("hidden size", rnn.hidden_size, self.hidden),
                                ("steps per token τ", rnn.tau, self.time), ("depth", rnn.depth, self.depth)):
            if have > cap:
                out.append(f"{what} {have} > {cap}")
        if self.ops is not None:
            ops = network_ops(rnn)
            if ops > self.ops:
                out.append(f"elementary functions per transition {ops} > {self.ops}")
        others = _non_hidden(rnn)
        if rnn.output in rnn.hidden and others and others + 1 > self.stateless:
            out.append(f"the output {rnn.output!r} is hidden and all {self.stateless} non-hidden slots are taken "
                       f"by the other nodes: the class's output is its last non-hidden node, so it needs "
                       f"size ≥ {rnn.size + 1}")
        out += hidden_set_problems(list(rnn.hidden), rnn.nodes, rnn.inputs, rnn.in_neighbours, network=rnn.name)
        return out

    def contains(self, rnn) -> bool:
        """Structural membership (the semantic reset test is in workflows.size_classes)."""
        return not self.problems(rnn)

    def includes(self, other: "SizeClass") -> bool:
        """C(other) ⊆ C(self): every bound at least as large."""
        return (self.alphabet == other.alphabet and self.size >= other.size and self.hidden >= other.hidden
                and self.time >= other.time and self.depth >= other.depth
                and (self.ops is None or (other.ops is not None and self.ops >= other.ops)))

    def template(self) -> Template:
        """The per-node template of the class's universal graph: ``depth`` layers of ``ops``
        gates of each kind (every transition of the class fits)."""
        if self.ops is None:
            raise ConstructionError(f"{self}: the universal graph needs a bound c on the elementary functions "
                                    "per transition; give ops= (e.g. SizeClass.of(network).ops)")
        return Template.for_ops(self.depth, self.ops)

    def with_ops(self, ops: int | None) -> "SizeClass":
        return replace(self, ops=ops)

    @classmethod
    def of(cls, rnn, *, claims: bool = True) -> "SizeClass":
        """The least class of ``rnn``: size, hidden size, τ and depth from its construction's
        claims when it has them (``claims=True``), else measured; ops measured (builders do
        not claim it)."""
        c = rnn.claims if claims else None
        extra = int(rnn.output in rnn.hidden and _non_hidden(rnn) > 0)   # the output slot is non-hidden
        if c is not None:
            return cls(c.size + extra, c.hidden_size, c.tau, c.depth, network_ops(rnn), rnn.alphabet)
        return cls(rnn.size + extra, rnn.hidden_size, rnn.tau, rnn.depth, network_ops(rnn), rnn.alphabet)


def _non_hidden(rnn) -> int:
    return sum(1 for n in rnn.nodes if n not in rnn.inputs and n not in set(rnn.hidden))


def least_template(rnn) -> Template:
    """The least per-node template holding every transition of ``rnn``."""
    return network_template(rnn)


# ---- the class sequence ------------------------------------------------------------------------

@lru_cache(maxsize=None)
def skeleton_ops(k: int) -> int:
    """c_k: the largest number of elementary functions in one transition of the nodes of
    ``boost`` that are not copies of R or D (skeleton, components, boost nodes), measured on
    boosts of the uniform LM with an empty pattern set for one and two distinct periods."""
    from fractions import Fraction

    from . import boosting, models
    from .templates import profile

    best = 0
    for ta, tb in ((1, 1), (1, 2), (2, 1)):
        B = boosting.boost(models.uniform_lm(tau=ta), models.pattern_distinguisher(k, [], tau=tb),
                           k=k, r=1, N=k, factor=Fraction(1, 2))
        best = max([best] + [profile(f).ops for n, f in B.transitions.items() if not n.startswith(("R.", "D."))])
    return best


@realizes("Lemma 4", "class sequence: C_{m+1} holds boost(R, D) for every R ∈ C_m and D in the distinguisher class",
          bound="s' = s+2h+s_D+2h_D+2k+43, h' = h+h_D+2k+20, τ' = (2^k+1)k(max τ+1)+3, d' = max(d+1, d_D+1, 4)")
def next_class(c: SizeClass, dist: SizeClass, k: int) -> SizeClass:
    """The class C_{m+1} of the module docstring."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConstructionError(f"next_class: the window k must be a positive integer, got {k!r}")
    if c.alphabet != 2 or dist.alphabet != 2:
        raise ConstructionError("next_class: the boosting construction is binary (b = 2)")
    ops = None
    if c.ops is not None and dist.ops is not None:
        ops = max(c.ops + c.size + 3, dist.ops + dist.size + 3, skeleton_ops(k))
    return SizeClass(
        size=c.size + 2 * c.hidden + dist.size + 2 * dist.hidden + 2 * k + 43,
        hidden=c.hidden + dist.hidden + 2 * k + 20,
        time=(2 ** k + 1) * k * (max(c.time, dist.time) + 1) + 3,
        depth=max(c.depth + 1, dist.depth + 1, 4),
        ops=ops)


def class_sequence(c0: SizeClass, dist: SizeClass, k: int, rounds: int) -> list[SizeClass]:
    """[C_0, C_1, …, C_rounds] with C_{m+1} = :func:`next_class` (C_m, dist, k)."""
    out = [c0]
    for _ in range(rounds):
        out.append(next_class(out[-1], dist, k))
    return out


def distinguisher_bound(dists) -> SizeClass:
    """The least class holding every distinguisher network of ``dists``."""
    ds = list(dists)
    if not ds:
        raise ConstructionError("distinguisher_bound: no distinguisher given")
    cs = [SizeClass.of(d) for d in ds]
    return SizeClass(max(c.size for c in cs), max(c.hidden for c in cs), max(c.time for c in cs),
                     max(c.depth for c in cs), max(c.ops for c in cs), cs[0].alphabet)


__all__ = ["NotInClass", "SizeClass", "next_class", "class_sequence", "distinguisher_bound", "skeleton_ops", "least_template"]
