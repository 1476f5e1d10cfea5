"""Workflow ``rnnsim demo``: one boosting round of the paper (Lemmas 1–3), end to end, checked exhaustively.

What it shows (paper: Lemma 1, Lemma 2, Lemma 3; THEORY §3 and §4.6). A true distribution p
with structure an order-1 Markov model cannot represent — the motif-filtering automaton
of the global-autoregressive-models literature that never completes a motif μ (default
μ = 111: "never three ones in a row"), exactly uniform among the allowed next tokens — and
the *best* order-1 Markov fit q to p (computed exactly: q(1|c) = Σ_i P_p(x_{i−1}=c,
x_i=1) / Σ_i P_p(x_{i−1}=c), with the document padded by a 0 on the left as in
``models.markov_lm``). The distinguisher is the pattern-set distinguisher of window k
whose pattern set P = {w ∈ Σ^k : Σ_j (E_q − E_p)[1(window_j = w)] > 0} maximizes the
advantage among window-only distinguishers; it sees what q gets wrong. Then:

1. the advantage α (model minus data) and S_r, n_r are computed exactly
   (``proofs_checks.advantage``), r* = argmax_r (α·S_r − α²·n_r/2) and η = α (THEORY §3,
   Lemma 1);
2. the boosted LM RNN R' = ``boosting.boost(R, D, k=k, r=r*, eta=η, N=N)`` is built from
   the Markov network R and the distinguisher network D (Lemma 3) — :func:`build_boosted`,
   the one call that needs the boosting construction;
3. R' is simulated on *all* 2^N documents and every output is compared with Lemma 2's
   q'(x_i | x_<i) (``workflows.verify``: prefix tree, sharded over local processes or a Dask
   cluster; expected rows from ``proofs_checks.boost``); the run
   fails (exit code 1) when the largest error exceeds 1e-9 (float64), when the KL gain is
   below the Lemma 1 bound η·S_r − (η−1+e^−η)·n_r or below α²M/(2k), or when a size / τ /
   depth claim is violated;
4. a markdown table is printed: loss and KL before/after, the guaranteed improvements,
   and the network's size, hidden size, τ and depth next to their bounds.

``main(argv)`` is the entry point of ``rnnsim demo`` (options ``--N --k --seed --motif
--engine --json --workers --scheduler``); everything it computes is also available from :func:`run`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

import rnnsim
from constructions import bitsize, boosting, models
from proofs_checks import boost as pboost
from proofs_checks.advantage import advantage
from proofs_checks.bounds import lemma16
from proofs_checks.textdist import LM, entropy, kl, next_token_loss
from rnnsim import ConstructionError, all_documents
from rnnsim.cli_paths import check_writable
from rnnsim.engines import available_engines, select_engine
from rnnsim.strings import all_strings

from .bits import check_measured_bits
from .verify import verify

TOL = 1e-9  # largest allowed |R'(x_≤i) − q'(x_i | x_<i)| in float64
DELTA = Fraction(1, 2 ** 12)  # output error the fixed-point format must guarantee (Lemma 12)


# ---- the problem ---------------------------------------------------------------------------

@dataclass
class Problem:
    """p (true), q (base LM, best order-1 Markov fit), d (distinguisher) and their networks."""

    N: int
    k: int
    motif: tuple[int, ...]
    noise: Fraction
    pfa: Any                      # models.PFA (the true source)
    p: Any                        # textdist.Distribution (exact)
    q_table: dict                 # context tuple → P(1 | context) (Fractions)
    q: Any                        # textdist.LM (exact)
    lm_net: Any                   # rnnsim.RNN computing q
    patterns: list[tuple[int, ...]]
    d: Any                        # callable d(j, x)
    dist_net: Any                 # rnnsim.RNN computing d


def best_markov_fit(p, order: int = 1) -> dict[tuple[int, ...], Fraction]:
    """Exact maximum-likelihood order-``order`` Markov model for p over Σ^N (binary), with the
    0-padded context convention of ``models.markov_lm``: q(1|c) = (expected number of
    positions with context c followed by 1) / (expected number of positions with context c).
    Among all order-m chains it minimises L_p(q) (per context it is the cross-entropy
    minimiser of a Bernoulli). Unseen contexts get 1/2."""
    docs = all_documents(2, p.N)
    pad = np.concatenate([np.zeros((len(docs), order), dtype=np.int64), docs], axis=1)
    ones: dict[tuple[int, ...], Fraction] = {}
    tot: dict[tuple[int, ...], Fraction] = {}
    probs = p.probs
    for row, px in zip(pad, probs):
        if px == 0:
            continue
        for i in range(p.N):
            c = tuple(int(t) for t in row[i:i + order])
            tot[c] = tot.get(c, 0) + px
            if row[i + order] == 1:
                ones[c] = ones.get(c, 0) + px
    ctxs = all_strings(order)
    return {c: (Fraction(ones.get(c, 0)) / tot[c]) if tot.get(c) else Fraction(1, 2) for c in ctxs}


def best_patterns(p, q, k: int) -> list[tuple[int, ...]]:
    """P = {w ∈ Σ^k : Σ_j (E_{x<j∼p} q(w | x<j) − p(window_j = w)) > 0}: the window-only
    distinguisher with the largest advantage (each pattern contributes its own term)."""
    out = []
    for w in all_strings(k):
        a = advantage(p, q, lambda j, x, w=w: int(tuple(x[j - 1:j - 1 + k]) == w), k=k)
        if a.alpha > 0:
            out.append(w)
    return out


def default_problem(N: int = 10, k: int = 3, *, seed: int | None = None, motif=None) -> Problem:
    """The embedded default (see the module docstring). ``seed`` draws a random motif of
    length 3 (not all zeros) and a noise level ε ∈ {0, 1/20, 1/10} mixing the emissions
    with the uniform distribution; without it μ = 111 and ε = 0."""
    if not (isinstance(k, int) and 1 <= k <= 4):
        raise ConstructionError(f"window k must be 1 … 4 for the demo, got {k!r}")
    if not (isinstance(N, int) and k <= N <= 14):
        raise ConstructionError(f"document length N must be an integer with k ≤ N ≤ 14, got {N!r}")
    noise = Fraction(0)
    if motif is None:
        if seed is None:
            motif = (1, 1, 1)
        else:
            rng = np.random.default_rng(seed)
            motif = tuple(int(v) for v in rng.integers(0, 2, size=3))
            if not any(motif):
                motif = motif[:-1] + (1,)
            noise = Fraction(int(rng.integers(0, 3)), 20)
    motif = tuple(int(c) for c in (motif if not isinstance(motif, str) else motif.strip()))
    pfa = models.motif_pfa(motif, "avoid", noise=noise)
    p = LM.from_callable(pfa, 2, N).distribution()
    table = best_markov_fit(p, 1)
    q = LM.from_callable(models.markov_q(1, table), 2, N)
    lm_net = models.markov_lm(1, table)
    patterns = best_patterns(p, q, k)
    if not patterns:
        raise ConstructionError(f"q equals p on every window of length {k}: nothing to boost (motif {motif})")
    d = models.pattern_d(k, patterns)
    dist_net = models.pattern_distinguisher(k, patterns)
    return Problem(N, k, motif, noise, pfa, p, table, q, lm_net, patterns, d, dist_net)


# ---- the boost step (the one call into the construction) -------------------------------------

def build_boosted(problem: Problem, r: int, eta: float):
    """Lemma 3: the boosted LM RNN R' from the Markov network and the distinguisher network."""
    return boosting.boost(problem.lm_net, problem.dist_net, k=problem.k, r=r, eta=eta, N=problem.N)


