"""Constructions of the paper as rnnsim networks: one module per lemma family.

gadgets (Lemma 18) · gating (Lemma 10) · counters (Claim 1) · enumeration (Lemma 11) ·
components (Lemmas 7–9) · boosting (Lemma 3, Section 2.1) · bitsize (Lemma 12) ·
models (THEORY §4.7) · universal (Section 3) · schedule (the timing of Claim 1 / Lemma 11) ·
records (what each builder records in the network it builds: parameters, schedule, nodes).
Builders never simulate or import checks; workflows that do are in :mod:`workflows`.
"""

import importlib

_MODULES = ("gadgets", "gating", "counters", "enumeration", "components", "boosting",
            "bitsize", "models", "universal", "schedule", "records")


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(name)
