"""Workflow: training on the universal graph — Algorithm 1's inner step on a toy class (paper:
Section 3, Algorithm 1; THEORY §4.8, §9).

Algorithm 1 minimises the next-token loss over the class C(s, h, τ) of RNNs of size s,
hidden size h and RNN-time τ; by the universal-graph claim (:mod:`constructions.universal`)
that is a minimisation over the weights θ of G(s, h, τ). :func:`normalized_loss` is the
loss L_p(q) of the LM read off a network's outputs on every document (normalised over the
sibling token, so an unnormalised network cannot cheat), and :func:`fit_random_search` is
a (1+1) random search over θ that never increases it — a gradient-free minimiser for toy
sizes, evaluated with the class semantics :func:`constructions.universal.forward` on all
documents.
"""

from __future__ import annotations

import numpy as np

from constructions.universal import forward, random_weights
from rnnsim import all_documents


def normalized_loss(outputs: np.ndarray, p: np.ndarray, *, floor: float = 1e-12) -> float:
    """Next-token loss L_p(q) of the LM read off an LM RNN run on *every* binary document
    of length N (``outputs`` of shape (2^N, N) in :func:`rnnsim.all_documents` order, ``p``
    the 2^N document probabilities): F(x_≤m) is the output after x_m, normalised over the
    sibling token, q(x_m | x_<m) = F(x_≤m) / (F(x_<m 0) + F(x_<m 1)), so an unnormalised
    network cannot cheat. Values below ``floor`` are floored (a training surrogate)."""
    F = np.maximum(np.asarray(outputs, dtype=np.float64), floor)
    D, N = F.shape
    idx = np.arange(D)
    sib = np.stack([idx ^ (1 << (N - 1 - m)) for m in range(N)], axis=1)
    q = F / (F + F[sib, np.arange(N)[None, :]])
    return float(-(np.asarray(p, dtype=np.float64)[:, None] * np.log(q)).sum() / N)


def fit_random_search(size: int, hidden: int, time: int, p: np.ndarray, N: int, *,
                      iters: int = 300, seed=None, step: float = 0.3) -> tuple[np.ndarray, list[float]]:
    """(1+1) random search over θ of G(size, hidden, time) minimising
    :func:`normalized_loss` on the distribution ``p`` over Σ^N (binary), evaluated with
    :func:`forward` on all documents. Returns the best θ and the loss history
    (non-increasing by construction)."""
    docs = all_documents(2, N)
    rng = np.random.default_rng(seed)
    theta = random_weights(size, hidden, time, seed=int(rng.integers(1 << 30)), scale=0.5)

    def loss(th):
        return normalized_loss(forward(size, hidden, time, th, docs), p)

    best = loss(theta)
    hist = [best]
    for _ in range(iters):
        cand = theta + rng.normal(0, step, theta.shape)
        val = loss(cand)
        if val <= best:
            theta, best = cand, val
        hist.append(best)
    return theta, hist


__all__ = ["normalized_loss", "fit_random_search"]
