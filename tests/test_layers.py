"""The layers import one way (docs/ARCHITECTURE.md): core (rnnsim) ← constructions,
core ← proofs_checks, workflows → all three.

Every module of the four packages is parsed with ``ast``; an import is any ``import`` or
``from … import`` statement at any depth (module level or inside a function), relative ones
resolved against the module's package, and every ``importlib.import_module("…")`` /
``__import__("…")`` call with a literal name. Forbidden: the core importing constructions,
proofs_checks or workflows; constructions importing proofs_checks or workflows;
proofs_checks importing constructions or workflows. The core may name a workflow module
only as a string in ``rnnsim/cli.py`` and import it from there only by that string
(``importlib.import_module("workflows.…")``, lazy dispatch); no other core string names a module
of a higher layer (the lemma table is collected by ``workflows.lemmas``, which names the
packages it walks; the core registry names none).
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rnnsim", "constructions", "proofs_checks", "workflows")
FORBIDDEN = {
    "rnnsim": {"constructions", "proofs_checks", "workflows"},
    "constructions": {"proofs_checks", "workflows"},
    "proofs_checks": {"constructions", "workflows"},
    "workflows": set(),
}
# core strings that may name a module of a higher layer: {file: (allowed packages, exempt assignment)}
STRING_ALLOWED = {"rnnsim/cli.py": {"workflows"}}
STRING_EXEMPT_ASSIGNMENTS: dict[str, set[str]] = {}   # none left: the registry names no module
_MODULE_NAME = re.compile(r"^(constructions|proofs_checks|workflows)(\.[A-Za-z_]\w*)*$")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(tree: ast.AST, modname: str, is_package: bool, *, dynamic: bool = False) -> list:
    """(line, absolute module name) of every import in ``tree``, at any depth; with
    ``dynamic=True``, (line, name, by_name) where by_name marks an ``import_module`` /
    ``__import__`` call with a literal name."""
    package = modname if is_package else modname.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, False) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod, False))
            if not node.module:  # from . import x, y: each name may be a submodule
                out += [(node.lineno, f"{mod}.{a.name}", False) for a in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name) else "")
            if name in ("import_module", "__import__"):
                out.append((node.lineno, node.args[0].value, True))
    return out if dynamic else [(line, mod) for line, mod, _ in out]


def _exempt_strings(tree: ast.AST, names: set[str]) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in names for t in targets):
                ids |= {id(c) for c in ast.walk(node) if isinstance(c, ast.Constant)}
    return ids


def violations(root: Path) -> list[str]:
    """Every import (and core string) in the packages under ``root`` that points up a layer."""
    found = []
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
            mod = module_name(path, root)
            allowed = STRING_ALLOWED.get(rel, set())
            for line, target, by_name in imported_modules(tree, mod, path.name == "__init__.py", dynamic=True):
                top = target.split(".")[0]
                if top in FORBIDDEN[pkg] and not (by_name and top in allowed):
                    found.append(f"{rel}:{line}: {pkg} imports {target}")
            if pkg != "rnnsim":
                continue
            exempt = _exempt_strings(tree, STRING_EXEMPT_ASSIGNMENTS.get(rel, set()))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in exempt \
                        and _MODULE_NAME.match(node.value) and node.value.split(".")[0] not in allowed:
                    found.append(f"{rel}:{node.lineno}: core names module {node.value!r}")
    return found


def test_no_module_imports_a_higher_layer():
    assert violations(ROOT) == []


def test_every_package_was_parsed():
    for pkg in PACKAGES:
        assert list((ROOT / pkg).rglob("*.py")), pkg
    # the dispatch of the CLI into the application layer is by name, and it is seen as such
    cli = ast.parse((ROOT / "rnnsim" / "cli.py").read_text(encoding="utf-8"))
    names = {n.value for n in ast.walk(cli) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert {"workflows.demo", "workflows.check_runner", "workflows.schedule_figure"} <= names


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    for rel, src in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(src))
    return tmp_path


def test_the_checker_catches_synthetic_violations_in_every_form(tmp_path):
    root = _tree(tmp_path, {
        "rnnsim/a.py": "import constructions.models\n",
        "rnnsim/sub/__init__.py": "",
        "rnnsim/sub/b.py": """
            def f():
                from proofs_checks.textdist import LM   # function-level import
                return LM
            """,
        "rnnsim/c.py": "import importlib\nM = importlib.import_module('workflows.demo')\n",
        "rnnsim/d.py": "TABLE = ('constructions.gadgets',)\n",
        "rnnsim/cli.py": """
            import importlib
            _D = {'demo': ('workflows.demo', ''), 'x': ('proofs_checks.bounds', '')}
            def lemmas():
                return importlib.import_module('workflows.lemmas')     # allowed: by name
            def other():
                from workflows import demo                             # a static import is not
                return importlib.import_module('constructions.models'), demo
            """,
        "constructions/e.py": "from proofs_checks import bounds\n",
        "constructions/f.py": "def g():\n    import workflows.bits\n",
        "proofs_checks/g.py": "x = __import__('constructions')\n",
        "proofs_checks/h.py": "from workflows import demo\n",
    })
    got = violations(root)
    want = [
        "constructions/e.py:1: constructions imports proofs_checks",
        "constructions/f.py:2: constructions imports workflows.bits",
        "proofs_checks/g.py:1: proofs_checks imports constructions",
        "proofs_checks/h.py:1: proofs_checks imports workflows",
        "rnnsim/a.py:1: rnnsim imports constructions.models",
        "rnnsim/c.py:2: rnnsim imports workflows.demo",
        "rnnsim/c.py:2: core names module 'workflows.demo'",
        "rnnsim/cli.py:3: core names module 'proofs_checks.bounds'",
        "rnnsim/cli.py:7: rnnsim imports workflows",
        "rnnsim/cli.py:8: rnnsim imports constructions.models",
        "rnnsim/cli.py:8: core names module 'constructions.models'",
        "rnnsim/d.py:1: core names module 'constructions.gadgets'",
        "rnnsim/sub/b.py:3: rnnsim imports proofs_checks.textdist",
    ]
    assert sorted(got) == sorted(want)


def test_relative_imports_are_resolved_and_allowed_directions_pass(tmp_path):
    root = _tree(tmp_path, {
        "rnnsim/engines/__init__.py": "",
        "rnnsim/engines/k.py": "from .. import expr\nfrom ..arith import Fixed\n",
        "constructions/m.py": "from . import gadgets\nfrom .gadgets import eq\nimport rnnsim\n",
        "proofs_checks/n.py": "from .textdist import LM\nfrom rnnsim.registry import realizes\n",
        "workflows/w.py": "import constructions, proofs_checks, rnnsim\nfrom .bits import x\n",
        "rnnsim/cli.py": "_D = {'demo': ('workflows.demo', 'the demo')}\n",
    })
    assert violations(root) == []
    mods = imported_modules(ast.parse("from .. import expr\nfrom ..arith import F\nfrom . import y\n"),
                            "rnnsim.engines.k", False)
    assert [m for _, m in mods] == ["rnnsim", "rnnsim.expr", "rnnsim.arith", "rnnsim.engines", "rnnsim.engines.y"]


@pytest.mark.parametrize("pkg,target", [(p, t) for p, ts in FORBIDDEN.items() for t in sorted(ts)])
def test_each_forbidden_direction_is_reported(tmp_path, pkg, target):
    root = _tree(tmp_path, {f"{pkg}/bad.py": f"def f():\n    import {target}.x\n"})
    assert violations(root) == [f"{pkg}/bad.py:2: {pkg} imports {target}.x"]


def test_a_core_registry_naming_lemma_modules_is_reported(tmp_path):
    root = _tree(tmp_path, {"rnnsim/registry.py": "LEMMA_MODULES = ('constructions.gadgets',)\n"})
    assert violations(root) == ["rnnsim/registry.py:1: core names module 'constructions.gadgets'"]
