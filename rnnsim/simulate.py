"""Running networks: ``simulate`` (one stream, with traces), ``simulate_batch`` (many
streams) and ``simulate_all`` (every document of Σ^N, sharing prefixes) — THEORY §2.3, §6.

Semantics (THEORY §2.3): the input node holds x_{⌊t/τ⌋+1} at time t; every other node
updates synchronously, v_{t+1}(u) = f_u(v_t(…)); the output for token m is v_{mτ}(o).
Engines are chosen by name or ``"auto"`` (the fastest one that runs the arithmetic
exactly on this machine); this module uses only the
:class:`~rnnsim.engines.base.Executor` contract, so every engine runs every function here,
traces included. Documents are limited to RNN-time N·τ ≤ 2^63 − 1 (InputError beyond).
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from .arith import Float64, parse_arithmetic
from .engines import select_engine
from .engines.base import MAX_TIME
from .engines.raw import raw_to_exact, raw_to_float, to_float
from .engines.recorder import record_run
from .errors import EngineRangeExceeded, EngineUnavailable, InputError
from .prefix_tree import advance_level


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
        return np.array([to_float(v) for v in self.outputs], dtype=np.float64)

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
    """Validate a token sequence (N,) or matrix (B, N) against Σ = {0, …, b−1}; returns int64
    tokens. As strict as ``rnnsim run --tokens``: a token is an integer (Python or numpy), or
    one ASCII digit of a string (``"0110"``); a bool, a float (even a whole one such as 1.0),
    a string inside a list, a masked entry or any other object is refused, and so are ragged
    or deeper-nested lists. Each refusal is an InputError naming the input node, time,
    position (and document, counted from 0) and the value as given: values are checked
    before any conversion, so nothing is wrapped (2^64 − 1 stays 2^64 − 1), rounded or
    reported through a numpy warning."""
    b = rnn.alphabet
    if isinstance(tokens, str):
        return _from_rows(rnn, [_digits(rnn, tokens.strip())], 1)
    if isinstance(tokens, np.ndarray):
        if isinstance(tokens, np.ma.MaskedArray) and np.ma.getmaskarray(tokens).any():
            pos = tuple(int(i) for i in np.argwhere(np.ma.getmaskarray(tokens))[0])
            _refuse(rnn, pos, tokens.ndim, "--", "is masked (a masked entry's hidden value is not a token)")
        arr = np.asarray(tokens)
        if arr.ndim not in (1, 2):
            raise InputError(f"tokens must be a sequence (N,) or a matrix (B, N), got an array of shape {arr.shape}")
        if np.issubdtype(arr.dtype, np.integer) or arr.size == 0:
            return _in_alphabet(rnn, arr)
        rows = arr.tolist()                          # exact Python values: floats stay floats
        return _from_rows(rnn, rows if arr.ndim == 2 else [rows], arr.ndim)
    if not isinstance(tokens, (list, tuple, range)):
        raise InputError(f"tokens must be a sequence of integers in 0..{b - 1} (a list, tuple, string of "
                         f"digits or numpy integer array) or a (B, N) matrix of them, got {_show(tokens)}")
    items = list(tokens)
    kinds = {issubclass(t, _SEQUENCES) for t in set(map(type, items))}
    if True not in kinds:
        return _from_rows(rnn, [items], 1)
    if False in kinds:
        first = isinstance(items[0], _SEQUENCES)
        i = next(i for i, v in enumerate(items) if isinstance(v, _SEQUENCES) != first)
        raise InputError(f"tokens mix token sequences and single tokens: item {i} is {_show(items[i])} but "
                         f"item 0 is {_show(items[0])}; give one sequence (N,) or a (B, N) matrix")
    rows = [v.tolist() if isinstance(v, np.ndarray) else list(v) for v in items]
    for d, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise InputError(f"a token matrix must be rectangular: document {d} has {len(row)} token(s) "
                             f"but document 0 has {len(rows[0])}")
        if any(issubclass(t, _SEQUENCES) for t in set(map(type, row))):
            m, v = next((m, v) for m, v in enumerate(row) if isinstance(v, _SEQUENCES))
            raise InputError(f"tokens must be a sequence (N,) or a matrix (B, N), not nested deeper: "
                             f"document {d}, position {m + 1} is the sequence {_show(v)}")
    return _from_rows(rnn, rows, 2)


_SEQUENCES = (list, tuple, range, np.ndarray)
_DIGITS = "0123456789"


def _show(v, n: int = 40) -> str:
    """A token as given, for a message: ints exactly, floats as Python writes them."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, int) and not isinstance(v, bool):
        s = str(v)
    else:
        s = repr(v)
    return s if len(s) <= n else s[:n - 1] + "…"


