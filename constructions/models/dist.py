"""Distinguisher RNNs of THEORY §4.7 and their exact definitions (THEORY §2.6, §3, §6).

A distinguisher RNN for window k computes F(x_{≤m}) = d(m−k+1, x_{≤m}) ∈ {0, 1} at time mτ
for every m ≥ k (for m < k its output is unspecified: the register is still padded). The
exact definition is a callable ``d(j, x) -> 0/1`` (j the 1-indexed window start, x at
least j−1+k tokens; it reads only x_{<j} and the window w = x_{j..j+k−1}). All binary.

* ``pattern_distinguisher(k, P)``: d = 1[w ∈ P]. State: the last k−1 tokens; output
  Σ_{p∈P} AND(literals of p), depth 1. Size k+1, hidden k−1.
* ``motif_distinguisher(k, μ)``: d = 1[μ occurs inside w] (|μ| ≤ k). Output OR over the
  k−|μ|+1 offsets of AND(literals), depth ≤ 2. Size k+1, hidden k−1.
* ``parity_distinguisher(k)``: d = (Σ w) mod 2. Output Σ_{v odd ≤ k} eq(S, v) with S the
  window sum, depth 1. Size k+1, hidden k−1.
* ``repeat_distinguisher(k)``: d = 1[w = x_{j−k..j−1}], and d = 0 when j ≤ k (there is no
  full previous window). State: the last 2k−1 tokens, initialised to the sentinel 2 ∉ Σ,
  so that a comparison with a position before the document start fails by itself (the
  hat eq(a, 2) = 0 for a ∈ {0, 1}): no position counter is needed. Output AND_i eq(w_i,
  x_{j−k+i}), depth 2 (1 for k = 1). Size 2k+1, hidden 2k−1.
* ``bracket_distinguisher(k, cap)``: with 1 = '(' and 0 = ')', d(j, x) = 1 iff the running
  depth of x_1 … x_{j+k−1} never goes negative, never exceeds ``cap``, and ends at 0. State:
  the depth D clamped to [0, cap] and a "broken" flag B (set forever once the depth leaves
  [0, cap]); output AND(NOT B, 1[D + 2x − 1 = 0]), depth 2. Size 4, hidden 2; the window k
  only fixes when d is read. A balanced prefix of length ℓ never exceeds depth ℓ/2, so with
  cap ≥ ⌊N/2⌋ this is the unbounded balanced-prefix check on documents of length ≤ N
  (``bracket_d(k)`` with cap=None is that unbounded definition).

``tau`` > 1 adds the hidden phase counter (see :mod:`constructions.models.common`). Every
builder declares its role (``rnnsim.DistinguisherRole(k)``), states its claims and records
its parameters (:mod:`constructions.records`).
"""

from __future__ import annotations

from rnnsim import Builder, ConstructionError, DistinguisherRole, relu
from rnnsim.registry import realizes

from .. import records
from ..gadgets import AND, NOT, OR, between, eq
from .common import (
    SPEC47, bits_of, bits_str, check_k, check_tau, claims, clock, matches, set_state,
    shift_register, weighted_sum,
)

_D = SPEC47


def _window(j: int, x, k: int) -> tuple[int, ...]:
    if not (isinstance(j, int) and j >= 1):
        raise ConstructionError(f"window start j must be a positive integer, got {j!r}")
    if len(x) < j - 1 + k:
        raise ConstructionError(f"d({j}, x): x has {len(x)} tokens, the window needs {j - 1 + k}")
    return tuple(int(t) for t in x[j - 1:j - 1 + k])


def _finish(b: Builder, record: records.Record, **kw):
    """Build with the record and the claims (closed forms) of a distinguisher."""
    return b.build(claims=claims(**kw), construction=record.to_json())


def _start(name: str, k: int, tau: int, state: int):
    """Builder, input, gate (clock only when there is state and τ > 1)."""
    b = Builder(name, tau=check_tau(tau), alphabet=2, role=DistinguisherRole(k, 2))
    x = b.input("x")
    gate = clock(b, tau) if state else None
    return b, x, gate, int(gate is not None)


# ---- pattern set -----------------------------------------------------------------------------

def pattern_d(k: int, patterns):
    P = frozenset(bits_of(p, k) for p in patterns)

    def d(j, x):
        return int(_window(j, x, k) in P)
    return d


@realizes("§4.7 models", _D, bound="pattern set: size k+1+[τ>1], hidden k−1+[τ>1], depth ≤ 2")
def pattern_distinguisher(k: int, patterns, *, tau: int = 1, name: str = "pattern"):
    k = check_k(k)
    P = sorted(set(bits_of(p, k) for p in patterns))
    b, x, gate, clk = _start(name, k, tau, k - 1)
    vals = shift_register(b, x, k - 1, gate)            # vals[i] = x_{m−i}
    window = list(reversed(vals))                       # w_0 … w_{k−1}
    o = b.node("d", init=0, update=weighted_sum((1, matches(window, p)) for p in P))
    b.output(o)
    depth = max(1 if (k >= 2 and P) else 0, 2 if clk else 0)
    return _finish(b, records.PatternDistinguisher(k, tuple(bits_str(p) for p in P)),
                   size=k + 1 + clk, hidden_size=k - 1 + clk, tau=b.tau, depth=depth)


# ---- motif in window ---------------------------------------------------------------------------

