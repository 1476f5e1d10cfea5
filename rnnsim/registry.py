"""The lemma registry: which code realizes or checks which statement of the paper.

Builders (in ``constructions/``) and checks (in ``proofs_checks/``) declare the lemma or
claim they realize with the :func:`realizes` decorator; tests declare what they test with
the pytest marker ``@pytest.mark.lemma("Lemma 11")``. ``rnnsim lemmas`` prints the
paper-to-code table (lemma → statement → code → tests), and a test fails when a registered
lemma has no test. The core holds the table only; it never imports a lemma module (the CLI
imports :data:`LEMMA_MODULES` to fill it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# modules whose import registers every lemma (imported by the CLI and the registry test)
LEMMA_MODULES = (
    "constructions.gadgets", "constructions.gating", "constructions.counters",
    "constructions.enumeration", "constructions.components", "constructions.boosting",
    "constructions.bitsize", "constructions.models", "constructions.universal",
    "proofs_checks.textdist", "proofs_checks.advantage", "proofs_checks.boost",
    "proofs_checks.bounds", "proofs_checks.factoring", "workflows.bits",
    "constructions.templates", "constructions.size_classes", "constructions.universal_elementary",
    "constructions.markov_family", "constructions.relu_rnn", "workflows.size_classes",
    "workflows.exact_family", "workflows.chain", "workflows.algorithm1", "workflows.trained",
    "constructions.lemma12", "constructions.claims9_11", "workflows.theorem2",
)


@dataclass
class Entry:
    lemma: str                       # "Lemma 11", "Claim 3", "Theorem 3", "THEORY 4.7"
    statement: str                   # one line
    bound: str | None = None         # the bound it states, if any
    code: list[str] = field(default_factory=list)   # "module.function"
    kind: set[str] = field(default_factory=set)     # {"construction", "check"}


_TABLE: dict[str, Entry] = {}


def realizes(lemma: str, statement: str, *, bound: str | None = None, kind: str = "construction"):
    """Decorator: the decorated function realizes (kind="construction") or checks
    (kind="check") ``lemma``. The first registration's statement is kept; later ones add code."""

    def deco(fn):
        e = _TABLE.get(lemma)
        if e is None:
            e = _TABLE[lemma] = Entry(lemma, statement, bound)
        if e.bound is None and bound is not None:
            e.bound = bound
        e.code.append(f"{fn.__module__}.{fn.__qualname__}")
        e.kind.add(kind)
        fn.__lemma__ = lemma
        return fn

    return deco


def entries() -> list[Entry]:
    return sorted(_TABLE.values(), key=lambda e: _sort_key(e.lemma))


def load_all() -> list[str]:
    """Import every lemma module that exists; return those that could not be imported."""
    import importlib

    missing = []
    for m in LEMMA_MODULES:
        try:
            importlib.import_module(m)
        except ModuleNotFoundError:
            missing.append(m)
    return missing


_MARK = re.compile(r"""mark\.lemma\(\s*((?:["'][^"']+["']\s*,?\s*)+)\)""")


def tests_by_lemma(tests_dir: str | Path) -> dict[str, list[str]]:
    """Scan test files for ``@pytest.mark.lemma("…")`` markers → lemma → test files."""
    out: dict[str, list[str]] = {}
    for path in sorted(Path(tests_dir).rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        for m in _MARK.finditer(text):
            for lem in re.findall(r"""["']([^"']+)["']""", m.group(1)):
                files = out.setdefault(lem, [])
                if path.name not in files:
                    files.append(path.name)
    return out


def table(tests_dir: str | Path | None = None) -> list[dict]:
    tests = tests_by_lemma(tests_dir) if tests_dir else {}
    rows = []
    for e in entries():
        t = tests.get(e.lemma, [])
        rows.append({
            "lemma": e.lemma, "statement": e.statement, "bound": e.bound or "",
            "code": e.code, "tests": t, "status": "tested" if t else "NO TEST",
        })
    return rows


def format_table(rows: list[dict]) -> str:
    lines = ["| lemma | statement | code | tests | status |", "|---|---|---|---|---|"]
    for r in rows:
        code = "<br>".join(r["code"])
        lines.append(f"| {r['lemma']} | {r['statement']} | {code} | {', '.join(r['tests'])} | {r['status']} |")
    return "\n".join(lines)


def _sort_key(lemma: str):
    m = re.match(r"([A-Za-z]+)\s*([\d.]+)?", lemma)
    if not m:
        return (lemma, ())
    nums = tuple(int(x) for x in (m.group(2) or "").split(".") if x)
    return (m.group(1), nums)
