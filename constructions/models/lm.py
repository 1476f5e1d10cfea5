"""Language-model RNNs of THEORY §4.7 and their exact definitions (THEORY §2.6, §6).

An LM RNN computes F(x_{≤m}) = q(x_m | x_{<m}), the probability of the token just read,
at time mτ. Each builder here has an exact Python definition next to it, a callable
``q(prefix) -> [q(0|prefix), …, q(b−1|prefix)]`` of Fractions, which the tests compare
with the network on every document up to length 10:

* ``uniform_lm(b)`` / ``uniform_q(b)``: q = 1/b. No state (H = ∅), size 2, depth 0.
* ``markov_lm(order, table)`` / ``markov_q``: binary order-m Markov chain, table[c] =
  P(next = 1 | c), c = the previous m tokens left-padded with 0. State: a shift register of
  m hidden nodes; output Σ_{c,σ} P(σ|c)·AND(literals of (c, σ)), depth 1 (0 for m = 0).
  Size m + 2, hidden size m (+1 each for the clock when τ > 1).
* ``pfa_lm(pfa)`` / ``PFA``: a probabilistic finite automaton with deterministic
  transitions δ(i, σ) and emission probabilities emit[i][σ]; q(σ|x_{<m}) =
  emit[state after x_{<m}][σ]. State: one-hot nodes st.i; st.j ← Σ_{δ(i,σ)=j} AND(st.i,
  1[x=σ]), output Σ_{i,σ} emit[i][σ]·AND(st.i, 1[x=σ]). Size n + 2, hidden n.
* ``motif_automaton_lm(motif, mode)`` / ``motif_pfa``: the motif-filtering automata of the
  global-autoregressive-models literature as PFAs over the KMP automaton of the motif:
  "avoid" (uniform over the next tokens that do not complete the motif), "seek" (follow the
  motif with probability p until it has occurred, then uniform) and "contain" (exactly the
  uniform distribution on the length-N strings that contain the motif; states = (KMP state,
  position), unreachable ones trimmed). ``PFA.sample`` draws documents (a data source).

Every builder takes ``tau`` (τ > 1 adds a hidden phase counter and makes the state wait,
see :mod:`constructions.models.common`), declares its role (``rnnsim.LMRole(b)``), states
its claims (size, hidden size, τ, depth, from closed forms) and records its parameters
(:mod:`constructions.records`; ``exact_definition`` in :mod:`constructions.models.registry`
rebuilds the definition from them).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

import numpy as np

from rnnsim import Builder, Const, ConstructionError, LMRole
from rnnsim.expr import exact
from rnnsim.registry import realizes
from rnnsim.strings import all_strings

from .. import records
from .common import (
    SPEC47, bits_of, bits_str, check_tau, claims, clock, is_token, matches, set_state,
    shift_register, weighted_sum,
)

_LM = SPEC47


def _prob(p, where: str) -> Fraction:
    try:
        v = Fraction(exact(p, where=where))
    except (TypeError, ValueError) as e:
        raise ConstructionError(f"{where}: {p!r} is not an exact number ({e}); give a Fraction, an int "
                                "or a decimal string") from None
    if not 0 <= v <= 1:
        raise ConstructionError(f"{where}: probability {p!r} is outside [0, 1]")
    return v


# ---- uniform ---------------------------------------------------------------------------

def uniform_q(b: int = 2):
    """q(σ | prefix) = 1/b."""
    def q(prefix):
        return [Fraction(1, b)] * b
    return q


@realizes("§4.7 models", _LM, bound="uniform: size 2, hidden 0")
def uniform_lm(b: int = 2, *, tau: int = 1, name: str = "uniform"):
    tau = check_tau(tau)
    if isinstance(b, bool) or not isinstance(b, int) or b < 2:
        raise ConstructionError(f"uniform_lm: the alphabet size b must be an integer ≥ 2, got {b!r}")
    bl = Builder(name, tau=tau, alphabet=b, role=LMRole(b))
    bl.input("x")
    o = bl.node("q", init=0, update=Const(Fraction(1, b)))
    bl.output(o)
    return bl.build(claims=claims(size=2, hidden_size=0, tau=tau, depth=0),
                    construction=records.UniformLM(b).to_json())


# ---- order-m Markov ----------------------------------------------------------------------

def markov_table(order: int, table) -> dict[tuple[int, ...], Fraction]:
    """Normalize a Markov table: a mapping context-tuple → P(1 | context), or a sequence of
    2^order probabilities indexed by the context read as a binary number (oldest token most
    significant). Every context must be present; probabilities must lie in [0, 1]."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ConstructionError(f"Markov order must be a non-negative integer, got {order!r}")
    contexts = all_strings(order)
    if isinstance(table, Mapping):
        norm = {bits_of(c, order, "context"): v for c, v in table.items()}
        missing = [bits_str(c) or "()" for c in contexts if c not in norm]
        if missing:
            raise ConstructionError(f"Markov table misses contexts {missing[:8]}; give P(1 | c) for every "
                                    f"context c of length {order}")
        extra = [c for c in norm if c not in set(contexts)]
        if extra:
            raise ConstructionError(f"Markov table has unknown contexts {extra[:8]}")
        return {c: _prob(norm[c], f"table[{bits_str(c)}]") for c in contexts}
    vals = list(table)
    if len(vals) != 2 ** order:
        raise ConstructionError(f"Markov table of order {order} needs {2 ** order} entries (one per "
                                f"context), got {len(vals)}")
    return {c: _prob(v, f"table[{bits_str(c)}]") for c, v in zip(contexts, vals)}


