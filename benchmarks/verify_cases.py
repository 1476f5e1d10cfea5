"""The problems of the verification benchmark (benchmarks/bench_verify.py): the demo's
(motif-avoiding source, best order-1 Markov fit, best window-3 pattern distinguisher, r*,
η = α) at any N, and ``boosting.iterate`` with k = 2, N = 6, round by round against the
exact nested Lemma 2 chain. Importable from tests (``sys.path`` + ``from verify_cases
import iterate_case``; ``bench_verify`` re-exports them)."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

from constructions import boosting, models
from proofs_checks import boost as pboost
from proofs_checks.advantage import advantage
from proofs_checks.lm import LM
from workflows import demo

HERE = Path(__file__).resolve().parent
CACHE = HERE / "results" / "cache"


# ---- problems ---------------------------------------------------------------------------------

def demo_problem_slow(N: int, k: int = 3) -> dict:
    """The demo's default problem by the demo's own functions (``demo.default_problem``
    without its N ≤ 14 cap): exact over all 2^N documents, minutes at N = 18."""
    pfa = models.motif_pfa((1, 1, 1), "avoid")
    p = LM.from_callable(pfa, 2, N).distribution()
    table = demo.best_markov_fit(p, 1)
    q = LM.from_callable(models.markov_q(1, table), 2, N)
    patterns = demo.best_patterns(p, q, k)
    adv = advantage(p, q, models.pattern_d(k, patterns), k=k)
    return dict(table=table, patterns=patterns, r=pboost.best_offset(adv), eta=float(adv.alpha), N=N, k=k)


def demo_problem_fast(N: int, k: int = 3) -> dict:
    """The same problem by a forward pass over the automaton's states (exact Fractions, O(N)):
    the Markov fit from the pair marginals P(x_{i−1} = c, x_i = 1) (x_0 = 0), each window
    pattern's advantage A_j(w) = Σ_c P(x_{j−1} = c)·q(w | c) − P(x_{j..j+k−1} = w), the
    pattern set {w : Σ_j A_j(w) > 0}, r* and η = α. Checked equal to the slow path (``--check``)."""
    from itertools import product

    from proofs_checks.advantage import Advantage, offsets

    pfa = models.motif_pfa((1, 1, 1), "avoid")
    delta, emit = pfa.delta, pfa.emit
    # F[i]: {(state after i tokens, x_i): probability}, x_0 = 0 (the Markov fit's padding)
    F = [{(pfa.start, 0): Fraction(1)}]
    for _ in range(N):
        nxt: dict = {}
        for (s, _c), pr in F[-1].items():
            for a in (0, 1):
                if emit[s][a]:
                    key = (delta[s][a], a)
                    nxt[key] = nxt.get(key, 0) + pr * emit[s][a]
        F.append(nxt)
    tot, ones = {0: Fraction(0), 1: Fraction(0)}, {0: Fraction(0), 1: Fraction(0)}
    for i in range(1, N + 1):
        for (s, c), pr in F[i - 1].items():
            tot[c] += pr
            ones[c] += pr * emit[s][1]
    table = {(c,): (ones[c] / tot[c]) if tot[c] else Fraction(1, 2) for c in (0, 1)}
    q1 = {c: table[(c,)] for c in (0, 1)}

    def q_block(w, c):                   # q(w | previous token c)
        v = Fraction(1)
        for t in w:
            v *= q1[c] if t == 1 else 1 - q1[c]
            c = t
        return v

    def p_block(j, w):                   # P(x_j … x_{j+k−1} = w)
        v = Fraction(0)
        for (s, _c), pr in F[j - 1].items():
            for t in w:
                pr *= emit[s][t]
                s = delta[s][t]
            v += pr
        return v

    M = N - k + 1
    prev = [{0: Fraction(1), 1: Fraction(0)}] + [
        {c: sum((pr for (s, cc), pr in F[j - 1].items() if cc == c), Fraction(0)) for c in (0, 1)}
        for j in range(2, M + 1)]
    A = {w: [sum((prev[j - 1][c] * q_block(w, c) for c in (0, 1)), Fraction(0)) - p_block(j, w)
             for j in range(1, M + 1)] for w in product((0, 1), repeat=k)}
    patterns = [w for w in product((0, 1), repeat=k) if sum(A[w]) / M > 0]
    Aj = [sum((A[w][j] for w in patterns), Fraction(0)) for j in range(M)]
    I = offsets(k, M)
    adv = Advantage(k, M, Aj, [], [], sum(Aj, Fraction(0)) / M, I, {r: len(I[r]) for r in I},
                    {r: sum((Aj[j - 1] for j in I[r]), Fraction(0)) for r in I})
    return dict(table=table, patterns=patterns, r=pboost.best_offset(adv), eta=float(adv.alpha), N=N, k=k)


def demo_problem(N: int, k: int = 3) -> dict:
    """The demo's problem at N (cached in benchmarks/results/cache/)."""
    path = CACHE / f"demo-N{N}-k{k}.json"
    if path.exists():
        c = json.loads(path.read_text())
        table = {(int(key),): Fraction(v) for key, v in c["q_table"].items()}
        patterns = [tuple(int(ch) for ch in w) for w in c["patterns"]]
        return dict(table=table, patterns=patterns, r=c["r"], eta=c["eta"], N=N, k=k)
    pr = demo_problem_fast(N, k)
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"q_table": {str(c[0]): str(v) for c, v in pr["table"].items()},
                                "patterns": ["".join(map(str, w)) for w in pr["patterns"]], "r": pr["r"],
                                "eta": pr["eta"]}))
    return pr


def demo_case(N: int):
    pr = demo_problem(N)
    k, r, eta = pr["k"], pr["r"], pr["eta"]
    net = boosting.boost(models.markov_lm(1, pr["table"]), models.pattern_distinguisher(k, pr["patterns"]),
                         k=k, r=r, eta=eta, N=N)
    d = models.pattern_d(k, pr["patterns"])
    q_table = LM.from_callable(models.markov_q(1, pr["table"]), 2, N)       # what the demo holds
    expected = pboost.boosted_conditional(q_table, d, k=k, r=r, eta=eta, N=N)
    return net, expected, expected, pr


def iterate_case(rounds: int, k: int = 2, N: int = 6):
    pfa = models.motif_pfa((1, 1, 1), "avoid")
    p = LM.from_callable(pfa, 2, N).distribution()
    table = demo.best_markov_fit(p, 1)
    q_lm = LM.from_callable(models.markov_q(1, table), 2, N)
    net = models.markov_lm(1, table)
    chain = models.markov_q(1, table)
    picks = []
    for t in range(rounds):
        patterns = demo.best_patterns(p, q_lm, k)
        d = models.pattern_d(k, patterns)
        adv = advantage(p, q_lm, d, k=k)
        r = pboost.best_offset(adv)
        w = Fraction(math.exp(-float(adv.alpha)))
        net = boosting.boost(net, models.pattern_distinguisher(k, patterns), k=k, r=r, factor=w, N=N,
                             name=f"boost{t + 1}")
        chain = pboost.boosted_conditional(chain, d, k=k, r=r, factor=w, N=N, b=2)
        q_lm = chain.table()
        picks.append({"patterns": ["".join(map(str, s)) for s in patterns], "r": r, "alpha": float(adv.alpha)})
    return net, chain, picks


