"""The figure of ``rnnsim bits`` (paper: Lemma 12, Claims 9–10, Theorem 2; THEORY §5).

Three panels over the boosting rounds of one chain. Left: integer bits — measured (least i
without overflow on every document), claimed (the analysis) and Claim 9's closed form,
with the claimed bits of the N sweep beside them (the same chain built for each N; the
integer bits of every node but the position counter in grey). Middle: fractional bits —
measured (least f within δ), claimed, Claim 10's closed form, and the N sweep. Right: the
output error at the chosen format — proved and measured (log scale) with δ.
"""

from __future__ import annotations


def figure(rows, sweep: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [r.round for r in rows]
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(14, 4.2))
    for ax, key, closed, name in ((a1, "int", "int_closed", "Claim 9"), (a2, "frac", "frac_closed", "Claim 10")):
        ax.plot(t, [getattr(r, closed) for r in rows], "s--", color="tab:red", label=f"{name} closed form")
        ax.plot(t, [getattr(r, f"{key}_claimed") for r in rows], "o-", color="tab:blue", label="claimed (analysis)")
        meas = [(r.round, getattr(r, f"{key}_measured")) for r in rows if getattr(r, f"{key}_measured") is not None]
        if meas:
            ax.plot(*zip(*meas), "x", color="black", ms=9, mew=2, label="measured (every document)")
        for j, N in enumerate(sorted(sweep)):
            col = 0 if key == "int" else 1
            off = (j - (len(sweep) - 1) / 2) * 0.08
            ax.plot([x + off for x in t], [v[col] for v in sweep[N]][:len(t)], "^", ms=5, alpha=0.8,
                    label=f"claimed, N = {N}")
            if key == "int":
                ax.plot([x + off for x in t], [v[2] for v in sweep[N]][:len(t)], ".", color="0.5", ms=6,
                        label="without the position counter" if j == 0 else None)
        ax.set_xlabel("boosting round t")
        ax.set_ylabel("integer bits i" if key == "int" else "fractional bits f")
        ax.set_title("Integer bits per node (max)" if key == "int" else f"Fractional bits for δ = {rows[0].delta:.3g}")
        ax.set_xticks(t)
        ax.legend(fontsize=7)
    a3.semilogy(t, [r.proved_error for r in rows], "o-", color="tab:blue", label="proved |q̃ − q| (Claim 10, refined)")
    meas = [(r.round, r.measured_error) for r in rows if r.measured_error]
    if meas:
        a3.semilogy(*zip(*meas), "x-", color="black", label="measured max |q̃ − q| (every document)")
        for (x, y), r in zip(meas, [r for r in rows if r.measured_error]):
            a3.annotate(f"{r.ratio:.0f}×", (x, y), textcoords="offset points", xytext=(4, -12), fontsize=8)
    a3.axhline(rows[0].delta, color="tab:red", ls="--", lw=1, label="δ")
    a3.set_xticks(t)
    a3.set_xlim(t[0] - 0.3, t[-1] + 0.5)              # room for the last ratio label
    a3.set_xlabel("boosting round t")
    a3.set_ylabel("output error at the chosen format")
    a3.set_title("Output error: proved vs measured")
    a3.set_xticks(t)
    a3.legend(fontsize=7)
    fig.suptitle("Bounded bit size over boosting rounds (Lemma 12, Theorem 2)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


__all__ = ["figure"]
