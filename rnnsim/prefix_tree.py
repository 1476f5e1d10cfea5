"""The prefix tree of documents, with each distinct run state run once (THEORY §2.6: an LM RNN
is checked on every document of Σ^N; here is how the runs are laid out).

Statement. The outputs after x_{≤m} are those of every document that begins with x_{≤m}, so
level m of the tree holds one run per prefix of length m, each forked into b children for
the next token. An RNN's transition is a function of (node values, token) alone — the time
enters only the error messages, and runs with identical values fail at the same time at the
same node — so two prefixes whose runs hold values identical *bit for bit* have identical
outputs and runs under every continuation. :func:`advance_level` therefore keeps only the
distinct runs (``Executor.run_keys`` decides identity) and, per prefix, the index of its run.
The distinct runs keep the order of their first prefix, so of the runs that fail during a
level the first one is the first document's, as when every prefix runs. Networks whose state
depends on a bounded suffix of the prefix (Markov models and what boosting builds from them
with window-k distinguishers) run about b·(number of states) runs per level instead of b^m.
"""

from __future__ import annotations

import numpy as np

__all__ = ["distinct_runs", "advance_level"]


def distinct_runs(keys) -> tuple[list, np.ndarray]:
    """(the row of the first run of each distinct key, in order of first occurrence; for every
    run the index of its distinct run). ``keys``: hashables, or a NumPy array of void keys."""
    if isinstance(keys, np.ndarray) and keys.dtype.kind == "V":
        _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")             # distinct runs by first occurrence
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return first[order].tolist(), rank[inv.reshape(-1)]
    seen: dict = {}
    rows: list = []
    inv = np.empty(len(keys), dtype=np.int64)
    for i, key in enumerate(keys):
        j = seen.get(key)
        if j is None:
            j = seen[key] = len(rows)
            rows.append(i)
        inv[i] = j
    return rows, inv


def advance_level(ex, state, idx: np.ndarray, b: int, t0: int, *, dedup: bool = True):
    """One level of the tree on executor ``ex``. ``state`` holds the distinct runs after the
    previous level and ``idx[p]`` the run of its p-th prefix; every run forks into b children
    (token a = 0 … b−1) and runs one token from time ``t0``.

    Returns ``(state, idx, outputs, runs)``: the distinct runs after this level, the run of
    each of its prefixes (prefix p·b + a), the output of each prefix, and the number of runs
    advanced. With ``dedup=False`` every prefix keeps its own run."""
    n_runs = len(state) if isinstance(state, list) else state.shape[-1]
    state = ex.take(state, np.repeat(np.arange(n_runs), b))
    state, o = ex.advance(state, np.tile(np.arange(b, dtype=np.int64), n_runs), t0)
    child = (np.asarray(idx, dtype=np.int64)[:, None] * b + np.arange(b)).reshape(-1)
    out = o[child]
    if not dedup:
        return state, child, out, n_runs * b
    rows, inv = distinct_runs(ex.run_keys(state))
    if len(rows) < n_runs * b:
        state = ex.take(state, np.asarray(rows, dtype=np.int64))
    return state, inv[child], out, n_runs * b
