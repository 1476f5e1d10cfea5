"""Token strings and their indices (THEORY §1): the n-th string s_n and the base-b index of a
prefix.

Convention (one for the whole project): a token string z = z_1 … z_m over Σ = {0, …, b−1}
is numbered by its base-b expansion with the first token most significant,
index(z) = Σ_i z_i·b^{m−i}; conversely s_n of length m is the base-b expansion of n,
most significant digit first, so s_n[0] is the first token fed (for b = 2 and length k:
the n-th k-bit string, "increasing order" = n ascending). The same order numbers the rows
of a conditional table (row = index of the prefix), the documents of
:func:`rnnsim.all_documents` (row n = s_n of length N) and the strings an enumeration
network runs through; :func:`by_prefix` reads the value after every prefix of length m off
such an all-documents matrix.
"""

from __future__ import annotations

from typing import Iterable


def prefix_index(tokens: Iterable[int], b: int = 2) -> int:
    """Base-b index of a token string (first token most significant): the n with s_n = tokens."""
    idx = 0
    for t in tokens:
        idx = idx * b + int(t)
    return idx


def nth_string(n: int, length: int, b: int = 2) -> tuple[int, ...]:
    """s_n: the base-b expansion of n with ``length`` digits, most significant first."""
    if not (0 <= n < b ** length):
        raise ValueError(f"string index {n} outside 0 … b^length − 1 = {b ** length - 1}")
    return tuple((n // b ** (length - 1 - i)) % b for i in range(length))


def all_strings(length: int, b: int = 2) -> list[tuple[int, ...]]:
    """s_0, s_1, …, s_{b^length − 1} in increasing order."""
    return [nth_string(n, length, b) for n in range(b ** length)]


def by_prefix(outputs, m: int, b: int = 2):
    """From a matrix over all documents of Σ^N (rows s_0 … s_{b^N−1} as in
    :func:`rnnsim.all_documents`, column m−1 = a value after reading x_≤m, as
    :func:`rnnsim.simulate_all` returns it): the value after every prefix of length m, in
    prefix-index order (b^m entries)."""
    N = outputs.shape[1]
    if not 1 <= m <= N:
        raise ValueError(f"prefix length {m} outside 1 … N = {N}")
    return outputs[:: b ** (N - m), m - 1]


__all__ = ["prefix_index", "nth_string", "all_strings", "by_prefix"]
