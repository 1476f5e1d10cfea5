"""Regenerate the example networks shipped with rnnsim (``python -m rnnsim.examples.make_examples``
or ``python rnnsim/examples/make_examples.py``).

``laplace.json`` (the default ``example``): an LM RNN (THEORY §2.6) for Laplace's rule of
succession on binary documents, q(x_m = 1 | x_{<m}) = (#ones in x_{<m} + 1) / (m + 1),
so it outputs F(x_{≤m}) = q(x_m | x_{<m}) exactly, a rational. τ = 2: a phase node
alternates 0, 1; in phase 0 the counters n (tokens) and c (ones, gated by a ReLU,
relu(x − ph) = x·(1 − ph) on {0,1}) take in the token; at time mτ the output is

    o = (x·c + (1 − x)·(n − c)) · recip(n + 1)

evaluated with c, n already counting x_m (x·(c − x + 1) = x·c since x² = x). Hidden set
H = {ph, n, c} (the counters); o is outside H, and H satisfies THEORY §2.5(a) and (b).
Uses Affine, ReLU, Prod and Recip; depth 2; size 5.
"""

from __future__ import annotations

from pathlib import Path

from rnnsim import Builder, LMRole, recip, relu, save


def laplace():
    b = Builder("laplace", tau=2, alphabet=2, role=LMRole(2))
    x = b.input("x")
    ph = b.node("count.phase", init=0)
    n = b.node("count.n", init=0)
    c = b.node("count.ones", init=0)
    o = b.node("q", init=0)
    b.update(ph, 1 - ph)
    b.update(n, n + 1 - ph)
    b.update(c, c + relu(x - ph))
    b.update(o, (x * c + (1 - x) * (n - c)) * recip(n + 1))
    b.hidden(ph, n, c)
    b.output(o)
    return b.build(meta={
        "description": "Laplace's rule of succession as an LM RNN: q(1 | x_<m) = (ones + 1)/(m + 1)",
        "generator": "rnnsim/examples/make_examples.py",
    })


EXAMPLES = {"laplace": laplace}


def main() -> None:
    here = Path(__file__).resolve().parent
    for name, make in EXAMPLES.items():
        save(make(), here / f"{name}.json")
        print(f"wrote {here / (name + '.json')}")


if __name__ == "__main__":
    main()
