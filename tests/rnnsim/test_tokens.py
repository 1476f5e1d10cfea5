"""Token validation of the Python API (THEORY §7): ``simulate``, ``simulate_batch`` and the
transplant test read tokens through ``rnnsim.simulate.check_tokens``, which is as strict as
``rnnsim run --tokens``. Every refusal is an InputError naming input node, time, position
(and document) and the value as given — never a wrapped value, a numpy warning or another
exception; every accepted form gives the tokens themselves (checked through a network whose
output at time mτ is x_m)."""

from __future__ import annotations

import decimal
import warnings
from fractions import Fraction

import numpy as np
import pytest

import rnnsim
from rnnsim import Builder, InputError, simulate, simulate_batch
from rnnsim.hidden import transplant_test
from rnnsim.simulate import check_tokens

SIGMA = "Σ = {0, …, 2}"
FLOAT = f"is a float, not an integer; tokens are integers in {SIGMA}, never rounded"
WHOLE = f"{FLOAT} (for a whole-valued float array pass arr.astype(int))"
SHAPE = "tokens must be a sequence of integers in 0..2 (a list, tuple, string of digits or numpy integer array)"


def echo():
    """Σ = {0, 1, 2}, τ = 2; y ← x, so the output at time 2m is x_m."""
    b = Builder("echo", tau=2, alphabet=3)
    x = b.input("x")
    y = b.node("y")
    b.update(y, x)
    b.output(y)
    return b.build()


def at(pos: int, value: str, why: str, doc: int | None = None) -> str:
    where = "" if doc is None else f"document {doc}, "
    return f"input node 'x' at time {2 * (pos - 1)}: token x_{pos} = {value} ({where}position {pos}) {why}"


REFUSED = [
    ("uint64 2^64-1", np.array([0, 2 ** 64 - 1], dtype=np.uint64), at(2, "18446744073709551615", f"is outside {SIGMA}")),
    ("int 2^64-1 in a list", [0, 2 ** 64 - 1], at(2, "18446744073709551615", f"is outside {SIGMA}")),
    ("int 2^100", [1, 1, 2 ** 100], at(3, str(2 ** 100), f"is outside {SIGMA}")),
    ("int array at b", np.array([0, 3]), at(2, "3", f"is outside {SIGMA}")),
    ("int8 -1", np.array([-1], dtype=np.int8), at(1, "-1", f"is outside {SIGMA}")),
    ("uint8 200", np.array([2, 200], dtype=np.uint8), at(2, "200", f"is outside {SIGMA}")),
    ("inf", [0, float("inf")], at(2, "inf", FLOAT)),
    ("-inf array", np.array([float("-inf")]), at(1, "-inf", FLOAT)),
    ("nan", [float("nan")], at(1, "nan", FLOAT)),
    ("1e19", [1e19], at(1, "1e+19", FLOAT)),
    ("1e19 array", np.array([0.0, 1e19]), at(2, "1e+19", FLOAT)),
    ("fraction after whole floats", np.array([0.0, 1.0, 2.5, 0.5]), at(3, "2.5", FLOAT)),
    ("int outside Σ after a whole float", [1.0, 7], at(2, "7", f"is outside {SIGMA}")),
    ("2.5", [2.5], at(1, "2.5", FLOAT)),
    ("whole float", [1, 1.0], at(2, "1.0", WHOLE)),
    ("float16", np.array([2], dtype=np.float16), at(1, "2.0", WHOLE)),
    ("numpy float scalar", [np.float64(0.5)], at(1, "0.5", FLOAT)),
    ("bool in a list", [1, True], at(2, "True", f"is a bool, not a token; tokens are integers in {SIGMA}")),
    ("bool array", np.array([False]), at(1, "False", f"is a bool, not a token; tokens are integers in {SIGMA}")),
    ("numpy bool", [np.bool_(True)], at(1, "True", f"is a bool, not a token; tokens are integers in {SIGMA}")),
    ("object array str", np.array([1, "a"], dtype=object), at(2, "'a'", f"is a str, not a token; tokens are integers in {SIGMA}")),
    ("object array Fraction", np.array([1, Fraction(1, 2)], dtype=object),
     at(2, "Fraction(1, 2)", f"is a Fraction, not a token; tokens are integers in {SIGMA}")),
    ("object array float", np.array([0, 2.0], dtype=object), at(2, "2.0", WHOLE)),
    ("object array huge int", np.array([1, 2 ** 70], dtype=object), at(2, str(2 ** 70), f"is outside {SIGMA}")),
    ("Decimal", [decimal.Decimal(1)], at(1, "Decimal('1')", f"is a Decimal, not a token; tokens are integers in {SIGMA}")),
    ("complex", [1 + 0j], at(1, "(1+0j)", f"is a complex, not a token; tokens are integers in {SIGMA}")),
    ("None in a list", [0, None], at(2, "None", f"is a NoneType, not a token; tokens are integers in {SIGMA}")),
    ("digit strings in a list", ["0", "1"], at(1, "'0'", f"is a str, not a token; tokens are integers in {SIGMA}")),
    ("string array", np.array(["0"]), at(1, "'0'", f"is a str, not a token; tokens are integers in {SIGMA}")),
    ("letter in a string", "01a", at(3, "'a'", "is not an ASCII digit; a string of tokens holds one digit 0..9 per "
                                            "token (or pass a list of integers)")),
    ("non-ASCII digit", "0١", at(2, "'١'", "is not an ASCII digit; a string of tokens holds one digit 0..9 per "
                                         "token (or pass a list of integers)")),
    ("digit outside Σ in a string", "0130", at(3, "3", f"is outside {SIGMA}")),
    ("masked entry", np.ma.array([1, 2], mask=[False, True]),
     at(2, "--", "is masked (a masked entry's hidden value is not a token)")),
    ("None", None, f"{SHAPE} or a (B, N) matrix of them, got None"),
    ("a scalar", 1, f"{SHAPE} or a (B, N) matrix of them, got 1"),
    ("a set", {0, 1}, f"{SHAPE} or a (B, N) matrix of them, got {{0, 1}}"),
    ("3-d array", np.zeros((1, 1, 1), dtype=int), "tokens must be a sequence (N,) or a matrix (B, N), got an array "
                                                   "of shape (1, 1, 1)"),
]

