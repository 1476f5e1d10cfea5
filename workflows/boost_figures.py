"""Figures of the self-boosting and growth workflows (THEORY §4.6, §9): what a reader of the
paper would put on a slide.

:func:`selfboost_figure` (``rnnsim selfboost --plot``): three panels over the rounds t —
(a) KL(p‖q_t) with the guarantee Lemma 1 gives for each round (KL(p‖q_{t−1}) minus the
η·S_r − (η−1+e^{−η})·n_r bound, and minus α²M/(2k)) and Theorem 1's worst case
KL(p‖q_0) − t·ε²M/(2k), which reaches 0 at the round bound; (b) the largest advantage
max|α| over the class against q_t with ε and Theorem 3's ceiling sqrt(k·KL(p‖q_t)/(2M));
(c) size, hidden size and τ on a log scale, built rounds as filled markers and closed-form
rounds as open ones on the same closed-form curve.

:func:`growth_figure` (``rnnsim growth --plot``): size, hidden size and τ per round on a log
scale, one colour per k, ``boost`` solid beside ``boost_simple`` dashed, the closed-form
curves as lines and the built rounds as filled markers.

With the bits column (``--bits``, :mod:`workflows.bits_column`) both figures get one more
panel: the integer bits i and fractional bits f per node that Lemma 12's analysis chooses for
every built round (output error ≤ δ), Theorem 2's bit size per round.
"""

from __future__ import annotations

import math

