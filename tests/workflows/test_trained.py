"""Trained models in, exact measurements out: ReLU RNN LMs imported as rnnsim networks, their
exact loss, KL and advantage table; gradient training over tiny classes (PyTorch, optional)
(paper: Definition 3, Algorithm 1, Theorem 1; THEORY §9)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import rnnsim
from constructions.relu_rnn import from_state_dict, relu_rnn_lm
from constructions.size_classes import SizeClass
from proofs_checks.advantage import advantage
from proofs_checks.lm import LM
from rnnsim import all_documents, simulate_all
from rnnsim.strings import all_strings
from workflows import algorithm1
from workflows.classes import DistinguisherClass
from workflows.size_classes import embed_and_compare
from workflows.trained import ReadoutError, check_lm_outputs, measure

pytestmark = pytest.mark.lemma("Theorem 1")
F = Fraction


def _numpy_relu_rnn(Wih, Whh, b, Wout, bout, h0, docs, floor):
    """The model's q(x_m | x_<m) on every document, written directly (float64)."""
    B, N = docs.shape
    h = np.tile(h0, (B, 1))
    out = np.empty((B, N))
    for m in range(N):
        a = np.maximum(h @ Wout.T + bout, 0) + floor
        out[:, m] = np.where(docs[:, m] == 1, a[:, 1], a[:, 0]) / a.sum(axis=1)
        h = np.maximum(docs[:, m:m + 1] * Wih[:, 0] + h @ Whh.T + b, 0)
    return out


@pytest.mark.lemma("Definition 3")
@pytest.mark.parametrize("H,seed", [(0, 0), (1, 1), (3, 2)])
def test_imported_relu_rnn_computes_the_model_on_every_document(H, seed):
    rng = np.random.default_rng(seed)
    Wih, Whh, b = rng.normal(size=(H, 1)), rng.normal(size=(H, H)) * 0.5, rng.normal(size=H)
    Wout, bout, h0 = rng.normal(size=(2, H)), rng.normal(size=2) + 1, rng.normal(size=H)
    net = relu_rnn_lm(Wih, Whh, b, Wout, bout, h0=h0, floor=F(1, 100))
    N = 5
    docs = all_documents(2, N)
    want = _numpy_relu_rnn(Wih, Whh, b, Wout, bout, h0, docs, 0.01)
    got = simulate_all(net, N, "float64", engine="reference")
    assert np.allclose(got, want, rtol=1e-12, atol=1e-14)
    q = check_lm_outputs(net, N)                         # exact: every row sums to 1 exactly
    assert q.exact and all(sum(r) == 1 for lv in q.levels for r in lv)
    assert (net.size, net.hidden_size, net.tau) == (H + 2, H, 1)
    assert embed_and_compare(net, N).identical           # a member of its class, in its universal graph


def test_one_hot_input_weights_and_state_dict_import_agree():
    rng = np.random.default_rng(5)
    H = 2
    W2 = rng.normal(size=(H, 2))
    sd = {"rnn.weight_ih_l0": W2, "rnn.weight_hh_l0": rng.normal(size=(H, H)), "rnn.bias_ih_l0": rng.normal(size=H),
          "rnn.bias_hh_l0": rng.normal(size=H), "h0": rng.normal(size=H), "readout.weight": rng.normal(size=(2, H)),
          "readout.bias": rng.normal(size=2)}
    net = from_state_dict(sd)
    # the one-hot input e(x) = (1 − x, x) is the value input with W[:,1] − W[:,0] and bias + W[:,0]
    net1 = relu_rnn_lm(W2[:, 1:] - W2[:, :1], sd["rnn.weight_hh_l0"], sd["rnn.bias_ih_l0"] + sd["rnn.bias_hh_l0"] + W2[:, 0],
                       sd["readout.weight"], sd["readout.bias"], h0=sd["h0"])
    assert np.allclose(simulate_all(net, 5, "float64"), simulate_all(net1, 5, "float64"), rtol=1e-12, atol=1e-15)
    with pytest.raises(rnnsim.ConstructionError, match="misses 'readout.bias'"):
        from_state_dict({k: v for k, v in sd.items() if k != "readout.bias"})


