"""The package as a user installs it (pyproject.toml): automatic discovery finds every package
of the four layers, every data file the code reads is package data, the metadata is complete
(license, citation, extras), and — slow — a built wheel holds all of it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import pytest

import rnnsim

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LAYERS = ("rnnsim", "constructions", "proofs_checks", "workflows")


def _git_files() -> list[str]:
    r = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("not a git checkout")
    return r.stdout.splitlines()


def test_automatic_discovery_finds_every_package_of_the_layers():
    from setuptools import find_namespace_packages

    find = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    found = set(find_namespace_packages(where=str(ROOT), include=find["include"]))
    want = {str(p.parent.relative_to(ROOT)).replace("/", ".") for layer in LAYERS
            for p in (ROOT / layer).rglob("__init__.py")}
    assert want <= found, f"not discovered: {sorted(want - found)}"
    assert not any(p == "tests" or p.startswith("tests.") or p.startswith("benchmarks") for p in found)


def test_every_data_file_of_the_packages_is_package_data():
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    files = [f for f in _git_files() if f.split("/", 1)[0] in LAYERS and not f.endswith(".py")
             and "__pycache__" not in f]
    assert "rnnsim/py.typed" in files and "workflows/lemma_tests.json" in files
    missing = []
    for f in files:
        top, rest = f.split("/", 1)
        if not any(fnmatch(rest, g) for g in data.get(top, [])):
            missing.append(f)
    assert not missing, f"files the wheel would lack: {missing}"


def test_metadata_license_citation_and_extras():
    proj = PYPROJECT["project"]
    assert proj["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert proj["authors"] and proj["urls"]["Paper"].startswith("https://arxiv.org/abs/2512.07818")
    assert "Provable Long-Range Benefits of Next-Token Prediction" in proj["description"]
    assert any(c.startswith("Programming Language :: Python :: 3.11") for c in proj["classifiers"])
    test_extra = " ".join(proj["optional-dependencies"]["test"])
    for need in ("pytest", "pytest-xdist", "hypothesis", "matplotlib", "dask[distributed]"):
        assert need in test_extra
    assert proj["scripts"]["rnnsim"] == "rnnsim.cli:main"
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert 'title: "Provable Long-Range Benefits of Next-Token Prediction"' in cff
    assert "family-names: Cao" in cff and "family-names: Vempala" in cff and "year: 2025" in cff
    assert f'version: "{rnnsim.__version__}"' in cff


@pytest.mark.slow
def test_the_built_wheel_holds_packages_data_and_license(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = tmp_path.glob("rnnsim-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for need in ("rnnsim/py.typed", "rnnsim/examples/laplace.json", "rnnsim/bench/c_baseline.c",
                 "workflows/lemma_tests.json", "workflows/lemmas.py", "constructions/boosting.py",
                 "proofs_checks/boost.py", "rnnsim/engines/numba_engine.py"):
        assert need in names, need
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_ci_runs_the_readme_test_command_bounded_and_checks_the_wheel():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\npytest -q\n" in readme.split("\n#", 1)[0]       # the README's test command ...
    assert "\n    pytest -q\n" in ci                          # ... is what CI runs
    assert 'exec timeout --kill-after=30 "$CI_TIMEOUT"' in ci and 'CI_TIMEOUT="${CI_TIMEOUT:-3600}"' in ci
    for step in ("pip wheel", 'rnnsim demo', 'rnnsim lemmas --strict', "unset PYTHONPATH", '-e "$ROOT[test]"'):
        assert step in ci, step
