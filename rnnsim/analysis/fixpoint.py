"""Iteration of the range analysis over time (THEORY §5): a sound bound on every node's
values, integrality and Fixed-point error at every time, for every input stream.

Starting from the initial values (inputs: [0, b−1], integers, exact), one abstract step
applies every node's transfer function (:mod:`rnnsim.analysis.transfer`) to the abstract
values and joins the result into the node's value; after n steps the values bound all
times ≤ n. Two iteration modes. *All times* (default): the union values are iterated to a
fixed point; a bound still moving after ``widen_after`` steps is widened to the next power
of two (lo first to 0; err to the next 2^j·u), a fourth widening sends it to ±∞ — sound,
and exact for contracting loops. *Horizon* (``horizon=N`` tokens): an abstract simulation,
env_t = the values at time t exactly (over all inputs), for t ≤ N·τ; counters and controls
that do not depend on the input stay single values, so gated updates follow the real
schedule (an accumulator's error only grows on the steps where it adds, and is reset with
it). Bounds then hold for documents of length ≤ N. The integer bits of a node are the
least i with max(|lo|, |hi|) + err < 2^i (:meth:`Analysis.int_bits`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Mapping

from ..arith import Fixed, parse_arithmetic
from .transfer import Transfer
from .values import AV, INF, Unbounded, int_bits_for, isint, to_infinity, widen


@dataclass
class Analysis:
    """Result of :func:`analyze`."""

    rnn: object
    fmt: Fixed | None
    values: dict[str, AV]
    steps: int
    converged: bool
    widened: list[str] = field(default_factory=list)
    declared: dict[str, tuple] = field(default_factory=dict)
    horizon: int | None = None
    image_fn: object = field(default=None, repr=False, compare=False)   # () → images

    @cached_property
    def images(self) -> dict[str, AV]:
        """Ranges over times t ≥ 1 only (each node's transition over :attr:`values`);
        computed on first use (few callers need them, and they cost a full pass)."""
        return self.image_fn() if self.image_fn is not None else {}

    def int_bits(self, node: str) -> int:
        v = self.values[node]
        return int_bits_for(v.maxabs + v.err)

    def node_bits(self) -> dict[str, int]:
        return {n: self.int_bits(n) for n in self.values}

    @property
    def claimed_int_bits(self) -> int:
        """max(1, max_u i_u): the integer bits of a format in which no node overflows."""
        worst = max(self.node_bits().items(), key=lambda kv: kv[1])
        if worst[1] == INF:
            raise Unbounded(
                f"node {worst[0]!r} of {self.rnn.name!r} is unbounded by the analysis "
                f"({self.values[worst[0]]}); declare its range (declared={{...}}) or pass a horizon")
        return max(1, worst[1])

    @property
    def output_error(self):
        return self.values[self.rnn.output].err

    def unbounded(self) -> list[str]:
        return [n for n, v in self.values.items() if v.maxabs == INF or v.err == INF]


def analyze(rnn, arithmetic=None, *, horizon: int | None = None, declared: Mapping | None = None,
            recip_floor: Mapping | None = None, input_range=None, enum_cap: int = 4096,
            widen_after: int = 60, max_steps: int = 100_000, per_time: bool = True,
            frozen: Mapping[str, AV] | None = None, exclusive: Iterable[str] = ()) -> Analysis:
    """Abstract interpretation of ``rnn`` (module docstring). ``arithmetic``: None/"exact"
    (ranges only) or a Fixed format (ranges and error bounds). ``horizon``: documents of at
    most this many tokens (exact step count, no widening). ``declared``: {node or glob:
    (lo, hi)} assumed ranges. ``recip_floor``: {node or glob: m} — inside these nodes'
    transitions every reciprocal's argument is assumed ≥ m (a relational fact such as
    Lemma 3's denominator ≥ e^−η·μ^{k−1}). ``input_range``: (lo, hi) of the input node.
    ``frozen``: {node: AV} — nodes whose abstract value over all times is known (a summary
    of a sub-network, a closed form of the construction): they keep that value and their
    transitions are not evaluated, so the analysis costs only the other nodes.
    ``exclusive``: nodes whose transition Σ_g F_g·body_g + rest has 0/1 factors F_g of which
    at most one is 1 at any time (Lemma 10's one-hot LOAD/RUN/HOLD controls): the case split
    keeps only those assignments."""
    fmt = None if arithmetic in (None, "exact") else parse_arithmetic(arithmetic)
    if fmt is not None and not isinstance(fmt, Fixed):
        raise ValueError(f"analyze: arithmetic must be exact or a Fixed format, got {fmt}")
    frozen = dict(frozen or {})
    unknown = sorted(set(frozen) - set(rnn.nodes)) + sorted(set(exclusive) - set(rnn.nodes))
    if unknown:
        raise ValueError(f"analyze: frozen/exclusive name nodes that {rnn.name!r} does not have: {unknown[:5]}")
    an = Transfer(rnn, fmt, declared or {}, enum_cap, recip_floor, exclusive=exclusive)
    an.frozen = frozen
    env = initial_values(an, rnn, input_range)
    env.update(frozen)
    limit = max_steps if horizon is None else horizon * rnn.tau
    if horizon is not None and per_time:
        return _per_time(an, rnn, env, limit, horizon)
    return _fixed_point(an, rnn, env, limit, horizon, widen_after)


def initial_values(an: Transfer, rnn, input_range=None) -> dict[str, AV]:
    """The abstract values at time 0: inputs [0, b−1] (one-hot: [0, 1]) or ``input_range``,
    integers, exact; every other node its initial value (with its quantization error)."""
    lo_in, hi_in = (0, rnn.alphabet - 1) if input_range is None else input_range
    env: dict[str, AV] = {}
    for n in rnn.nodes:
        if n in an.inputs:
            env[n] = AV(0, 1, True, 0) if rnn.input_encoding == "onehot" else AV(lo_in, hi_in, True, 0)
        else:
            v = rnn.init[n]
            env[n] = AV(v, v, isint(v), an.cerr(v))
    return env


def _fixed_point(an: Transfer, rnn, env: dict, limit: int, horizon: int | None, widen_after: int) -> Analysis:
    """Union values iterated (only the successors of changed nodes) to a fixed point, with
    widening with thresholds when no horizon bounds the step count."""
    succ: dict[str, set[str]] = {n: set() for n in rnn.nodes}
    for u, f in rnn.transitions.items():
        if u in an.frozen:
            continue
        for v in an._reads(f):
            succ[v].add(u)
    active = set(rnn.transitions) - set(an.frozen)
    widened: list[str] = []
    steps = 0
    growing_since: dict[str, int] = {}
    n_widen: dict[str, int] = {}
    while active and steps < limit:
        steps += 1
        new = {u: env[u].join(an.node_value(u, env)) for u in active}
        changed = {u for u, v in new.items() if v != env[u]}
        if horizon is None:
            for u in list(growing_since):
                if u not in changed:
                    del growing_since[u]
            for u in changed:
                growing_since.setdefault(u, steps)
                # first widening after `widen_after` steps of growth, later ones sooner; a
                # node widened 4 times goes to ±∞ (thresholds are for contracting loops)
                wait = widen_after if u not in n_widen else 3
                if steps - growing_since[u] >= wait:
                    n_widen[u] = n_widen.get(u, 0) + 1
                    w = widen(env[u], new[u], an.ulp)
                    if n_widen[u] >= 4:
                        w = to_infinity(env[u], w)
                    new[u] = an.clamp(u, w)
                    widened.append(u)
                    del growing_since[u]
        env.update({u: new[u] for u in changed})
        active = (set().union(*[succ[u] for u in changed]) - set(an.frozen)) if changed else set()
    return Analysis(rnn, an.fmt, env, steps, not active, sorted(set(widened)), dict(an.declared), horizon,
                    lambda: _images(an, rnn, env))


def _per_time(an: Transfer, rnn, env: dict, limit: int, horizon: int) -> Analysis:
    """Abstract simulation for a finite horizon: env_t bounds the values at time t exactly
    (over all input streams), env_{t+1}(u) = f_u(env_t); the result joins env_0 … env_T.
    Input-independent nodes (counters, controls) stay single values, so every gated update
    follows the actual schedule (accumulators reset when their LOAD fires, errors do not
    pile up over holds)."""
    an.per_time = True
    total = dict(env)
    cur = dict(env)
    steps = 0
    for steps in range(1, limit + 1):
        nxt = {u: an.node_value(u, cur) for u in rnn.transitions if u not in an.frozen}
        if all(nxt[u] == cur[u] for u in nxt):
            steps -= 1
            break          # stationary: every later state is the same
        cur.update(nxt)
        for u, v in nxt.items():
            total[u] = total[u].join(v)
    an.per_time = False
    return Analysis(rnn, an.fmt, total, steps, True, [], dict(an.declared), horizon,
                    lambda: _images(an, rnn, total))


def _images(an: Transfer, rnn, env: dict) -> dict:
    """Each node's transition over ``env`` (a frozen node: its given value)."""
    return {u: an.frozen[u] if u in an.frozen else an.node_value(u, env) for u in rnn.transitions}


__all__ = ["Analysis", "analyze", "initial_values"]