def markov_q(order: int, table):
    """q(1 | prefix) = table[last `order` tokens, left-padded with 0]."""
    tab = markov_table(order, table)

    def q(prefix):
        ctx = (0,) * order + tuple(prefix)
        p = tab[ctx[len(ctx) - order:]] if order else tab[()]
        return [1 - p, p]
    return q


@realizes("§4.7 models", _LM, bound="Markov order m: size m+2+[τ>1], hidden m+[τ>1], depth ≤ 2")
def markov_lm(order: int, table, *, tau: int = 1, name: str = "markov"):
    tab = markov_table(order, table)
    tau = check_tau(tau)
    b = Builder(name, tau=tau, alphabet=2, role=LMRole(2))
    x = b.input("x")
    gate = clock(b, tau) if order else None
    vals = shift_register(b, x, order, gate)            # vals[i] = x_{m−i}
    ctx_nodes = list(reversed(vals[1:]))                # oldest first, as the table's keys
    o = b.node("q", init=0)
    b.update(o, weighted_sum(
        (tab[c] if s else 1 - tab[c], matches(ctx_nodes + [x], c + (s,)))
        for c in tab for s in (0, 1)))
    b.output(o)
    clk = 1 if (tau > 1 and order) else 0
    depth = max(1 if order else 0, 2 if clk else 0)
    return b.build(claims=claims(size=order + 2 + clk, hidden_size=order + clk, tau=tau, depth=depth),
                   construction=records.MarkovLM(order, tuple(tab[c] for c in tab)).to_json())


# ---- probabilistic finite automata ---------------------------------------------------------