REFUSED_MATRIX = [
    ("ragged", [[0, 1], [1]], "a token matrix must be rectangular: document 1 has 1 token(s) but document 0 has 2"),
    ("ragged arrays", [np.array([0, 1]), np.array([1, 2, 0])],
     "a token matrix must be rectangular: document 1 has 3 token(s) but document 0 has 2"),
    ("nested deeper", [[[0]]], "tokens must be a sequence (N,) or a matrix (B, N), not nested deeper: document 0, "
                               "position 1 is the sequence [0]"),
    ("mixed", [[0], 1], "tokens mix token sequences and single tokens: item 1 is 1 but item 0 is [0]; give one "
                        "sequence (N,) or a (B, N) matrix"),
    ("outside Σ", [[0, 1], [2, 3]], at(2, "3", f"is outside {SIGMA}", doc=1)),
    ("float matrix", np.array([[0, 1], [2, 0.5]]), at(2, "0.5", FLOAT, doc=1)),
    ("whole float matrix", np.array([[0, 1], [2, 0]], dtype=float), at(1, "0.0", WHOLE, doc=0)),
    ("bool in a matrix", [[0, 1], [False, 1]], at(1, "False", f"is a bool, not a token; tokens are integers in {SIGMA}", doc=1)),
    ("uint64 matrix", np.array([[0], [2 ** 64 - 1]], dtype=np.uint64), at(1, "18446744073709551615", f"is outside {SIGMA}", doc=1)),
]


def _refusal(fn) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no numpy warning on the way to the refusal
        with pytest.raises(InputError) as e:
            fn()
    return str(e.value)


@pytest.mark.parametrize("tokens, message", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_simulate_refuses_what_the_cli_refuses_naming_position_and_value(tokens, message):
    net = echo()
    assert _refusal(lambda: check_tokens(net, tokens)) == message
    assert _refusal(lambda: simulate(net, tokens, "exact", engine="reference")) == message


@pytest.mark.parametrize("tokens, message", [c[1:] for c in REFUSED_MATRIX], ids=[c[0] for c in REFUSED_MATRIX])
def test_simulate_batch_refuses_bad_matrices_naming_document_position_and_value(tokens, message):
    net = echo()
    assert _refusal(lambda: simulate_batch(net, tokens, "exact", engine="reference")) == message


def test_the_transplant_test_reads_tokens_the_same_way():
    assert _refusal(lambda: transplant_test(echo(), [[0, 1], [1, 2.5]])) == at(2, "2.5", FLOAT)


@pytest.mark.parametrize("tokens", [
    [0, 2, 1], (0, 2, 1), range(0, 3, 2), "021", " 021\n", np.array([0, 2, 1], dtype=np.uint64),
    np.array([0, 2, 1], dtype=np.int8), np.array([0, 2, 1], dtype=object), [np.int32(0), np.uint64(2), 1],
    np.ma.array([0, 2, 1], mask=[False, False, False]), [],
], ids=repr)
def test_every_accepted_form_gives_the_tokens_themselves(tokens):
    want = [0, 2, 1] if not isinstance(tokens, range) else [0, 2]
    if isinstance(tokens, list) and not tokens:
        want = []
    got = check_tokens(echo(), tokens)
    assert got.dtype == np.int64 and got.tolist() == want
    if want:
        assert simulate(echo(), tokens, "exact", engine="reference").outputs == want


def test_accepted_matrices_give_the_tokens_themselves():
    rows = [[0, 2, 1], [2, 2, 0]]
    for form in (rows, tuple(map(tuple, rows)), [np.array(r) for r in rows], np.array(rows, dtype=np.uint16)):
        got = check_tokens(echo(), form)
        assert got.dtype == np.int64 and got.tolist() == rows
        assert simulate_batch(echo(), form, "exact", engine="reference").tolist() == rows
    assert check_tokens(echo(), [[], []]).shape == (2, 0)


def test_a_matrix_passed_to_simulate_and_a_sequence_to_simulate_batch_are_refused():
    with pytest.raises(InputError, match=r"simulate takes one token sequence; got shape \(2, 1\)"):
        simulate(echo(), [[0], [1]])
    with pytest.raises(InputError, match=r"simulate_batch takes a \(B, N\) token matrix; got shape \(2,\)"):
        simulate_batch(echo(), [0, 1])


def test_refusals_are_rnnsim_errors():
    assert issubclass(InputError, rnnsim.RNNSimError)
