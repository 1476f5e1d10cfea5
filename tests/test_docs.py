"""The project's own documentation (docs/THEORY.md, README.md, docs/ARCHITECTURE.md):
every ``THEORY §n`` cited anywhere in the tree names a section that exists, and nothing a
user reads points outside the repository (the theory is stated in docs/THEORY.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
THEORY = ROOT / "docs" / "THEORY.md"
SOURCES = ["rnnsim", "constructions", "proofs_checks", "workflows", "benchmarks", "examples", "tests", "docs"]
CITE = re.compile(r"THEORY §(\d+(?:\.\d+)?)")


def _files():
    out = [ROOT / "README.md"]
    for d in SOURCES:
        if (ROOT / d).is_dir():
            out += [p for p in (ROOT / d).rglob("*") if p.suffix in (".py", ".md", ".toml", ".txt")]
    return out


def theory_sections() -> set[str]:
    heads = set()
    for line in THEORY.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#{2,3} (\d+(?:\.\d+)?)[. ]", line)
        if m:
            heads.add(m.group(1))
    return heads


def test_theory_has_sections_1_to_9_in_order():
    tops = [int(m.group(1)) for m in re.finditer(r"^## (\d+)\. ", THEORY.read_text(encoding="utf-8"), re.M)]
    assert tops == list(range(1, 10))


def test_every_cited_theory_section_exists():
    heads = theory_sections()
    missing = {}
    for p in _files():
        for m in CITE.finditer(p.read_text(encoding="utf-8", errors="replace")):
            if m.group(1) not in heads:
                missing.setdefault(m.group(1), []).append(str(p.relative_to(ROOT)))
    assert not missing, f"THEORY sections cited but not in docs/THEORY.md: {missing}"
    assert len(heads) >= 25


def test_the_citation_scan_sees_citations():
    # guards the test above against a scan that silently finds nothing
    text = (ROOT / "rnnsim" / "hidden.py").read_text(encoding="utf-8")
    assert "2.5" in {m.group(1) for m in CITE.finditer(text)}


@pytest.mark.parametrize("needle", ["../shared", "SPEC.md", "shared/SPEC"])
def test_nothing_users_read_points_outside_the_repository(needle):
    hits = [str(p.relative_to(ROOT)) for p in _files()
            if p.name != "test_docs.py" and needle in p.read_text(encoding="utf-8", errors="replace")]
    assert not hits, f"{needle!r} appears in {hits}"
