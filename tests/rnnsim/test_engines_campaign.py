"""The engine campaign (evidence, not part of the default run): 10^4 random networks ×
formats up to and past the numba engine's refusal limit, numba against the reference.

Every case must end in one of: identical outputs (bit for bit in fixed formats, equal
doubles in float64), identical errors (class, node, time and message), a documented
refusal before running (UnsupportedFormat), or a documented stop at run time
(EngineRangeExceeded, > 64 bits). Anything else fails. Run it with

    pytest -m slow tests/rnnsim/test_engines_campaign.py -s        # prints the counts

(``CAMPAIGN_EXAMPLES=…`` changes the number of networks; derandomized, so the same
networks every run.)
"""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnnsim
from rnnsim import EngineRangeExceeded, Fixed, SimulationError, UnsupportedFormat
from rnnsim.engines import get_engine
from tests.engine_compare import assert_same_values
from tests.strategies import networks

pytestmark = [pytest.mark.slow, pytest.mark.lemma("§2.4 arithmetic")]

EXAMPLES = int(os.environ.get("CAMPAIGN_EXAMPLES", 10_000))
COUNTS: Counter = Counter()

formats = st.one_of(
    st.just("float64"),
    st.builds(lambda f, extra, policy: Fixed(max(1, 63 - f + extra), f, policy),
              st.integers(0, 62), st.integers(-24, 3), st.sampled_from(["raise", "saturate"])),
    st.builds(Fixed, st.integers(1, 12), st.integers(0, 40), st.sampled_from(["raise", "saturate"])),
)


def _run(rnn, docs, fmt, engine):
    try:
        return rnnsim.simulate_batch(rnn, docs, fmt, engine=engine, raw=True)
    except SimulationError as e:
        return e


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(networks(max_nodes=5, clamp_bound=None, max_tau=2), st.booleans(), formats, st.data())
def test_numba_equals_reference_or_refuses_on_random_networks_and_formats(rnn, clamp, fmt, data):
    if clamp:   # the same network shape, clamped (values stay small): the common case
        rnn = data.draw(networks(max_nodes=5, max_tau=2))
    docs = np.array(data.draw(st.lists(st.lists(st.integers(0, rnn.alphabet - 1), min_size=4, max_size=4),
                                       min_size=1, max_size=4)), dtype=np.int64)
    try:
        get_engine("numba").check(rnn.program, rnnsim.parse_arithmetic(fmt))
    except UnsupportedFormat as e:
        assert "[kernel plan pass" in str(e)
        COUNTS["refused before running (UnsupportedFormat)"] += 1
        return
    ref = _run(rnn, docs, fmt, "reference")
    try:
        got = _run(rnn, docs, fmt, "numba")
    except EngineRangeExceeded as e:
        assert e.bits > 64 and e.node in rnn.nodes and e.time is not None
        COUNTS["stopped at run time (EngineRangeExceeded)"] += 1
        return
    if isinstance(ref, Exception) or isinstance(got, Exception):
        assert type(got) is type(ref), (ref, got)
        assert (got.node, got.time, str(got)) == (ref.node, ref.time, str(ref))
        COUNTS[f"identical error ({type(ref).__name__})"] += 1
        return
    arith = rnnsim.parse_arithmetic(fmt)
    assert_same_values(ref, got, arith, rtol=0.0)
    COUNTS["identical outputs (" + ("float64" if fmt == "float64" else "fixed") + ")"] += 1


def teardown_module(module):
    if COUNTS:
        total = sum(COUNTS.values())
        print(f"\nengine campaign: {total} cases")
        for k, v in sorted(COUNTS.items(), key=lambda kv: -kv[1]):
            print(f"  {v:6d}  {k}")
