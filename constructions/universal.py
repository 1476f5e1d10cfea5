"""The universal graph of a size class (paper: Section 3 and Figure 3.1; THEORY §4.8).

Claim (paper, Section 3; project form). Fix a size s ≥ 2, a hidden size h and an
RNN-time τ ≥ 1, with S = s − 1 − h ≥ 0 "stateless" nodes. The universal graph G(s, h, τ)
has one input node x, hidden nodes h_0 … h_{h−1} and stateless nodes s_0 … s_{S−1};
every hidden node reads x and every hidden node; every stateless node reads x, every
hidden node and every stateless node, and stateless nodes are *reset* whenever a new
token is fed; every transition is ReLU-affine with free weights:

    h_i(t+1) = ReLU(a_i·x + Σ_j W_ij·h_j(t) + b_i),                 h_i(0) = c_i
    s_i(t+1) = ReLU(a'_i·x + Σ_j W'_ij·h_j(t) + ρ_t·Σ_j U_ij·s_j(t) + b'_i),   s_i(0) = 0

with ρ_t = 1[t mod τ ≠ 0] (the reset: at the first step of an input loop the stateless
nodes start from 0). The output is s_{S−1} (h_{h−1} when S = 0). Every RNN of the class —
value-encoded input, τ steps per token, hidden set H of size ≤ h whose nodes read only
H ∪ I, at most S other nodes, every transition ReLU-affine (or affine and provably ≥ 0) —
*is* G(s, h, τ) with some weights (:func:`embed_into_universal`): unused slots get zero
weights and stay 0, and the reset changes nothing because overwriting the nodes outside
H at a time mτ does not change any later output — that is THEORY §2.5(b), the definition
of a hidden set. This is what Algorithm 1 needs: "minimize the loss over the class of
size s" is "minimize over the weights of G(s, h, τ)".

Realisation in rnnsim. The reset ρ_t is not a primitive of the simulator, so for τ ≥ 2
two scaffolding nodes carry it: ``clk.ph`` = t mod τ (Lemma 18's inc_mod) and
``clk.rho`` = ρ_t = 1 − 1[ph(t−1) = τ−1]; both are hidden (they are time, not state),
Boolean, and do not depend on the weights. The stateless transition reads ρ·(Σ_j U_ij s_j)
(one Prod). So the built network has size s + 2·[τ ≥ 2], hidden size h + 2·[τ ≥ 2], RNN
time τ and depth ≤ 1 + [τ ≥ 2 and S ≥ 1]. Zero weights drop the corresponding edge from
the built expression (the function is the same).

Parameter layout (``n_params(s, h, τ) = h·(h+3) + S·(h+S+2)``; a flat vector θ):

* hidden node i (i = 0 … h−1) owns θ[i·(h+3) : (i+1)·(h+3)] = [a_i, W_i0 … W_i(h−1), b_i, c_i];
* stateless node i owns the next blocks of length h+S+2:
  [a'_i, W'_i0 … W'_i(h−1), U_i0 … U_i(S−1), b'_i].

:func:`Layout.unpack` / :func:`Layout.pack` convert between θ and the matrices;
:func:`forward` evaluates the class directly with numpy (an oracle independent of the
expression IR). Training over a class (Algorithm 1's loss minimisation) is the workflow
:mod:`workflows.training`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from rnnsim import Builder, Claims, Const, Node, RNN, relu
from rnnsim.errors import NetworkError
from rnnsim.expr import Affine, Expr, ReLU, exact
from rnnsim.registry import realizes

from . import records
from .gadgets import ge, inc_mod
from .size_classes import NotInClass

_STMT = ("every RNN of size ≤ s, hidden size ≤ h and RNN-time τ with ReLU-affine transitions is the "
         "universal graph G(s, h, τ) with some weights")


@dataclass(frozen=True)
class Layout:
    """Where each weight of G(size, hidden, time) lives in the flat parameter vector."""

    size: int
    hidden: int
    time: int

    def __post_init__(self):
        for nm, v, lo in (("size", self.size, 2), ("hidden", self.hidden, 0), ("time", self.time, 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise NetworkError(f"universal graph: {nm} must be an integer ≥ {lo}, got {v!r}")
        if self.stateless < 0:
            raise NetworkError(
                f"universal graph: size {self.size} must be ≥ 1 + hidden = {1 + self.hidden} "
                "(one input node plus the hidden nodes)")
        if self.stateless == 0 and self.hidden == 0:
            raise NetworkError("universal graph: needs at least one non-input node for the output")

    @property
    def stateless(self) -> int:
        return self.size - 1 - self.hidden

    @property
    def hidden_block(self) -> int:
        return self.hidden + 3

    @property
    def stateless_block(self) -> int:
        return self.hidden + self.stateless + 2

    @property
    def n_params(self) -> int:
        return self.hidden * self.hidden_block + self.stateless * self.stateless_block

    @property
    def output(self) -> str:
        return f"s.{self.stateless - 1}" if self.stateless else f"h.{self.hidden - 1}"

    def unpack(self, theta) -> dict:
        """θ → {"a", "W", "b", "c" (hidden); "a2", "W2", "U", "b2" (stateless)} as object
        arrays of the given numbers (floats stay floats, Fractions stay Fractions)."""
        t = np.asarray(list(theta), dtype=object)
        if t.shape != (self.n_params,):
            raise NetworkError(
                f"universal graph G({self.size}, {self.hidden}, {self.time}) takes {self.n_params} "
                f"weights, got {t.shape[0] if t.ndim == 1 else t.shape}")
        H, S = self.hidden, self.stateless
        hb = t[: H * self.hidden_block].reshape(H, self.hidden_block)
        sb = t[H * self.hidden_block:].reshape(S, self.stateless_block)
        return {
            "a": hb[:, 0], "W": hb[:, 1:1 + H], "b": hb[:, 1 + H], "c": hb[:, 2 + H],
            "a2": sb[:, 0], "W2": sb[:, 1:1 + H], "U": sb[:, 1 + H:1 + H + S], "b2": sb[:, 1 + H + S],
        }

    def pack(self, *, a, W, b, c, a2, W2, U, b2) -> list:
        """Matrices → flat θ (inverse of :meth:`unpack`)."""
        H, S = self.hidden, self.stateless
        out: list = []
        for i in range(H):
            out += [a[i], *[W[i][j] for j in range(H)], b[i], c[i]]
        for i in range(S):
            out += [a2[i], *[W2[i][j] for j in range(H)], *[U[i][j] for j in range(S)], b2[i]]
        return out

    def zeros(self) -> list:
        return [0] * self.n_params


def n_params(size: int, hidden: int, time: int) -> int:
    """Number of free weights of G(size, hidden, time): h(h+3) + S(h+S+2), S = size−1−h."""
    return Layout(size, hidden, time).n_params


def random_weights(size: int, hidden: int, time: int, *, seed=None, scale: float = 1.0) -> np.ndarray:
    """Gaussian weights N(0, scale²/fan-in) for G(size, hidden, time) (float64 vector)."""
    lay = Layout(size, hidden, time)
    rng = np.random.default_rng(seed)
    theta = np.empty(lay.n_params)
    H, S = lay.hidden, lay.stateless
    pos = 0
    for _ in range(H):
        theta[pos:pos + lay.hidden_block] = rng.normal(0, scale / np.sqrt(H + 1), lay.hidden_block)
        pos += lay.hidden_block
    for _ in range(S):
        theta[pos:pos + lay.stateless_block] = rng.normal(0, scale / np.sqrt(H + S + 1), lay.stateless_block)
        pos += lay.stateless_block
    return theta


@realizes("§4.8 universal graph", _STMT, bound="size s + 2·[τ≥2], hidden h + 2·[τ≥2], RNN-time τ, depth ≤ 1 + [τ≥2]")
def universal(size: int, hidden: int, time: int, *, weights=None, seed=None, alphabet: int = 2,
              name: str | None = None, role=None) -> RNN:
    """The universal graph G(size, hidden, time) with the given weights (θ, see the module
    docstring); ``weights=None`` draws :func:`random_weights` with ``seed``. ``role``: what
    the weights make it compute (e.g. ``rnnsim.LMRole(2)`` for weights fitted as an LM;
    None by default, since random weights compute neither an LM nor a distinguisher)."""
    lay = Layout(size, hidden, time)
    theta = random_weights(size, hidden, time, seed=seed) if weights is None else weights
    P = lay.unpack(theta)
    H, S = lay.hidden, lay.stateless
    b = Builder(name or f"universal_{size}_{hidden}_{time}", tau=time, alphabet=alphabet, role=role)
    x = b.input("x")
    hs = [b.node(f"h.{i}", init=_num(P["c"][i], f"init of h.{i}"), hidden=True) for i in range(H)]
    ss = [b.node(f"s.{i}", init=0) for i in range(S)]
    rho = None
    if time >= 2:
        ph = b.node("clk.ph", init=0, hidden=True)
        b.update(ph, inc_mod(ph, time))
        rho = b.node("clk.rho", init=0, hidden=True, boolean=True)
        b.update(rho, 1 - ge(ph, time - 1))
    for i in range(H):
        lin = _lin([(x, P["a"][i])] + [(hs[j], P["W"][i][j]) for j in range(H)], P["b"][i], f"h.{i}")
        b.update(hs[i], relu(lin))
    for i in range(S):
        lin = _lin([(x, P["a2"][i])] + [(hs[j], P["W2"][i][j]) for j in range(H)], P["b2"][i], f"s.{i}")
        if rho is not None:
            lin = lin + rho * _lin([(ss[j], P["U"][i][j]) for j in range(S)], 0, f"s.{i}")
        b.update(ss[i], relu(lin))
    b.output(Node(lay.output))
    clk = 2 if time >= 2 else 0
    exact_theta = tuple(_num(w, "weight") for w in np.asarray(list(theta), dtype=object).reshape(-1))
    return b.build(claims=Claims(size + clk, hidden + clk, time, universal_depth(lay, exact_theta),
                                 statement="§4.8 universal graph"),
                   construction=records.Universal(size, hidden, time, exact_theta).to_json())


def universal_depth(lay: Layout, theta) -> int:
    """Depth of G(size, hidden, time) with weights θ: the clock (τ ≥ 2) has depth 1; a node
    is ReLU(affine) (depth 1) unless it reads nothing (a constant, depth 0); a stateless
    node whose reset term ρ·Σ U·s has a nonzero weight has depth 2 (τ ≥ 2)."""
    P = lay.unpack(theta)
    nz = lambda row: any(_num(w, "weight") != 0 for w in row)  # noqa: E731
    d = 1 if lay.time >= 2 else 0
    for i in range(lay.hidden):
        d = max(d, int(nz([P["a"][i], *P["W"][i]])))
    for i in range(lay.stateless):
        if lay.time >= 2 and nz(P["U"][i]):
            d = 2
        else:
            d = max(d, int(nz([P["a2"][i], *P["W2"][i]])))
    return d


def forward(size: int, hidden: int, time: int, weights, tokens) -> np.ndarray:
    """The class semantics evaluated directly (float64, numpy): outputs (B, N) for a (B, N)
    token matrix, column m−1 = the output node at time m·τ. Independent of the IR."""
    lay = Layout(size, hidden, time)
    P = {k: np.asarray(v, dtype=np.float64) for k, v in lay.unpack(
        [float(w) for w in np.asarray(weights, dtype=object).reshape(-1)]).items()}
    X = np.atleast_2d(np.asarray(tokens, dtype=np.float64))
    B, N = X.shape
    H, S = lay.hidden, lay.stateless
    h = np.tile(P["c"], (B, 1)) if H else np.zeros((B, 0))
    s = np.zeros((B, S))
    out = np.empty((B, N))
    for m in range(N):
        x = X[:, m:m + 1]
        for r in range(time):
            rho = 1.0 if r else 0.0
            h_new = np.maximum(x * P["a"] + h @ P["W"].T + P["b"], 0.0) if H else h
            s_new = np.maximum(x * P["a2"] + h @ P["W2"].T + rho * (s @ P["U"].T) + P["b2"], 0.0) if S else s
            h, s = h_new, s_new
        out[:, m] = s[:, -1] if S else h[:, -1]
    return out


# ---- membership: an RNN of the class as weights of the universal graph ---------------------

def relu_affine_form(rnn: RNN, node: str, nonneg: set[str]) -> tuple[dict[str, Fraction], Fraction]:
    """f_node as ReLU(Σ w_v·v + c): returns ({v: w_v}, c). Accepted forms: ReLU(affine of
    nodes), a constant c ≥ 0, or an affine of nodes that is ≥ 0 because every weight and the
    offset are ≥ 0 and every node it reads is in ``nonneg``. Raises NotInClass otherwise."""
    f = rnn.transitions[node]
    inner, need_nonneg = (f.arg, False) if isinstance(f, ReLU) else (f, True)
    if isinstance(inner, Const):
        terms, c = {}, Fraction(inner.value)
    elif isinstance(inner, Node):
        terms, c = {inner.name: Fraction(1)}, Fraction(0)
    elif isinstance(inner, Affine):
        terms, c = {}, Fraction(inner.const)
        for e, w in inner.terms:
            if not isinstance(e, Node):
                raise NotInClass(
                    f"node {node!r}: transition {f} is not ReLU-affine (term {e} is not a node value); "
                    "the universal graph only has ReLU(Σ w·v + c) transitions")
            terms[e.name] = Fraction(w)
    else:
        raise NotInClass(f"node {node!r}: transition {f} is not ReLU-affine ({type(inner).__name__} inside)")
    if need_nonneg:
        bad = c < 0 or any(w < 0 or v not in nonneg for v, w in terms.items())
        if bad:
            raise NotInClass(
                f"node {node!r}: transition {f} has no ReLU and is not provably ≥ 0 (negative weight, "
                "negative offset, or a node not known to be ≥ 0), so it is not ReLU(itself)")
    return terms, c


def _nonneg_nodes(rnn: RNN) -> set[str]:
    """Nodes provably ≥ 0 at every time: inputs (tokens ∈ ℕ), and the greatest set of nodes
    with init ≥ 0 whose transition is a ReLU or a non-negative combination of such nodes."""
    cand = {n for n in rnn.nodes if n in rnn.inputs or rnn.init.get(n, 0) >= 0}
    changed = True
    while changed:
        changed = False
        for n in sorted(cand - set(rnn.inputs)):
            f = rnn.transitions[n]
            ok = isinstance(f, ReLU) or (isinstance(f, Const) and f.value >= 0) or (
                isinstance(f, Node) and f.name in cand) or (
                isinstance(f, Affine) and f.const >= 0 and all(
                    isinstance(e, Node) and e.name in cand and w >= 0 for e, w in f.terms))
            if not ok:
                cand.discard(n)
                changed = True
    return cand


@realizes("§4.8 universal graph", _STMT, kind="construction")
def embed_into_universal(rnn: RNN, *, size: int | None = None, hidden: int | None = None,
                         time: int | None = None) -> tuple[list, Layout]:
    """Weights θ such that ``universal(size, hidden, time, weights=θ)`` computes the same
    outputs as ``rnn`` (exact rationals). Defaults: the smallest class containing ``rnn``.

    Requirements (else :class:`NotInClass` naming the node and the cause): one value-encoded
    input; τ = time; every transition ReLU-affine (see :func:`relu_affine_form`); |H| ≤
    hidden and the other non-input nodes ≤ size − 1 − hidden; if the output is a hidden node
    the class must have no stateless node (its output is then the last hidden node).
    Hidden nodes go to h.0 … in ``rnn.hidden`` order (the output last when it is hidden),
    the output to the class's output slot, other nodes to s.0 …. Reads of non-hidden nodes
    by non-hidden nodes go into U, which the reset drops at the first step of each input
    loop; by THEORY §2.5(b) this does not change the outputs.
    """
    if rnn.input_encoding != "value" or len(rnn.inputs) != 1:
        raise NotInClass(f"network {rnn.name!r}: the universal graph has one value-encoded input node")
    x_in = rnn.inputs[0]
    Hn = list(rnn.hidden)
    out_hidden = rnn.output in rnn.hidden
    others = [n for n in rnn.nodes if n not in rnn.inputs and n not in set(Hn)]
    time = rnn.tau if time is None else time
    if time != rnn.tau:
        raise NotInClass(f"network {rnn.name!r} has τ = {rnn.tau}; the class has RNN-time {time}")
    hidden = len(Hn) if hidden is None else hidden
    if size is None:
        size = 1 + hidden + len(others)
    lay = Layout(size, hidden, time)
    if len(Hn) > lay.hidden:
        raise NotInClass(f"network {rnn.name!r} has {len(Hn)} hidden nodes; the class allows {lay.hidden}")
    if len(others) > lay.stateless:
        raise NotInClass(
            f"network {rnn.name!r} has {len(others)} non-hidden non-input nodes; the class allows {lay.stateless}")
    if out_hidden and lay.stateless:
        raise NotInClass(
            f"network {rnn.name!r}: the output {rnn.output!r} is hidden, so the class must have no "
            "stateless node (its output is then the last hidden node)")
    slot: dict[str, tuple[str, int]] = {}
    hid_order = [n for n in Hn if n != rnn.output] + ([rnn.output] if out_hidden else [])
    base = lay.hidden - len(hid_order)  # unused hidden slots first, so the output lands last
    for i, n in enumerate(hid_order):
        slot[n] = ("h", base + i if out_hidden else i)
    oth_order = [n for n in others if n != rnn.output] + ([] if out_hidden else [rnn.output])
    sbase = lay.stateless - len(oth_order)
    for i, n in enumerate(oth_order):
        slot[n] = ("s", sbase + i if not out_hidden else i)
    H, S = lay.hidden, lay.stateless
    P = {"a": [0] * H, "W": [[0] * H for _ in range(H)], "b": [0] * H, "c": [0] * H,
         "a2": [0] * S, "W2": [[0] * H for _ in range(S)], "U": [[0] * S for _ in range(S)], "b2": [0] * S}
    nonneg = _nonneg_nodes(rnn)
    for n, (kind, i) in slot.items():
        terms, c = relu_affine_form(rnn, n, nonneg)
        if kind == "h":
            P["b"][i], P["c"][i] = c, Fraction(rnn.init[n])
            for v, w in terms.items():
                if v == x_in:
                    P["a"][i] += w
                elif slot[v][0] == "h":
                    P["W"][i][slot[v][1]] += w
                else:  # pragma: no cover - RNN validation forbids it
                    raise NotInClass(f"hidden node {n!r} reads non-hidden node {v!r}")
        else:
            P["b2"][i] = c
            for v, w in terms.items():
                if v == x_in:
                    P["a2"][i] += w
                elif slot[v][0] == "h":
                    P["W2"][i][slot[v][1]] += w
                else:
                    P["U"][i][slot[v][1]] += w
    return lay.pack(**P), lay


def _num(v, where: str):
    return exact(v, where=where)


def _lin(pairs: Sequence[tuple[Expr, object]], c, where: str) -> Expr:
    total: Expr = Const(_num(c, f"bias of {where}"))
    for e, w in pairs:
        w = _num(w, f"weight of {where}")
        if w != 0:
            total = total + w * e
    return total


__all__ = ["Layout", "universal", "universal_depth", "n_params", "random_weights", "forward", "embed_into_universal",
           "relu_affine_form", "NotInClass"]