@dataclass(frozen=True)
class PFA:
    """Deterministic-transition probabilistic automaton: in state i, emit σ with probability
    ``emit[i][σ]`` and move to ``delta[i][σ]``. Calling it is its LM: q(prefix) = emit[state
    after prefix]."""

    delta: tuple
    emit: tuple
    start: int = 0

    def __post_init__(self):
        delta = tuple(tuple(int(s) for s in row) for row in self.delta)
        n = len(delta)
        if n == 0:
            raise ConstructionError("a PFA needs at least one state")
        b = len(delta[0])
        if b < 2 or any(len(r) != b for r in delta):
            raise ConstructionError("every PFA state needs one transition per symbol (b ≥ 2)")
        if any(not 0 <= s < n for r in delta for s in r):
            raise ConstructionError(f"PFA transition to a state outside 0..{n - 1}")
        if len(self.emit) != n or any(len(r) != b for r in self.emit):
            raise ConstructionError("emit must have one row of b probabilities per state")
        emit = tuple(tuple(_prob(p, f"emit[{i}][{s}]") for s, p in enumerate(r))
                     for i, r in enumerate(self.emit))
        for i, r in enumerate(emit):
            if sum(r) != 1:
                raise ConstructionError(f"emission probabilities of state {i} sum to {sum(r)}, not 1")
        if not 0 <= int(self.start) < n:
            raise ConstructionError(f"start state {self.start!r} is not a state")
        object.__setattr__(self, "delta", delta)
        object.__setattr__(self, "emit", emit)
        object.__setattr__(self, "start", int(self.start))

    @property
    def n_states(self) -> int:
        return len(self.delta)

    @property
    def alphabet(self) -> int:
        return len(self.delta[0])

    def state(self, prefix) -> int:
        s = self.start
        for t in prefix:
            s = self.delta[s][int(t)]
        return s

    def __call__(self, prefix):
        return list(self.emit[self.state(prefix)])

    def trim(self) -> "PFA":
        """The same LM with the states unreachable from the start removed (BFS order)."""
        order, seen, todo = [], {self.start}, deque([self.start])
        while todo:
            s = todo.popleft()
            order.append(s)
            for t in self.delta[s]:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        new = {s: i for i, s in enumerate(order)}
        return PFA(tuple(tuple(new[t] for t in self.delta[s]) for s in order),
                   tuple(self.emit[s] for s in order), 0)

    def sample(self, n_docs: int, N: int, seed=None) -> np.ndarray:
        """n_docs documents of length N drawn from the PFA (float64 probabilities)."""
        rng = np.random.default_rng(seed)
        cum = np.cumsum(np.array([[float(p) for p in r] for r in self.emit]), axis=1)
        delta = np.array(self.delta, dtype=np.int64)
        state = np.full(n_docs, self.start, dtype=np.int64)
        out = np.empty((n_docs, N), dtype=np.int64)
        for m in range(N):
            u = rng.random(n_docs)
            tok = np.minimum((u[:, None] >= cum[state]).sum(axis=1), self.alphabet - 1)
            out[:, m] = tok
            state = delta[state, tok]
        return out

    def record(self) -> records.PFALM:
        return records.PFALM(self.delta, self.emit, self.start)


@realizes("§4.7 models", _LM, bound="PFA with n states: size n+2+[τ>1], hidden n+[τ>1]")
def pfa_lm(pfa: PFA, *, tau: int = 1, name: str = "pfa", record: records.Record | None = None):
    """The LM RNN of a PFA (``record``: what to record instead of the PFA's own parameters)."""
    if not isinstance(pfa, PFA):
        raise ConstructionError(f"pfa_lm needs a constructions.models.PFA, got {type(pfa).__name__}")
    tau = check_tau(tau)
    n, bsz = pfa.n_states, pfa.alphabet
    b = Builder(name, tau=tau, alphabet=bsz, role=LMRole(bsz))
    x = b.input("x")
    gate = clock(b, tau)
    st = [b.node(f"st.{i}", init=int(i == pfa.start), hidden=True, boolean=True) for i in range(n)]
    fire = {(i, s): matches([st[i], is_token(x, s, bsz)], (1, 1)) for i in range(n) for s in range(bsz)}
    for j in range(n):
        set_state(b, st[j], weighted_sum((1, fire[i, s]) for i in range(n) for s in range(bsz)
                                         if pfa.delta[i][s] == j), gate)
    o = b.node("q", init=0)
    b.update(o, weighted_sum((pfa.emit[i][s], fire[i, s]) for i in range(n) for s in range(bsz)))
    b.output(o)
    clk = int(tau > 1)
    d_and = 1 if bsz == 2 else 2
    return b.build(claims=claims(size=n + 2 + clk, hidden_size=n + clk, tau=tau, depth=d_and + clk),
                   construction=(record or pfa.record()).to_json())


# ---- motif-filtering automata ------------------------------------------------------------

def kmp_delta(motif: Sequence[int], b: int = 2) -> list[list[int]]:
    """KMP automaton of the motif: state i = length of the longest prefix of the motif that
    is a suffix of the text read (i < L); state L (motif seen) is absorbing."""
    L = len(motif)
    rows = []
    for i in range(L):
        row = []
        for s in range(b):
            text = tuple(motif[:i]) + (s,)
            l = min(L, len(text))
            while l and text[len(text) - l:] != tuple(motif[:l]):
                l -= 1
            row.append(l)
        rows.append(row)
    rows.append([L] * b)
    return rows


