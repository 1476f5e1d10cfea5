"""Every network of the shared case table (tests/catalog.py) through every stage check:
its exact definition on every document, engines, save/load, hidden set, claims."""

from __future__ import annotations

import numpy as np
import pytest

import rnnsim
from rnnsim import all_documents, simulate_all
from rnnsim.hidden import check_structural, transplant_test
from rnnsim.program import OPNAMES
from constructions import models
from constructions.records import MODEL_RECORDS, record_of
from tests import definitions
from tests.catalog import CASES, build
from tests.definitions import DistOutputs, LMOutputs
from tests.engine_compare import assert_engine_matches_reference

NAMES = sorted(CASES)


@pytest.mark.parametrize("name", NAMES)
def test_outputs_equal_the_exact_definition_on_every_document(name):
    rnn, case = build(name), CASES[name]
    checks, bad = definitions.check(rnn, case.definition, case.N)
    assert not bad, bad[:3]
    assert checks >= rnn.alphabet ** case.N          # at least one value per document


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].model])
def test_the_recorded_definition_of_a_model_equals_the_catalog_definition(name):
    """models.exact_definition (read from the network's record) agrees with the entry's own
    definition on every prefix / window of length ≤ N."""
    rnn, case = build(name), CASES[name]
    assert isinstance(record_of(rnn), MODEL_RECORDS)
    got, want = models.exact_definition(rnn), case.definition
    for N in range(case.N + 1):
        for x in (rnnsim.all_documents(rnn.alphabet, N) if N else [()]):
            x = tuple(int(t) for t in x)
            if isinstance(want, LMOutputs):
                assert tuple(got(x)) == tuple(want.q(x)), x
            elif N >= want.k:
                assert got(N - want.k + 1, x) == want.d(N - want.k + 1, x), x


@pytest.mark.parametrize("name", NAMES)
def test_numba_float64_matches_reference_on_every_document(name):
    rnn = build(name)
    assert_engine_matches_reference(rnn, CASES[name].N, "float64", "numba")


@pytest.mark.parametrize("name", NAMES)
def test_numba_fixed_is_bit_identical_to_reference(name):
    rnn = build(name)
    N = min(CASES[name].N, 4)
    assert_engine_matches_reference(rnn, N, CASES[name].fixed, "numba")


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip_keeps_structure_and_outputs(name, tmp_path):
    rnn = build(name)
    path = tmp_path / f"{name}.json"
    rnnsim.save(rnn, path)
    back = rnnsim.load(path)
    assert back.nodes == rnn.nodes and back.hidden == rnn.hidden and back.tau == rnn.tau
    assert dict(back.transitions) == dict(rnn.transitions)
    assert dict(back.init) == dict(rnn.init)
    assert (back.role, back.claims, back.boolean_nodes) == (rnn.role, rnn.claims, rnn.boolean_nodes)
    assert back.construction == rnn.construction
    if rnn.construction is not None:
        assert record_of(back) == record_of(rnn)
    N = min(CASES[name].N, 3)
    a = simulate_all(rnn, N, "exact", engine="reference", raw=True)
    b = simulate_all(back, N, "exact", engine="reference", raw=True)
    assert (a == b).all()


@pytest.mark.parametrize("name", NAMES)
def test_declared_hidden_set_passes_structural_and_transplant_checks(name):
    rnn = build(name)
    assert check_structural(rnn) == []
    docs = all_documents(rnn.alphabet, min(CASES[name].N, 3))
    rep = transplant_test(rnn, [tuple(d) for d in docs[:: max(1, len(docs) // 4)]], seed=3)
    assert rep.ok, rep


@pytest.mark.parametrize("name", NAMES)
def test_claims_equal_built_counts_and_only_spec_operations_are_used(name):
    rnn = build(name)
    c = rnn.claims
    if name != "example":       # every builder of the project states its claims
        assert c is not None and all(row.ok for row in c.compare(rnn))
    if c is not None:
        assert c.size == rnn.size
        assert c.hidden_size == rnn.hidden_size
        assert c.tau == rnn.tau
        assert c.depth >= rnn.depth
    assert set(rnn.kind_counts()) <= set(OPNAMES.values()) | {"copy"}
    assert all(isinstance(v, (int, np.integer)) for v in rnn.kind_counts().values())

