"""Workflow ``rnnsim check``: every distribution-level statement of THEORY §3 (Lemmas 1, 2, 4–6,
13–16, Theorem 3, Appendix B) on a batch of random instances.

Each check draws a random instance (alphabet 2–3, N ≤ 8, k ≤ 4; see
:mod:`proofs_checks.instances`), measures the statement's two sides and returns the *slack*
= bound − measured (for an equality: −|left − right|, exactly 0 in exact arithmetic). A
check passes when its worst slack over all instances is ≥ −tol (tol = 0 for exact checks,
a stated float64 tolerance otherwise); an exception fails the check with its message.

``run_checks(n_instances=100, seed=0, only=None) -> list[dict]`` — one row per check: lemma,
check, instances, worst_slack, tol, passed, error, seconds, worst_instance.
``main(argv=None) -> int`` — prints the table; exit status 0 iff every check passed.
Options: ``--instances N``, ``--seed S``, ``--only SUBSTRING`` (lemma or check name).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from fractions import Fraction
from typing import Callable

import numpy as np

from proofs_checks import advantage as adv
from proofs_checks import boost as pboost
from proofs_checks import bounds as bd
from proofs_checks import factoring as fx
from proofs_checks import textdist as td
from proofs_checks.instances import random_instance

__all__ = ["CHECKS", "run_checks", "main", "format_rows"]

FTOL = 1e-12


def _inst(rng, **kw):
    """A random instance in which d depends on some window (a d that is constant on every
    window given its prefix has A_j = 0 for all j, so every bound is 0 = gain and the
    table would show the trivial slack 0 instead of the real one)."""
    while True:
        i = random_instance(rng, density=float(rng.uniform(0.2, 0.8)), **kw)
        if any((i.d.window(j).min(axis=1) != i.d.window(j).max(axis=1)).any() for j in range(1, i.N - i.k + 2)):
            return i


def _offset(rng, i) -> int:
    """An offset r with I_r non-empty (r ≤ min(k, M))."""
    return int(rng.integers(1, min(i.k, i.N - i.k + 1) + 1))


def _factor(rng) -> Fraction:
    return Fraction(int(rng.integers(1, 20)), 20)


# --------------------------------------------------------------------------- the checks
# each: rng -> (slack, description of the instance)

def _identity_exact(rng, identity):
    """Lemmas 5, 6 exactly: ``identity(p, q) -> (left, right)``; slack 0 iff left == right."""
    i = _inst(rng, exact=True, max_docs=81)
    l, r = identity(i.p, i.q)
    return (0 if l == r else -1), i


def _identity_float(rng, residual):
    """Lemmas 5, 6 in float64: ``residual(p, q)`` = |left − right|, relative to 1 + N·L."""
    i = _inst(rng, exact=False, max_docs=729)
    return -residual(i.p, i.q) / (1 + i.N * td.next_token_loss(i.p, i.q)), i


def _advantage_identities(rng):
    i = _inst(rng, exact=True, max_docs=243)
    a = adv.advantage(i.p, i.q, i.d, k=i.k)
    c = adv.advantage(i.p, i.q, i.d.complement(), k=i.k)
    ok = (c.A == [-v for v in a.A] and sum(a.S.values()) == a.M * a.alpha and sum(a.n.values()) == a.M
          and all(v == 0 for v in adv.advantage(i.p, i.p.as_lm(), i.d, k=i.k).A))
    return (0 if ok else -1), i


def _lemma1_normalized(rng):
    i = _inst(rng, exact=True, max_docs=243)
    qp = pboost.boosted_text(i.q, i.d, k=i.k, r=_offset(rng, i), factor=_factor(rng))
    return (0 if sum(qp.probs) == 1 else -1), i


def _lemma1_gain(rng, which):
    i = _inst(rng, exact=False, max_docs=729)
    rep = pboost.lemma1(i.p, i.q, i.d, k=i.k, r=_offset(rng, i), eta=float(rng.uniform(0.01, 3)))
    return rep.gain - (rep.bound_exp if which == "exp" else rep.bound_quad), i


def _lemma1_alpha(rng, which):
    i = _inst(rng, exact=False, max_docs=729)
    rep = pboost.lemma1_alpha(i.p, i.q, i.d, k=i.k)
    return rep.gain - (rep.bound_M if which == "M" else rep.bound_paper), i


def _lemma2_equals_lemma1(rng):
    i = _inst(rng, exact=True, max_docs=81)
    r, w = _offset(rng, i), _factor(rng)
    T = pboost.boosted_conditional(i.q, i.d, k=i.k, r=r, factor=w, N=i.N).table()
    q1 = pboost.boosted_text(i.q, i.d, k=i.k, r=r, factor=w)
    ok = list(T.text()) == list(q1.probs)
    for m in range(i.N):
        for P in range(0, i.b ** m, max(1, i.b ** m // 5)):
            prefix = tuple((P // i.b ** (m - 1 - t)) % i.b for t in range(m))
            ok = ok and q1.conditional(prefix) == tuple(T(prefix))
    return (0 if ok else -1), i


def _theorem3(rng):
    i = _inst(rng, exact=False, max_docs=729)
    t = bd.theorem3(i.p, i.q, i.d, k=i.k)
    return min(t.slack, min(t.window_gap), t.chain_gap), i


def _lemma13(rng):
    m, delta = int(rng.integers(1, 13)), float(rng.uniform(0, 0.5))
    diff, bound = bd.lemma13(*bd.random_lemma13(rng, m, delta))
    return bound - diff, f"m={m}, δ={delta:.3g}"


def _lemma14(rng):
    args = bd.random_lemma14(rng)
    diff, bound = bd.lemma14(*args)
    return bound - diff, "a, b, ã, b̃, μ = " + ", ".join(f"{v:.3g}" for v in args)


def _lemma15(rng):
    i = _inst(rng, exact=True, max_docs=81)
    mu = min(v for lv in i.q.levels for v in lv.reshape(-1))
    gap, low, bound = bd.lemma15(i.q, i.d, k=i.k, r=_offset(rng, i), mu=mu, factor=_factor(rng))
    return float(min(gap, low - bound)), i


def _lemma16(rng):
    b, N = int(rng.integers(2, 4)), int(rng.integers(1, 6))
    p, qt, qp, mu = bd.random_lemma16(rng, b, N, tight=bool(rng.random() < 0.2))
    diff, bound, _ = bd.lemma16(p, qt, qp, mu)
    return bound - diff, f"b={b}, N={N}, μ={mu:.3g}"


def _lemma4_count(rng):
    n, eps = int(rng.integers(1, 60)), float(rng.uniform(0.001, 3))
    count, bound = bd.lemma4_count(bd.random_monotone(rng, n), eps)
    return bound - count, f"n={n}, ε={eps:.3g}"


def _lemma4_closed_form(rng):
    R0, H0, tau0, D, HD, tauD = (int(v) for v in rng.integers(1, 30, size=6))
    k, t = int(rng.integers(1, 5)), int(rng.integers(0, 9))
    tau0 = max(tau0, tauD)
    kw = dict(D=D, HD=HD, tauD=tauD, k=k, c=3, c0=5, c_tau=7)
    seq = bd.boosting_sequence(R0 + H0, H0, tau0, rounds=t, **kw)
    ok = all(bd.boosting_closed_form(R0 + H0, H0, tau0, t=s, **kw) == seq[s] for s in range(t + 1))
    return (0 if ok else -1), f"k={k}, rounds={t}"


def _appendix_b(rng):
    n = int(rng.integers(1, 4))
    dist = fx.FactorizationDistribution(n)
    doc = list(dist.sample(1, rng)[0])
    ok = fx.verify(doc, n) == 1
    i = int(rng.integers(dist.N))
    doc[i] = (doc[i] + int(rng.integers(1, dist.b))) % dist.b
    text = fx.decode(doc).rstrip(" ")
    if fx.verify(doc, n):     # only another valid factorization may survive a corruption
        P, rest = text.split("=")
        p, q = rest.split("x")
        ok = ok and int(p) * int(q) == int(P)
    return (0 if ok else -1), f"n={n}"


CHECKS: list[tuple[str, str, Callable, float]] = [
    ("Lemma 5", "exact: Π q(z|·)^{Dp(z)} = Π q(x)^{Dp(x)}", lambda r: _identity_exact(r, td.lemma5_exact), 0),
    ("Lemma 5", "float64: N·L = −E log q(x) (relative)", lambda r: _identity_float(r, td.check_lemma5), FTOL),
    ("Lemma 6", "exact: exp(D·N·L) = exp(D·H)·exp(D·KL)", lambda r: _identity_exact(r, td.lemma6_exact), 0),
    ("Lemma 6", "float64: N·L = H + KL (relative)", lambda r: _identity_float(r, td.check_lemma6), FTOL),
    ("§3 advantage", "advantage: 1−d flips A_j; Σ S_r = Mα; q = p ⇒ A = 0", _advantage_identities, 0),
    ("Lemma 1", "exact: Σ_x q'(x) = 1", _lemma1_normalized, 0),
    ("Lemma 1", "gain ≥ η S_r − (η−1+e^−η) n_r", lambda r: _lemma1_gain(r, "exp"), FTOL),
    ("Lemma 1", "gain ≥ η S_r − η² n_r / 2", lambda r: _lemma1_gain(r, "quad"), FTOL),
    ("Lemma 1", "η = α, r*: gain ≥ α² M / (2k)", lambda r: _lemma1_alpha(r, "M"), FTOL),
    ("Lemma 1", "η = α, r*: gain ≥ α² N / (4k) (paper)", lambda r: _lemma1_alpha(r, "paper"), FTOL),
    ("Lemma 2", "exact: Σuv1_num/Σuv1_den = conditional of Lemma 1", _lemma2_equals_lemma1, 0),
    ("Theorem 3", "|α| ≤ sqrt(k·KL/(2M)) (and proof steps)", _theorem3, FTOL),
    ("Lemma 13", "|Π a − Π b| ≤ m δ", _lemma13, FTOL),
    ("Lemma 14", "|ã/b̃ − a/b| ≤ 2δ/(μ−δ)", _lemma14, FTOL),
    ("Lemma 15", "exact: q' ≥ e^−η q ≥ μ e^−η", _lemma15, 0),
    ("Lemma 16", "L(q̃) − L(q') ≤ −log(1 − δ/μ)", _lemma16, FTOL),
    ("Lemma 4", "#{m: L_m − L_m+1 > ε} ≤ L_0/ε", _lemma4_count, 0),
    ("Lemma 4", "boosting size/hidden/τ closed forms = recursion", _lemma4_closed_form, 0),
    ("Appendix B", "verifier: accepts samples, rejects corruptions", _appendix_b, 0),
]


def run_checks(n_instances: int = 100, seed: int = 0, only: str | None = None) -> list[dict]:
    """Run every check on ``n_instances`` random instances (seeded); one row per check."""
    rows = []
    for idx, (lemma, name, fn, tol) in enumerate(CHECKS):
        if only and only.lower() not in (lemma + " " + name).lower():
            continue
        rng = np.random.default_rng([seed, idx])
        worst, worst_inst, error = math.inf, None, None
        t0 = time.perf_counter()
        done = 0
        for _ in range(n_instances):
            try:
                slack, inst = fn(rng)
            except Exception as e:  # noqa: BLE001 - a crashing check is a failed check
                error = f"{type(e).__name__}: {e}"
                break
            done += 1
            slack = float(slack)
            if slack < worst or (math.isnan(slack)):
                worst, worst_inst = slack, (inst if isinstance(inst, str) else repr(inst))
        passed = error is None and not math.isnan(worst) and worst >= -tol
        rows.append(dict(lemma=lemma, check=name, instances=done, worst_slack=worst, tol=tol,
                         passed=passed, error=error, seconds=time.perf_counter() - t0,
                         worst_instance=worst_inst))
    return rows


def format_rows(rows: list[dict]) -> str:
    w = max([11] + [len(r["lemma"]) for r in rows])
    head = f"{'lemma':<{w}} {'check':<52} {'inst':>5} {'worst slack':>12} {'tol':>7}  result"
    lines = [head, "-" * len(head)]
    for r in rows:
        res = "pass" if r["passed"] else "FAIL"
        lines.append(f"{r['lemma']:<{w}} {r['check']:<52} {r['instances']:>5} {r['worst_slack']:>12.3e} "
                     f"{r['tol']:>7.0e}  {res}")
        if not r["passed"]:
            lines.append(f"{'':<{w}}   {r['error'] or 'worst instance: ' + str(r['worst_instance'])}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="rnnsim check", description="Check the distribution-level lemmas "
                                 "(THEORY §3) on random instances; exits non-zero on any failure.")
    ap.add_argument("--instances", type=int, default=100, help="random instances per check (default 100)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--only", default=None, help="run only checks whose lemma or name contains this")
    args = ap.parse_args(argv)
    if args.instances < 1:
        ap.error("--instances must be ≥ 1")
    t0 = time.perf_counter()
    rows = run_checks(args.instances, args.seed, args.only)
    print(format_rows(rows))
    failed = [r for r in rows if not r["passed"]]
    print(f"\n{len(rows) - len(failed)}/{len(rows)} checks passed, {args.instances} instances each, "
          f"seed {args.seed}, {time.perf_counter() - t0:.1f} s")
    if not rows:
        print(f"rnnsim: error: rnnsim check: --only {args.only!r} matched no check (see rnnsim check --help)",
              file=sys.stderr)   # the CLI contract: one line, status 2
        return 2
    return 1 if failed else 0
