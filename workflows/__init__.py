"""The application layer: workflows that combine builders, checks and simulation.

Everything here may import the core (:mod:`rnnsim`), the builders (:mod:`constructions`)
and the distribution-level mathematics (:mod:`proofs_checks`); nothing below imports it
(``rnnsim.cli`` dispatches into it by module name only). Modules:

demo (``rnnsim demo``: one boosting round, Lemmas 1–3, checked exhaustively) ·
check_runner (``rnnsim check``: the THEORY §3 statements on random instances) ·
schedule_figure (``rnnsim schedule``: recorded LOAD/RUN/HOLD figures, Lemmas 10–11) ·
bits (Lemma 12's checks (a)–(d) by simulation) ·
training (Algorithm 1's loss minimisation over the universal graph, toy sizes).
"""

import importlib

_MODULES = ("demo", "check_runner", "schedule_figure", "bits", "training")


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(name)
