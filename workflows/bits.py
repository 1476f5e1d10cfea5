"""Workflow: the bit-size checks (a)–(d) of Lemma 12 (paper: Lemma 12, Lemma 16, Theorem 2; THEORY §5).

Lemma 12 (project form) says that a network run in a fixed format ``Fixed(i, f)`` chosen
from its value ranges and error bounds (:mod:`constructions.bitsize`, built on the core's
range analysis :mod:`rnnsim.analysis`) computes its exact function up to δ, and (Lemma 16)
that the next-token loss of the quantized LM exceeds the exact one by at most
−log(1 − δ/μ) when every exact conditional is ≥ μ > 2δ. The claims are checked here by
simulation on every document of length N: (a) :func:`check_no_overflow` — the Fixed run
never overflows; (b) :func:`check_output_error` — the largest |Fixed output − exact output|
is ≤ δ; (c) :func:`check_loss` — the loss difference meets Lemma 16's bound; (d)
:func:`check_measured_bits` — the largest |value| each node takes over runs is within the
analysis's bound and needs no more integer bits than claimed.

Every simulation here names its engine (:func:`fixed_engine`): the compiled engine when it
accepts the format exactly, else the reference when the run is small enough, else a
:class:`Refused` that says why — never a saturating format, never a silent fallback. With
the outputs of the exact network (or of the exact Lemma 2 chain) the *measured* bits are
found by simulation: :func:`measured_int_bits` (the least i whose run on every document does
not overflow) and :func:`measured_frac_bits` (the least f whose outputs stay within δ).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterable

import numpy as np

import rnnsim
from constructions.bitsize import STATEMENT
from proofs_checks.bounds import lemma16
from proofs_checks.textdist import LM, Distribution, lm_from_rnn
from rnnsim import ConstructionError, Fixed
from rnnsim.analysis import Analysis, int_bits_for
from rnnsim.engines import select_engine
from rnnsim.registry import realizes


@realizes("Lemma 12", STATEMENT, kind="check")
def check_no_overflow(rnn, fmt: Fixed, N: int, engine: str = "auto") -> np.ndarray:
    """(a) run every document of length N in ``fmt`` (overflow policy "raise"); returns the
    raw outputs. Raises FixedPointOverflow (node, time) if any node overflows."""
    fmt = Fixed(fmt.int_bits, fmt.frac_bits, "raise")
    return rnnsim.simulate_all(rnn, N, fmt, engine)


@realizes("Lemma 12", STATEMENT, kind="check")
def check_output_error(rnn, fmt: Fixed, N: int, delta, engine: str = "auto",
                       reference="exact") -> tuple[float, float]:
    """(b) (max over all documents of length N of |Fixed output − exact output|, δ)."""
    got = rnnsim.simulate_all(rnn, N, Fixed(fmt.int_bits, fmt.frac_bits), engine)
    ref_engine = "reference" if reference == "exact" else engine
    want = rnnsim.simulate_all(rnn, N, reference, ref_engine)
    return float(np.max(np.abs(got - want))), float(delta)


@realizes("Lemma 16", "q' ≥ μ > 2δ, |q̃ − q'| ≤ δ ⇒ L_p(q̃) − L_p(q') ≤ −log(1 − δ/μ)", kind="check")
def check_loss(rnn, fmt: Fixed, N: int, delta, *, p=None, engine: str = "auto",
               reference: str = "exact") -> dict:
    """(c) next-token loss of the quantized LM vs the exact one, against Lemma 16's bound with
    μ = the least exact conditional (needs μ > 2δ). p defaults to the uniform distribution.
    ``reference="float64"`` takes the unquantized LM from a float64 run (fast engines)."""
    exact_lm = lm_from_rnn(rnn, N, "exact", "reference") if reference == "exact" else \
        lm_from_rnn(rnn, N, "float64", engine)
    mu = min(min(lv.reshape(-1)) for lv in exact_lm.levels)
    if not mu > 2 * Fraction(delta):
        raise ConstructionError(f"check_loss needs μ = {mu} > 2δ = {2 * Fraction(delta)}")
    out = rnnsim.simulate_all(rnn, N, Fixed(fmt.int_bits, fmt.frac_bits), engine)
    b = rnn.alphabet
    q_tilde = LM.from_outputs(out, b, validate=False)
    if p is None:
        p = Distribution(np.full(b ** N, 1.0 / b ** N), b, N)
    diff, bound, d_meas = lemma16(p, q_tilde, exact_lm.to_float(), float(mu))
    return {"loss_diff": diff, "bound": bound, "delta_measured": d_meas, "mu": float(mu),
            "delta": float(delta), "bound_claimed": -math.log1p(-float(delta) / float(mu)),
            "ok": diff <= bound + 1e-12 and d_meas <= float(delta)}


@realizes("Lemma 12", STATEMENT, kind="check")
def check_measured_bits(rnn, analysis: Analysis, tokens_list: Iterable, fmt: Fixed | None = None) -> dict:
    """(d) max |value| per node over runs (``simulate(track_max=True)``, in ``fmt`` or exact)
    vs the claimed bound max(|lo|, |hi|) + err and the claimed integer bits. Returns
    {"violations": [...], "measured_bits": {node: bits}, "claimed_bits": {node: bits}}."""
    arith = "exact" if fmt is None else fmt
    meas: dict[str, Fraction] = {}
    for toks in tokens_list:
        tr = rnnsim.simulate(rnn, list(toks), arith, track_max=True)
        for n, v in tr.max_abs.items():
            meas[n] = max(meas.get(n, 0), Fraction(v))
    claimed = analysis.node_bits()
    viol = []
    for n, m in meas.items():
        v = analysis.values[n]
        bound = v.maxabs + (v.err if fmt is not None else 0)
        if m > bound or int_bits_for(m) > claimed[n]:
            viol.append(f"node {n!r}: measured max |v| = {float(m)} > claimed {float(bound)} "
                        f"({int_bits_for(m)} vs {claimed[n]} integer bits)")
    return {"violations": viol, "measured_bits": {n: int_bits_for(m) for n, m in meas.items()},
            "claimed_bits": claimed, "measured_max": meas}


# ---- explicit engines and measured bits -------------------------------------------------------

REFERENCE_MAX_WORK = 3 * 10 ** 7      # node-updates the reference engine is given (≈ a minute)


class Refused(rnnsim.UnsupportedFormat):
    """No engine runs this format exactly within the budget (the reason is the message): a
    documented refusal, so the CLI reports it as bad input in one line (status 1)."""


def fixed_engine(rnn, fmt: Fixed, N: int, engine: str = "numba") -> str:
    """The engine that runs ``fmt`` exactly on all b^N documents: ``engine`` when it accepts
    the format (``UnsupportedFormat`` otherwise), else "reference" when the work
    (≈ 2·b^N·τ·|R| node-updates) is at most :data:`REFERENCE_MAX_WORK`; else :class:`Refused`."""
    if engine == "reference":
        return engine
    try:
        select_engine(rnn.program, Fixed(fmt.int_bits, fmt.frac_bits), engine)
        return engine
    except rnnsim.UnsupportedFormat as e:
        why = str(e)
    work = 2 * rnn.alphabet ** N * rnn.tau * rnn.size
    if work <= REFERENCE_MAX_WORK:
        return "reference"
    raise Refused(f"{engine} refuses {fmt} for {rnn.name!r} ({why}) and the reference would need "
                  f"{work:.2e} node-updates")


def run_fixed(rnn, fmt: Fixed, N: int, engine: str = "numba") -> tuple[np.ndarray, str]:
    """(outputs on every document in ``fmt`` with overflow policy "raise", the engine that
    ran them). A compiled run that stops with EngineRangeExceeded is rerun on the reference
    when that is small enough (:func:`fixed_engine`), else :class:`Refused`."""
    fmt = Fixed(fmt.int_bits, fmt.frac_bits, "raise")
    eng = fixed_engine(rnn, fmt, N, engine)
    try:
        return rnnsim.simulate_all(rnn, N, fmt, eng, progress=False), eng
    except rnnsim.EngineRangeExceeded as e:
        if 2 * rnn.alphabet ** N * rnn.tau * rnn.size > REFERENCE_MAX_WORK:
            raise Refused(f"{eng}: {e}; the reference would be too slow") from None
        return rnnsim.simulate_all(rnn, N, fmt, "reference", progress=False), "reference"


def measured_int_bits(rnn, fmt: Fixed, N: int, engine: str = "numba", *, lowest: int = 1) -> int:
    """The least i ≥ ``lowest`` such that ``Fixed(i, f)`` runs every document of length N
    without overflow, searching down from ``fmt`` (which must not overflow)."""
    i = fmt.int_bits
    run_fixed(rnn, fmt, N, engine)
    while i > lowest:
        try:
            run_fixed(rnn, Fixed(i - 1, fmt.frac_bits), N, engine)
        except rnnsim.FixedPointOverflow:
            break
        i -= 1
    return i


def measured_frac_bits(rnn, fmt: Fixed, N: int, delta, exact_outputs: np.ndarray, engine: str = "numba") -> dict:
    """The least f with max |Fixed(i, f) output − exact output| ≤ δ on every document below
    ``fmt``'s f (which must meet δ). The error is ≈ C·2^−f, so the search starts at the
    estimate from the error at ``fmt`` and then steps: f is returned only when f meets δ and
    f − 1 does not (both simulated; the errors at every f tried are returned too)."""
    delta = float(delta)
    errs: dict[int, float] = {}

    def err(f: int) -> float:
        if f not in errs:
            try:
                out, _ = run_fixed(rnn, Fixed(fmt.int_bits, f), N, engine)
                errs[f] = float(np.max(np.abs(out - exact_outputs)))
            except (rnnsim.FixedPointOverflow, rnnsim.ReciprocalOfZero):
                errs[f] = math.inf
        return errs[f]

    top = fmt.frac_bits
    if not err(top) <= delta:
        raise ConstructionError(f"measured_frac_bits: {fmt} itself misses δ = {delta} (error {errs[top]})")
    f = top
    if errs[top] > 0:             # jump to the estimate f − ⌊log₂(δ/e)⌋
        f = max(0, min(top, top - int(math.floor(math.log2(delta / errs[top])))))
    while f < top and not err(f) <= delta:
        f += 1
    while f > 0 and err(f - 1) <= delta:
        f -= 1
    return {"frac_bits": f, "errors": dict(sorted(errs.items()))}


__all__ = ["check_no_overflow", "check_output_error", "check_loss", "check_measured_bits", "Refused",
           "fixed_engine", "run_fixed", "measured_int_bits", "measured_frac_bits", "REFERENCE_MAX_WORK"]
