"""No stubs in the shipped packages: no ``raise NotImplementedError`` (an abstract method is
declared with :func:`abc.abstractmethod` or designed away) and no TODO / FIXME / XXX marker in
rnnsim, constructions, proofs_checks or workflows. Each hit is reported with file and line."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rnnsim", "constructions", "proofs_checks", "workflows")
_MARKER = re.compile(r"\b(TODO|FIXME|XXX)\b")


def _sources():
    for pkg in PACKAGES:
        yield from sorted((ROOT / pkg).rglob("*.py"))


def stubs(text: str) -> list[tuple[int, str]]:
    """(line, what) for every NotImplementedError raised and every marker in a comment or string."""
    out = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                out.append((node.lineno, "raise NotImplementedError"))
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.STRING) and _MARKER.search(tok.string):
            out.append((tok.start[0], _MARKER.search(tok.string).group(1)))
    return out


def test_the_scan_sees_stubs():
    src = ("class A:\n    def f(self):\n        raise NotImplementedError\n"
           "    def g(self):\n        raise NotImplementedError('later')  # TODO\n"
           "    x = 'FIXME'\n    todo_list = 1   # a TODOS word is not a marker\n")
    assert stubs(src) == [(3, "raise NotImplementedError"), (5, "raise NotImplementedError"),
                          (5, "TODO"), (6, "FIXME")]


def test_no_stub_or_todo_marker_in_the_packages():
    hits = [f"{p.relative_to(ROOT)}:{line}: {what}"
            for p in _sources() for line, what in stubs(p.read_text(encoding="utf-8"))]
    assert not hits, "\n".join(hits)
