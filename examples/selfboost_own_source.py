"""Self-boosting (Theorem 1) on your own source: a probabilistic finite automaton of your
own, a start LM, a class of distinguishers, and ε.

    python examples/selfboost_own_source.py [OUTDIR]

The source: a two-state PFA ("after a 1, the next token is 0 with probability 4/5; after a
0, fair"), over documents of length N = 7. The class: every motif of length ≤ 2 and the
window parity (with their complements, added as networks). The first two rounds are built
and verified on all 2^N documents; later ones continue on the distribution level with sizes
from the closed forms. Writes OUTDIR/own_selfboost.png and OUTDIR/own_selfboost.json.
"""

import json
import sys
from fractions import Fraction
from pathlib import Path

from constructions import families, models
from proofs_checks.lm import LM
from workflows.boost_figures import selfboost_figure
from workflows.classes import DistinguisherClass
from workflows.selfboost import selfboost
from workflows.selfboost_cli import markdown

N, k, eps = 7, 2, 0.03
out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")

# state 0 = "last token was 0 (or start)", state 1 = "last token was 1"
pfa = models.PFA(delta=((0, 1), (0, 1)), emit=((Fraction(1, 2), Fraction(1, 2)), (Fraction(4, 5), Fraction(1, 5))))
p = LM.from_callable(pfa, 2, N).distribution()

cls = DistinguisherClass(k, families.motifs(k) + families.parity(k), name="motifs+parity")
rep = selfboost(p, k=k, eps=eps, cls=cls, start=models.uniform_lm(2), max_built=2, progress=False)
print(markdown(rep))
assert not rep.failures and rep.stop == "indistinguishable"
selfboost_figure(rep, out / "own_selfboost.png")
(out / "own_selfboost.json").write_text(json.dumps(rep.as_dict(), indent=1, default=str))
print(f"wrote {out / 'own_selfboost.png'}")
