"""The lemma table: which code realizes, and which tests check, each statement of the paper.

:data:`STATEMENTS` is the canonical list of the paper's statements (and of the project's own
THEORY sections that have code), each with a one-line project form. Builders and checks
declare the statement they realize with the :func:`realizes` decorator; tests declare what
they check with the pytest marker ``@pytest.mark.lemma("Lemma 11")``. ``rnnsim lemmas``
prints the table statement → code → tests, and ``--strict`` fails when a statement has no
code or no test.

The core holds the table only and never imports a lemma module: the application layer
fills it with :func:`collect`, naming the packages to walk (``workflows/lemmas.py``). The
statement → tests index is generated from the test markers (:func:`tests_by_lemma`) and
shipped with the package (:func:`read_index`), so an installed rnnsim, which has no tests
directory, prints the same table.

A statement whose code is being written elsewhere carries ``pending`` (the issue that
builds it): it shows as "no code yet" instead of failing ``--strict``, and a test fails as
soon as code registers for it while the mark is still there.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping


@dataclass(frozen=True)
class Statement:
    id: str                          # "Lemma 11", "Claim 3", "Theorem 1", "§4.7 models"
    text: str                        # one line, the project form (docs/THEORY.md)
    pending: str | None = None       # "issue 12": code not written yet


_S = Statement
STATEMENTS: tuple[Statement, ...] = (
    _S("Definition 3", "RNN: nodes, input nodes, output node, hidden set, transition functions, initial values, τ steps per token"),
    _S("Definition 4", "bit size B = 1 + integer bits + fractional bits; values truncated toward zero to the 2^−f grid"),
    _S("Theorem 1", "minimizing next-token loss over two consecutive model sizes gives, with probability ≥ 0.9, an LM "
                    "ε-indistinguishable by every next-k-token RNN distinguisher of bounded size and time"),
    _S("Theorem 2", "Theorem 1 with bounded bit size (Algorithm 2); the bits do not depend on N"),
    _S("Theorem 3", "|α| ≤ sqrt(k·KL(p‖q)/(2M))"),
    _S("Lemma 1", "reweighting q by e^{−η·d} on the blocks of one offset r lowers KL(p‖·) by ≥ η·S_r − (η−1+e^{−η})·n_r; "
                  "with η = α and the best r by ≥ α²M/(2k)"),
    _S("Lemma 2", "the boosted model's next-token conditional is Σ u·v·1_num / Σ u·v·1_den over the k-token continuations"),
    _S("Lemma 3", "an LM RNN and a distinguisher RNN with advantage α give a boosted LM RNN with hidden size "
                  "|H_R| + |H_D| + O(k) and loss lower by g(α)"),
    _S("Lemma 4", "self-boosting: over nested classes every loss minimizer is ε-indistinguishable except at "
                  "≤ L*_0/g(ε) indices m"),
    _S("Lemma 5", "N·L_p(q) = −E_p log q(x)"),
    _S("Lemma 6", "N·L_p(q) = H(p) + KL(p‖q)"),
    _S("Lemma 7", "component U: q(s_n | x_{<j}) for every k-token continuation s_n, on the shared schedule"),
    _S("Lemma 8", "component V: e^{−η·d(j, x_{<j}·s_n)} for every continuation s_n"),
    _S("Lemma 9", "indicators 1[s_n[0..ℓ] = x_{j..i}] and 1[s_n[0..ℓ−1] = x_{j..i−1}]"),
    _S("Lemma 10", "gated LOAD / RUN / HOLD updates driven by one-hot control nodes; size |R| + |control|"),
    _S("Lemma 11", "synchronized enumeration: R's output on x_{<j}·s_n[0..m] at documented times t(i, n, m); "
                   "hidden size |H| + 2k + 15"),
    _S("Lemma 12", "the boosted LM RNN in a fixed format: bits independent of N, output within δ, loss within the "
                   "Lemma 16 bound"),
    _S("Lemma 13", "a_i, b_i ∈ [0, 1], |a_i − b_i| ≤ δ ⇒ |Π a_i − Π b_i| ≤ m·δ"),
    _S("Lemma 14", "0 ≤ a ≤ b, b ≥ μ > δ, |ã − a|, |b̃ − b| ≤ δ ⇒ |ã/b̃ − a/b| ≤ 2δ/(μ − δ)"),
    _S("Lemma 15", "q ≥ μ ⇒ the boosted q' ≥ μ·e^{−η}"),
    _S("Lemma 16", "q' ≥ μ, |q̃ − q'| ≤ δ < μ ⇒ L_p(q̃) − L_p(q') ≤ −log(1 − δ/μ)"),
    _S("Lemma 17", "|A_j| ≤ E_p TV of the next-k-token conditionals ≤ sqrt(K_j/2) (Pinsker, then Jensen)"),
    _S("Lemma 18", "gadgets in constant depth: ge, le, eq, ite, AND/OR/NOT, counter increment, exp on binary input"),
    _S("Claim 1", "counter nodes: loop step, anchor offset, digit-slot step, digit index, position"),
    _S("Claim 2", "input storage X holds the tokens since the anchor"),
    _S("Claim 3", "enumerator E feeds the digits of every k-bit string s_n in increasing order"),
    _S("Claim 4", "H1 holds R's hidden state after the prefix x_{<j}"),
    _S("Claim 5", "H2 restarts from H1 for each string and runs on its digits"),
    _S("Claim 6", "O computes R's output from H2"),
    _S("Claim 7", "before the offset (i < r) the enumeration mirrors R"),
    _S("Claim 8", "|H_S| = |H| + 2k + 15, |S| = |R| − |I_R| + 1 + |H| + 2k + 15, τ_S = (2^k+1)·k·P"),
    _S("Claim 9", "integer bits of the boosted network from value ranges (counters by modulus, accumulators ≤ 1)"),
    _S("Claim 10", "fractional bits log₂(1/δ) + k + log₂ k + log₂(1/m) + O(1) keep the output error ≤ δ"),
    _S("Claim 11", "the bit-bounded class sequence meets Lemma 12's hypotheses at every step"),
    _S("Algorithm 1", "draw m_0 ≤ ⌈10·log b/g(ε)⌉, minimize the loss over C_{m_0} and C_{m_0+1}; stop when the gain "
                      "≤ g(ε)"),
    _S("Algorithm 2", "Algorithm 1 over classes of bounded bit size"),
    _S("Section 2.1", "the simple construction: full memory and working copies of R and D; size doubles per round"),
    _S("Appendix B", "factorization documents: easy to sample, hard to complete; a verifier is a distinguisher"),
    _S("§2.4 arithmetic", "exact, float64 and fixed-point arithmetic; every engine bit-identical to the reference or refusing"),
    _S("§2.5 hidden set", "H is a hidden node set: H reads only H ∪ I, and later outputs depend only on H at mτ "
                          "and the later tokens"),
    _S("§3 advantage", "A_j is model minus data, α = mean A_j; 1 − d flips the sign; Σ_r S_r = M·α"),
    _S("§4.7 models", "LM and distinguisher RNNs, each equal to an exact Python definition"),
    _S("§4.8 universal graph", "every RNN of a size class is the universal graph with some weights"),
)
del _S


@dataclass
class Entry:
    lemma: str                       # a Statement id
    statement: str                   # one line (as registered; the table shows the canonical text)
    bound: str | None = None         # the bound it states, if any
    code: list[str] = field(default_factory=list)   # "module.function"
    kind: set[str] = field(default_factory=set)     # {"construction", "check"}


_TABLE: dict[str, Entry] = {}


def realizes(lemma: str, statement: str, *, bound: str | None = None, kind: str = "construction"):
    """Decorator: the decorated function or class realizes (kind="construction") or checks
    (kind="check") ``lemma``. The first registration's statement is kept; later ones add code."""

    def deco(fn):
        e = _TABLE.get(lemma)
        if e is None:
            e = _TABLE[lemma] = Entry(lemma, statement, bound)
        if e.bound is None and bound is not None:
            e.bound = bound
        name = f"{fn.__module__}.{fn.__qualname__}"
        if name not in e.code:
            e.code.append(name)
        e.kind.add(kind)
        fn.__lemma__ = lemma
        return fn

    return deco


