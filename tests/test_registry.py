"""The lemma table (rnnsim/registry.py, workflows/lemmas.py): every statement of the paper has
code (or is marked as being built) and a test marked ``@pytest.mark.lemma(...)``; the index
shipped for installed packages equals the markers; and the registry's own bookkeeping
(decorator, marker scan, table, escaping, --strict) works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rnnsim import cli, registry
from workflows import lemmas

TESTS = Path(__file__).resolve().parent
CANON = {s.id for s in registry.STATEMENTS}


def test_every_registered_lemma_has_a_marked_test():
    missing_modules = lemmas.collect()
    rows = registry.table(TESTS)
    assert rows, "no lemma is registered: the constructions/proofs_checks modules did not register anything"
    untested = [f"{r['lemma']} ({', '.join(r['code'])})" for r in rows if r["status"] == "NO TEST"]
    assert not untested, (
        f"{len(untested)} registered lemma(s) have no test marked @pytest.mark.lemma(...):\n  "
        + "\n  ".join(untested)
        + (f"\n(lemma modules not importable: {', '.join(missing_modules)})" if missing_modules else "")
    )
    assert registry.failures(rows) == {"without code": [], "without a test": []}


def test_every_lemma_module_imports():
    assert lemmas.collect() == [], "a module of the lemma packages does not import"


def test_the_shipped_index_equals_the_test_markers():
    want = registry.index_text(registry.tests_by_lemma(TESTS))
    assert lemmas.INDEX.read_text(encoding="utf-8") == want, (
        "workflows/lemma_tests.json is out of date: run  python -m workflows.lemmas --write-index")
    assert registry.read_index(lemmas.INDEX) == registry.tests_by_lemma(TESTS)


def test_every_marker_and_every_registration_names_a_canonical_statement():
    lemmas.collect()
    unknown_marks = sorted(set(registry.tests_by_lemma(TESTS)) - CANON)
    unknown_code = sorted({e.lemma for e in registry.entries()} - CANON)
    assert unknown_marks == [] and unknown_code == []


def test_the_canonical_list_holds_the_paper_statements():
    want = ({f"Theorem {i}" for i in (1, 2, 3)} | {f"Lemma {i}" for i in range(1, 19)}
            | {f"Claim {i}" for i in range(1, 12)} | {"Algorithm 1", "Algorithm 2"})
    assert want <= CANON
    assert len({s.id for s in registry.STATEMENTS}) == len(registry.STATEMENTS)   # no duplicates


def test_a_pending_mark_is_removed_when_code_lands():
    lemmas.collect()
    registered = {e.lemma for e in registry.entries()}
    stale = [s.id for s in registry.STATEMENTS if s.pending and s.id in registered]
    assert not stale, f"code now realizes {stale}: remove their pending= mark in rnnsim/registry.py"
    rows = {r["lemma"]: r for r in registry.table(lemmas.index())}
    for sid in [s.id for s in registry.STATEMENTS if s.pending]:
        assert rows[sid]["status"].startswith("no code yet (issue"), sid


def test_lemmas_strict_passes_from_outside_the_source_tree(tmp_path):
    """What an installed rnnsim prints: the shipped index, no tests directory needed."""
    import os

    env = dict(os.environ, PYTHONPATH=str(TESTS.parent))
    r = subprocess.run([sys.executable, "-m", "rnnsim.cli", "lemmas", "--strict"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    assert "| Lemma 11 |" in r.stdout and "NO TEST" not in r.stdout and "NO CODE" not in r.stdout


@pytest.fixture
def fresh(monkeypatch):
    table: dict = {}
    monkeypatch.setattr(registry, "_TABLE", table)
    monkeypatch.setattr(registry, "STATEMENTS", ())
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


def test_table_statuses_and_strict_failures(fresh, monkeypatch):
    monkeypatch.setattr(registry, "STATEMENTS", (
        registry.Statement("Lemma 1", "has code and a test"),
        registry.Statement("Lemma 2", "has code, no test"),
        registry.Statement("Lemma 3", "no code"),
        registry.Statement("Theorem 1", "being built", pending="issue 11"),
        registry.Statement("Theorem 2", "built while still marked pending", pending="issue 12"),
    ))

    @registry.realizes("Theorem 2", "z")
    def t2():
        pass

    @registry.realizes("Lemma 1", "x")
    def a():
        pass

    @registry.realizes("Lemma 2", "y")
    def b():
        pass

    rows = registry.table({"Lemma 1": ["t.py"], "Lemma 3": ["u.py"]})
    assert [r["code"] for r in rows][-1] == [f"{t2.__module__}.{t2.__qualname__}"]
    assert [(r["lemma"], r["status"]) for r in rows] == [
        ("Lemma 1", "tested"), ("Lemma 2", "NO TEST"), ("Lemma 3", "NO CODE"), ("Theorem 1", "no code yet (issue 11)"),
        ("Theorem 2", "NO TEST")]                      # code shows even while the pending mark is stale
    assert registry.failures(rows) == {"without code": ["Lemma 3"], "without a test": ["Lemma 2", "Theorem 2"]}


def test_strict_cli_fails_on_a_statement_without_code(fresh, monkeypatch, capsys):
    monkeypatch.setattr(registry, "STATEMENTS", (registry.Statement("Lemma 5", "no code anywhere"),))
    monkeypatch.setattr(cli, "_collect_lemmas", lambda: ([], {"Lemma 5": ["test_x.py"]}))
    assert cli.main(["lemmas"]) == 0
    assert cli.main(["lemmas", "--strict"]) == 1
    assert "1 statement(s) without code: Lemma 5" in capsys.readouterr().err
    monkeypatch.setattr(cli, "_collect_lemmas", lambda: (["constructions.x: ImportError: no"], {"Lemma 5": ["t"]}))

    @registry.realizes("Lemma 5", "now there is code")
    def c():
        pass

    assert cli.main(["lemmas", "--strict"]) == 1          # a module that does not import fails --strict
    assert "could not be imported: constructions.x" in capsys.readouterr().err


def test_pipes_in_cells_are_escaped_so_rows_keep_five_columns(fresh, monkeypatch):
    monkeypatch.setattr(registry, "STATEMENTS", (registry.Statement("Lemma 14", "|ã/b̃ − a/b| ≤ 2δ/(μ−δ) \\ end"),))
    text = registry.format_table(registry.table({"Lemma 14": ["a|b.py"]}))
    row = text.splitlines()[2]
    import re
    assert len(re.findall(r"(?<!\\)\|", row.replace("\\\\", ""))) == 6
    assert "\\|ã/b̃ − a/b\\|" in row and "a\\|b.py" in row


def test_marker_scan_skips_unreadable_and_non_utf8_files(tmp_path):
    """Found by the CLI fuzzer: ``rnnsim lemmas --tests /`` met a non-UTF-8 file."""
    import os

    (tmp_path / "test_bin.py").write_bytes(b"\xff\xfe\x00@pytest.mark.lemma('x')\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "test_ok.py").write_text('@pytest.mark.lemma("Lemma 2")\ndef test_a(): pass\n')
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "test_hidden.py").write_text('@pytest.mark.lemma("Lemma 3")\n')
    os.chmod(locked, 0)
    try:
        found = registry.tests_by_lemma(tmp_path)
    finally:
        os.chmod(locked, 0o700)
    assert found["Lemma 2"] == ["sub/test_ok.py"]
    assert set(found) <= {"Lemma 2", "Lemma 3"}       # root may still read the locked directory


def test_marker_scan_reads_a_pytestmark_list(tmp_path):
    (tmp_path / "test_slow.py").write_text(
        "import pytest\npytestmark = [pytest.mark.slow, pytest.mark.lemma('§2.4 arithmetic', 'Lemma 9')]\n")
    assert registry.tests_by_lemma(tmp_path) == {"§2.4 arithmetic": ["test_slow.py"], "Lemma 9": ["test_slow.py"]}


def test_collect_skips_a_module_that_needs_a_missing_optional_dependency(tmp_path, monkeypatch):
    # an installed package without the test extra has no hypothesis: the property-testing
    # helpers are skipped (named), while a module with a genuinely broken import still fails
    pkg = tmp_path / "optpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "needs_extra.py").write_text("import no_such_extra_dependency_xyz\n")
    (pkg / "broken.py").write_text("import no_such_core_dependency_xyz\n")
    (pkg / "fine.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    skipped: list[str] = []
    failed = registry.collect(["optpkg"], optional=["no_such_extra_dependency_xyz"], skipped=skipped)
    assert skipped == ["optpkg.needs_extra (needs no_such_extra_dependency_xyz)"]
    assert failed == ["optpkg.broken: ModuleNotFoundError: No module named 'no_such_core_dependency_xyz'"]
    # without the optional list the same module is a failure
    assert len(registry.collect(["optpkg"])) == 2
