"""Shipping expected conditionals to verification workers (THEORY §2.6): an exact LM table
pickled compactly.

Statement: ``shippable(expected)`` is ``expected`` with every exact :class:`~proofs_checks.lm.LM`
table (also the base table inside a boosted chain, :class:`~proofs_checks.boost.BoostedLM`)
replaced by an object that pickles as the table's distinct values and small integer indices
and unpickles to an LM equal to the original, row for row (a Markov model's 2^20-row table
is a handful of Fractions). Everything else is returned unchanged.
"""

from __future__ import annotations

import copy

import numpy as np

from proofs_checks import boost as pboost
from proofs_checks.lm import LM

__all__ = ["shippable"]


def _unpack_lm(b: int, uniques: list, index: list) -> LM:
    pool = np.empty(len(uniques), dtype=object)
    pool[:] = uniques
    return LM([pool[ix] for ix in index], b, validate=False)


class _PackedLM:
    """An exact LM table pickled as its distinct values and int32 indices (a Markov model's
    2^20-row table is a handful of Fractions): unpickles to the LM itself."""

    def __init__(self, lm: LM):
        seen: dict = {}
        uniques: list = []
        index = []
        for lv in lm.levels:
            flat = lv.reshape(-1)
            ix = np.empty(flat.size, dtype=np.int32)
            for n, v in enumerate(flat):
                key = (v.numerator, v.denominator)
                i = seen.get(key)
                if i is None:
                    i = seen[key] = len(uniques)
                    uniques.append(v)
                ix[n] = i
            index.append(ix.reshape(lv.shape))
        small = np.uint8 if len(uniques) <= 256 else np.int32
        self.args = (lm.b, uniques, [ix.astype(small) for ix in index])

    def __reduce__(self):
        return _unpack_lm, self.args


def shippable(expected):
    """``expected`` with exact LM tables (also inside boosted chains) packed for pickling."""
    if isinstance(expected, LM) and expected.exact:
        return _PackedLM(expected)
    if isinstance(expected, pboost.BoostedLM):
        out = copy.copy(expected)
        out.q = shippable(expected.q)
        return out
    return expected
