"""Print the worst slack (bound − measured) seen per checked statement at the end of the run."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter):
    from tests.proofs_checks.strategies import WORST

    if not WORST:
        return
    tr = terminalreporter
    tr.section("proofs_checks: worst slack seen (bound − measured; equalities: −|error|)")
    for name in sorted(WORST):
        worst, n = WORST[name]
        tr.write_line(f"{name:<58} {n:>5} examples   worst slack {worst: .3e}")