def _refuse(rnn, pos: tuple, ndim: int, value: str, why: str):
    m = pos[-1]
    where = f"document {pos[0]}, " if ndim == 2 else ""
    raise InputError(f"input node {rnn.inputs[0]!r} at time {m * rnn.tau}: token x_{m + 1} = {value} "
                     f"({where}position {m + 1}) {why}")


def _digits(rnn, text: str) -> list[int]:
    for m, ch in enumerate(text):
        if ch not in _DIGITS:
            _refuse(rnn, (m,), 1, repr(ch), f"is not an ASCII digit; a string of tokens holds one digit "
                                           f"0..9 per token (or pass a list of integers)")
    return [int(ch) for ch in text]


def _in_alphabet(rnn, arr: np.ndarray) -> np.ndarray:
    """An integer array (any width, signed or not) checked against Σ, then as int64."""
    b = rnn.alphabet
    badpos = np.argwhere((arr < 0) | (arr >= b))
    if len(badpos):
        pos = tuple(int(i) for i in badpos[0])
        _refuse(rnn, pos, arr.ndim, str(int(arr[pos])), f"is outside Σ = {{0, …, {b - 1}}}")
    return arr.astype(np.int64)


def _from_rows(rnn, rows: list[list], ndim: int) -> np.ndarray:
    """Python values, row by row: each must be an int or a numpy integer (not a bool). The
    refusal names the first bad token, except that a whole float inside Σ (which
    ``arr.astype(int)`` would convert exactly) is named only when every bad token is one."""
    b = rnn.alphabet
    if all(set(map(type, row)) <= {int} and (not row or (min(row) >= 0 and max(row) < b)) for row in rows):
        return _int64(rows, ndim)                # the common case, checked at C speed
    first = None
    for d, row in enumerate(rows):
        for m, v in enumerate(row):
            if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and 0 <= v < b:
                continue
            if _whole_float_in(v, b):
                first = first or (d, m, v)
                continue
            _refuse(rnn, (d, m), ndim, _show(v), _why(v, b))
    if first is not None:
        d, m, v = first
        _refuse(rnn, (d, m), ndim, _show(v), _why(v, b) + " (for a whole-valued float array pass arr.astype(int))")
    return _int64(rows, ndim)


def _int64(rows: list[list], ndim: int) -> np.ndarray:
    arr = np.array(rows, dtype=np.int64).reshape(len(rows), len(rows[0]) if rows else 0)
    return arr[0] if ndim == 1 else arr


def _whole_float_in(v, b: int) -> bool:
    return isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer() and 0 <= v < b


def _why(v, b: int) -> str:
    sigma = f"Σ = {{0, …, {b - 1}}}"
    if isinstance(v, (bool, np.bool_)):
        return f"is a bool, not a token; tokens are integers in {sigma}"
    if isinstance(v, (float, np.floating)):
        return f"is a float, not an integer; tokens are integers in {sigma}, never rounded"
    if isinstance(v, (int, np.integer)):
        return f"is outside {sigma}"
    return f"is a {type(v).__name__}, not a token; tokens are integers in {sigma}"


