"""A ReLU RNN language model with a probability readout as an explicit rnnsim network — the
form in which trained models (PyTorch ``nn.RNN(nonlinearity="relu")``) are imported
(paper: Definition 3; THEORY §2.6, §9).

Model. Hidden state h_0 (given), h_m = ReLU(W_ih·e(x_m) + W_hh·h_{m−1} + b) with e(x) = x
(input size 1) or the one-hot vector of x (input size b = 2), b = b_ih + b_hh. The next-token
distribution after x_{<m} is read from h_{m−1} by one of two readouts:

* ``"ratio"`` (default): scores z = W_out·h + b_out ∈ ℝ², a_σ = ReLU(z_σ) + φ with a floor
  φ > 0, q(σ | x_{<m}) = a_σ / (a_0 + a_1) — elementary (ReLU, product, reciprocal), always a
  probability, every token probability ≥ φ / (a_0 + a_1) > 0;
* ``"linear"``: q(1 | x_{<m}) = w·h + c (W_out of shape (1, H)) — a probability only where it
  lands in [0, 1], which the import workflow checks on every prefix (an error names the first
  prefix where it does not).

Network (τ = 1, binary, value input): hidden nodes h.0 … h.{H−1} with the update above, and
the output q ← q(x_m | x_{<m}) computed at step m−1 → m from h(m−1) = h_{m−1} and x_m:
ratio: (x·(a_1 − a_0) + a_0)·recip(a_0 + a_1); linear: (2x − 1)·(w·h + c) + 1 − x. Exact
claims: size H + 2, hidden size H, τ = 1, depth 3 (ratio; 1 for linear, 0 without weights
read). Float weights are converted exactly (``Fraction(float)``), so the imported network
computes exactly what the float model computes up to the float rounding of the model itself.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from rnnsim import Builder, Claims, Const, ConstructionError, LMRole, Node, affine, recip, relu
from rnnsim.expr import exact
from rnnsim.registry import realizes

from . import records

READOUTS = ("ratio", "linear")


def _matrix(a, shape, what: str) -> list[list[Fraction]]:
    arr = np.asarray(a, dtype=object)
    if arr.ndim == 1 and len(shape) == 2 and shape[1] == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim == 1 and len(shape) == 2 and shape[0] == 1:
        arr = arr.reshape(1, -1)
    if tuple(arr.shape) != tuple(shape):
        raise ConstructionError(f"{what} has shape {tuple(arr.shape)}, expected {tuple(shape)}")
    return [[Fraction(exact(v, where=f"{what}[{i}][{j}]")) for j, v in enumerate(row)] for i, row in enumerate(arr)]


def _vector(a, n: int, what: str) -> list[Fraction]:
    arr = np.asarray(a, dtype=object).reshape(-1)
    if arr.shape != (n,):
        raise ConstructionError(f"{what} has {arr.shape[0]} entries, expected {n}")
    return [Fraction(exact(v, where=f"{what}[{i}]")) for i, v in enumerate(arr)]


@realizes("Definition 3", "a ReLU RNN LM with a ratio (or linear) probability readout is an LM RNN of size H + 2",
          bound="size H + 2, hidden H, τ = 1, depth ≤ 3")
def relu_rnn_lm(W_ih, W_hh, b, W_out, b_out, *, h0=None, readout: str = "ratio", floor=Fraction(1, 100),
                name: str = "relu_rnn") -> "rnnsim.RNN":  # noqa: F821
    """The network of the module docstring (weights as nested sequences or numpy arrays)."""
    if readout not in READOUTS:
        raise ConstructionError(f"readout must be one of {READOUTS}, got {readout!r}")
    Whh = np.asarray(W_hh, dtype=object)
    if Whh.ndim != 2 or Whh.shape[0] != Whh.shape[1]:
        raise ConstructionError(f"W_hh must be a square matrix (H × H), got shape {Whh.shape}")
    H = Whh.shape[0]
    Wih_arr = np.asarray(W_ih, dtype=object)
    n_in = 1 if Wih_arr.ndim == 1 else Wih_arr.shape[1]
    if n_in not in (1, 2):
        raise ConstructionError(f"W_ih must have 1 (token value) or 2 (one-hot) columns, got {n_in}")
    Wih = _matrix(W_ih, (H, n_in), "W_ih")
    Whh_ = _matrix(W_hh, (H, H), "W_hh")
    bb = _vector(b, H, "b")
    hh0 = _vector(np.zeros(H) if h0 is None else h0, H, "h0")
    n_out = 2 if readout == "ratio" else 1
    Wo = _matrix(W_out, (n_out, H), "W_out")
    bo = _vector(b_out, n_out, "b_out")
    phi = Fraction(exact(floor, where="floor"))
    if readout == "ratio" and not phi > 0:
        raise ConstructionError(f"the ratio readout needs a floor φ > 0 (so a_0 + a_1 > 0), got {floor!r}")
    bl = Builder(name, tau=1, alphabet=2, role=LMRole(2))
    x = bl.input("x")
    hs = [bl.node(f"h.{i}", init=hh0[i], hidden=True) for i in range(H)]
    for i in range(H):
        inp = [(x, Wih[i][0])] if n_in == 1 else [(x, Wih[i][1] - Wih[i][0])]
        c = bb[i] + (Wih[i][0] if n_in == 2 else 0)
        bl.update(hs[i], relu(affine(inp + [(hs[j], Whh_[i][j]) for j in range(H)], c)))
    q = bl.node("q", init=0)
    if readout == "ratio":
        a = [relu(affine([(hs[j], Wo[s][j]) for j in range(H)], bo[s])) + phi for s in (0, 1)]
        num = x * (a[1] - a[0]) + a[0]
        bl.update(q, num * recip(a[0] + a[1]))
    else:
        p1 = affine([(hs[j], Wo[0][j]) for j in range(H)], bo[0])
        bl.update(q, (2 * x - 1) * p1 + 1 - x)
    bl.output(q)
    moving = any((Wih[i][0] if n_in == 1 else Wih[i][1] - Wih[i][0]) != 0 or any(Whh_[i]) for i in range(H))
    depth = _depth(readout, Wo, int(moving))
    rec = records.ReluRNNLM(tuple(map(tuple, Wih)), tuple(map(tuple, Whh_)), tuple(bb), tuple(hh0),
                            tuple(map(tuple, Wo)), tuple(bo), readout, phi)
    return bl.build(claims=Claims(H + 2, H, 1, depth, statement="Definition 3"), construction=rec.to_json())


def _depth(readout: str, Wo, hid: int) -> int:
    """Depth from the weights: 3 for the ratio readout (ReLU → product / reciprocal → product)
    when some score reads a hidden node (constant scores fold: the output is affine in x); 1
    for a linear readout reading a hidden node; ``hid`` = 1 when some hidden update reads x or
    h (a ReLU of a constant folds to a constant)."""
    reads = [any(w != 0 for w in row) for row in Wo]
    if readout == "linear":
        return max(hid, 1 if any(reads) else 0)
    if not any(reads):
        return hid                         # a_σ constant: q = (x·c1 + c0)·const — affine
    return 3


def from_state_dict(sd, *, readout: str = "ratio", floor=Fraction(1, 100), name: str = "relu_rnn"):
    """:func:`relu_rnn_lm` from the parameter dict of a model with an ``nn.RNN`` named ``rnn``
    (``rnn.weight_ih_l0``, ``rnn.weight_hh_l0``, ``rnn.bias_ih_l0``, ``rnn.bias_hh_l0``), an
    initial state ``h0`` and a readout ``nn.Linear`` named ``readout`` (values: arrays or
    tensors converted with ``numpy()``)."""
    def get(key, default=None):
        if key not in sd:
            if default is not None:
                return default
            raise ConstructionError(f"state dict misses {key!r} (keys: {sorted(sd)[:10]})")
        v = sd[key]
        v = v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)
        return np.asarray(v, dtype=np.float64)

    Wih, Whh = get("rnn.weight_ih_l0"), get("rnn.weight_hh_l0")
    H = Whh.shape[0]
    zero = np.zeros(H)
    b = get("rnn.bias_ih_l0", zero) + get("rnn.bias_hh_l0", zero)
    h0 = get("h0", zero).reshape(-1)
    return relu_rnn_lm(Wih, Whh, b, get("readout.weight"), get("readout.bias"), h0=h0, readout=readout,
                       floor=floor, name=name)


__all__ = ["relu_rnn_lm", "from_state_dict", "READOUTS"]
