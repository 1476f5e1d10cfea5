"""The hypothesis strategies of the test suite live in the package, so that users can test
their own constructions with them: :mod:`workflows.strategies` (random valid networks,
documents; the bounded-digit generator) and :mod:`workflows.testing` (LMs, distinguishers,
formats, ``check_computes``). This module re-exports the former for the tests
(``from tests.strategies import networks``)."""

from workflows.strategies import (  # noqa: F401
    clamp, documents, expressions, linear_expressions, networks, networks_and_documents, rationals,
)

__all__ = ["rationals", "expressions", "linear_expressions", "networks", "documents", "networks_and_documents",
           "clamp"]
