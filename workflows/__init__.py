"""The application layer: workflows that combine builders, checks and simulation.

Everything here may import the core (:mod:`rnnsim`), the builders (:mod:`constructions`)
and the distribution-level mathematics (:mod:`proofs_checks`); nothing below imports it
(``rnnsim.cli`` dispatches into it by module name only). Modules:

demo (``rnnsim demo``: one boosting round, Lemmas 1–3, checked exhaustively) ·
check_runner (``rnnsim check``: the THEORY §3 statements on random instances) ·
schedule_figure (``rnnsim schedule``: recorded LOAD/RUN/HOLD figures, Lemmas 10–11) ·
bits (Lemma 12's checks (a)–(d) by simulation) ·
training (Algorithm 1's loss minimisation over the universal graph, toy sizes) ·
verify (every output on every document against the expected conditionals, sharded) ·
sharding (shards inline, on local processes or a Dask cluster, with retries) ·
classes (distinguisher classes closed under complement; the advantage of every member) ·
selfboost + selfboost_cli (``rnnsim selfboost``: Theorem 1's loop, built rounds then closed forms) ·
growth (``rnnsim growth``: sizes over rounds against the closed forms, fits) ·
boost_figures (the figures of both) · strategies (the test suite's hypothesis strategies for random
networks) · testing (for users: those, LM / distinguisher / format strategies, ``check_computes``).
"""

import importlib

_MODULES = ("demo", "check_runner", "schedule_figure", "bits", "training", "verify", "sharding", "classes",
            "selfboost", "selfboost_cli", "growth", "boost_figures", "strategies", "testing")


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(name)
