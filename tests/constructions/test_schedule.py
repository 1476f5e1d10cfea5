"""The output schedule t(i, n, m) of Lemma 11 (constructions.schedule): the listed output
times are the closed forms of THEORY §4.4 and the ends of the input loops."""

from __future__ import annotations

import pytest

from constructions import enumeration, models, schedule
from constructions.records import schedule_of

pytestmark = pytest.mark.lemma("Lemma 11")


def test_output_times_are_t_i_n_m_and_the_loop_ends():
    S = enumeration.synchronized_enumeration(models.uniform_lm(), 2, 1, 2)
    sched = schedule_of(S)
    P, tS = sched.P, sched.tau_S
    want = {tS, 2 * tS}
    for i in (1, 2):
        ell = (i - 1) % 2
        want |= {(i - 1) * tS + (n * 2 + m + 1) * P for n in range(4) for m in range(2)}
        want |= {(i - 1) * tS + (4 * 2 + m + 1) * P for m in range(ell + 1)}
    assert schedule.output_times(sched, 2) == sorted(want)