def entries() -> list[Entry]:
    return sorted(_TABLE.values(), key=lambda e: _sort_key(e.lemma))


def collect(packages: Iterable[str], optional: Iterable[str] = (), skipped: list[str] | None = None) -> list[str]:
    """Import every module of the named packages (so that their ``@realizes`` run); return
    "module: error" for each module that could not be imported. Nothing here names a
    package: the caller (the application layer) does. A module that fails only because an
    *optional* dependency (a top-level name in ``optional``, e.g. ``hypothesis`` of the
    ``test`` extra) is not installed is not a failure: it is appended to ``skipped``."""
    failed: list[str] = []
    optional = frozenset(optional)
    for pkg_name in packages:
        try:
            pkg = importlib.import_module(pkg_name)
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            failed.append(f"{pkg_name}: {type(e).__name__}: {e}")
            continue
        for info in pkgutil.walk_packages(getattr(pkg, "__path__", []), prefix=pkg_name + ".",
                                          onerror=lambda name: failed.append(f"{name}: cannot be walked")):
            if info.name.rsplit(".", 1)[-1] == "__main__":
                continue
            try:
                importlib.import_module(info.name)
            except ModuleNotFoundError as e:
                if (e.name or "").split(".")[0] in optional:
                    if skipped is not None:
                        skipped.append(f"{info.name} (needs {e.name.split('.')[0]})")
                else:
                    failed.append(f"{info.name}: {type(e).__name__}: {e}")
            except Exception as e:  # noqa: BLE001
                failed.append(f"{info.name}: {type(e).__name__}: {e}")
    return failed


