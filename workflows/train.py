"""Workflow: gradient-based loss minimization over tiny RNN classes (paper: Algorithm 1's
"train an LM by minimizing the next-token loss"; THEORY §9). Needs the optional ``train``
extra (PyTorch on CPU).

Why PyTorch: ``nn.RNN(nonlinearity="relu")`` *is* the hidden layer of the universal graph at
τ = 1 (h ← ReLU(a·x + W·h + b), THEORY §4.8), its autograd gives exact gradients of the
exact expected loss, and its weights are what users will bring to the toolkit; float64 CPU
tensors keep the loss accurate to ~1e-15 on all 2^N documents. (JAX would do as well; numpy
would need hand-written backpropagation through time.)

The model (:class:`ReluRNNLM`): ``rnn`` = nn.RNN(1, H, nonlinearity="relu"), a learned
initial state ``h0`` and a ``readout`` nn.Linear(H, 2) with the ratio readout of
:mod:`constructions.relu_rnn` (q(σ) = (ReLU(z_σ) + φ)/Σ(ReLU(z) + φ)). The objective is the
*exact* next-token loss L_p(q) = −(1/N)·Σ_x p(x)·Σ_m log q(x_m | x_<m) over every document
(full batch, no sampling), minimized with Adam from several seeded restarts; the best run is
imported as an rnnsim network (:func:`constructions.relu_rnn.from_state_dict`) and measured
exactly (:mod:`workflows.trained`). :class:`GradientFamily` is Algorithm 1's pluggable
minimizer over the nested classes C_m = {ReLU RNN LMs with m hidden nodes} (nested: a unit with
zero weights is inert).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from constructions.relu_rnn import from_state_dict
from proofs_checks.lm import as_distribution
from rnnsim import all_documents
from rnnsim.errors import ConstructionError

from .trained import check_lm_outputs

FLOOR = Fraction(1, 100)


def _torch():
    try:
        import torch
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "gradient training needs PyTorch (CPU): pip install 'rnnsim[train]' (torch==2.13.0)") from None
    return torch


def make_model(hidden: int, *, floor=FLOOR, seed: int = 0):
    """The PyTorch model of the module docstring (float64)."""
    torch = _torch()
    nn = torch.nn

    class ReluRNNLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden, self.floor = hidden, float(floor)
            # live ReLUs at the start (a unit at 0 has zero gradient): positive biases and h0
            if hidden:
                self.rnn = nn.RNN(1, hidden, nonlinearity="relu", batch_first=True)
                self.h0 = nn.Parameter(0.5 + 0.1 * torch.rand(hidden))
                with torch.no_grad():
                    self.rnn.bias_ih_l0.add_(0.5)
                self.readout = nn.Linear(hidden, 2)
                with torch.no_grad():
                    self.readout.bias.add_(1.0)
            else:
                self.bias = nn.Parameter(1.0 + 0.1 * torch.rand(2))

        def forward(self, x):                      # x: (B, N) float tokens → q(x_m | x_<m): (B, N)
            B, N = x.shape
            if self.hidden:
                h0 = self.h0.expand(1, B, self.hidden).contiguous()
                hs, _ = self.rnn(x[:, :-1, None], h0) if N > 1 else (x.new_zeros(B, 0, self.hidden), None)
                Hs = torch.cat([self.h0.expand(B, 1, self.hidden), hs], dim=1)     # h_{m−1}, m = 1..N
                z = self.readout(Hs)
            else:
                z = self.bias.expand(B, N, 2)
            a = torch.relu(z) + self.floor
            return torch.where(x > 0.5, a[..., 1], a[..., 0]) / a.sum(-1)

    torch.manual_seed(seed)
    return ReluRNNLM().double()


def state_dict_of(model) -> dict:
    """numpy copies of the parameters in the layout :func:`from_state_dict` reads (H = 0: a
    zero-hidden model is exported as H = 0 with the readout bias)."""
    sd = {k: v.detach().cpu().numpy().astype(np.float64) for k, v in model.state_dict().items()}
    if model.hidden == 0:
        sd = {"rnn.weight_ih_l0": np.zeros((0, 1)), "rnn.weight_hh_l0": np.zeros((0, 0)),
              "readout.weight": np.zeros((2, 0)), "readout.bias": sd["bias"], "h0": np.zeros(0)}
    return sd


@dataclass
class TrainResult:
    hidden: int
    loss_float: float                 # the training objective at the end (float64)
    history: list = field(default_factory=list)
    state_dict: dict = field(default_factory=dict)
    restarts: int = 1

    def network(self, *, name: str | None = None):
        """The trained model as an explicit rnnsim LM network."""
        return from_state_dict(self.state_dict, readout="ratio", floor=FLOOR, name=name or f"relu_rnn_h{self.hidden}")


def train(p, hidden: int, *, steps: int = 400, lr: float = 0.05, restarts: int = 3, seed: int = 0) -> TrainResult:
    """Minimize the exact next-token loss of a ReLU RNN LM with ``hidden`` units on p (Adam,
    full batch over Σ^N, ``restarts`` seeds; the best run is returned)."""
    torch = _torch()
    torch.set_num_threads(1)            # tiny problems: threads only contend for the cores
    p = as_distribution(p)
    if p.b != 2:
        raise ConstructionError("training is implemented for binary documents (b = 2)")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 0:
        raise ConstructionError(f"hidden size must be a non-negative integer, got {hidden!r}")
    docs = torch.tensor(all_documents(2, p.N), dtype=torch.float64)
    w = torch.tensor(np.asarray([float(v) for v in p.probs]), dtype=torch.float64)
    best = None
    for r in range(restarts):
        model = make_model(hidden, seed=seed * 1000 + r)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        hist = []
        for _ in range(steps):
            opt.zero_grad()
            loss = -(w[:, None] * torch.log(model(docs))).sum() / p.N
            loss.backward()
            opt.step()
            hist.append(float(loss.detach()))
        with torch.no_grad():
            final = float(-(w[:, None] * torch.log(model(docs))).sum() / p.N)
        if best is None or final < best.loss_float:
            best = TrainResult(hidden, final, hist, state_dict_of(model), restarts)
    return best


@dataclass
class TrainedMinimum:
    m: int
    hidden: int
    loss: float                       # exact loss of the imported network (measured)
    lm: object
    net: object
    train_loss: float

    def network(self):
        return self.net


class GradientFamily:
    """Algorithm 1's family C_m = ReLU RNN LMs with min(m, h_max) hidden units, minimized by
    :func:`train` (an upper bound on the class optimum; cached per hidden size)."""

    name = "gradient: ReLU RNN LMs trained by Adam (PyTorch)"
    exact = False

    def __init__(self, p, k: int, *, h_max: int = 3, steps: int = 300, restarts: int = 2, seed: int = 0):
        self.p, self.k, self.h_max = as_distribution(p), k, h_max
        self.steps, self.restarts, self.seed = steps, restarts, seed
        self._cache: dict[int, TrainedMinimum] = {}

    def hidden(self, m: int) -> int:
        return min(m, self.h_max)

    @property
    def saturation(self) -> int:
        return self.h_max

    def describe(self, m: int) -> str:
        return f"ReLU RNN, {self.hidden(m)} hidden"

    def minimize(self, m: int) -> TrainedMinimum:
        from proofs_checks.textdist import next_token_loss

        h = self.hidden(m)
        if h not in self._cache:
            res = train(self.p, h, steps=self.steps, restarts=self.restarts, seed=self.seed)
            net = res.network()
            lm = check_lm_outputs(net, self.p.N)
            self._cache[h] = TrainedMinimum(m, h, next_token_loss(self.p, lm), lm, net, res.loss_float)
        got = self._cache[h]
        return TrainedMinimum(m, h, got.loss, got.lm, got.net, got.train_loss)


__all__ = ["make_model", "state_dict_of", "TrainResult", "train", "TrainedMinimum", "GradientFamily", "FLOOR"]