# ---- running and checking --------------------------------------------------------------------

@dataclass
class Result:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)  # quantity, value, bound, ok
    numbers: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, quantity: str, value, bound: str = "", ok: bool | None = None, key: str | None = None):
        self.rows.append((quantity, _fmt(value), bound, "" if ok is None else ("✓" if ok else "✗ FAIL")))
        if key:
            self.numbers[key] = _jsonable(value)
        if ok is False:
            self.failures.append(f"{quantity}: {_fmt(value)} violates {bound}")


def fastest_engine(engine: str = "auto") -> str:
    """``auto`` → the compiled CPU engine when it is available here (the core's ``auto``
    prefers the reference engine for small jobs; the exhaustive check is not small for it)."""
    if engine != "auto":
        return engine
    return "numba" if available_engines().get("numba") is None else "reference"


def run(N: int = 10, k: int = 3, *, seed: int | None = None, motif=None, engine: str = "auto",
        boost_fn=None, delta=DELTA, workers: int | None = None, scheduler=None) -> Result:
    """The whole demo; returns the table rows, the numbers and the failed checks.
    ``boost_fn(problem, r, eta) -> RNN`` replaces :func:`build_boosted` (tests);
    ``delta``: output error for the fixed-point part (Lemma 12), None to skip it;
    ``workers`` / ``scheduler``: where the exhaustive check runs (:func:`workflows.verify.verify`)."""
    t0 = time.perf_counter()
    engine = fastest_engine(engine)
    pr = default_problem(N, k, seed=seed, motif=motif)
    res = Result()
    M = N - k + 1
    adv = advantage(pr.p, pr.q, pr.d, k=k)
    alpha = adv.alpha
    r = pboost.best_offset(adv)
    eta = float(alpha)
    S_r, n_r = adv.S[r], adv.n[r]
    # the networks compute p's model q and d (checked, cheap)
    q_rnn = LM.from_outputs(rnnsim.simulate_all(pr.lm_net, N, "float64", engine=engine), 2, tol=1e-9)
    q_err = max(float(np.max(np.abs(a - np.asarray(b, dtype=np.float64))))
                for a, b in zip(q_rnn.levels, pr.q.levels))
    t_build = time.perf_counter()
    boosted = (boost_fn or build_boosted)(pr, r, eta)
    t_sim = time.perf_counter()
    # every output on every document against Lemma 2's q' (workflows.verify: prefix tree,
    # sharded over workers / a Dask cluster)
    expected = pboost.boosted_conditional(pr.q, pr.d, k=k, r=r, eta=eta, N=N)
    ver = verify(boosted, expected, N, tol=TOL, engine=engine, workers=workers, scheduler=scheduler,
                 keep_outputs=True)
    out, err = ver.outputs, float(ver.max_error)
    t_check = time.perf_counter()
    q_boost = LM.from_outputs(out, 2, tol=1e-9)
    loss_q, loss_b = next_token_loss(pr.p, pr.q), next_token_loss(pr.p, q_boost)
    kl_q, kl_b = kl(pr.p, pr.q), kl(pr.p, q_boost)
    gain = kl_q - kl_b
    lemma1_bound = eta * float(S_r) - (eta - 1 + math.exp(-eta)) * n_r
    alpha_bound = float(alpha) ** 2 * M / (2 * k)
    t_end = time.perf_counter()

    mot = "".join(map(str, pr.motif))
    res.add("true p: motif-avoiding automaton, motif μ", mot + (f", noise {pr.noise}" if pr.noise else ""), key="motif")
    res.add("document length N / window k / M = N−k+1", f"{N} / {k} / {M}")
    res.numbers.update(N=N, k=k, M=M, noise=str(pr.noise))
    res.add("base LM q: best order-1 Markov fit, q(1|0), q(1|1)",
            f"{_fmt(float(pr.q_table[(0,)]))}, {_fmt(float(pr.q_table[(1,)]))}", key="q_table")
    res.numbers["q_table"] = {"0": str(pr.q_table[(0,)]), "1": str(pr.q_table[(1,)])}
    res.add("distinguisher d: window patterns P", " ".join("".join(map(str, w)) for w in pr.patterns))
    res.numbers["patterns"] = ["".join(map(str, w)) for w in pr.patterns]
    res.add("Markov RNN = q (max abs error, all documents)", q_err, f"≤ {TOL:g}", q_err <= TOL, key="q_rnn_error")
    res.add("advantage α = (1/M) Σ_j A_j (exact)", float(alpha), "> 0", alpha > 0, key="alpha")
    res.numbers["alpha_exact"] = str(alpha)
    res.add("offset r* = argmax_r (α S_r − α² n_r / 2), η = α", f"r* = {r}, η = {_fmt(eta)}")
    res.numbers.update(r=r, eta=eta, S_r=float(S_r), n_r=n_r)
    res.add("S_r*, n_r*", f"{_fmt(float(S_r))}, {n_r}")
    res.add("max |R'(x_≤i) − q'(x_i|x_<i)| over all 2^N documents (Lemma 2)", err, f"≤ {TOL:g}", err <= TOL,
            key="max_abs_error")
    res.numbers["verify"] = {key: ver.as_dict()[key] for key in
                             ("worst_document", "worst_position", "shards", "backend", "workers", "retries")}
    res.add("entropy rate H(p)/N", entropy(pr.p) / N, key="entropy_rate")
    res.add("next-token loss L_p(q) before", loss_q, key="loss_before")
    res.add("next-token loss L_p(q') after", loss_b, "< before", loss_b < loss_q, key="loss_after")
    res.add("KL(p‖q) before", kl_q, key="kl_before")
    res.add("KL(p‖q') after", kl_b, key="kl_after")
    res.add("KL gain KL(p‖q) − KL(p‖q')", gain, key="kl_gain")
    res.add("guarantee η·S_r − (η−1+e^−η)·n_r (Lemma 1)", lemma1_bound, "≤ gain", gain >= lemma1_bound - 1e-12,
            key="bound_lemma1")
    res.add("guarantee α²·M/(2k) (Lemma 1, η = α, r = r*)", alpha_bound, "≤ gain", gain >= alpha_bound - 1e-12,
            key="bound_alpha")
    res.add("loss gain = KL gain / N (Lemma 6)", loss_q - loss_b, f"= {_fmt(gain / N)}",
            abs((loss_q - loss_b) - gain / N) <= 1e-9, key="loss_gain")
    _network_rows(res, pr, boosted)
    if delta and res.failures:
        res.add("fixed-point part (Lemma 12)", "skipped: the exact checks above failed")
    elif delta:
        _bit_rows(res, pr, boosted, out, q_boost, Fraction(delta), engine)
    t_bits = time.perf_counter()
    res.add(f"build / simulate + check all documents ({engine}, {ver.shards} shards) / losses / bit size time (s)",
            f"{t_sim - t_build:.2f} / {t_check - t_sim:.2f} / {t_end - t_check:.2f} / {t_bits - t_end:.2f}",
            f"total {t_bits - t0:.1f} s")
    res.numbers["time_s"] = {"build": t_sim - t_build, "simulate": t_check - t_sim,
                             "check": t_end - t_check, "bits": t_bits - t_end, "total": t_bits - t0}
    res.numbers["engine"] = engine
    return res