__all__ = ["selfboost_figure", "growth_figure"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _has_bits(rows) -> bool:
    return any("bits i" in r.extra for r in rows)


def _bits_panel(a, series, title) -> None:
    """series: (label, colour, style, [(t, extra)]) → integer and fractional bits per round."""
    for label, col, ls, pts in series:
        pts = [(t, e) for t, e in pts if "bits i" in e]
        if not pts:
            continue
        a.plot([t for t, _ in pts], [e["bits i"] for _, e in pts], ls, marker="o", color=col, ms=4,
               label=f"integer bits i{label}")
        a.plot([t for t, _ in pts], [e["bits f"] for _, e in pts], ls, marker="s", color=col, ms=4, mfc="white",
               label=f"fractional bits f{label}")
    from matplotlib.ticker import MaxNLocator

    a.xaxis.set_major_locator(MaxNLocator(integer=True))
    a.set_xlabel("round t")
    a.set_ylabel("bits per node")
    a.set_ylim(bottom=0)
    a.set_title(title)
    a.legend(fontsize=7)


def selfboost_figure(rep, path) -> None:
    plt = _plt()
    rows = rep.rows
    t = [r.t for r in rows]
    bits = _has_bits(rows)
    fig, ax = plt.subplots(1, 4 if bits else 3, figsize=(20 if bits else 15, 4.3))
    step = rep.eps ** 2 * rep.M / (2 * rep.k)
    built_end = max((r.t for r in rows if r.mode in ("start", "built")), default=0)

    a = ax[0]
    a.plot(t, [r.kl for r in rows], "o-", color="C0", ms=4, label="KL(p‖q_t)")
    g1 = [(r.t, rows[i - 1].kl - r.bound_lemma1) for i, r in enumerate(rows) if i and r.bound_lemma1 is not None]
    g2 = [(r.t, rows[i - 1].kl - r.bound_alpha) for i, r in enumerate(rows) if i and r.bound_alpha is not None]
    if g1:
        a.plot(*zip(*g1), "v", color="C1", ms=6, mfc="none",
               label=r"Lemma 1 guarantee: $\mathrm{KL}_{t-1} - (\eta S_r - (\eta-1+e^{-\eta})\,n_r)$")
        a.plot(*zip(*g2), "_", color="C3", ms=10, mew=1.5,
               label=r"Lemma 1 guarantee: $\mathrm{KL}_{t-1} - \alpha^2 M/(2k)$")
    worst = [max(rows[0].kl - s * step, 0) for s in t]
    a.plot(t, worst, ":", color="gray",
           label=r"Theorem 1 worst case $\mathrm{KL}_0 - t\,\varepsilon^2 M/(2k)$" + f" (0 at t = {rep.round_bound:.0f})")
    a.set_xlabel("round t")
    a.set_ylabel("KL(p‖q_t)  (nats, documents)")
    a.set_title("(a) KL to the source, with Lemma 1's guarantees")
    a.legend(fontsize=7, loc="best")

    b = ax[1]
    b.plot(t, [r.max_alpha for r in rows], "o-", color="C0", ms=4, label=r"$\max_{d}\,|\alpha(d)|$ against $q_t$")
    b.plot(t, [math.sqrt(rep.k * max(r.kl, 0) / (2 * rep.M)) for r in rows], "--", color="C2",
           label=r"Theorem 3 ceiling $\sqrt{k\,\mathrm{KL}(p\|q_t)/(2M)}$")
    b.axhline(rep.eps, color="C3", lw=1, label=f"ε = {rep.eps:g}")
    b.set_xlabel("round t")
    b.set_ylabel("advantage")
    b.set_ylim(bottom=0)
    b.set_title(f"(b) largest advantage in the class ({rep.cls})")
    b.legend(fontsize=7)

    c = ax[2]
    for key, col, lab in (("size", "C0", "size |R_t|"), ("hidden", "C1", "hidden size |H_t|"), ("tau", "C2", "τ_t")):
        pts = [(r.t, getattr(r, key), r.mode) for r in rows if getattr(r, key) > 0]     # log scale: |H_0| may be 0
        c.plot([x for x, _, _ in pts], [v for _, v, _ in pts], "-", color=col, lw=1, label=f"{lab} (closed form)")
        bt = [(x, v) for x, v, m in pts if m in ("start", "built")]
        ct = [(x, v) for x, v, m in pts if m == "closed form"]
        if bt:
            c.plot(*zip(*bt), "o", color=col, ms=5)
        if ct:
            c.plot(*zip(*ct), "o", color=col, ms=4, mfc="none")
    c.set_yscale("log")
    c.set_xlabel("round t")
    c.set_title("(c) growth: ● built + verified, ○ closed form")
    c.legend(fontsize=7, loc="upper left")
    if bits:
        _bits_panel(ax[3], [("", "C4", "-", [(r.t, r.extra) for r in rows])],
                    "(d) Theorem 2: bits per node, error ≤ 2^-12")
    for x in ax:
        x.axvspan(-0.3, built_end + 0.3, color="0.93", zorder=0)
        x.grid(alpha=0.3)
    fig.suptitle(f"Self-boosting to ε-indistinguishability (Theorem 1): p over Σ^{rep.N}, k = {rep.k}, "
                 f"{rep.rounds} rounds ({rep.built} built on networks, shaded), stop: {rep.stop}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def growth_figure(rep, path) -> None:
    plt = _plt()
    bits = _has_bits(rep.rows)
    fig, ax = plt.subplots(1, 4 if bits else 3, figsize=(20 if bits else 15, 4.5))
    quantities = (("size", "size |R_t|"), ("hidden", "hidden size |H_t|"), ("tau", "RNN-time τ_t"))
    for j, (key, title) in enumerate(quantities):
        a = ax[j]
        for ci, k in enumerate(rep.ks):
            for kind, ls in (("boost", "-"), ("boost_simple", "--")):
                rs = [r for r in rep.rows if r.k == k and r.construction == kind and getattr(r, key) > 0]
                if not rs or (key == "tau" and kind == "boost_simple"):
                    continue          # τ is the same for both constructions; log scale: |H_0| may be 0
                lab = f"k = {k}, {'boost' if kind == 'boost' else 'simple'}"
                a.plot([r.t for r in rs], [getattr(r, key) for r in rs], ls, color=f"C{ci}", lw=1.2,
                       label=lab if key != "tau" else f"k = {k} (both)")
                bt = [(r.t, getattr(r, key)) for r in rs if r.mode == "built"]
                a.plot(*zip(*bt), "o" if kind == "boost" else "s", color=f"C{ci}", ms=4,
                       mfc=f"C{ci}" if kind == "boost" else "white")
        a.set_yscale("log")
        a.set_xlabel("boosting round t")
        a.set_title(title)
        a.grid(alpha=0.3, which="both")
    ax[0].legend(fontsize=7, ncol=2)
    ax[2].legend(fontsize=7)
    if bits:
        _bits_panel(ax[3], [(f", k = {k}", f"C{ci}", "-", [(r.t, r.extra) for r in rep.rows
                                                          if r.k == k and r.construction == "boost"])
                            for ci, k in enumerate(rep.ks)],
                    "Theorem 2: bits per node (boost), error ≤ 2^-12")
        ax[3].grid(alpha=0.3)
    fig.suptitle(f"Growth over rounds (class {rep.cls!r}): lines = closed forms (Lemma 3, Section 2.1), markers = "
                 "built networks (● boost, □ boost_simple).\nOn a log scale straight lines are exponential: boost_simple doubles, "
                 "τ grows ×(2^k+1)k per round; boost bends (hidden size linear, size quadratic).",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
