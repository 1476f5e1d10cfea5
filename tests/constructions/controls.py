"""Control RNNs for the gating tests (Lemma 10): a fixed LOAD/RUN/HOLD schedule and a
data-dependent one. Shared by tests/constructions/test_gating.py and the schedule-figure
workflow tests."""

from __future__ import annotations

import rnnsim
from constructions import gadgets as G
from rnnsim import Builder

CTRL = ("load", "run", "hold")


def schedule_control(schedule: str, alphabet: int, onehot: bool, name="sched"):
    """A control RNN whose (load, run, hold) at time t is the one-hot code of schedule[t]
    ('L', 'R', 'H'); a time counter c(t) = t is the source material for LOAD values."""
    b = Builder(name, tau=1, alphabet=alphabet)
    b.input_onehot("u") if onehot else b.input("u")
    c = b.node("c", init=0)
    b.update(c, c + 1)
    for ctl, letter in zip(CTRL, "LRH"):
        n = b.node(ctl, init=int(schedule[0] == letter))
        b.update(n, G.OR(*[G.eq(c, s) for s in range(len(schedule) - 1) if schedule[s + 1] == letter]))
    b.output("c")
    return b.build()


def input_control(alphabet: int, onehot: bool):
    """A data-dependent control: RUN when the previous step's token was 0, HOLD when it was
    1 (LOAD at time 0 only)."""
    b = Builder("inctl", tau=1, alphabet=alphabet)
    xs = b.input_onehot("u") if onehot else [b.input("u")]
    zero = xs[0] if onehot else G.eq(xs[0], 0)
    c = b.node("c", init=0)
    b.update(c, c + 1)
    b.node("load", init=1, update=rnnsim.Const(0))
    b.node("run", init=0, update=zero)
    b.node("hold", init=0, update=1 - zero)
    b.output("c")
    return b.build()
