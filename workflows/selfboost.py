"""Theorem 1 run constructively: self-boosting an LM RNN until no distinguisher of a class has
advantage above ε (THEORY §9; paper: Theorem 1 with Lemmas 1–3).

**Theorem 1 (constructive reading, project form).** Let p be a distribution over Σ^N, q_0 an
LM RNN, 𝒟 a class of window-k distinguishers closed under complement, ε > 0 and
M = N − k + 1. Repeat: if every d ∈ 𝒟 has |α(d)| ≤ ε against the current q, stop; else
take the d with the largest advantage α > ε, r* = argmax_r (α·S_r − α²·n_r/2), η = α, and
replace q by q' = boost(q, d, r*, η) (Lemma 3; its conditionals are Lemma 2's). Lemma 1
gives KL(p‖q) − KL(p‖q') ≥ η·S_r − (η−1+e^{−η})·n_r ≥ α²M/(2k) > ε²M/(2k), and KL ≥ 0,
so the loop stops after at most KL(p‖q_0)/(ε²M/(2k)) rounds with an LM RNN that is
ε-indistinguishable for 𝒟; each round adds |H_D| + 2k + O(1) hidden nodes (Lemma 3), so
the final hidden size is h_0 + rounds·(h_D + O(k)) and the size is quadratic in the rounds.

**The workflow.** :func:`selfboost` runs that loop on networks while it can: each round
recovers the current LM from its network (outputs on every document), picks the member of
𝒟 with the largest advantage (:class:`workflows.classes.DistinguisherClass`), builds
``boost`` and verifies the new network on every document of Σ^N against the Lemma 2 chain
q_0 → q_1 → … computed on tables (:func:`workflows.verify.verify`; float64 ≤ ``tol`` =
1e-12, or exact equality in ``arithmetic="exact"``, where e^{−η} is a rational). It builds
a round only while the predicted cost of verifying it (work 2·b^N·τ·|R| node-updates at
the rate measured so far) fits the remaining ``budget`` seconds; after that it continues
on the distribution level (the same choices on the tables, sizes from the closed forms of
:mod:`workflows.growth`, checked equal to the built networks in the built rounds). Every
row is marked "built" or "closed form". The report states the round count against
KL(p‖q_0)/(ε²M/(2k)) and the final size against the Theorem 1 bookkeeping (Lemma 3's
bounds with the class's largest member, :func:`workflows.growth.lemma3_bounds`).

``hooks``: callables ``hook(row, net_or_None, q_table) -> dict`` whose columns join every
row (``row.extra``), e.g. Theorem 2's bits. ``rnnsim selfboost`` is :mod:`.selfboost_cli`.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import numpy as np

from constructions import boosting, models
from proofs_checks import boost as pboost
from proofs_checks.lm import LM, Distribution
from proofs_checks.textdist import kl, lm_from_rnn, next_token_loss
from rnnsim import RNN, ConstructionError
from rnnsim.registry import realizes
from rnnsim.roles import require_lm
from rnnsim.strings import nth_string

from .classes import DistinguisherClass
from .growth import Counts, lemma3_bounds, measure, next_counts
from .verify import verify

__all__ = ["Row", "SelfBoostReport", "selfboost", "as_source", "vanishing_denominator", "FLOAT_TOL"]

FLOAT_TOL = 1e-12


@dataclass
class Row:
    """State q_t after round t (t = 0: the start LM), and the round that produced it."""

    t: int
    mode: str                      # "start", "built" or "closed form"
    winner: str | None = None      # the distinguisher boosted with in round t
    alpha: float | None = None     # its advantage against q_{t−1}
    r: int | None = None
    eta: float | None = None
    factor: object = None          # e^{−η} as used (a float, or a Fraction in exact arithmetic)
    kl: float = math.nan           # KL(p‖q_t)
    loss: float = math.nan         # L_p(q_t)
    max_alpha: float | None = None  # max over 𝒟 of |α| against q_t
    gain: float | None = None      # KL(p‖q_{t−1}) − KL(p‖q_t)
    bound_lemma1: float | None = None   # η·S_r − (η−1+e^{−η})·n_r
    bound_alpha: float | None = None    # α²·M/(2k)
    size: int = 0
    hidden: int = 0
    tau: int = 0
    depth: int = 0
    ops: int | None = None         # operations per time step (built)
    fan_in: int | None = None
    max_error: float | None = None  # max |R_t − q_t| over all documents (built)
    closed_form_ok: bool | None = None
    wall_s: float = 0.0
    extra: dict = field(default_factory=dict)


@dataclass
class SelfBoostReport:
    N: int
    k: int
    M: int
    eps: float
    cls: str
    arithmetic: str
    rows: list
    stop: str                      # "indistinguishable" or "round limit"
    round_bound: float             # KL(p‖q_0) / (ε²M/(2k))
    bookkeeping: dict              # Lemma 3 bounds after the same rounds with the largest member
    failures: list
    time_s: float

    @property
    def rounds(self) -> int:
        return len(self.rows) - 1

    @property
    def built(self) -> int:
        return sum(r.mode == "built" for r in self.rows)

    def as_dict(self) -> dict:
        d = {key: getattr(self, key) for key in ("N", "k", "M", "eps", "cls", "arithmetic", "stop", "round_bound",
                                                 "bookkeeping", "failures", "time_s")}
        d.update(rounds=self.rounds, built=self.built, ok=not self.failures, rows=[asdict(r) for r in self.rows])
        return d


# ---- input checks ----------------------------------------------------------------------------------

def as_source(p, N: int | None = None) -> Distribution:
    """The true distribution over Σ^N (b = 2): a Distribution, an LM table, an LM network or a
    probability vector of length 2^N. ConstructionError saying what is wrong otherwise."""
    if isinstance(p, RNN):
        require_lm(p, "selfboost", what="the source p", alphabet=2)
        if N is None:
            raise ConstructionError("selfboost: a source network needs the document length N=")
        p = lm_from_rnn(p, N, "exact" if 2 ** N * p.tau * p.size <= 2 ** 22 else "float64")
    if isinstance(p, LM):
        p = p.distribution()
    if not isinstance(p, Distribution):
        arr = np.asarray(p, dtype=object if not isinstance(p, np.ndarray) else None)
        n = arr.shape[0] if arr.ndim == 1 else None
        NN = N if N is not None else (int(round(math.log2(n))) if n else None)
        if arr.ndim != 1 or NN is None or 2 ** NN != n:
            raise ConstructionError(f"selfboost: p must be a distribution over Σ^N (a vector of 2^N probabilities "
                                    f"in the order of rnnsim.all_documents), got shape {arr.shape}"
                                    + (f" for N = {N}" if N is not None else ""))
        try:
            p = Distribution(list(arr) if arr.dtype == object else arr, 2, NN)
        except ConstructionError as e:
            raise ConstructionError(f"selfboost: p is not a distribution over Σ^{NN}: {e}") from None
    if p.b != 2:
        raise ConstructionError(f"selfboost: p is over b = {p.b} tokens; the boosting construction is binary (b = 2)")
    if N is not None and p.N != N:
        raise ConstructionError(f"selfboost: p is a distribution over Σ^{p.N}, but N = {N}")
    return p


def vanishing_denominator(q: LM, *, k: int, r: int) -> tuple | None:
    """(j, x_<j, block prefix) where Lemma 2's denominator Σ u·v·1_den = 0 for offset r — q gives
    probability 0 to a block prefix x_{j..i−1} (ℓ = i − j ≥ 1) after x_{<j} — or None."""
    b, N = q.b, q.N
    for j in range(r, N - k + 2, k):
        for ell in range(1, k):
            blk = q.block_conditional(j - 1, ell)            # (b^{j−1}, b^ℓ)
            zero = np.argwhere(blk == 0)
            if len(zero):
                z, y = (int(v) for v in zero[0])
                return j, nth_string(z, j - 1, b), nth_string(y, ell, b)
    return None


def _refuse_vanishing(q: LM, k: int, r: int, t: int) -> None:
    zero = vanishing_denominator(q, k=k, r=r)
    if zero is not None:
        j, z, blk = zero
        where = "the start LM" if t == 0 else f"the LM of round {t - 1}"
        raise ConstructionError(
            f"selfboost: {where} gives probability 0 to the block prefix {''.join(map(str, blk))} after "
            f"x_<{j} = {''.join(map(str, z)) or '(empty)'}, so Lemma 2's denominator Σ u·v·1_den vanishes there "
            f"when boosting with offset r = {r} (boosting multiplies by factors in [e^(−η), 1] and never removes a "
            "zero of the start LM); start from an LM with every conditional > 0 (e.g. mix it with the uniform LM)")


def _check_eps(eps) -> float:
    try:
        e = float(eps)
    except (TypeError, ValueError):
        raise ConstructionError(f"selfboost: ε must be a number, got {eps!r}") from None
    if not (math.isfinite(e) and e > 0):
        raise ConstructionError(f"selfboost: ε must be a positive number (the advantage to reach), got {eps!r}")
    return e


# ---- the loop ---------------------------------------------------------------------------------------

@realizes("Theorem 1", "boosting q_0 with the class member of largest advantage stops after ≤ KL(p‖q_0)/(ε²M/(2k)) "
          "rounds with an LM RNN ε-indistinguishable for the class; hidden size h_0 + rounds·(h_D + O(k))",
          bound="rounds ≤ KL(p‖q_0)/(ε²M/(2k))")
def selfboost(p, *, k: int, eps, cls: DistinguisherClass | str = "patterns", start: RNN | None = None,
              N: int | None = None, budget: float = 120.0, max_rounds: int | None = None,
              max_built: int | None = None, arithmetic: str = "float64", tol=None, engine: str = "auto",
              workers: int | None = None, factor_denominator: int = 2 ** 10, hooks=(),
              progress: bool | None = None) -> SelfBoostReport:
    """Theorem 1's loop (module docstring). ``budget``: seconds for the built rounds;
    ``max_built``: build at most this many rounds; ``max_rounds``: stop after this many rounds
    (default: ⌈KL(p‖q_0)/(ε²M/(2k))⌉ + 1, one more than Theorem 1 allows); ``arithmetic``:
    "float64" or "exact" (then e^{−η} is the fraction nearest e^{−α} with denominator ≤
    ``factor_denominator`` and η = −log of it)."""
    t_start = time.perf_counter()
    eps = _check_eps(eps)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConstructionError(f"selfboost: the window k must be a positive integer, got {k!r}")
    p = as_source(p, N)
    N = p.N
    if N < k:
        raise ConstructionError(f"selfboost: document length N = {N} is shorter than the window k = {k}; "
                                "a distinguisher needs N ≥ k")
    C = cls if isinstance(cls, DistinguisherClass) else DistinguisherClass.named(cls, k)
    if C.k != k:
        raise ConstructionError(f"selfboost: the class {C.name!r} has window {C.k}, but k = {k}")
    if arithmetic not in ("float64", "exact"):
        raise ConstructionError(f"selfboost: arithmetic must be 'float64' or 'exact', got {arithmetic!r}")
    exact = arithmetic == "exact"
    if exact and not p.exact:
        raise ConstructionError("selfboost: exact arithmetic needs an exact source p (Fractions)")
    pp = p if exact else p.to_float()
    start = models.uniform_lm(2) if start is None else start
    require_lm(start, "selfboost", what="the start LM", alphabet=2)
    tol = (0 if exact else FLOAT_TOL) if tol is None else tol
    engine_v = "auto" if exact and engine == "auto" else _engine(engine)     # exact: the reference engine
    M = N - k + 1
    step = eps ** 2 * M / (2 * k)

    net = start
    q = lm_from_rnn(start, N, arithmetic, engine_v)
    chain = q
    counts = Counts.of(start)
    rows = [Row(0, "start", kl=kl(pp, q), loss=next_token_loss(pp, q), **_sizes(measure(start)),
                wall_s=time.perf_counter() - t_start)]
    _hooks(hooks, rows[0], start, q)
    for r in range(1, k + 1):            # any offset may be chosen: every one must keep a denominator
        _refuse_vanishing(q, k, r, 0)
    if not math.isfinite(rows[0].kl):
        raise ConstructionError(
            "selfboost: KL(p‖q_0) is infinite: the start LM gives probability 0 to a document p can produce, and "
            "boosting multiplies probabilities by factors in [e^(−η), 1], so that zero stays; start from an LM with "
            "every conditional > 0 (e.g. the uniform LM)")
    bound = rows[0].kl / step
    limit = max_rounds if max_rounds is not None else int(math.ceil(bound)) + 1
    failures: list[str] = []
    rate = None
    stop = "round limit"
    from tqdm.auto import tqdm

    bar = tqdm(total=None, desc="selfboost", unit="round", disable=progress is False, leave=False)
    for t in range(1, limit + 2):
        t_round = time.perf_counter()
        choice = C.best(pp, q, N=N, engine=engine_v)
        advs = choice.advantages
        rows[-1].max_alpha = float(advs.max_abs)
        bar.set_postfix_str(f"max|α| {float(advs.max_abs):.4f}, KL {rows[-1].kl:.4f}, {rows[-1].mode}")
        if advs.max_abs <= eps:
            stop = "indistinguishable"
            break
        if t > limit:
            break
        alpha = choice.alpha
        r = pboost.best_offset(choice.adv)
        if exact:
            w = Fraction(math.exp(-float(alpha))).limit_denominator(factor_denominator)
            eta = -math.log(w)
        else:
            w = math.exp(-float(alpha))
            eta = float(alpha)
        _refuse_vanishing(chain, k, r, t)
        D = C.network(choice.index)
        expected = pboost.boosted_conditional(chain, choice.table, k=k, r=r, factor=w, N=N)
        nxt = next_counts(counts, Counts.of(D), k)
        build = net is not None and (max_built is None or t <= max_built) and _affordable(
            nxt, N, rate, budget - (time.perf_counter() - t_start))
        row = Row(t, "built" if build else "closed form", winner=choice.label, alpha=float(alpha), r=r, eta=eta,
                  factor=w)
        S_r, n_r = float(choice.adv.S[r]), choice.adv.n[r]
        row.bound_lemma1 = eta * S_r - (eta - 1 + math.exp(-eta)) * n_r
        row.bound_alpha = float(alpha) ** 2 * M / (2 * k)
        if build:
            net = boosting.boost(net, D, k=k, r=r, factor=Fraction(w), N=N, name=f"boost{t}")
            # "auto" lets verify run long dispatch-bound trees on the native engine (tree_wants_native)
            rep = verify(net, expected, N, arithmetic=arithmetic, tol=tol, workers=workers, keep_outputs=True,
                         engine="auto" if engine == "auto" else engine_v, progress=False)
            row.max_error = float(rep.max_error)
            if not rep.ok:
                failures.append(f"round {t}: the network differs from Lemma 2's q' ({rep.summary()})")
            busy = rep.timings.get("simulate", 0) + rep.timings.get("compare", 0)
            if busy > 0:
                r_now = 2 * 2 ** N * net.tau * net.size / busy
                rate = r_now if rate is None else max(rate, r_now)
            chain = expected.table()
            q = LM.from_outputs(rep.outputs, 2, tol=1e-9 if not exact else None)
            m = measure(net)
            row.closed_form_ok = (m["size"], m["hidden"], m["tau"], m["depth"]) == (nxt.size, nxt.hidden, nxt.tau,
                                                                                    nxt.depth)
            if not row.closed_form_ok:
                failures.append(f"round {t}: built {Counts.of(net)} ≠ closed form {nxt}")
            for key, v in _sizes(m).items():
                setattr(row, key, v)
        else:
            net = None
            chain = expected.table()
            q = chain
            for key, v in _sizes({"size": nxt.size, "hidden": nxt.hidden, "tau": nxt.tau, "depth": nxt.depth}).items():
                setattr(row, key, v)
        counts = nxt
        row.kl = kl(pp, q)
        row.loss = next_token_loss(pp, q)
        row.gain = rows[-1].kl - row.kl
        for name, b_ in (("Lemma 1 (η·S_r − (η−1+e^−η)·n_r)", row.bound_lemma1), ("α²M/(2k)", row.bound_alpha)):
            if exact and name.startswith("α²"):
                continue          # η = −log w ≠ α exactly in exact arithmetic: the η-form is the guarantee
            if row.gain < b_ - 1e-12:
                failures.append(f"round {t}: KL gain {row.gain:.6g} < {name} = {b_:.6g}")
        row.wall_s = time.perf_counter() - t_round
        _hooks(hooks, row, net, q)
        rows.append(row)
        bar.update(1)
    bar.close()
    if rows[-1].max_alpha is None:
        rows[-1].max_alpha = float(C.advantages(pp, q, N=N, engine=engine_v).max_abs)
    rounds = len(rows) - 1
    if stop == "indistinguishable" and rounds > bound:
        failures.append(f"{rounds} rounds exceed Theorem 1's bound KL(p‖q_0)/(ε²M/(2k)) = {bound:.4g}")
    book = _bookkeeping(Counts.of(start), C, k, rounds, bound, rows[-1])
    failures += book.pop("violations")
    return SelfBoostReport(N, k, M, eps, C.name, arithmetic, rows, stop, bound, book, failures,
                           time.perf_counter() - t_start)


def _engine(engine: str) -> str:
    from .demo import fastest_engine

    return fastest_engine(engine)


def _sizes(m: dict) -> dict:
    return {key: m[key] for key in ("size", "hidden", "tau", "depth", "ops", "fan_in") if key in m}


def _hooks(hooks, row: Row, net, q) -> None:
    for h in hooks:
        row.extra.update(h(row, net, q) or {})


def _affordable(nxt: Counts, N: int, rate, left: float) -> bool:
    """Whether verifying a network with counts ``nxt`` on all 2^N documents fits ``left``
    seconds at the measured ``rate`` (node-updates/s; before any measurement: 3e8/s, the
    compiled engine's rate on one core of the project machine)."""
    work = 2 * 2 ** N * nxt.tau * nxt.size
    return work / (rate or 3e8) <= left


def _bookkeeping(start: Counts, C: DistinguisherClass, k: int, rounds: int, bound: float, last: Row) -> dict:
    """Lemma 3's bounds iterated with the class's largest member: after ``rounds`` rounds (the
    final network must lie within them) and the hidden size after the Theorem 1 bound."""
    big = C.largest()
    D = Counts(big["size"], big["hidden"], big["tau"], 0, 0, 1)
    cur = start
    for _ in range(rounds):
        cur = lemma3_bounds(cur, D, k)
    final = {"size": last.size, "hidden": last.hidden, "tau": last.tau}
    book = {"largest_member": big, "after_rounds": {"size": cur.size, "hidden": cur.hidden, "tau": cur.tau},
            "final": final, "per_round_hidden": big["hidden"] + 2 * k + 20,
            "hidden_after_bound": start.hidden + math.floor(bound) * (big["hidden"] + 2 * k + 20),
            "violations": []}
    for key in ("size", "hidden", "tau"):
        if final[key] > book["after_rounds"][key]:
            book["violations"].append(f"final {key} {final[key]} exceeds the Theorem 1 bookkeeping "
                                      f"{book['after_rounds'][key]} after {rounds} rounds")
    return book
