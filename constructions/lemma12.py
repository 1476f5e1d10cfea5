"""Bit size of boosted networks, round by round (paper: Lemma 12 with Claims 9 and 10,
Lemmas 13–15; THEORY §5). The analysis costs the same for every N and τ.

Lemma 12 (project form). Let R' = boost(R, D, k, r, w = e^{−η}, N) and run R' in
``Fixed(i, f)`` (u = 2^−f, truncation toward zero). Suppose that at R's output times R's
Fixed output is within e_R of its exact output o ∈ [μ_R, O_R] (O_R ≤ 1) on every document,
and that every node of R (of D) stays within the range and error of R's (D's) own analysis.
Then every node of R' does, with:

* Claim 9 (ranges, integer bits). Counters (Claim 1, closed forms of the schedule):
  c ∈ [0, P−1], d, ℓ ∈ [0, k−1], digits and flags ∈ {0, 1}, position p ∈ [1, L+1]; the
  copies H1, H2, O of R and D hold values of R and D (Claims 4–6; by the hidden-set
  property the copies compute exactly what R and D compute, in every arithmetic); u ∈ [0,
  O_R] (a product of ≤ k outputs); the accumulators Σ_n u_n v_n 1(n) ∈ [0, (2·O_R)^k]:
  inside a complete block every partial sum is ≤ Σ_{s∈Σ^k} q(s | x_<j) = 1 (v ≤ 1), but in
  the loops after the last complete block the enumeration runs R past the document length
  it was built for, where R (round ≥ 2) need not be a normalized LM — only each output is
  ≤ O_R, so each enumerated digit multiplies the sum by ≤ 2·O_R (the paper's bound 2^k is
  the case O_R = 1; measured: 1.08 in round 2 of the default chain); the output ∈ [0,
  O_{R'}] with O_{R'} = min(1, O_R/w), since q' ≤ q/w (v ∈ [w, 1]). Controls,
  stored tokens, fed digit, indicators and v come from the core range analysis
  (:func:`rnnsim.analysis.analyze` with the copies and the closed forms above *frozen*
  and Lemma 10's one-hot gating declared ``exclusive``), so only ~2k + 40 nodes are
  iterated per round.
* Claim 10 (errors). With a_1 = e_R and a_{m+1} = (O_R^m + a_m)·e_R + O_R·a_m + u
  (Lemma 13 for one more factor, plus the product's truncation), the string probability
  ũ = Π õ has error e_u = a_k; each term Q(ũṽ) has error ε ≤ (O_R^k + e_u)·e_v + e_u + u
  (e_v: the error of ṽ = 1 + Q(w−1)·õ_D); the accumulators add grid values exactly. At the
  end of input loop i inside a block (ℓ = i − j ∈ [0, k−1]) num sums the c_n = 2^{k−ℓ−1}
  strings that extend x_{j..i}, den the c_d = 2^{k−ℓ} that extend x_{j..i−1}, and
  den ≥ m_ℓ = w·μ_R^ℓ. *Shared-error ratio lemma*: for ñ = n + Σ_{S_n} ε_s,
  d̃ = d + Σ_{S_d} ε_s with S_n ⊆ S_d, |ε_s| ≤ ε and |S_n| = |S_d ∖ S_n| = c_n,
  ñd − nd̃ = (d − n)·Σ_{S_n} ε_s − n·Σ_{S_d∖S_n} ε_s, so
      |ñ/d̃ − n/d| ≤ c_n·ε·d/(d·d̃) = c_n·ε/d̃ ≤ c_n·ε/(m_ℓ − c_d·ε)
  (equality when ε_s = +ε on S_n and −ε on the rest: :func:`ratio_bound` is tight). The
  reciprocal and the product truncate once each: |õut − q'| ≤ c_n·ε/(m_ℓ − c_d·ε) +
  (1 + c_n·ε)·u + u =: e_ℓ. Outside blocks the output is R's copy (error e_R). Hence
  e_{R'} = max(e_R, max_ℓ e_ℓ) — a recursion in e_R, μ_R, O_R, w, k and u only: no N, no τ.
  This is ~2^{k−1}·ε/(w μ^{k−1}), against the 2^{k+1}·ε/(w μ^{k−1})-type bound of summing
  2^k absolute errors and applying Lemma 14 (:mod:`constructions.claims9_11`).
  *Relative twin* (what keeps the bound from compounding over rounds): write R's error as
  |õ − o| ≤ ρ_R·o + a_R (a base network: ρ = 0; or all relative, ρ_R + a_R/μ_R). Then
  ũ_{m+1} = Q(ũ_m õ) has ρ_{m+1} = ρ_m(1 + ρ_R) + ρ_R and a_{m+1} = a_m(O_R(1 + ρ_R) + a_R)
  + O_R^m·a_R(1 + ρ_m) + u; the term Q(ũṽ) has ρ_t = ρ_k, a_t = ρ_k O_R^k e_v + a_k(1 + e_v)
  + O_R^k e_v + u; the same identity gives |ñd − nd̃| ≤ 2ρ_t·n(d − n) + c_n·a_t·d, so with
  d̃ ≥ d(1 − ρ_t) − c_d a_t ≥ d_ℓ := m_ℓ(1 − ρ_t) − c_d a_t and q'(1 − q') ≤ 1/4:
      |õut − q'| ≤ (ρ_t/2)·m_ℓ/d_ℓ + c_n·a_t/d_ℓ + (1 + ρ_t + c_n a_t)·u + u,
  i.e. R's relative error passes to q' multiplied by ≈ 2k·q'(1 − q'), not by 2^{k−ℓ}/(w μ^ℓ).
  The next round gets ρ' = 2ρ_t(1 − w μ_R)·m_ℓ/d_ℓ and a' = the rest. The output error is
  the smaller of the two recursions (:func:`output_errors`).
* Lemma 15: every exact conditional of R' is ≥ μ_{R'} = w·μ_R (q' ≥ w·q).

:func:`summarize` applies this recursively: a boosted network is split into the networks
it was built from (:func:`constructions.unboost.parts`, so loaded networks work too), each
is summarized, and the base networks (the start LM and the distinguishers) get the core
analysis. :func:`choose_format` picks the least f with e ≤ δ.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from fractions import Fraction

from rnnsim import ConstructionError, Fixed
from rnnsim.analysis import AV, INF, Unbounded, analyze, int_bits_for
from rnnsim.analysis.values import round_outward
from rnnsim.registry import realizes

from . import records
from .gating import split_gated
from .unboost import parts

def enum_cap(k: int) -> int:
    """Joint states enumerated per transition: the fed digit reads 2^k·k·2·2^k states; a slot
    counter (P values, growing with τ) is not enumerated once that exceeds this."""
    return max(256, 2 * k * 4 ** k)

STATEMENT = ("a boosted network run in Fixed(i, f): integer bits from the ranges of Claim 9, output error "
             "from the recursion of Claim 10 (shared-error ratio lemma), μ' = e^-η·μ (Lemma 15); no N, no τ")


@dataclass
class Level:
    """One round of the recursion (the quantities of Claims 9 and 10 for R' = boost(R, D))."""

    k: int
    w: Fraction                # e^{−η}
    P: int                     # digit slot
    tau: int                   # τ'
    cap: int                   # position counter bound L + 1
    mu_R: Fraction             # least exact conditional of R
    O_R: Fraction              # largest exact output of R
    e_R: Fraction              # R's output error at its output times
    e_D: Fraction
    e_u: Fraction
    e_v: Fraction
    eps: Fraction              # per-term error of Q(ũṽ)
    e_ell: tuple               # output error inside a block, per ℓ = 0 … k−1
    e_out: Fraction            # = max(e_R, max e_ell)


@dataclass
class Summary:
    """What is known about ``net`` run in ``fmt`` (None: exact): the range and error of every
    node over all times and documents, and at the output times the error, the largest
    output and (LMs) the least output μ."""

    net: object
    fmt: Fixed | None
    values: dict
    out_err: Fraction
    out_hi: Fraction
    mu: Fraction | None
    level: Level | None = None             # None for a base network
    R: "Summary | None" = None
    D: "Summary | None" = None
    iterated: int = 0                       # nodes the core analysis iterated for this round
    out_rel: tuple = (0, None)              # (ρ, a): |õ − o| ≤ ρ·o + a at output times (None: a = out_err)
    meta: dict = field(default_factory=dict)

    @property
    def rounds(self) -> int:
        return 0 if self.R is None else self.R.rounds + 1

    def chain(self) -> list["Summary"]:
        """[S_0, S_1, …, S_t]: the summaries of R_0 … R_t (this one last)."""
        return ([] if self.R is None else self.R.chain()) + [self]

    def node_bits(self) -> dict[str, int]:
        return {n: int_bits_for(v.maxabs + v.err) for n, v in self.values.items()}

    @property
    def output_error(self) -> Fraction:
        return self.out_err

    def unbounded(self) -> list[str]:
        return [n for n, v in self.values.items() if v.maxabs == INF or v.err == INF]

    @property
    def claimed_int_bits(self) -> int:
        return self.int_bits

    @property
    def int_bits(self) -> int:
        bits = self.node_bits()
        worst = max(bits, key=bits.get)
        if bits[worst] == INF:
            raise Unbounded(f"node {worst!r} of {self.net.name!r} is unbounded ({self.values[worst]})")
        return max(1, bits[worst])


_PARTS: "OrderedDict[int, tuple]" = OrderedDict()   # id(net) → (net, (R, D)); the last 64 networks
_SUMMARIES: "OrderedDict[tuple, Summary]" = OrderedDict()   # (id(net), format) → summary; the last 256


def _parts_cached(net):
    hit = _PARTS.get(id(net))
    if hit is not None and hit[0] is net:
        _PARTS.move_to_end(id(net))
        return hit[1]
    got = parts(net)
    _PARTS[id(net)] = (net, got)
    while len(_PARTS) > 64:
        _PARTS.popitem(last=False)
    return got


def _fmt(fmt) -> Fixed | None:
    return None if fmt in (None, "exact") else fmt


def summarize_base(net, fmt=None) -> Summary:
    """A network not built by boost: the core analysis over all times (THEORY §5)."""
    fmt = _fmt(fmt)
    a = analyze(net, fmt)
    bad = a.unbounded()
    if bad:
        raise Unbounded(f"the range analysis cannot bound node {bad[0]!r} of {net.name!r} "
                        f"({a.values[bad[0]]}); its bit size is not bounded over all times")
    img = a.images[net.output]
    return Summary(net, fmt, dict(a.values), Fraction(a.values[net.output].err), Fraction(img.hi),
                   Fraction(img.lo), iterated=len(net.transitions))


def _u_errors(k: int, e_R, O_R, ulp) -> list:
    a = [e_R]
    for m in range(1, k):
        a.append(_up((O_R ** m + a[-1]) * e_R + O_R * a[-1] + ulp))
    return a


def _up(x):
    """x rounded up to 64 significant bits (the bounds stay short rationals)."""
    return round_outward(x, 1)


@realizes("Claim 10", "fractional bits: the output error of the Fixed boosted network, by the recursion "
          "e' = max(e_R, max_ℓ c_n·ε/(w μ^ℓ − c_d·ε) + (1 + c_n ε)u + u) and its relative twin",
          bound="|q̃' − q'| ≤ e' at every output time, for every N")
def output_errors(k: int, w, mu_R, O_R, e_R, e_v, ulp, rel=(0, None)) -> dict:
    """The errors of the module docstring (Claim 10, project form) for one round: ``e_u``,
    ``eps`` (all times: u and the accumulator terms), ``e_ell`` and ``e_out`` (at output
    times, the better of the absolute and the relative recursion) and ``rel`` = (ρ', a') with
    |q̃' − q'| ≤ ρ'·q' + a' (for the next round). ``rel`` = (ρ_R, a_R): R's error in the same
    form (default: (0, e_R))."""
    if INF in (e_R, e_v):
        return {"e_u": INF, "eps": INF, "e_ell": (INF,) * k, "e_out": INF, "rel": (INF, INF)}
    w, mu_R, O_R, e_R, e_v, ulp = map(Fraction, (w, mu_R, O_R, e_R, e_v, ulp))
    e_u = max(_u_errors(k, e_R, O_R, ulp))
    eps = _up((O_R ** k + e_u) * e_v + e_u + ulp)
    e_ell = []
    for ell in range(k):
        c_n, c_d = 2 ** (k - ell - 1), 2 ** (k - ell)
        m = w * mu_R ** ell
        if m <= c_d * eps:
            e_ell.append(INF)
            continue
        e_ell.append(_up(ratio_bound(c_n, c_d, eps, m) + (1 + c_n * eps) * ulp + ulp))
    e_abs = max([e_R, *e_ell])
    rho_R, a_R = Fraction(rel[0]), Fraction(e_R if rel[1] is None else rel[1])
    best = None
    for cand in ((rho_R, a_R), (rho_R + a_R / mu_R, Fraction(0))):   # as given, or all relative
        got = _relative_round(k, w, mu_R, O_R, *cand, e_v, ulp)
        if got is not None and (best is None or got[2] < best[2]):
            best = got
    if best is None or best[2] >= e_abs:
        return {"e_u": e_u, "eps": eps, "e_ell": tuple(e_ell), "e_out": e_abs, "rel": (Fraction(0), e_abs)}
    return {"e_u": e_u, "eps": eps, "e_ell": tuple(e_ell), "e_out": best[2], "rel": (best[0], best[1])}


def _relative_round(k, w, mu_R, O_R, rho_R, a_R, e_v, ulp):
    """(ρ', a', e') from R's error ρ_R·o + a_R (module docstring, relative form), or None."""
    rho, a = rho_R, a_R
    for m in range(1, k):                    # ũ_{m+1} = Q(ũ_m·õ): relative parts add up
        a = _up(a * (O_R * (1 + rho_R) + a_R) + O_R ** m * a_R * (1 + rho) + ulp)
        rho = _up(rho * (1 + rho_R) + rho_R)
    U = O_R ** k
    rt, at = rho, _up(rho * U * e_v + a * (1 + e_v) + U * e_v + ulp)      # the term Q(ũ·ṽ)
    rho_o, a_o, e_o = rho_R, a_R, rho_R * O_R + a_R                          # outside blocks: R's output
    for ell in range(k):
        c_n, c_d = 2 ** (k - ell - 1), 2 ** (k - ell)
        m = w * mu_R ** ell
        dmin = m * (1 - rt) - c_d * at
        if dmin <= 0:
            return None
        D = m / dmin                          # ≥ d/d̃
        trunc = (1 + rt + c_n * at) * ulp + ulp
        e_o = max(e_o, _up(rt / 2 * D + c_n * at / dmin + trunc))
        rho_o = max(rho_o, _up(2 * rt * (1 - w * mu_R) * D))
        a_o = max(a_o, _up(c_n * at / dmin + trunc))
    return rho_o, a_o, e_o


def ratio_bound(c_n: int, c_d: int, eps, m):
    """Shared-error ratio lemma: n = Σ_{S_n} a_s, d = Σ_{S_d} a_s ≥ m, S_n ⊆ S_d,
    |S_n| = c_n, |S_d| = c_d, every a_s perturbed by at most ε (the same ε_s in both sums):
    |ñ/d̃ − n/d| ≤ max(c_n, c_d − c_n)·ε/(m − c_d·ε) (= c_n·ε/(m − c_d·ε) for Lemma 3's sets)."""
    return max(c_n, c_d - c_n) * Fraction(eps) / (Fraction(m) - c_d * Fraction(eps))


@realizes("Lemma 12", STATEMENT, bound="int bits: Claim 9 ranges; |q̃' − q'| ≤ e' (Claim 10); μ' = e^-η·μ")
def summarize(net, fmt=None) -> Summary:
    """The summary of ``net`` in ``fmt``: recursive over the rounds of a boosted network
    (module docstring), the core analysis for any other network."""
    fmt = _fmt(fmt)
    key = (id(net), fmt)
    hit = _SUMMARIES.get(key)
    if hit is not None and hit.net is net:
        _SUMMARIES.move_to_end(key)
        return hit
    rec = records.record_or_none(net)
    s = _summarize_boost(net, rec, fmt) if isinstance(rec, records.Boost) else summarize_base(net, fmt)
    _SUMMARIES[key] = s
    while len(_SUMMARIES) > 256:
        _SUMMARIES.popitem(last=False)
    return s


def _summarize_boost(net, rec: records.Boost, fmt) -> Summary:
    R, D = _parts_cached(net)
    SR, SD = summarize(R, fmt), summarize(D, fmt)
    if SR.mu is None or SR.mu <= 0:
        raise ConstructionError(f"{net.name!r}: the LM it boosts gives some token probability {SR.mu} ≤ 0 (μ = 0): "
                                "the boosted denominator has no positive lower bound (Lemma 2's q' may be undefined)")
    ulp = Fraction(1, fmt.scale) if fmt else Fraction(0)
    sched, k, w = rec.schedule, rec.k, Fraction(rec.factor)
    frozen = {}
    for n in net.nodes:
        for pfx, S in (("R.", SR), ("D.", SD)):
            if n.startswith(pfx):
                frozen[n] = S.values[n.split(".", 2)[2]]
    for name, (lo, hi) in counter_ranges(sched).items():
        frozen[name] = AV(lo, hi, True, 0)
    comp = [rec.nodes.u, rec.nodes.acc_num, rec.nodes.acc_den, net.output]
    for n in comp:
        frozen[n] = AV(0, 1, False, 0)          # placeholders: nothing iterated reads them
    rest = [n for n in net.transitions if n not in frozen]
    for n in rest:
        reads = set(net.transitions[n].nodes()) & set(comp)
        if reads:
            raise ConstructionError(f"{net.name!r}: node {n!r} reads {sorted(reads)}, which the bit-size analysis "
                                    "of Lemma 3 does not expect")
    exclusive = [n for n in rest if split_gated(net.transitions[n], set(net.boolean_nodes))]
    a = analyze(net, fmt, frozen=frozen, exclusive=exclusive, enum_cap=enum_cap(k))
    bad = [n for n in rest if a.values[n].maxabs == INF or a.values[n].err == INF]
    if bad:
        raise Unbounded(f"{net.name!r}: the range analysis cannot bound {bad[:3]}")
    v_node = a.values[rec.nodes.v]
    e_D = SD.out_err
    errs = output_errors(k, w, SR.mu, SR.out_hi, SR.out_err, v_node.err, ulp, SR.out_rel)
    e_u, eps, e_ell, e_out = errs["e_u"], errs["eps"], errs["e_ell"], errs["e_out"]
    # e_out = ∞ when f is too small for the denominator bound e^-η·μ^ℓ (choose_format moves on)
    values = dict(a.values)
    n_acc = 2 ** k
    O_R = SR.out_hi
    acc_hi = round_outward((2 * O_R) ** k * Fraction(v_node.hi), 1)
    out_hi = min(Fraction(1), round_outward(O_R / w, 1))      # q' ≤ q/w (Lemma 15's upper twin)
    values[rec.nodes.u] = AV(0, max(O_R, O_R ** k), False, e_u)
    values[rec.nodes.acc_num] = AV(0, acc_hi, False, n_acc * eps)
    values[rec.nodes.acc_den] = AV(0, acc_hi, False, n_acc * eps)
    values[net.output] = AV(0, max(out_hi, O_R), False, e_out)
    level = Level(k, w, sched.P, sched.tau_S, sched.cap, SR.mu, SR.out_hi, SR.out_err, e_D, e_u,
                  Fraction(v_node.err), eps, e_ell, e_out)
    mu = round_outward(w * SR.mu, -1)
    return Summary(net, fmt, values, e_out, max(out_hi, O_R), mu, level, SR, SD, iterated=len(rest),
                   out_rel=errs["rel"])


def counter_ranges(sched) -> dict:
    """Claim 1's counters: the exact range of every counter node (values of position t+1)."""
    k = sched.k
    out = {"cnt.on": (1, 1), "cnt.c": (0, sched.P - 1), "cnt.d": (0, k - 1), "cnt.beta": (0, 1),
           "cnt.l": (0, k - 1), "cnt.p": (1, sched.cap)}
    out.update({f"E.e{m}": (0, 1) for m in range(k)})
    return out


@dataclass
class FormatChoice:
    """The least f with proved output error ≤ δ, and i = the claimed integer bits."""

    fixed: Fixed
    delta: Fraction
    summary: Summary
    evaluations: int = 0

    @property
    def bits(self) -> int:
        return self.fixed.bits

    @property
    def output_error(self) -> Fraction:
        return self.summary.out_err


@realizes("Lemma 12", STATEMENT)
def choose_format(net, delta, *, max_frac: int = 62) -> FormatChoice:
    """The least f ≤ ``max_frac`` whose proved output error (:func:`summarize`) is ≤ δ, with
    i = the claimed integer bits of that summary (no node overflows)."""
    delta = Fraction(delta)
    if delta <= 0:
        raise ConstructionError(f"choose_format: δ must be > 0, got {delta}")
    cache: dict[int, Summary] = {}

    def at(f: int) -> Summary:
        if f not in cache:
            try:
                cache[f] = summarize(net, Fixed(62, f))
            except Unbounded:
                cache[f] = None
        return cache[f]

    def ok(f):
        s = at(f)
        return s is not None and s.out_err <= delta and not s.unbounded()

    f = min(max_frac, max(0, int_bits_for(1 / delta) - 1))
    while not ok(f):              # the error is ≈ C·2^−f: jump to the estimate (or by 4 when ∞)
        if f >= max_frac:
            raise Unbounded(f"no f ≤ {max_frac} bounds the output error of {net.name!r} by δ = {delta}")
        s = at(f)
        finite = s is not None and s.out_err != INF and not s.unbounded()
        f = min(max_frac, f + (max(1, int_bits_for(s.out_err / delta) - 1) if finite else 4))
    while f > 0 and ok(f - 1):
        f -= 1
    s = at(f)
    return FormatChoice(Fixed(s.int_bits, f), delta, s, len(cache))


__all__ = ["Level", "Summary", "summarize", "summarize_base", "output_errors", "ratio_bound", "counter_ranges",
           "choose_format", "FormatChoice", "STATEMENT"]