# ---- tests ----------------------------------------------------------------------------------

# a marker as a decorator or a module-level ``pytestmark`` (not inside a string: a line
# that writes a test file in a test does not count)
_MARK = re.compile(r"""^[ \t]*(?:@pytest\.mark\.lemma|pytestmark\s*=\s*(?:\[[^\]\n]*?)?pytest\.mark\.lemma)\(\s*((?:["'][^"']+["']\s*,?\s*)+)\)""",
                   re.M)


def tests_by_lemma(tests_dir: str | Path) -> dict[str, list[str]]:
    """Scan test files for ``@pytest.mark.lemma("…")`` markers → statement → test files
    (paths relative to ``tests_dir``, in sorted order)."""
    root = Path(tests_dir)
    out: dict[str, list[str]] = {}
    paths = []
    for d, dirs, files in os.walk(root, onerror=lambda e: None):   # unreadable directories are skipped
        dirs[:] = sorted(x for x in dirs if x != "__pycache__")
        paths += [Path(d) / f for f in files if f.startswith("test_") and f.endswith(".py")]
    for path in sorted(paths):
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")   # a marker is ASCII
        except OSError:
            continue
        rel = path.relative_to(root).as_posix()
        for m in _MARK.finditer(text):
            for lem in re.findall(r"""["']([^"']+)["']""", m.group(1)):
                files = out.setdefault(lem, [])
                if rel not in files:
                    files.append(rel)
    return out


def index_text(index: Mapping[str, list[str]]) -> str:
    """The shipped index file: JSON, keys in canonical order, one statement per line."""
    keys = sorted(index, key=_sort_key)
    body = ",\n".join(f" {json.dumps(k, ensure_ascii=False)}: {json.dumps(index[k], ensure_ascii=False)}" for k in keys)
    return "{\n" + body + "\n}\n"


def read_index(path: str | Path) -> dict[str, list[str]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ValueError(f"{path}: not a statement → tests index")
    return data


# ---- the table ---------------------------------------------------------------------------------

def table(tests: str | Path | Mapping[str, list[str]] | None = None) -> list[dict]:
    """One row per canonical statement, then one per registered id that is not canonical.
    ``tests``: a tests directory to scan, an index mapping, or None (no test information)."""
    if tests is None:
        found: Mapping[str, list[str]] = {}
    elif isinstance(tests, Mapping):
        found = tests
    else:
        found = tests_by_lemma(tests)
    ids = [s.id for s in STATEMENTS]
    known = set(ids)
    ids += [e.lemma for e in entries() if e.lemma not in known]
    canon = {s.id: s for s in STATEMENTS}
    rows = []
    for lid in ids:
        s, e = canon.get(lid), _TABLE.get(lid)
        code = list(e.code) if e else []
        t = list(found.get(lid, []))
        if not code and s is not None and s.pending:
            status = f"no code yet ({s.pending})"
        elif not code:
            status = "NO CODE"
        elif not t:
            status = "NO TEST"
        else:
            status = "tested"
        rows.append({
            "lemma": lid, "statement": s.text if s else e.statement, "bound": (e.bound if e else None) or "",
            "code": code, "tests": t, "status": status,
        })
    return rows


def failures(rows: list[dict]) -> dict[str, list[str]]:
    """What makes ``rnnsim lemmas --strict`` fail: statements with no code, with no test."""
    return {"without code": [r["lemma"] for r in rows if r["status"] == "NO CODE"],
            "without a test": [r["lemma"] for r in rows if r["status"] == "NO TEST"]}


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def format_table(rows: list[dict]) -> str:
    """Markdown; ``|`` inside a cell is escaped so that every row keeps its five columns."""
    lines = ["| lemma | statement | code | tests | status |", "|---|---|---|---|---|"]
    for r in rows:
        code = "<br>".join(_cell(c) for c in r["code"])
        tests = ", ".join(_cell(t) for t in r["tests"])
        lines.append(f"| {_cell(r['lemma'])} | {_cell(r['statement'])} | {code} | {tests} | {r['status']} |")
    return "\n".join(lines)


def _sort_key(lemma: str):
    """Kind, then number: "Claim 2" < "Lemma 3" < "Lemma 11" < "§4.7 models"."""
    m = re.match(r"(§|[A-Za-z]+)\s*([\d.]+)?", lemma)
    if not m:
        return (lemma, (), lemma)
    nums = tuple(int(x) for x in (m.group(2) or "").split(".") if x)
    return (m.group(1), nums, lemma)
