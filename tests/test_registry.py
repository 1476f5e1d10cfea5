"""The lemma registry (rnnsim/registry.py): every lemma that a builder or check registers
with ``@realizes`` has at least one test marked ``@pytest.mark.lemma(...)``; and the
registry's own bookkeeping (decorator, marker scan, table) works."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnsim import registry

TESTS = Path(__file__).resolve().parent


def test_every_registered_lemma_has_a_marked_test():
    missing_modules = registry.load_all()
    rows = registry.table(TESTS)
    assert rows, "no lemma is registered: the constructions/proofs_checks modules did not register anything"
    untested = [f"{r['lemma']} ({', '.join(r['code'])})" for r in rows if r["status"] == "NO TEST"]
    assert not untested, (
        f"{len(untested)} registered lemma(s) have no test marked @pytest.mark.lemma(...):\n  "
        + "\n  ".join(untested)
        + (f"\n(lemma modules not importable: {', '.join(missing_modules)})" if missing_modules else "")
    )


def test_every_lemma_module_imports():
    assert registry.load_all() == [], "LEMMA_MODULES lists modules that do not exist"


@pytest.fixture
def fresh(monkeypatch):
    table: dict = {}
    monkeypatch.setattr(registry, "_TABLE", table)
    return table


def test_realizes_records_code_kind_and_keeps_the_first_statement(fresh):
    @registry.realizes("Lemma 7", "U computes q(s_n | x_<j)", bound="|S| ≤ |R| + c")
    def build_u():
        return 1

    @registry.realizes("Lemma 7", "another wording", kind="check")
    def check_u():
        return 2

    assert build_u() == 1 and build_u.__lemma__ == "Lemma 7"
    (e,) = registry.entries()
    assert e.statement == "U computes q(s_n | x_<j)" and e.bound == "|S| ≤ |R| + c"
    assert e.kind == {"construction", "check"}
    assert [c.rsplit(".", 1)[-1] for c in e.code] == ["build_u", "check_u"]


def test_marker_scan_and_table(fresh, tmp_path):
    @registry.realizes("Claim 2", "counters")
    def a():
        pass

    @registry.realizes("Lemma 11", "enumeration")
    def b():
        pass

    @registry.realizes("Lemma 3", "boost")
    def c():
        pass

    (tmp_path / "test_one.py").write_text(
        'import pytest\n@pytest.mark.lemma("Lemma 11", "Claim 2")\ndef test_a(): pass\n'
        "pytestmark = pytest.mark.lemma('Lemma 3')\n"
    )
    (tmp_path / "helper.py").write_text('@pytest.mark.lemma("Lemma 99")\n')  # not a test file
    found = registry.tests_by_lemma(tmp_path)
    assert found == {"Lemma 11": ["test_one.py"], "Claim 2": ["test_one.py"], "Lemma 3": ["test_one.py"]}
    rows = registry.table(tmp_path)
    assert [r["lemma"] for r in rows] == ["Claim 2", "Lemma 3", "Lemma 11"]  # numeric order
    assert all(r["status"] == "tested" for r in rows)
    text = registry.format_table(rows)
    assert text.splitlines()[0] == "| lemma | statement | code | tests | status |"
    assert "| Lemma 11 | enumeration |" in text
    assert registry.table(None)[0]["status"] == "NO TEST"
