"""Every network of the shared case table (tests/catalog.py) through every stage check."""

from __future__ import annotations

import numpy as np
import pytest

import rnnsim
from rnnsim import all_documents, simulate_all
from rnnsim.hidden import check_structural, transplant_test
from rnnsim.program import OPNAMES
from tests.catalog import CASES, build
from tests.engine_compare import assert_engine_matches_reference

NAMES = sorted(CASES)


@pytest.mark.parametrize("name", NAMES)
def test_numba_float64_matches_reference_on_every_document(name):
    rnn = build(name)
    assert_engine_matches_reference(rnn, CASES[name][1], "float64", "numba")


@pytest.mark.parametrize("name", NAMES)
def test_numba_fixed_is_bit_identical_to_reference(name):
    rnn = build(name)
    N = min(CASES[name][1], 4)
    assert_engine_matches_reference(rnn, N, CASES[name][2], "numba")


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip_keeps_structure_and_outputs(name, tmp_path):
    rnn = build(name)
    path = tmp_path / f"{name}.json"
    rnnsim.save(rnn, path)
    back = rnnsim.load(path)
    assert back.nodes == rnn.nodes and back.hidden == rnn.hidden and back.tau == rnn.tau
    assert dict(back.transitions) == dict(rnn.transitions)
    assert dict(back.init) == dict(rnn.init)
    N = min(CASES[name][1], 3)
    a = simulate_all(rnn, N, "exact", engine="reference", raw=True)
    b = simulate_all(back, N, "exact", engine="reference", raw=True)
    assert (a == b).all()


@pytest.mark.parametrize("name", NAMES)
def test_declared_hidden_set_passes_structural_and_transplant_checks(name):
    rnn = build(name)
    assert check_structural(rnn) == []
    docs = all_documents(rnn.alphabet, min(CASES[name][1], 3))
    rep = transplant_test(rnn, [tuple(d) for d in docs[:: max(1, len(docs) // 4)]], seed=3)
    assert rep.ok, rep


@pytest.mark.parametrize("name", NAMES)
def test_claims_equal_built_counts_and_only_spec_operations_are_used(name):
    rnn = build(name)
    c = rnn.claims
    if c is not None:
        assert c.size == rnn.size
        assert c.hidden_size == rnn.hidden_size
        assert c.tau == rnn.tau
        assert c.depth >= rnn.depth
    assert set(rnn.kind_counts()) <= set(OPNAMES.values()) | {"copy"}
    assert all(isinstance(v, (int, np.integer)) for v in rnn.kind_counts().values())

