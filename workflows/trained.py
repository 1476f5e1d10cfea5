"""Workflow: trained models in, exact measurements out (paper: Definition 3, Theorem 1's
measure of indistinguishability; THEORY §2.6, §3).

A trained model — a PyTorch ReLU RNN with a probability readout
(:func:`constructions.relu_rnn.from_state_dict`) or the weights of a universal graph
(:func:`constructions.universal_elementary.universal_elementary`) — becomes an explicit rnnsim
network. :func:`check_lm_outputs` runs it on every document of Σ^N (exact arithmetic by
default) and refuses it with :class:`ReadoutError` (naming the document, the position and the
value) when an output leaves [0, 1] or the two next-token probabilities after some prefix do
not sum to 1 — a network that is not an LM cannot have a loss. :func:`measure` then computes
exactly its LM table, its next-token loss L_p(q), KL(p‖q), the entropy floor H(p)/N, and the
advantage of every member of a distinguisher class (:mod:`workflows.classes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from proofs_checks.lm import LM, as_distribution
from proofs_checks.textdist import entropy, kl, next_token_loss
from rnnsim import simulate_all
from rnnsim.arith import Exact, parse_arithmetic
from rnnsim.engines.base import raw_to_float
from rnnsim.errors import NotALanguageModel
from rnnsim.registry import realizes
from rnnsim.roles import require_lm
from rnnsim.strings import by_prefix, nth_string

from .classes import ClassAdvantages, as_class


class ReadoutError(NotALanguageModel):
    """A trained network's readout is not a probability (outside [0, 1], or not normalized)."""


def check_lm_outputs(net, N: int, *, arithmetic="exact", engine: str = "reference", tol: float = 1e-9) -> LM:
    """The LM ``net`` computes on Σ^N, after checking every output is a probability and the
    next-token probabilities sum to 1 after every prefix (exactly in exact arithmetic).
    Raises :class:`ReadoutError` otherwise."""
    require_lm(net, "check_lm_outputs", what="the trained network")
    arith = parse_arithmetic(arithmetic)
    exact = isinstance(arith, Exact)
    out = simulate_all(net, N, arith, engine, raw=exact)
    vals = out if exact else raw_to_float(out, arith)
    lo, hi = (0, 1) if exact else (-tol, 1 + tol)
    bad = np.argwhere((vals < lo) | (vals > hi)) if not exact else np.argwhere(
        np.vectorize(lambda v: v < 0 or v > 1, otypes=[bool])(vals))
    if len(bad):
        d, m = (int(v) for v in bad[0])
        doc = "".join(map(str, nth_string(d, N, net.alphabet)))
        raise ReadoutError(
            f"network {net.name!r}: its output after {doc[:m + 1]} (token {m + 1} of document {doc}) is "
            f"{float(vals[d, m]):.6g}, outside [0, 1]: the readout is not a probability (a linear readout left "
            "[0, 1] on this prefix; train with a ratio readout or clamp the model before importing it)")
    b = net.alphabet
    for m in range(1, N + 1):
        col = by_prefix(vals, m, b).reshape(-1, b)
        sums = col.sum(axis=1) if not exact else np.array([sum(r) for r in col], dtype=object)
        for P, s in enumerate(sums):
            if (s != 1) if exact else abs(float(s) - 1) > tol:
                pre = "".join(map(str, nth_string(P, m - 1, b))) if m > 1 else "(empty)"
                raise ReadoutError(f"network {net.name!r}: next-token probabilities after prefix {pre} sum to "
                                   f"{float(s):.6g}, not 1")
    return LM.from_outputs(vals, b, tol=None if exact else tol)


@dataclass
class Measurement:
    """Exact measurements of one LM network against p and a distinguisher class."""

    network: str
    size: int
    hidden_size: int
    tau: int
    depth: int
    loss: float
    kl: float
    entropy_rate: float
    advantages: ClassAdvantages
    lm: LM

    @property
    def max_abs_alpha(self) -> float:
        return float(self.advantages.max_abs)

    def markdown(self) -> str:
        lines = ["| quantity | value |", "|---|---|",
                 f"| network | {self.network} (size {self.size}, hidden {self.hidden_size}, τ {self.tau}, "
                 f"depth {self.depth}) |",
                 f"| next-token loss L_p(q) | {self.loss:.6f} |", f"| KL(p‖q) | {self.kl:.6f} |",
                 f"| entropy rate H(p)/N (floor of every loss) | {self.entropy_rate:.6f} |",
                 f"| largest advantage over the class (best: {self.advantages.best_label}) | {self.max_abs_alpha:.6f} |"]
        return "\n".join(lines) + "\n\n" + str(self.advantages)


@realizes("Theorem 1", "a trained model's loss, KL and the advantage of every member of a distinguisher class, "
          "computed exactly from its network", kind="check")
def measure(net, p, dclass="patterns", *, k: int, arithmetic="exact", engine: str = "reference") -> Measurement:
    """Exact loss, KL, entropy floor and advantage table of the LM network ``net`` on p, for
    the distinguisher class ``dclass`` (a class, a class name or a list: :func:`as_class`)."""
    p = as_distribution(p)
    q = check_lm_outputs(net, p.N, arithmetic=arithmetic, engine=engine)
    table = as_class(dclass, k, who="measure").advantages(p, q)
    return Measurement(net.name, net.size, net.hidden_size, net.tau, net.depth, next_token_loss(p, q), kl(p, q),
                       entropy(p) / p.N, table, q)


__all__ = ["ReadoutError", "check_lm_outputs", "Measurement", "measure"]
