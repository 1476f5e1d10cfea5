"""Shared machinery of the model networks of THEORY §4.7: clock, shift register, literals.

Every model of :mod:`constructions.models` keeps its state in a few *hidden* nodes and
computes its output node from that state and the current input in one transition (so the
output is never hidden: H is the state, and a copy of H plus the input determines every
later output, THEORY §2.5). With τ = 1 a state node is updated at every step. With τ > 1 a
hidden phase counter ``clk.ph`` (ph(t) = t mod τ, Lemma 18's inc_mod) gates the state:
a state node takes its new value only at the last step of each input loop (ph = τ−1) and
holds otherwise, ``u(t+1) = ite(1[ph = τ−1], f_u, u)``; the output node is computed from
the state and the input at every step, so at t = mτ it reads the state after x_{<m} (held
since (m−1)τ) and the input x_m, exactly as with τ = 1. This is how a model "waits": the
boosting construction can then run R and D with different τ.

Shift register: ``reg.i`` holds x_{m−i} at time mτ (i = 1 … L), initial value ``pad``
(0 for Markov contexts; the sentinel 2 ∉ Σ for the repeat distinguisher).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from rnnsim import Builder, Claims, Const, ConstructionError, Expr, Node, as_expr

from ..gadgets import AND, NOT, eq, ge, inc_mod, ite

SPEC47 = ("LM RNNs (uniform, order-m Markov, PFA, motif automata) output q(x_m | x_<m) and "
          "distinguisher RNNs (pattern, motif, parity, repeat, bracket) output d(m−k+1, x_≤m) at "
          "time mτ, each equal to its exact Python definition")


def clock(b: Builder, tau: int, prefix: str = "clk") -> Expr | None:
    """Declare the hidden phase counter (τ > 1) and return the gate 1[ph = τ−1] (depth 1).

    Returns None for τ = 1 (every step is the last step of its input loop; no node).
    """
    if tau == 1:
        return None
    ph = b.node(f"{prefix}.ph", init=0, hidden=True)
    b.update(ph, inc_mod(ph, tau))
    return ge(ph, tau - 1)


def set_state(b: Builder, node: Node, new, gate: Expr | None) -> None:
    """u(t+1) = new (τ = 1) or ite(gate, new, u) (τ > 1)."""
    new = as_expr(new)
    b.update(node, new if gate is None else ite(gate, new, node))


def shift_register(b: Builder, x: Expr, length: int, gate: Expr | None, *, pad=0,
                   prefix: str = "reg", boolean: bool = True) -> list[Expr]:
    """Hidden nodes reg.1 … reg.length with reg.1 ← x, reg.i ← reg.{i−1}; returns
    [x, reg.1, …, reg.length] so that entry i holds x_{m−i} when read at time mτ−1."""
    regs = [b.node(f"{prefix}.{i}", init=pad, hidden=True, boolean=boolean and pad in (0, 1))
            for i in range(1, length + 1)]
    prev = x
    for r in regs:
        set_state(b, r, prev, gate)
        prev = r
    return [x] + regs


def is_token(x: Expr, sigma: int, alphabet: int) -> Expr:
    """1[x = σ] for a token-valued input: x or 1−x when b = 2 (depth 0), else eq (depth 1)."""
    if alphabet == 2:
        return x if sigma == 1 else NOT(x)
    return eq(x, sigma)


def matches(values: Sequence[Expr], bits: Sequence[int]) -> Expr:
    """1[values = bits] for 0/1 values: AND of literals (depth 1 for ≥ 2 literals)."""
    return AND(*[v if s else NOT(v) for v, s in zip(values, bits)])


def weighted_sum(terms) -> Expr:
    """Σ w·e over (w, e) pairs, skipping zero weights (Const(0) when empty)."""
    total: Expr = Const(0)
    for w, e in terms:
        if w != 0:
            total = total + w * e
    return total


def claims(*, size: int, hidden_size: int, tau: int, depth: int) -> Claims:
    """The claims every model builder states from its closed forms (THEORY §4.7)."""
    return Claims(size, hidden_size, tau, depth, statement="§4.7 models")


def check_tau(tau) -> int:
    if isinstance(tau, bool) or not isinstance(tau, int) or tau < 1:
        raise ConstructionError(f"τ (steps per token) must be a positive integer, got {tau!r}; pass e.g. tau=1")
    return tau


def check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConstructionError(f"window length k must be a positive integer, got {k!r}")
    return k


def bits_of(s, k: int | None = None, what: str = "pattern") -> tuple[int, ...]:
    """A binary string given as '0101', a sequence of 0/1 or an int-tuple → tuple of bits."""
    try:
        bits = tuple(int(c) for c in ("".join(s.split()) if isinstance(s, str) else s))
    except (TypeError, ValueError):
        raise ConstructionError(f"{what} {s!r} is not a binary string; write it with 0s and 1s, e.g. '0110'") from None
    if any(c not in (0, 1) for c in bits):
        raise ConstructionError(f"{what} {s!r} is not a binary string; write it with 0s and 1s, e.g. '0110'")
    if k is not None and len(bits) != k:
        raise ConstructionError(f"{what} {s!r} has length {len(bits)}, expected the window length {k}")
    return bits


def bits_str(bits) -> str:
    return "".join(str(int(c)) for c in bits)