def _occurs(motif, w) -> bool:
    L = len(motif)
    return any(tuple(w[i:i + L]) == tuple(motif) for i in range(len(w) - L + 1))


def motif_d(k: int, motif):
    mu = bits_of(motif, None, "motif")

    def d(j, x):
        return int(_occurs(mu, _window(j, x, k)))
    return d


@realizes("§4.7 models", _D)
def motif_distinguisher(k: int, motif, *, tau: int = 1, name: str = "motif"):
    k = check_k(k)
    mu = bits_of(motif, None, "motif")
    L = len(mu)
    if not 1 <= L <= k:
        raise ConstructionError(f"motif length {L} must be between 1 and the window length k = {k}; "
                                "use a shorter motif or a longer window")
    b, x, gate, clk = _start(name, k, tau, k - 1)
    window = list(reversed(shift_register(b, x, k - 1, gate)))
    hits = [matches(window[e:e + L], mu) for e in range(k - L + 1)]
    o = b.node("d", init=0, update=OR(*hits))
    b.output(o)
    depth = max((1 if L >= 2 else 0) + (1 if len(hits) >= 2 else 0), 2 if clk else 0)
    return _finish(b, records.MotifDistinguisher(k, bits_str(mu)),
                   size=k + 1 + clk, hidden_size=k - 1 + clk, tau=b.tau, depth=depth)


# ---- window parity ------------------------------------------------------------------------------

def parity_d(k: int):
    def d(j, x):
        return sum(_window(j, x, k)) % 2
    return d


@realizes("§4.7 models", _D)
def parity_distinguisher(k: int, *, tau: int = 1, name: str = "parity"):
    k = check_k(k)
    b, x, gate, clk = _start(name, k, tau, k - 1)
    vals = shift_register(b, x, k - 1, gate)
    S = weighted_sum((1, v) for v in vals)
    o = b.node("d", init=0, update=weighted_sum((1, eq(S, v)) for v in range(1, k + 1, 2)))
    b.output(o)
    depth = 2 if clk else 1
    return _finish(b, records.ParityDistinguisher(k), size=k + 1 + clk, hidden_size=k - 1 + clk,
                   tau=b.tau, depth=depth)


# ---- window repeats the previous window ------------------------------------------------------------

SENTINEL = 2


def repeat_d(k: int):
    """d(j, x) = 1[x_{j..j+k−1} = x_{j−k..j−1}]; 0 when j ≤ k (no full previous window)."""
    def d(j, x):
        w = _window(j, x, k)
        if j <= k:
            return 0
        return int(w == tuple(int(t) for t in x[j - 1 - k:j - 1]))
    return d


@realizes("§4.7 models", _D, bound="repeat: size 2k+1+[τ>1], hidden 2k−1+[τ>1], depth 2")
def repeat_distinguisher(k: int, *, tau: int = 1, name: str = "repeat"):
    k = check_k(k)
    b, x, gate, clk = _start(name, k, tau, 2 * k - 1)
    vals = shift_register(b, x, 2 * k - 1, gate, pad=SENTINEL)   # vals[i] = x_{m−i}
    o = b.node("d", init=0, update=AND(*[eq(vals[i] - vals[k + i], 0) for i in range(k)]))
    b.output(o)
    depth = 2 if (k >= 2 or clk) else 1        # AND of k ≥ 2 hats; k = 1: the hat alone
    return _finish(b, records.RepeatDistinguisher(k), size=2 * k + 1 + clk,
                   hidden_size=2 * k - 1 + clk, tau=b.tau, depth=depth)


# ---- balanced-bracket prefix -------------------------------------------------------------------------

def bracket_d(k: int, cap: int | None = None):
    """1 iff the depth of x_1..x_{j+k−1} (1 = '(', 0 = ')') stays in [0, cap] and ends at 0."""
    def d(j, x):
        _window(j, x, k)
        depth = 0
        for t in x[:j - 1 + k]:
            depth += 1 if int(t) else -1
            if depth < 0 or (cap is not None and depth > cap):
                return 0
        return int(depth == 0)
    return d


@realizes("§4.7 models", _D, bound="bracket: size 4+[τ>1], hidden 2+[τ>1], depth 2+[τ>1]")
def bracket_distinguisher(k: int, cap: int, *, tau: int = 1, name: str = "bracket"):
    k = check_k(k)
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise ConstructionError(f"bracket depth cap must be a positive integer, got {cap!r} "
                                "(cap ≥ ⌊N/2⌋ checks balance without a bound on documents of length N)")
    b, x, gate, clk = _start(name, k, tau, 2)
    D = b.node("depth", init=0, hidden=True)
    B = b.node("broken", init=0, hidden=True, boolean=True)
    new = D + 2 * x - 1
    set_state(b, D, relu(new) - relu(new - cap), gate)   # clamp to [0, cap]
    set_state(b, B, OR(B, NOT(between(new, 0, cap))), gate)
    o = b.node("d", init=0, update=AND(NOT(B), eq(new, 0)))
    b.output(o)
    return _finish(b, records.BracketDistinguisher(k, cap), size=4 + clk, hidden_size=2 + clk,
                   tau=b.tau, depth=2 + clk)


__all__ = ["pattern_distinguisher", "pattern_d", "motif_distinguisher", "motif_d",
           "parity_distinguisher", "parity_d", "repeat_distinguisher", "repeat_d",
           "bracket_distinguisher", "bracket_d", "SENTINEL"]
