"""A network's build, lowering and kernel plans are pinned to the output of an earlier revision.

The speed work on building (expression constructors, validation), lowering and planning
must change no result: the saved network, every Program array and every KernelPlan table
are compared, as digests (:mod:`tests.rnnsim.build_identity`), with the digests the code of
main at 5fe708a produced (``git archive 5fe708a | tar -x -C DIR; PYTHONPATH=DIR python
tests/rnnsim/build_identity.py [--big]``) — computed by the old code, never copied from the
code under test. Random networks (several sizes, seeds, mixes, a deep-τ gated one), every
catalogue network and a 3-round boosting iterate (k = 2); the 10^5-node benchmark network
is a slow test.
"""

from __future__ import annotations

import pytest

from tests.rnnsim import build_identity as bi

EXPECTED = {
    'catalogue boost_k1': {
        'depth': 3,
        'json': '189cbbe7f8d34e8f39f9',
        'plan fixed:7:24 fused': '0414d6d62858790ae63a',
        'plan fixed:7:24 unfused': '511908f8bbcd1eafed41',
        'plan float64 fused': 'e4f6a04ef94defea7681',
        'plan float64 unfused': '885044f4c6946cda0eab',
        'program': '580da9a4bbb4fc82e56b',
    },
    'catalogue boost_k2': {
        'depth': 4,
        'json': '29ed050f1f47a97ee8f8',
        'plan fixed:7:24 fused': '08e0d876a53e786e5dbc',
        'plan fixed:7:24 unfused': 'f8cd2f0f7e184fcda4e6',
        'plan float64 fused': 'c82d54f27da4a9e7e77d',
        'plan float64 unfused': 'bdff16890151a8a003b3',
        'program': '3d13db461ed4acb809e1',
    },
    'catalogue boost_simple_k2': {
        'depth': 4,
        'json': 'd6e340268c971058d436',
        'plan fixed:7:24 fused': '8031dd6182efa1ea3609',
        'plan fixed:7:24 unfused': '26d750804b9f4ce865fc',
        'plan float64 fused': '3444bc8ffbd536821ec6',
        'plan float64 unfused': 'e33ff5c6952bf2c21aec',
        'program': '93237abb9373668df72d',
    },
    'catalogue bracket2': {
        'depth': 2,
        'json': '01e466a8947450298c4d',
        'plan fixed:4:4 fused': 'db8cc9faba57384a5e73',
        'plan fixed:4:4 unfused': 'f9e4dd6423cd642b496e',
        'plan float64 fused': '26a17fdc2a8cf58334dd',
        'plan float64 unfused': '457846d52370361961b4',
        'program': '6cdbaa0d5e7a2f0c7e41',
    },
    'catalogue components_k2': {
        'depth': 4,
        'json': '446740f574036158301f',
        'plan fixed:8:16 fused': 'da02c0d172b1fc713022',
        'plan fixed:8:16 unfused': 'ef412a7352cea3b87c16',
        'plan float64 fused': '40c4167144710c75910d',
        'plan float64 unfused': 'ad3d8d975be782ca3abc',
        'program': '5d4b950f351b528df9b3',
    },
    'catalogue counters_k2': {
        'depth': 3,
        'json': '0d101d72bdb2f27a3c05',
        'plan fixed:4:4 fused': '44495ad98aa162ca7c72',
        'plan fixed:4:4 unfused': '9d9f5c340a98c0ba759d',
        'plan float64 fused': '5a078f2c4150b853eb28',
        'plan float64 unfused': '949bcf94be42c4005030',
        'program': '887b3810321e2b025a26',
    },
    'catalogue enumeration_k2': {
        'depth': 3,
        'json': 'd963a3903462b7d90ee4',
        'plan fixed:8:16 fused': 'c06e49ef11074358731e',
        'plan fixed:8:16 unfused': '5f3ff9d0c4be937b62e1',
        'plan float64 fused': '5e819c7c402590649a22',
        'plan float64 unfused': '7f57d1475cb903ab4a83',
        'program': 'c847033ca3c50eda7642',
    },
    'catalogue example': {
        'depth': 2,
        'json': '54d3e456e90b33a707cc',
        'plan fixed:7:24 fused': '3f6137520beb32f37abf',
        'plan fixed:7:24 unfused': '66374a263081ef6f6e4d',
        'plan float64 fused': '29728abc2d8d88328756',
        'plan float64 unfused': '20d708909070856a2d46',
        'program': 'cd456769d5ec2e8be12c',
    },
    'catalogue iterate_k1_round2': {
        'depth': 3,
        'json': 'd4ef64c2676c4c984eb2',
        'plan fixed:7:20 fused': '7851e0424e99963dd982',
        'plan fixed:7:20 unfused': '179e52fe522c276753b7',
        'plan float64 fused': 'd07d87f2d7a4fae75f5a',
        'plan float64 unfused': 'd65abc8812a61ccf141b',
        'program': '01d3d65f691b19635c9a',
    },
    'catalogue markov1': {
        'depth': 1,
        'json': 'eb06e9db2db06f3c3202',
        'plan fixed:4:16 fused': 'd86eb3630cf8a38bfe07',
        'plan fixed:4:16 unfused': '76229036f36e1ac272b1',
        'plan float64 fused': '0c7883b58755d5ab1dc1',
        'plan float64 unfused': '17efd2af59d3e9a73dc0',
        'program': 'bd036755b9f51199d8a2',
    },
    'catalogue markov2_tau2': {
        'depth': 2,
        'json': '4bca9d73a7006a7623a4',
        'plan fixed:4:16 fused': 'e06810dcb2d6cd2d1cfb',
        'plan fixed:4:16 unfused': '0a762cf4e28969ac48b6',
        'plan float64 fused': '9818d066dcb374ca2a5f',
        'plan float64 unfused': 'dc9d5dee8174e9c2d725',
        'program': 'fb4e9479328dffeeb430',
    },
    'catalogue motif3': {
        'depth': 2,
        'json': '3b27f26c9a28769bebf4',
        'plan fixed:4:4 fused': '4f5d8f016fea8bc19b0a',
        'plan fixed:4:4 unfused': 'a4ec26b9a7735e1e070f',
        'plan float64 fused': 'df9d470c7be73fe06677',
        'plan float64 unfused': '5ee26bc350126d0704db',
        'program': '2ff58c5b5c73e06faf5c',
    },
    'catalogue motif_avoid': {
        'depth': 1,
        'json': '1ae66b399ff1cfb52096',
        'plan fixed:4:16 fused': 'cfa88ca67599b72db2e9',
        'plan fixed:4:16 unfused': 'c82a3a7ecdf7dfda3a6c',
        'plan float64 fused': 'cf3c83bdac8c0ffae40a',
        'plan float64 unfused': '1ae4bd2926f0f1ab3bd9',
        'program': '23ebcb22217fc89aca07',
    },
    'catalogue parity3': {
        'depth': 1,
        'json': '9a60862fef2f8d80afdf',
        'plan fixed:4:4 fused': '8de4628f54133c81a09a',
        'plan fixed:4:4 unfused': '749baac8a82c40183c6b',
        'plan float64 fused': 'ea2e8d5d7c64b69fa956',
        'plan float64 unfused': '60ea8b7d5d8d0b1fe80f',
        'program': '972fbf3f063cd42bc452',
    },
    'catalogue pattern2': {
        'depth': 1,
        'json': '57fd7f8e69b5faec7f99',
        'plan fixed:4:4 fused': '5fab8af87c4f8ba5e060',
        'plan fixed:4:4 unfused': '1f78570766e66566746d',
        'plan float64 fused': 'ec3e99ef3e1bf19744b5',
        'plan float64 unfused': '2cc28c0bc18321c1515f',
        'program': '6a01c6d6a621409fef73',
    },
    'catalogue repeat2': {
        'depth': 2,
        'json': 'b8261daab693f8c3ef93',
        'plan fixed:4:4 fused': 'a7d9bd14204182bd032e',
        'plan fixed:4:4 unfused': 'a43d8e489c6090b1f64e',
        'plan float64 fused': '1ebd1150d63d044bde43',
        'plan float64 unfused': '8ef355067f5ab69283b4',
        'program': '75366aa619ec753afafb',
    },
    'catalogue uniform': {
        'depth': 0,
        'json': 'eeba672b686e0c4be7b8',
        'plan fixed:4:8 fused': 'eafea5467df1e2a2d941',
        'plan fixed:4:8 unfused': 'dfcf38e0736d63043f0b',
        'plan float64 fused': '40cd65cafa721b25c51f',
        'plan float64 unfused': 'a2a15fb09747f78a98f0',
        'program': '9d4c7d7a57758bad287f',
    },
    'catalogue universal': {
        'depth': 2,
        'json': 'f339e81ca8b14248f792',
        'plan fixed:12:20 fused': '647ec6c17a6917ae122e',
        'plan fixed:12:20 unfused': 'cec84ff17b168ff68458',
        'plan float64 fused': 'b622d94ce3b601805be2',
        'plan float64 unfused': 'c35c427e16bcc993f45c',
        'program': '39d3127120509a1fa0ee',
    },
    'deep_tau4_500': {
        'depth': 2,
        'json': '0dbf882e51a2a324e19c',
        'plan fixed:2:16 fused': '2824fba166eb74915e2b',
        'plan fixed:2:16 unfused': '8e0c9b7e3a337a8e33d4',
        'plan float64 fused': 'd1a4987af241853758be',
        'plan float64 unfused': 'c04e56856686f2c18ef4',
        'program': '449775c34e33ead85965',
    },
    'iterate k=2 round 3': {
        'depth': 4,
        'json': 'ea14d797d2614ab6a5d9',
        'plan fixed:8:40 fused': '35d0b9248617f83ba4cf',
        'plan fixed:8:40 unfused': '092b82e22c5f1f62e675',
        'plan float64 fused': 'd0b2fbc6d7530706a731',
        'plan float64 unfused': '6b7904bf77a5699f8d61',
        'program': '9e790bb5faee32491ad9',
    },
    'random3000_seed1_fan5': {
        'depth': 1,
        'json': '6cdc9196b2a47ec3a422',
        'plan fixed:2:20 fused': '60499c0ba276fed2f19f',
        'plan fixed:2:20 unfused': 'f0524beb940cf68a6559',
        'plan float64 fused': '31657765c578eac9fd83',
        'plan float64 unfused': '06a23bf526ee39e29872',
        'program': '21087e83b73e9927d756',
    },
    'random400_seed3': {
        'depth': 1,
        'json': '7d09766843695b880347',
        'plan fixed:2:16 fused': '1222e24fac8b67be4a97',
        'plan fixed:2:16 unfused': '9cf1500be1c97ced4f3b',
        'plan float64 fused': 'ee024a4ce64d6394aa0d',
        'plan float64 unfused': 'aadb60e85ed3c8d3acf5',
        'program': '55b332eb7f2859f76e27',
    },
    'random60': {
        'depth': 1,
        'json': '9c1a3e171f71791b5db6',
        'plan fixed:2:16 fused': '23cb7497f1c421425a25',
        'plan fixed:2:16 unfused': '8c7a0c2c32194aaa26b5',
        'plan float64 fused': 'eef34479a6b8f1f0a8c1',
        'plan float64 unfused': 'b30992ea9726d580c5d0',
        'program': '24ad7335ddfc328bcdf0',
    },
}

