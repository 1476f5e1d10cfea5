"""proofs_checks — the exact, enumerative side of the paper (THEORY §3).

Modules: :mod:`textdist` (LMs, text distributions, loss, KL; Lemmas 5, 6),
:mod:`advantage` (next-k-token distinguishers and advantages), :mod:`boost` (Lemmas 1, 2),
:mod:`instances` (random (p, q, d) instances), :mod:`bounds` (Theorem 3, Lemmas 4, 13–16),
:mod:`factoring` (Appendix B). The ``rnnsim check`` runner is the workflow
:mod:`workflows.check_runner`.
Usage: ``from proofs_checks import textdist, advantage, boost as pboost``.
"""

from . import advantage, boost, bounds, factoring, instances, textdist  # noqa: F401

__all__ = ["textdist", "advantage", "boost", "instances", "bounds", "factoring"]