def _network_rows(res: Result, pr: Problem, net) -> None:
    """Size, hidden size, τ and depth of R' against the builder's claims and THEORY §4.6 bounds
    (``net.claims``: the construction's closed forms and bounds, typed)."""
    R, D, k = pr.lm_net, pr.dist_net, pr.k
    tau_max = max(R.tau, D.tau)
    spec = {
        "size": f"|R| + 2|H_R| + |D| + 2|H_D| + c·k + c0 = {R.size + 2 * R.hidden_size + D.size + 2 * D.hidden_size} + c·k + c0",
        "hidden_size": f"|H_R| + |H_D| + c·k + c0 = {R.hidden_size + D.hidden_size} + c·k + c0",
        "tau": f"(2^k+1)·k·(max(τ_R, τ_D)+1) + c = {(2 ** k + 1) * k * (tau_max + 1)} + c",
        "depth": f"max(depth R, depth D) + c = {max(R.depth, D.depth)} + c",
    }
    names = {"size": "size |R'|", "hidden_size": "hidden size |H_R'|", "tau": "RNN-time τ'", "depth": "depth"}
    if net.claims is None:
        raise ConstructionError(f"demo: the boosted network {net.name!r} states no claims; build it with "
                                "constructions.boosting.boost")
    for row in net.claims.compare(net):
        parts = [f"claimed {row.claimed}"] + ([f"bound {row.bound}"] if row.bound is not None else [])
        parts.append(f"THEORY: {spec[row.quantity]}")
        res.add(names[row.quantity], row.built, "; ".join(parts), row.ok)
        res.numbers[row.quantity] = {"value": row.built, "claimed": row.claimed, "bound": row.bound}
    res.numbers["base"] = {"lm": {"size": R.size, "hidden": R.hidden_size, "tau": R.tau, "depth": R.depth},
                           "dist": {"size": D.size, "hidden": D.hidden_size, "tau": D.tau, "depth": D.depth}}


