"""Random benchmark networks (THEORY §8): ReLU / product / gated mixes and deep-τ gated nets.

Every node value stays in [−1, 1] whatever the input (inputs are 0/1 tokens), so the
networks run in float64 and in any ``Fixed(i, f)`` with ``i ≥ 1`` without overflow:

* ``relu``  : u' = relu(Σ w_j·v_j + c) with Σ|w_j| + |c| ≤ 1 (dyadic weights k/8);
* ``prod``  : u' = v₁·v₂;
* ``gated`` : u' = g·a + (1 − g)·b with g a ReLU node (so g ∈ [0, 1]);
* ``input`` : u' = ½·x + ½·v.

``deep_tau_gated(n, tau)`` builds a τ-step network whose nodes are gated by a one-hot phase
counter (the shape of the paper's synchronized constructions): each phase a different
group of nodes is LOADed, the others HOLD.
"""

from __future__ import annotations

import random
from fractions import Fraction

from rnnsim import Builder, relu
from rnnsim.gcpause import gc_paused


def random_network(n: int, *, seed: int = 0, mix=(0.45, 0.25, 0.2, 0.1), fan_in: int = 3, tau: int = 1):
    """A random network of ``n`` nodes (input included) with the given kind mix
    (relu, prod, gated, input)."""
    with gc_paused():       # millions of acyclic expression objects (rnnsim.gcpause)
        return _random_network(n, seed, mix, fan_in, tau)


# the constants the generator draws, made once (Fractions are immutable: sharing them builds
# the same network as making each anew, with the same draws from the random stream)
_EIGHTHS = {k: Fraction(k, 8) for k in range(-8, 9)}
_WEIGHTS = [Fraction(k, 8) for k in (-2, -1, 1, 2)]
_HALF = Fraction(1, 2)


def _random_network(n, seed, mix, fan_in, tau):
    if fan_in < 1:      # (what rng.randint(1, fan_in) raised; _randbelow(0) would never return)
        raise ValueError(f"fan_in must be at least 1, got {fan_in}")
    rng = random.Random(seed)
    # the draws of rng.choice(seq) and rng.randint(lo, hi), made directly: Random.choice is
    # seq[_randbelow(len(seq))] and randint(lo, hi) is lo + _randbelow(hi − lo + 1), so the
    # stream and the network are the same (tests/rnnsim/test_build_identity.py pins it)
    below = rng._randbelow
    b = Builder(f"random{n}", tau=tau)
    x = b.input("x")
    names = [f"n{i}" for i in range(n - 1)]
    nodes = [b.node(nm, init=_EIGHTHS[below(17) - 8]) for nm in names]
    kinds = rng.choices(["relu", "prod", "gated", "input"], weights=mix, k=len(nodes))
    relus = [v for v, k in zip(nodes, kinds) if k == "relu"] or nodes[:1]
    n_nodes, n_relus, n_weights = len(nodes), len(relus), len(_WEIGHTS)
    half_x = x * _HALF
    for v, kind in zip(nodes, kinds):
        if kind == "relu":
            k = 1 + below(fan_in)
            ws = [_WEIGHTS[below(n_weights)] for _ in range(k)]
            # sum((w * choice(nodes) for w in ws), start): the start is drawn first, then the
            # nodes, and the terms are added one by one (node · w builds the same term as w · node)
            e = _EIGHTHS[below(3) - 1]
            for w in ws:
                e = e + nodes[below(n_nodes)] * w
            b.update(v, relu(e))
        elif kind == "prod":
            a1 = nodes[below(n_nodes)]
            b.update(v, a1 * nodes[below(n_nodes)])
        elif kind == "gated":
            g = relus[below(n_relus)]
            a1 = nodes[below(n_nodes)]
            a2 = nodes[below(n_nodes)]
            b.update(v, g * a1 + (1 - g) * a2)
        else:
            b.update(v, half_x + nodes[below(n_nodes)] * _HALF)
    b.output(nodes[-1])
    b.hidden(nodes)
    return b.build(meta={"generator": "rnnsim.bench.netgen.random_network", "seed": seed})


def deep_tau_gated(n: int, tau: int, *, seed: int = 0):
    """τ-step network: a one-hot phase ring p_0 … p_{τ−1} and n−τ−1 data nodes; in phase
    j the nodes of group j (mod τ) load relu/prod mixes of others, the rest hold."""
    rng = random.Random(seed)
    b = Builder(f"deep_tau{tau}_{n}", tau=tau)
    x = b.input("x")
    phases = [b.node(f"p{j}", init=1 if j == 0 else 0) for j in range(tau)]
    for j in range(tau):
        b.update(phases[j], phases[j - 1])
    m = max(1, n - tau - 1)
    data = [b.node(f"d{i}", init=Fraction(rng.randint(0, 8), 8)) for i in range(m)]
    for i, v in enumerate(data):
        g = phases[i % tau]
        a, c = rng.choice(data), rng.choice(data)
        if rng.random() < 0.5:
            load = relu(Fraction(1, 2) * a - Fraction(1, 4) * c + Fraction(1, 4) * x)
        else:
            load = a * c
        b.update(v, g * load + (1 - g) * v)
    b.output(data[-1])
    b.hidden(phases + data)
    return b.build(meta={"generator": "rnnsim.bench.netgen.deep_tau_gated", "seed": seed})