EXPECTED_BIG = {
    'random100000': {
        'depth': 1,
        'json': '6f40068561f323900e61',
        'plan fixed:2:16 fused': 'e34c352188ce3b20f963',
        'plan fixed:2:16 unfused': '6cda0a377e691eca971c',
        'plan float64 fused': '7565ccc9a69d788da6fd',
        'plan float64 unfused': 'a937c8cbad693bb22df4',
        'program': '65d9d0674b8ef8fbf84c',
    },
}


def _check(group, expected):
    cases = group()
    assert set(cases) <= set(expected)
    for name, (thunk, fixed) in cases.items():
        got = bi.network_digests(thunk(), fixed)
        assert got == expected[name], name


def test_random_networks_build_lower_and_plan_as_before():
    _check(bi.random_cases, EXPECTED)


def test_catalogue_networks_build_lower_and_plan_as_before():
    _check(bi.catalogue_cases, EXPECTED)


def test_boosting_iterate_builds_lowers_and_plans_as_before():
    _check(bi.iterate_cases, EXPECTED)


@pytest.mark.slow
def test_benchmark_network_builds_lowers_and_plans_as_before():
    _check(bi.big_cases, EXPECTED_BIG)


def test_validation_lists_the_problems_in_the_order_it_did():
    """Unknown reads are found by one walk over all transitions and placed where the per-node
    loop put them; expected text printed by main at 5fe708a for the same network."""
    from rnnsim import Node, relu
    from rnnsim.errors import NetworkError
    from rnnsim.network import RNN

    a, b = Node("a"), Node("b")
    tr = {"a": relu(a + Node("ghost1") - 1), "zz": a + 1, "b": a * Node("ghost2") + Node("ghost0"),
          "c": "not an expression", "d": b + 2}
    with pytest.raises(NetworkError) as e:
        RNN(nodes=["x", "a", "b", "c", "d"], inputs=["x"], output="a", hidden=["a", "d", "a"], tau=1,
            transitions=tr, init={"a": 1})
    assert str(e.value) == (
        "network 'rnn' is invalid (7 problems):\n  node 'a' reads unknown node 'ghost1'\n"
        "  transition given for unknown node 'zz'\n  node 'b' reads unknown node 'ghost0'\n"
        "  node 'b' reads unknown node 'ghost2'\n  node 'c': transition is not an expression "
        "('not an expression' is a string; refer to a node with rnnsim.Node('not an expression') "
        "(or the expression returned when it was declared))\n"
        "  hidden node 'd' reads 'b' outside H \u222a I (THEORY \u00a72.5(a)); add them to the hidden set "
        "or change the transition\n  the hidden set lists a node twice")