def _bit_rows(res: Result, pr: Problem, net, out: np.ndarray, q_boost, delta: Fraction, engine: str) -> None:
    """Lemma 12 / Theorem 2: a fixed-point format with proved output error ≤ δ, and checks
    (a)–(d) of THEORY §5 on every document."""
    N = pr.N
    mu = bitsize.lm_min_prob(pr.lm_net)
    ch = bitsize.choose_format(net, delta)      # the round-by-round analysis (constructions.lemma12)
    fmt, proved = ch.fixed, ch.analysis.output_error
    res.add("μ = least next-token probability of q (range analysis)", float(mu), key="mu")
    res.add(f"fixed format for |q̃ − q'| ≤ δ = {_fmt(float(delta))} (Lemma 12): 1 + i + f bits",
            f"{fmt} ({fmt.bits} bits)", f"proved error ≤ {_fmt(float(proved))}", proved <= delta)
    res.numbers["fixed"] = {"int_bits": fmt.int_bits, "frac_bits": fmt.frac_bits, "bits": fmt.bits,
                            "delta": float(delta), "proved_error": float(proved)}
    try:
        select_engine(net.program, fmt, engine)
        fx_engine = engine
    except rnnsim.UnsupportedFormat:  # the compiled engine cannot hold this format exactly
        fx_engine = "reference"
    try:
        fixed_out = rnnsim.simulate_all(net, N, fmt, fx_engine)
        overflow = None
    except rnnsim.FixedPointOverflow as e:  # (a)
        fixed_out, overflow = None, str(e)
    res.add(f"(a) fixed-point overflow on all 2^N documents ({fx_engine})", overflow or "none", "none",
            overflow is None)
    if fixed_out is None:
        return
    err = float(np.max(np.abs(fixed_out - out)))
    res.add("(b) max |q̃ − q'| on all 2^N documents (vs float64)", err, f"≤ δ", err <= float(delta),
            key="fixed_max_error")
    mu_b = min(float(np.min(lv)) for lv in q_boost.levels)
    diff, bound, _ = lemma16(pr.p, LM.from_outputs(fixed_out, 2, validate=False), q_boost, mu_b)
    claimed = -math.log1p(-float(delta) / mu_b)
    res.add("(c) L_p(q̃) − L_p(q') (Lemma 16, μ' = min q')", diff, f"≤ −log(1 − δ/μ') = {_fmt(claimed)}",
            diff <= claimed + 1e-12, key="fixed_loss_diff")
    docs = [list(r) for r in rnnsim.all_documents(2, N)[:: max(1, 2 ** N // 4)]]
    meas = check_measured_bits(net, ch.analysis, docs, fmt)
    mx = max(meas["measured_bits"].values())
    res.add("(d) integer bits: measured max over runs vs claimed (Claim 9)",
            f"{mx} vs {fmt.int_bits}", f"per node ≤ claimed ({len(docs)} runs)", not meas["violations"])
    res.numbers["measured_int_bits"] = mx


def markdown(res: Result) -> str:
    lines = ["| quantity | value | bound / guarantee | check |", "|---|---|---|---|"]
    for row in res.rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    """``rnnsim demo``: exit code 0 when every check passes, 1 otherwise."""
    ap = argparse.ArgumentParser(prog="rnnsim demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--N", type=int, default=10, help="document length (default 10)")
    ap.add_argument("--k", type=int, default=3, help="distinguisher window (default 3)")
    ap.add_argument("--seed", type=int, default=None, help="draw a random motif and noise level")
    ap.add_argument("--motif", default=None, help="motif the true distribution avoids (default 111)")
    ap.add_argument("--engine", default="auto", help="simulation engine: auto, reference, numba, cupy")
    ap.add_argument("--delta", type=float, default=float(DELTA),
                    help="fixed-point output error δ for the bit-size part (default 2^-12; 0 skips it)")
    ap.add_argument("--json", dest="json_out", default=None, help="also write every number to this JSON file")
    ap.add_argument("--workers", type=int, default=None,
                    help="local worker processes for the exhaustive check (default: all cores when it pays)")
    ap.add_argument("--scheduler", default=None,
                    help="Dask scheduler address (tcp://host:8786): run the exhaustive check on that cluster")
    args = ap.parse_args(argv)
    if args.json_out:
        check_writable(args.json_out, "--json")            # bad input (status 1), before any work
    try:
        res = run(args.N, args.k, seed=args.seed, motif=args.motif, engine=args.engine,
                  delta=Fraction(args.delta) if args.delta else None, workers=args.workers,
                  scheduler=args.scheduler)
    except (ValueError, ImportError) as e:
        if isinstance(e, rnnsim.RNNSimError) and not isinstance(e, ConstructionError):
            raise              # an engine, file or run-time error is bad input: status 1 (rnnsim.cli)
        print(f"rnnsim: error: rnnsim demo: {e} (see rnnsim demo --help)", file=sys.stderr)   # the CLI contract
        return 2
    print(markdown(res))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump({**res.numbers, "failures": res.failures, "ok": not res.failures}, fh, indent=2)
    if res.failures:
        print("\nFAILED:\n  " + "\n  ".join(res.failures), file=sys.stderr)
        return 1
    print("\nall checks passed")
    return 0


def _fmt(v) -> str:
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) < 1e-3 or abs(v) >= 1e5:
            return f"{v:.3e}"
        return f"{v:.6f}".rstrip("0").rstrip(".")
    if isinstance(v, Fraction):
        return _fmt(float(v))
    return str(v)


def _jsonable(v):
    if isinstance(v, (Fraction,)):
        return float(v)
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
