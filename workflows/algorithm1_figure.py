"""The figure of ``rnnsim algorithm1`` (paper: Algorithm 1, Lemma 4; THEORY §9).

Left: the loss per class index m — the minimizer's loss L_m (exact optimum L*_m for the exact
family), the constructive certificate L_p(boost(q_m)) drawn at m + 1 (an upper bound on the
optimum of the next class, Lemma 1 + Lemma 3), the entropy floor H(p)/N, and the bad indices
B shaded, with |B| against the bound L*_0/g(ε) in the legend. Right: the largest advantage
max |α| of each class's minimizer over the distinguisher class, against ε; Algorithm 1's
start index m_0 (when it lies in the plotted range) and stop index are marked.
"""

from __future__ import annotations


def plot(rep, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ms = [r.m for r in rep.sweep]
    loss = [r.loss for r in rep.sweep]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for r in rep.sweep:
        if r.bad:
            for ax in (ax1, ax2):
                ax.axvspan(r.m - 0.4, r.m + 0.4, color="tab:red", alpha=0.12, lw=0)
    lab = "L*_m (exact minimizer)" if rep.exact else "L_m (trained; ≥ class optimum)"
    ax1.plot(ms, loss, "o-", color="tab:blue", label=lab)
    cx = [r.m + 1 for r in rep.sweep if r.certificate is not None]
    cy = [r.certificate for r in rep.sweep if r.certificate is not None]
    if cx:
        ax1.plot(cx, cy, "v", color="tab:green", ms=8, label="certificate L(boost(q_{m−1})) ≥ L*_m")
    ax1.axhline(rep.entropy_rate, color="0.4", ls="--", lw=1, label="entropy floor H(p)/N")
    ax1.plot([], [], "s", color="tab:red", alpha=0.3,
             label=f"bad set B: |B| = {len(rep.bad)} ≤ L*_0/g(ε) = {rep.bad_bound:.3g}")
    ax1.set_xlabel("class index m")
    ax1.set_ylabel("next-token loss (nats / token)")
    ax1.set_title("Loss per class")
    ax1.legend(fontsize=8)
    ax1.set_xticks(ms + ([ms[-1] + 1] if cx and max(cx) > ms[-1] else []))
    alphas = [r.max_alpha for r in rep.sweep]
    ax2.plot(ms, alphas, "o-", color="tab:purple", label="max |α| of the class's minimizer")
    ax2.axhline(rep.eps, color="tab:orange", ls="--", label=f"ε = {rep.eps:g}")
    if rep.m_stop <= ms[-1]:
        ax2.axvline(rep.m_stop, color="0.3", ls=":", label=f"Algorithm 1 stops at m = {rep.m_stop} (m_0 = {rep.m0})")
    else:
        ax2.plot([], [], " ", label=f"Algorithm 1: m_0 = {rep.m0} (T = {rep.T}), stops at m = {rep.m_stop}")
    ax2.set_xlabel("class index m")
    ax2.set_ylabel("largest advantage over the class")
    ax2.set_title(f"Indistinguishability (window k = {rep.k}, N = {rep.N})")
    ax2.set_xticks(ms)
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=8)
    fig.suptitle(f"Algorithm 1 — {rep.family}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


__all__ = ["plot"]
