"""The lemma table of ``rnnsim lemmas`` (docs/ARCHITECTURE.md, "The lemma table"): fill
:mod:`rnnsim.registry` by importing every module of the packages that register code, and
read the shipped statement → tests index.

:func:`collect` imports every module of :data:`PACKAGES` (each ``@realizes`` runs on
import), so the core names no lemma module. ``lemma_tests.json`` next to this module is the
index generated from the ``@pytest.mark.lemma`` markers of the test suite; it ships with the
package, so an installed rnnsim (which has no tests directory) prints the same table.
``tests/test_registry.py`` fails when it is out of date; regenerate it with

    python -m workflows.lemmas --write-index [--tests DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnnsim import registry

PACKAGES = ("constructions", "proofs_checks", "workflows")
INDEX = Path(__file__).resolve().with_name("lemma_tests.json")
TESTS = Path(__file__).resolve().parent.parent / "tests"   # present in a source checkout only


# dependencies of the optional extras (test, plot, train, gpu): a module that needs one of
# them (the property-testing helpers need hypothesis) is skipped where it is not installed
OPTIONAL_DEPENDENCIES = ("hypothesis", "pytest", "matplotlib", "torch", "cupy", "dask", "distributed")
SKIPPED: list[str] = []


def collect() -> list[str]:
    """Register every statement's code; returns the modules that failed to import (a module
    skipped for a missing optional dependency is listed in :data:`SKIPPED` instead)."""
    SKIPPED.clear()
    return registry.collect(PACKAGES, optional=OPTIONAL_DEPENDENCIES, skipped=SKIPPED)


def index() -> dict[str, list[str]]:
    """The shipped statement → test files index."""
    return registry.read_index(INDEX)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m workflows.lemmas",
                                 description="Regenerate the shipped statement → tests index from the test markers.")
    ap.add_argument("--write-index", action="store_true", help=f"write {INDEX.name}")
    ap.add_argument("--tests", type=Path, default=TESTS, help="tests directory to scan (default: %(default)s)")
    args = ap.parse_args(argv)
    if not args.tests.is_dir():
        print(f"no tests directory at {args.tests}", file=sys.stderr)
        return 1
    text = registry.index_text(registry.tests_by_lemma(args.tests))
    if args.write_index:
        INDEX.write_text(text, encoding="utf-8")
        print(f"wrote {INDEX}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
