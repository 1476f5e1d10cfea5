"""Bit size (paper: Definition 4, Lemma 12, Theorem 2; THEORY §5): the relational facts of a
boosted network. The range analysis is tested in tests/rnnsim/test_analysis.py; the format
choice and the checks (a)–(d), which simulate, in tests/workflows/test_bits.py."""

from __future__ import annotations

from fractions import Fraction

import pytest

from constructions import bitsize, models

pytestmark = pytest.mark.lemma("Lemma 12")


def test_assumptions_are_rejected_for_networks_not_built_by_boost():
    with pytest.raises(ValueError, match="boosting.boost"):
        bitsize.boosted_assumptions(models.uniform_lm(), Fraction(1, 2))
