"""Theorem 2's bits column for the self-boosting and growth reports (paper: Lemma 12, Claims 9
and 10, Theorem 2; THEORY §5, §9).

Lemma 12 (project form, as the column uses it): every network that ``boost`` or
``boost_simple`` builds runs in a fixed format Fixed(i, f) whose integer bits i come from the
value ranges of Claim 9 and whose fractional bits f are the least with proved output error
≤ δ by the error recursion of Claim 10 — both found by the round-by-round analysis of
:mod:`constructions.lemma12`, without simulation, at a cost that does not grow with N or τ.
:func:`bits_columns` gives, for one network, the chosen i and f, the bit size B = 1 + i + f
(Definition 4) and the analysis time; the start network of a chain (not a boosted one) gets
the core range analysis (:func:`constructions.bitsize.choose_format`).

:func:`selfboost_hook` and :func:`growth_hook` wrap it in the ``hooks=`` interfaces of
:func:`workflows.selfboost.selfboost` (``hook(row, net, q)``) and
:func:`workflows.growth.growth` (``hook(row, net)``); rows without a network (closed-form
rounds) get no bits. ``rnnsim selfboost --bits`` and ``rnnsim growth --bits`` add the column.
"""

from __future__ import annotations

import time
from fractions import Fraction

from constructions import bitsize, records
from rnnsim.registry import realizes

DELTA = Fraction(1, 2 ** 12)
COLUMNS = ("bits i", "bits f", "bits B", "bits s")


@realizes("Lemma 12", "a boosted network's fixed format per round: integer bits by Claim 9's ranges, fractional "
          "bits by Claim 10's error recursion for output error ≤ δ", kind="check")
def bits_columns(net, delta=DELTA) -> dict:
    """{"bits i", "bits f", "bits B", "bits s"} of ``net`` for output error ≤ ``delta``."""
    t0 = time.perf_counter()
    fmt = bitsize.choose_format(net, Fraction(delta)).fixed
    return {"bits i": fmt.int_bits, "bits f": fmt.frac_bits, "bits B": 1 + fmt.int_bits + fmt.frac_bits,
            "bits s": round(time.perf_counter() - t0, 3)}


def is_boosted(net) -> bool:
    return isinstance(records.record_or_none(net), records.Boost)


def selfboost_hook(delta=DELTA):
    """A ``selfboost(..., hooks=[selfboost_hook()])`` hook: the bits of every built round."""
    def hook(row, net, q=None) -> dict:
        return {} if net is None else bits_columns(net, delta)
    return hook


def growth_hook(delta=DELTA):
    """A ``growth(..., hooks=[growth_hook()])`` hook: the bits of every built round."""
    def hook(row, net) -> dict:
        return {} if net is None else bits_columns(net, delta)
    return hook


__all__ = ["bits_columns", "selfboost_hook", "growth_hook", "is_boosted", "COLUMNS", "DELTA"]