def check_length(rnn, N: int) -> None:
    """RNN-time N·τ must stay within what engines count (2^63 − 1, int64 in the kernels)."""
    if N * rnn.tau > MAX_TIME:
        raise InputError(
            f"{N} token(s) with tau = {rnn.tau} need RNN-time N·τ = {N * rnn.tau}, beyond 2^63 − 1, the "
            "largest time the engines count")


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
    ``track_max``: also record max |value| per node. Every engine records
    (:mod:`rnnsim.engines.recorder`); ``"auto"`` picks the engine as for an unrecorded run.
    """
    toks = check_tokens(rnn, tokens)
    if toks.ndim != 1:
        raise InputError(f"simulate takes one token sequence; got shape {toks.shape} (use simulate_batch)")
    arith = parse_arithmetic(arithmetic)
    tok_tuple = tuple(int(t) for t in toks)
    if not (record is not None or track_max or nodes is not None):
        raw = simulate_batch(rnn, toks[None, :], arith, engine=engine, raw=True)[0]
        outs = list(raw.astype(np.float64)) if isinstance(arith, Float64) else list(raw_to_exact(raw, arith))
        return Trace(rnn, tok_tuple, arith, outs)
    check_length(rnn, len(toks))
    times = record
    if record is not None and not isinstance(record, str):
        times = set(int(t) for t in record)
    elif record is not None and record not in ("all", "tokens"):
        raise InputError(f"record must be None, 'all', 'tokens' or a collection of times, not {record!r}")
    sel = None if nodes is None else [rnn.index(n) for n in rnn.select(nodes)]
    if record is not None and nodes is not None and not sel:
        raise InputError(f"no node matches {nodes!r}")

    def run(eng):
        ex = _executor(rnn, arith, eng, 1, len(toks) * rnn.tau * rnn.size)
        return record_run(ex, tok_tuple, times=times, nodes=sel, track_max=track_max)

    outs, rtimes, rec, maxabs, final = _with_fallback(run, engine)
    return Trace(rnn, tok_tuple, arith, outs, rtimes, rec, maxabs, final)


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
    check_length(rnn, N)
    work = B * N * rnn.tau * rnn.size

    def run(eng):
        ex = _executor(rnn, arith, eng, B, work)
        out = np.empty((B, N), dtype=ex.raw_outputs_dtype())
        state = ex.init_state(B)
        per = max(1, ex.tokens_per_call(B))
        blocks = [(lo, min(N, lo + per)) for lo in range(0, N, per)]
        for lo, hi in _progress(blocks, progress, work, "simulate_batch", ex, "block" if per > 1 else "token"):
            state, out[:, lo:hi] = ex.advance_many(state, toks[:, lo:hi], lo * rnn.tau)
        return out

    out = _with_fallback(run, engine)
    return out if raw else raw_to_float(out, arith)


def simulate_all(rnn, N: int, arithmetic="float64", engine: str = "auto", *, raw: bool = False,
                 progress: bool | None = None, dedup: bool = True) -> np.ndarray:
    """Outputs on every document of Σ^N, shape (b^N, N), row d = the base-b digits of d
    (first token most significant). Prefixes are shared (a prefix tree: total work ≈
    b/(b−1)·b^N·τ·|R| instead of N·b^N·τ·|R|), and prefixes whose runs are identical bit for
    bit share one run (:mod:`rnnsim.prefix_tree`; ``dedup=False`` runs every prefix)."""
    if not (isinstance(N, int) and N >= 1):
        raise InputError(f"document length N must be a positive integer, got {N!r}")
    arith = parse_arithmetic(arithmetic)
    check_length(rnn, N)
    b = rnn.alphabet
    total = b ** N
    work = 2 * total * rnn.tau * rnn.size

    def run(eng):
        ex = _executor(rnn, arith, eng, total, work)
        out = np.empty((total, N), dtype=ex.raw_outputs_dtype())
        state = ex.init_state(1)
        idx = np.zeros(1, dtype=np.int64)
        for m in _progress(range(1, N + 1), progress, work, "simulate_all", ex, "token"):
            state, idx, o, _ = advance_level(ex, state, idx, b, (m - 1) * rnn.tau, dedup=dedup)
            out[:, m - 1] = np.repeat(o, b ** (N - m))
        return out

    out = _with_fallback(run, engine)
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


def _with_fallback(run, engine: str):
    """``run(engine)``; under ``"auto"``, a compiled engine that meets a value it cannot
    hold (EngineRangeExceeded) or cannot run here (EngineUnavailable) is replaced by the
    reference, which reruns the job."""
    try:
        return run(engine)
    except (EngineRangeExceeded, EngineUnavailable) as e:
        if engine != "auto":
            raise
        warnings.warn(f"{e}; rerunning on the reference engine", RuntimeWarning, stacklevel=3)
        return run("reference")


def _progress(it: Iterable, progress, work: int, desc: str, ex, unit: str):
    """A tqdm bar when ``progress`` is True, or (None) when the run is expected to take
    more than ~5 s at the executor's rough speed (``Executor.updates_per_second``)."""
    if progress is None:
        progress = work / ex.updates_per_second > 5 and not os.environ.get("RNNSIM_NO_PROGRESS")
    if not progress:
        return it
    from tqdm import tqdm

    return tqdm(it, desc=desc, unit=unit, leave=False)
