"""Running networks: ``simulate`` (one stream, with traces), ``simulate_batch`` (many
streams) and ``simulate_all`` (every document of Σ^N, sharing prefixes) — THEORY §2.3, §6.

Semantics (THEORY §2.3): the input node holds x_{⌊t/τ⌋+1} at time t; every other node
updates synchronously, v_{t+1}(u) = f_u(v_t(…)); the output for token m is v_{mτ}(o).
Engines are chosen by name or ``"auto"`` (the fastest one that runs the arithmetic
exactly on this machine); all share the :class:`~rnnsim.engines.base.Executor` interface.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from .arith import Exact, Fixed, Float64, parse_arithmetic
from .engines import get_engine, select_engine
from .engines.base import raw_to_exact, raw_to_float
from .errors import InputError


@dataclass
class Trace:
    """The result of one run.

    ``outputs[m-1]`` is the output node's value at time m·τ (exact ints/Fractions in
    ``exact`` and ``Fixed`` modes, floats in ``float64``). When recording was asked for,
    ``times`` lists the recorded times and ``values[name]`` the node's value at each;
    ``max_abs[name]`` is the largest |value| the node took (for bit accounting).
    """

    rnn: Any
    tokens: tuple[int, ...]
    arithmetic: Any
    outputs: list
    times: list[int] = field(default_factory=list)
    values: dict[str, list] = field(default_factory=dict)
    max_abs: dict[str, Any] | None = None
    final_state: list | None = None

    @property
    def tau(self) -> int:
        return self.rnn.tau

    def outputs_float(self) -> np.ndarray:
        return np.array([float(v) for v in self.outputs], dtype=np.float64)

    def value(self, node: str, t: int):
        """Recorded value of ``node`` at time ``t``."""
        try:
            return self.values[node][self.times.index(t)]
        except (KeyError, ValueError):
            raise KeyError(f"node {node!r} at time {t} was not recorded (record='all' records every step)") from None

    def select(self, patterns) -> list[str]:
        names = self.rnn.select(patterns)
        return [n for n in names if n in self.values]

    def waveform(self, patterns="*", **kw) -> str:
        from .display import waveform

        return waveform(self, patterns, **kw)

    def to_vcd(self, path, patterns="*") -> None:
        from .display import write_vcd

        write_vcd(self, path, patterns)


def check_tokens(rnn, tokens) -> np.ndarray:
    """Validate a token sequence or matrix against Σ = {0, …, b−1}."""
    try:
        arr = np.asarray(tokens)
    except Exception as e:  # noqa: BLE001 - numpy raises many kinds
        raise InputError(f"tokens could not be read as an integer array: {e}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool or arr.size == 0):
        if arr.size and np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        elif arr.size:
            raise InputError(f"tokens must be integers in 0..{rnn.alphabet - 1}, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    bad = np.argwhere((arr < 0) | (arr >= rnn.alphabet))
    if len(bad):
        pos = tuple(int(i) for i in bad[0])
        m = pos[-1]
        where = f"document {pos[0]}, " if arr.ndim == 2 else ""
        raise InputError(
            f"input node {rnn.inputs[0]!r} at time {m * rnn.tau}: token x_{m + 1} = {int(arr[pos])} "
            f"({where}position {m + 1}) is outside Σ = {{0, …, {rnn.alphabet - 1}}}"
        )
    return arr


def simulate(
    rnn,
    tokens: Sequence[int] | str,
    arithmetic="float64",
    engine: str = "auto",
    record=None,
    nodes=None,
    track_max: bool = False,
) -> Trace:
    """Run one token stream.

    ``record``: None, ``"all"`` (every node at every time), ``"tokens"`` (at multiples of
    τ) or an iterable of times; ``nodes``: glob pattern(s) restricting what is recorded;
    ``track_max``: also record max |value| per node. Recording and exact arithmetic use the
    reference engine.
    """
    if isinstance(tokens, str):
        tokens = [int(c) for c in tokens.strip()]
    toks = check_tokens(rnn, tokens)
    if toks.ndim != 1:
        raise InputError(f"simulate takes one token sequence; got shape {toks.shape} (use simulate_batch)")
    arith = parse_arithmetic(arithmetic)
    needs_reference = record is not None or track_max or nodes is not None
    if engine == "auto" and (needs_reference or isinstance(arith, Exact)):
        engine = "reference"
    if needs_reference and engine != "reference":
        raise InputError(f"recording traces needs engine='reference' (got {engine!r})")
    if engine == "reference":
        ex = get_engine("reference").compile(rnn.program, arith)
        times = record
        if record is not None and not isinstance(record, str):
            times = set(int(t) for t in record)
        sel = None if nodes is None else [rnn.index(n) for n in rnn.select(nodes)]
        if record is not None and nodes is not None and not sel:
            raise InputError(f"no node matches {nodes!r}")
        outs, rtimes, rec, maxabs, final = ex.run_recording(
            [int(t) for t in toks], times=times, nodes=sel, track_max=track_max
        )
        return Trace(rnn, tuple(int(t) for t in toks), arith, outs, rtimes, rec, maxabs, final)
    raw = simulate_batch(rnn, toks[None, :], arith, engine=engine, raw=True)[0]
    outs = list(raw.astype(np.float64)) if isinstance(arith, Float64) else list(raw_to_exact(raw, arith))
    return Trace(rnn, tuple(int(t) for t in toks), arith, outs)


def simulate_batch(rnn, token_matrix, arithmetic="float64", engine: str = "auto", *, raw: bool = False,
                   progress: bool | None = None) -> np.ndarray:
    """Run B streams of length N: ``token_matrix`` (B, N) ints → outputs (B, N).

    Column m−1 holds the output at time m·τ. Returns float64 values, or with ``raw=True``
    the engine's raw representation (exact objects, or fixed-point integers scaled by 2^f).
    """
    toks = check_tokens(rnn, token_matrix)
    if toks.ndim != 2:
        raise InputError(f"simulate_batch takes a (B, N) token matrix; got shape {toks.shape}")
    arith = parse_arithmetic(arithmetic)
    B, N = toks.shape
    work = B * N * rnn.tau * rnn.size
    ex = _executor(rnn, arith, engine, B, work)
    out = np.empty((B, N), dtype=ex.raw_outputs_dtype())
    state = ex.init_state(B)
    if hasattr(ex, "advance_many"):  # compiled engines: many tokens per call (≥ 64 steps
        # per call, so loading/storing the state is amortized; ~2e8 node-updates per call)
        per_call = max(-(-64 // rnn.tau), int(2e8 // max(1, B * rnn.tau * rnn.size)))
        blocks = [(lo, min(N, lo + per_call)) for lo in range(0, N, per_call)]
        for lo, hi in _progress(blocks, progress, work, "simulate_batch", ex):
            state, out[:, lo:hi] = ex.advance_many(state, toks[:, lo:hi], lo * rnn.tau)
        return out if raw else raw_to_float(out, arith)
    for m in _progress(range(N), progress, work, "simulate_batch", ex):
        state, out[:, m] = ex.advance(state, np.ascontiguousarray(toks[:, m]), m * rnn.tau)
    return out if raw else raw_to_float(out, arith)


def simulate_all(rnn, N: int, arithmetic="float64", engine: str = "auto", *, raw: bool = False,
                 progress: bool | None = None) -> np.ndarray:
    """Outputs on every document of Σ^N, shape (b^N, N), row d = the base-b digits of d
    (first token most significant). Prefixes are shared: total work ≈ b/(b−1)·b^N·τ·|R|
    instead of N·b^N·τ·|R|."""
    if not (isinstance(N, int) and N >= 1):
        raise InputError(f"document length N must be a positive integer, got {N!r}")
    arith = parse_arithmetic(arithmetic)
    b = rnn.alphabet
    total = b ** N
    work = 2 * total * rnn.tau * rnn.size
    ex = _executor(rnn, arith, engine, total, work)
    out = np.empty((total, N), dtype=ex.raw_outputs_dtype())
    state = ex.init_state(1)
    for m in _progress(range(1, N + 1), progress, work, "simulate_all", ex):
        rows = np.repeat(np.arange(b ** (m - 1)), b)
        state = ex.take(state, rows)
        toks = np.tile(np.arange(b, dtype=np.int64), b ** (m - 1))
        state, o = ex.advance(state, toks, (m - 1) * rnn.tau)
        out[:, m - 1] = np.repeat(o, b ** (N - m))
    return out if raw else raw_to_float(out, arith)


def all_documents(b: int, N: int) -> np.ndarray:
    """Every document of Σ^N in the row order of :func:`simulate_all`."""
    d = np.arange(b ** N)
    return np.stack([(d // b ** (N - 1 - i)) % b for i in range(N)], axis=1).astype(np.int64)


def _executor(rnn, arith, engine, batch, work=None):
    if work is None:
        work = batch * rnn.size * rnn.tau
    eng = select_engine(rnn.program, arith, engine, batch=batch, work=work)
    return eng.compile(rnn.program, arith)


def _progress(it: Iterable, progress, work: int, desc: str, ex=None):
    """A tqdm bar when ``progress`` is True, or (None) when the run is expected to take
    more than ~5 s at the executor's rough speed (``updates_per_second``, node-updates/s)."""
    if progress is None:
        rate = getattr(ex, "updates_per_second", 3e6)
        progress = work / rate > 5 and not os.environ.get("RNNSIM_NO_PROGRESS")
    if not progress:
        return it
    from tqdm import tqdm

    return tqdm(it, desc=desc, unit="block" if desc == "simulate_batch" and hasattr(ex, "advance_many") else "token",
                leave=False)
