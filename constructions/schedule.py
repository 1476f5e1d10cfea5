"""The timing of the synchronized enumeration: loops, slots and output times (paper: Claim 1
and Lemma 11; THEORY §4.3, §4.4).

Claim 1's schedule (project form). Fix the window k ≥ 1, the pace T ≥ 1 (the largest τ of
the networks being enumerated), the offset r ∈ {1..k} and the document length N. A *digit
slot* has P = T + 1 steps (P = 3 when k = T = 1, so that the boosting accumulators of
Lemma 3 get the three steps they need between the last string and the end of the loop),
and an *input loop* has τ_S = (2^k + 1)·k·P steps: 2^k strings s_0 … s_{2^k−1} of k digit
slots each, then a final phase. Time t lies in input loop i(t) = ⌊t/τ_S⌋ + 1 at loop step
s = t mod τ_S, digit-slot step c = s mod P, slot g = ⌊s/P⌋, digit d = g mod k, string
n = ⌊g/k⌋ (n = 2^k: the final phase); the anchor offset is ℓ(i) = 0 for i < r and
(i − r) mod k otherwise, the anchor j(i) = i − ℓ(i). Lemma 11's output for the prefix
x_{<j}·s_n[0..m] appears at t(i, n, m) = (i − 1)·τ_S + (n·k + m + 1)·P (n < 2^k), and for
x_{<j}·x_{j..j+m} at t(i, 2^k, m), m ≤ ℓ(i). :class:`Schedule` holds these closed forms (no
network needed); :func:`output_times` and :func:`schedule_table` list them; the schedule of
a built network is ``constructions.records.schedule_of(net)``. The counter
nodes that realize the schedule are :mod:`constructions.counters`; recording and drawing
what a built network does is the workflow :mod:`workflows.schedule_figure`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rnnsim import ConstructionError
from rnnsim.strings import nth_string


def slot_length(k: int, T: int) -> int:
    """P: the length of a digit slot (T RUN steps plus one LOAD/HOLD step; 3 when k = T = 1)."""
    return max(T + 1, 3) if k == 1 else T + 1


def last_block_end(k: int, r: int, N: int | None) -> int | None:
    """L: the last position covered by a complete block [j, j+k−1], j ∈ I_r (r − 1 when no
    block fits in N); None when N is None."""
    if N is None:
        return None
    M = N - k + 1
    if M < r:
        return r - 1
    J = r + k * ((M - r) // k)
    return J + k - 1


@dataclass(frozen=True)
class Position:
    """Where time t falls in the three nested loops (closed forms of Claim 1)."""

    t: int
    i: int      # input index (1-based)
    s: int      # step in the input loop
    c: int      # step in the digit slot
    g: int      # slot index in the loop
    d: int      # digit index
    n: int      # string index (2^k = final phase)
    l: int      # anchor offset ℓ(i)
    p: int      # position counter min(i, cap)


@dataclass(frozen=True)
class Schedule:
    """The timing of the synchronized enumeration (closed forms; no network needed).

    ``k`` window, ``T`` pace (max τ of the enumerated networks), ``r`` offset, ``N`` document
    length (None: the position counter only needs to know i < r, cap = r).
    """

    k: int
    T: int
    r: int
    N: int | None = None
    taus: tuple = field(default=())

    def __post_init__(self):
        for name in ("k", "T", "r"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConstructionError(f"Schedule: {name} must be a positive integer, got {v!r}")
        if not 1 <= self.r <= self.k:
            raise ConstructionError(f"offset r = {self.r} must lie in 1..k = 1..{self.k}")
        if self.N is not None and (isinstance(self.N, bool) or not isinstance(self.N, int) or self.N < 1):
            raise ConstructionError(f"document length N must be a positive integer, got {self.N!r}")
        object.__setattr__(self, "taus", tuple(self.taus))

    # ---- sizes of the loops -------------------------------------------------------------------
    @property
    def P(self) -> int:
        return slot_length(self.k, self.T)

    @property
    def strings(self) -> int:
        return 2 ** self.k

    @property
    def tau_S(self) -> int:
        return (self.strings + 1) * self.k * self.P

    @property
    def L(self) -> int | None:
        return last_block_end(self.k, self.r, self.N)

    @property
    def cap(self) -> int:
        return self.r if self.N is None else self.L + 1

    # ---- closed forms -------------------------------------------------------------------------
    def ell(self, i: int) -> int:
        return 0 if i < self.r else (i - self.r) % self.k

    def anchor(self, i: int) -> int:
        """j(i): the block start for i ≥ r; the pseudo-anchor i itself for i < r."""
        return i - self.ell(i)

    def advances(self, i: int) -> bool:
        """Whether the stored state H1 moves on during loop i (i < r, or the block ends at i)."""
        return i < self.r or self.ell(i) == self.k - 1

    def position(self, t: int) -> Position:
        i, s = t // self.tau_S + 1, t % self.tau_S
        g = s // self.P
        return Position(t, i, s, s % self.P, g, g % self.k, g // self.k, self.ell(i), min(i, self.cap))

    def t_out(self, i: int, n: int, m: int) -> int:
        """t(i, n, m): the time at which the enumeration outputs F(x_{<j}·s_n[0..m])
        (n < 2^k), or F(x_{<j}·x_{j..j+m}) for n = 2^k and m ≤ ℓ(i)."""
        if not (0 <= n <= self.strings and 0 <= m < self.k):
            raise ConstructionError(f"t_out: need 0 ≤ n ≤ 2^k and 0 ≤ m < k, got n={n}, m={m}")
        return (i - 1) * self.tau_S + (n * self.k + m + 1) * self.P

    def t_U(self, i: int, n: int) -> int:
        """The time at which the components of Lemmas 7–9 hold their value for string n."""
        return self.t_out(i, n, self.k - 1) + 1

    def counter_values(self, t: int) -> dict:
        """The values the counter nodes hold at time t (those of position t+1)."""
        q = self.position(t + 1)
        vals = {"cnt.on": 1, "cnt.c": q.c, "cnt.d": q.d, "cnt.beta": int(q.n == self.strings),
                "cnt.l": q.l, "cnt.p": q.p}
        for m, bit in enumerate(nth_string(q.n % self.strings, self.k)):
            vals[f"E.e{m}"] = bit
        vals["s"] = q.s
        return vals


def output_times(s: Schedule, N: int) -> list[int]:
    """Every t(i, n, m) of THEORY §4.4 for i ≤ N (and iτ_S)."""
    out = set()
    for i in range(1, N + 1):
        out.add(i * s.tau_S)
        if i >= s.r:
            for n in range(s.strings):
                out.update(s.t_out(i, n, m) for m in range(s.k))
            out.update(s.t_out(i, s.strings, m) for m in range(s.ell(i) + 1))
    return sorted(out)


def schedule_table(s: Schedule, N: int) -> list[dict]:
    """One row per (i, n): anchor j, ℓ and the times t(i, n, m) for m = 0 … k−1 (THEORY §4.4)."""
    rows = []
    for i in range(1, N + 1):
        if i < s.r:
            rows.append({"i": i, "j": i, "l": 0, "n": None, "t": [i * s.tau_S]})
            continue
        for n in range(s.strings + 1):
            ms = range(s.k) if n < s.strings else range(s.ell(i) + 1)
            rows.append({"i": i, "j": s.anchor(i), "l": s.ell(i), "n": n, "t": [s.t_out(i, n, m) for m in ms]})
    return rows


__all__ = ["Schedule", "Position", "slot_length", "last_block_end", "output_times", "schedule_table"]
