"""Training on the universal graph (workflows.training; paper: Section 3, Algorithm 1): the
normalised loss of a constant network and a random search that never increases the loss."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsim import all_documents
from workflows.training import fit_random_search, normalized_loss

pytestmark = pytest.mark.lemma("§4.8 universal graph")


def test_normalized_loss_of_a_constant_network_is_log_2():
    N = 4
    p = np.full(2 ** N, 1 / 2 ** N)
    assert normalized_loss(np.full((2 ** N, N), 0.37), p) == pytest.approx(np.log(2), abs=1e-12)


def test_random_search_over_a_two_hidden_node_class_does_not_increase_the_loss():
    # target: an order-1 Markov chain that repeats the previous token w.p. 0.9
    N = 5
    docs = all_documents(2, N)
    p = np.ones(len(docs))
    for m in range(N):
        prev = docs[:, m - 1] if m else np.zeros(len(docs), dtype=int)
        p *= np.where(docs[:, m] == prev, 0.9, 0.1) if m else 0.5
    theta, hist = fit_random_search(4, 2, 1, p, N, iters=150, seed=1)
    assert all(b <= a for a, b in zip(hist, hist[1:]))
    assert hist[-1] < hist[0]
    # the entropy rate is a floor for every model's loss
    H = -(p * np.log(p)).sum() / N
    assert hist[-1] >= H - 1e-12