def test_a_linear_readout_that_leaves_the_unit_interval_is_refused_naming_the_prefix():
    # q(1 | x_<m) = h with h ← ReLU(h + x), h_0 = 1/2: after 01, h = 3/2, so the output at the
    # third token of 010 is q(0 | 01) = 1 − 3/2 = −1/2 (the first such document in Σ^3 order)
    net = relu_rnn_lm([[1]], [[1]], [0], [[1]], [0], h0=[F(1, 2)], readout="linear")
    with pytest.raises(ReadoutError, match=r"after 010 \(token 3 of document 010\) is -0.5, outside \[0, 1\]"):
        check_lm_outputs(net, 3)
    ok = relu_rnn_lm([[0]], [[0]], [F(1, 3)], [[1]], [0], h0=[F(1, 3)], readout="linear")
    assert check_lm_outputs(ok, 3).levels[2][3][1] == F(1, 3)        # q(1 | 11) = h = 1/3
    with pytest.raises(rnnsim.ConstructionError, match="floor"):
        relu_rnn_lm([[1]], [[1]], [0], [[1], [1]], [0, 0], floor=0)
    with pytest.raises(rnnsim.ConstructionError, match="readout must be"):
        relu_rnn_lm([[1]], [[1]], [0], [[1]], [0], readout="softmax")


def test_measure_gives_exact_loss_kl_and_the_advantage_of_every_pattern_set():
    p = algorithm1.default_source(5)
    net = relu_rnn_lm([[1]], [[F(1, 2)]], [0], [[1], [-1]], [F(1, 2), 1], h0=[0])
    m = measure(net, p, DistinguisherClass.named("patterns", 2), k=2)
    assert m.loss == pytest.approx(m.kl / 5 + m.entropy_rate, abs=1e-12)      # Lemma 6
    assert all(isinstance(a, Fraction) for a in m.advantages.alpha)
    brute = max(advantage(p, m.lm, lambda j, x, P=P: int(tuple(x[j - 1:j + 1]) in P), k=2).alpha
                for P in [{w for i, w in enumerate(all_strings(2)) if mask >> i & 1} for mask in range(16)])
    assert m.advantages.max_abs == brute
    assert "largest advantage" in m.markdown()


# ---- gradient training (optional PyTorch) -----------------------------------------------------



@pytest.mark.lemma("Algorithm 1")
def test_trained_tiny_models_are_imported_measured_exactly_and_never_beat_the_class_optimum():
    pytest.importorskip("torch")
    from workflows.train import train

    N = 5
    p = algorithm1.default_source(N)
    res0 = train(p, 0, steps=200, restarts=1)
    net0 = res0.network()
    m0 = measure(net0, p, DistinguisherClass.named("patterns", 2), k=2)
    # the class with no hidden node: a constant next-token law; its optimum is the binary
    # entropy of the mean frequency of ones (the readout can reach every value in (0, 1))
    f = sum(float(pv) * float(np.mean(x)) for pv, x in zip(p.probs, all_documents(2, N)))
    opt0 = -(f * math.log(f) + (1 - f) * math.log(1 - f))
    assert m0.loss >= opt0 - 1e-12
    assert m0.loss == pytest.approx(res0.loss_float, abs=1e-9)      # the import is faithful
    res1 = train(p, 1, steps=200, restarts=1)
    m1 = measure(res1.network(), p, DistinguisherClass.named("patterns", 2), k=2)
    assert m1.loss >= m1.entropy_rate - 1e-12                      # the optimum over every LM
    assert m1.loss == pytest.approx(res1.loss_float, abs=1e-9)
    assert all(isinstance(a, Fraction) for a in m1.advantages.alpha)
    assert SizeClass.of(res1.network()).contains(res1.network())


@pytest.mark.lemma("Algorithm 1")
def test_algorithm1_with_the_gradient_minimizer_reports_certificates_beside_trained_losses():
    pytest.importorskip("torch")
    from workflows.train import GradientFamily

    p = algorithm1.default_source(5)
    fam = GradientFamily(p, 2, h_max=1, steps=150, restarts=1)
    rep = algorithm1.run(fam, p, k=2, eps=0.05, m0=0)
    assert not rep.exact and [r.m for r in rep.sweep] == [0, 1]
    for r in rep.sweep:
        assert r.loss >= rep.entropy_rate - 1e-12
        if r.certificate is not None:
            assert r.certificate <= r.loss - r.max_alpha ** 2 * 4 / (2 * 2 * 5) + 1e-9
    assert rep.ok, rep.failures