def motif_pfa(motif, mode: str = "avoid", *, p=Fraction(3, 4), N: int | None = None,
              noise=0) -> PFA:
    """The motif-filtering automaton as a PFA (binary).

    * ``avoid``: from KMP state i < L emit uniformly among the tokens that do not complete
      the motif (so every sampled string avoids it); after the motif (only reachable with
      noise) uniform.
    * ``seek``: emit the next motif token with probability ``p``; after the motif, uniform.
    * ``contain``: the uniform distribution over length-``N`` strings containing the motif:
      q(σ | x_{<m}) = #completions containing the motif after x_{<m}σ / #after x_{<m};
      uniform once the document is longer than N (or the count is 0). States (KMP, pos),
      trimmed to the reachable ones.

    ``noise`` ε mixes every emission with the uniform one: (1−ε)·emit + ε/2.
    """
    m = bits_of(motif, None, "motif")
    if not m:
        raise ConstructionError("the motif must be non-empty, e.g. '111'")
    L, half = len(m), Fraction(1, 2)
    eps = _prob(noise, "noise")
    kd = kmp_delta(m)
    if mode in ("avoid", "seek"):
        emit = []
        for i in range(L + 1):
            if i == L:
                row = [half, half]
            elif mode == "avoid":
                ok = [s for s in (0, 1) if kd[i][s] != L]
                row = [Fraction(int(s in ok), len(ok)) for s in (0, 1)]
            else:
                pp = _prob(p, "p")
                row = [pp if s == m[i] else 1 - pp for s in (0, 1)]
            emit.append(row)
        delta = kd
    elif mode == "contain":
        if isinstance(N, bool) or not isinstance(N, int) or N < 1:
            raise ConstructionError("mode 'contain' needs the document length N (a positive integer): pass N=")
        # f[i][r]: number of length-r continuations from KMP state i that contain the motif
        f = [[0] * (N + 1) for _ in range(L + 1)]
        for r in range(N + 1):
            f[L][r] = 2 ** r
            for i in range(L):
                f[i][r] = 0 if r == 0 else f[kd[i][0]][r - 1] + f[kd[i][1]][r - 1]
        idx = lambda i, pos: i * (N + 1) + pos  # noqa: E731
        delta, emit = [], []
        for i in range(L + 1):
            for pos in range(N + 1):
                nxt = min(pos + 1, N)
                delta.append([idx(kd[i][s], nxt) for s in (0, 1)])
                r = N - pos
                if r == 0 or f[i][r] == 0:
                    emit.append([half, half])
                else:
                    emit.append([Fraction(f[kd[i][s]][r - 1], f[i][r]) for s in (0, 1)])
        pfa = PFA(delta, [[(1 - eps) * e + eps * half for e in row] for row in emit], idx(0, 0))
        return pfa.trim()
    else:
        raise ConstructionError(f"motif automaton mode must be 'avoid', 'seek' or 'contain', got {mode!r}")
    return PFA(delta, [[(1 - eps) * e + eps * half for e in row] for row in emit], 0)


def motif_automaton_q(motif, mode: str = "avoid", **kw):
    return motif_pfa(motif, mode, **kw)


@realizes("§4.7 models", _LM)
def motif_automaton_lm(motif, mode: str = "avoid", *, p=Fraction(3, 4), N: int | None = None,
                       noise=0, tau: int = 1, name: str = "motif_lm"):
    """pfa_lm of :func:`motif_pfa` (the motif parameters are recorded)."""
    pfa = motif_pfa(motif, mode, p=p, N=N, noise=noise)
    rec = records.MotifAutomatonLM(bits_str(bits_of(motif, None, "motif")), mode, _prob(p, "p"), N,
                                   _prob(noise, "noise"))
    return pfa_lm(pfa, tau=tau, name=name, record=rec)


__all__ = ["uniform_lm", "uniform_q", "markov_lm", "markov_q", "markov_table", "PFA", "pfa_lm",
           "kmp_delta", "motif_pfa", "motif_automaton_lm", "motif_automaton_q"]
