"""Boost your own language model with your own distinguisher, check the boosted network on
every document, and plot how it grows over rounds.

    python examples/own_lm_boost.py [OUTDIR]

1. an order-2 Markov LM (``models.markov_lm``) and a distinguisher built by hand with
   ``rnnsim.Builder``: "the window is 11 and the token before it is 0" (it reads the prefix);
2. check the hand-built network against its Python definition on every document
   (``workflows.testing.check_computes``: the first counterexample comes with a trace);
3. data p = the motif-avoiding source; the advantage α of d (or of 1 − d when α < 0), the
   offset r* and η = α (Lemma 1); boost (Lemma 3);
4. check the boosted network on all 2^N documents against Lemma 2's q' (``workflows.verify``);
5. growth over 4 rounds with boost and boost_simple, written to OUTDIR/own_growth.png.
"""

import sys
from fractions import Fraction
from pathlib import Path

from constructions import boosting, families, models
from proofs_checks import boost as pboost
from proofs_checks.advantage import advantage
from proofs_checks.lm import LM
from rnnsim import Builder, DistinguisherRole, relu
from workflows.boost_figures import growth_figure
from workflows.classes import DistinguisherClass
from workflows.growth import growth, markdown
from workflows.testing import assert_computes, distinguisher_function
from workflows.verify import verify

N, k = 6, 2
out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")

# 1. my LM and my distinguisher
table = {(0, 0): Fraction(1, 2), (0, 1): Fraction(2, 3), (1, 0): Fraction(1, 3), (1, 1): Fraction(1, 4)}
lm = models.markov_lm(2, table)

b = Builder("after0_11", role=DistinguisherRole(k))
x = b.input("x")
prev1 = b.node("prev1", init=0, hidden=True)          # x_{m−1} at time m
prev2 = b.node("prev2", init=0, hidden=True)          # x_{m−2} (0 before the document)
b.update(prev1, x)
b.update(prev2, prev1)
d_node = b.node("d", init=0, update=relu(x + prev1 - prev2 - 1))    # 1 iff x = 1, x_{m−1} = 1, x_{m−2} = 0
b.output(d_node)
D = b.build()


def d(j, x):
    """1 iff the window x_j x_{j+1} is 11 and the token before it is 0 (or j = 1)."""
    before = x[j - 2] if j >= 2 else 0
    return int(tuple(x[j - 1:j + 1]) == (1, 1) and before == 0)


# 2. the hand-built network computes d (every prefix of every document of length ≤ N)
print(assert_computes(D, distinguisher_function(d, k), N=N))

# 3. advantage, offset and η against the data
p = LM.from_callable(models.motif_pfa("111", "avoid"), 2, N).distribution()
q = LM.from_callable(models.markov_q(2, table), 2, N)
adv = advantage(p, q, d, k=k)
if adv.alpha < 0:                                      # boost with 1 − d instead (its advantage is −α)
    D, d = families.complement(D), families.complement_d(d)
    adv = advantage(p, q, d, k=k)
r, eta = pboost.best_offset(adv), float(adv.alpha)
print(f"α = {float(adv.alpha):.5f}, r* = {r}, η = {eta:.5f}")
boosted = boosting.boost(lm, D, k=k, r=r, eta=eta, N=N)
print(f"boosted network: size {boosted.size}, hidden {boosted.hidden_size}, τ {boosted.tau}, depth {boosted.depth}")

# 4. every output on every document against Lemma 2's q'
rep = verify(boosted, pboost.boosted_conditional(q, d, k=k, r=r, eta=eta, N=N), N, tol=1e-12)
print(rep.summary())
assert rep.ok

# 5. growth over rounds (my distinguisher and its complement, in turn) and the figure
g = growth([k], rounds=4, cls=DistinguisherClass(k, [("after0_11", b.build())]), start=lm, max_nodes=600,
           progress=False)
print(markdown(g))
assert not g.failures
growth_figure(g, out / "own_growth.png")
print(f"wrote {out / 'own_growth.png'}")
