"""Fuzzing ``rnnsim.load`` and the ``rnnsim`` command (issue 10) with hypothesis.

Inputs are mutations of valid saved networks: byte flips, insertions, deletions and
truncations; numbers replaced by huge, negative, fractional, non-finite or non-ASCII ones;
JSON values at random paths replaced by values of another type; deep nesting. Properties:

* loading ends in a network or in ``FormatError`` — never another exception, a crash, a
  ``RecursionError`` or a hang — and a network that loads saves and reloads to the same text;
* loading never executes code from the file (eval/exec/compile/pickle are never called);
* the CLI answers every argument vector with status 0, 1 or 2 and, on an error, exactly one
  line ``rnnsim: error: …`` — never status 3 (internal error) or a traceback.

The default suite runs a bounded number of examples (derandomized under the ``ci``
profile). The long campaign (≥ 10^5 inputs) is ``pytest -m slow tests/rnnsim/test_fuzz.py``
with ``RNNSIM_FUZZ_EXAMPLES`` examples per strategy (default 25 000); it prints the counts.
"""

from __future__ import annotations

import builtins
import contextlib
import io as _io
import json
import os
import pickle
import re
import signal
from collections import Counter
from fractions import Fraction
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnnsim
from rnnsim import Builder, FormatError, cli, recip, relu
from rnnsim.io import dumps, load_example, loads, loads_bytes

SLOW_N = int(os.environ.get("RNNSIM_FUZZ_EXAMPLES", "25000"))
COUNTS: Counter = Counter()


# ---- seeds ----------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def seeds() -> tuple[bytes, ...]:
    from constructions import boosting, models

    b = Builder("exact", tau=2, alphabet=3)
    xs = b.input_onehot("x")
    a = b.node("blk.a", init=Fraction(-7, 3))
    c = b.node("blk.c", init=10 ** 40)
    b.update(a, Fraction(10 ** 30 + 1, 3 ** 40) * a + Fraction(1, 10 ** 25) * xs[2] + Fraction(2, 7))
    b.update(c, recip(relu(a) + 1) * c)
    b.hidden(a, c)
    b.output(c)
    exact = b.build(meta={"claim": {"size": 5, "ratio": Fraction(2, 3), "list": [1, [2, 3]]}, "s": "π"})
    lm = models.markov_lm(1, {(0,): Fraction(1, 2), (1,): Fraction(1, 4)})
    boost = boosting.boost(lm, models.pattern_distinguisher(1, [(1,)]), k=1, r=1, eta=0.1, N=3)
    return tuple(dumps(n, indent=1).encode("utf-8") for n in (load_example(), exact, boost)) + (
        dumps(load_example()).encode("utf-8"),)


def parsed(i: int):
    return json.loads(seeds()[i])


# ---- the loader property ---------------------------------------------------------------------------

def check_load(data: bytes) -> str:
    """Load ``data``: a network (which must re-save to a fixed point) or FormatError; anything
    else propagates and fails the test."""
    try:
        net = loads_bytes(data, source="fuzz.json")
    except FormatError as e:
        assert str(e).strip(), "an empty FormatError message"
        COUNTS["rejected"] += 1
        return "rejected"
    text = dumps(net, indent=1)
    assert dumps(loads(text), indent=1) == text
    COUNTS["loaded"] += 1
    return "loaded"


# ---- mutation strategies ---------------------------------------------------------------------------

seed_index = st.integers(0, 3)
ODD_NUMBERS = ["-0", "1e999", "-1e999", "NaN", "Infinity", "0.5", "1E2", "9" * 4301, "9" * 4300,
               str(2 ** 63), str(2 ** 63 - 1), str(-2 ** 63), "-1", "0", "\"1/0\"", "\"١\"", "\"3/4\"",
               "\"+1\"", "\"1 / 2\"", "true", "null", "[]", "{}", "\"\\ud800\"", "1" * 20, "00", "-"]


@st.composite
def byte_mutations(draw):
    data = bytearray(seeds()[draw(seed_index)])
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "dup"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[pos:]
        elif op == "dup":
            n = draw(st.integers(1, 200))
            data[pos:pos] = data[pos:pos + n]
    return bytes(data)


@st.composite
def number_mutations(draw):
    text = seeds()[draw(seed_index)].decode("utf-8")
    spans = [m.span() for m in re.finditer(r'-?\d+(?:\.\d+)?|"-?\d+/\d+"', text)]
    for _ in range(draw(st.integers(1, 4))):
        a, b = draw(st.sampled_from(spans))
        new = draw(st.one_of(st.sampled_from(ODD_NUMBERS), st.integers(-(2 ** 70), 2 ** 70).map(str),
                             st.text("0123456789-./eE+", min_size=1, max_size=12)))
        text = text[:a] + new + text[b:]
        spans = [m.span() for m in re.finditer(r'-?\d+(?:\.\d+)?|"-?\d+/\d+"', text)] or [(0, 0)]
    return text.encode("utf-8", "surrogatepass")


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70), st.floats(allow_nan=False),
              st.text(max_size=12), st.sampled_from(["1/2", "x", "node", "relu", "affine", "", "0", "-1/3"])),
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=6), kids, max_size=4)),
    max_leaves=12,
)


def _paths(doc, prefix=()):
    out = [prefix]
    stack = [(doc, prefix)]
    while stack:
        v, p = stack.pop()
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, x in items:
            out.append(p + (k,))
            if len(out) < 4000:
                stack.append((x, p + (k,)))
    return out


def _set(doc, path, value):
    if not path:
        return value
    target = doc
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    return doc


@st.composite
def type_confusions(draw):
    i = draw(seed_index)
    doc = parsed(i)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        doc = _set(doc, path, draw(json_values))
    return json.dumps(doc).encode("utf-8")


TYPED_FIELDS = ("role", "claims", "construction", "boolean_nodes")


@st.composite
def typed_field_confusions(draw):
    """Type confusion inside the typed fields of a built network (role, claims, record)."""
    doc = parsed(2)
    assert all(f in doc for f in TYPED_FIELDS[:3]), "the boost seed carries role, claims and a record"
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from([f for f in TYPED_FIELDS if f in doc] + ["boolean_nodes"]))
        if field not in doc:
            doc[field] = draw(json_values)
            continue
        path = draw(st.sampled_from(_paths(doc[field])))
        doc[field] = _set(doc[field], path, draw(json_values)) if path else draw(json_values)
    return json.dumps(doc).encode("utf-8")


@st.composite
def deep_nestings(draw, max_depth=200_000):
    depth = draw(st.sampled_from([d for d in (10, 100, 999, 1000, 5000, 50_000, 200_000) if d <= max_depth]))
    kind = draw(st.sampled_from(["list", "dict", "expr", "meta", "raw"]))
    if kind == "raw":
        return (draw(st.sampled_from(["[", "{\"a\":"])) * depth).encode()
    doc = parsed(0)
    if kind in ("list", "dict"):
        inner = "[" * depth + "0" + "]" * depth if kind == "list" else '{"a":' * depth + "0" + "}" * depth
        path = draw(st.sampled_from(_paths(doc)[1:]))
        doc = _set(doc, path, "@@")
        return json.dumps(doc).replace('"@@"', inner).encode()
    if kind == "expr":                           # a valid, deep expression chain
        exprs = [["node", doc["inputs"][0]]] + [["relu", k] for k in range(depth)]
        doc["exprs"] = exprs + doc["exprs"]
        doc["nodes"] = [[n, v, ei + len(exprs)] for n, v, ei in doc["nodes"]]
        doc["nodes"][0][2] = depth
        return json.dumps(doc).encode()
    doc["meta"] = {"d": "@@"}
    return json.dumps(doc).replace('"@@"', "[" * depth + "]" * depth).encode()


# ---- default suite: bounded -------------------------------------------------------------------------

FAST = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                          HealthCheck.large_base_example], deadline=None)


@FAST
@given(byte_mutations())
def test_fuzz_load_byte_mutations(data):
    check_load(data)


@FAST
@given(number_mutations())
def test_fuzz_load_huge_and_odd_numbers(data):
    check_load(data)


@FAST
@given(type_confusions())
def test_fuzz_load_type_confusion(data):
    check_load(data)


@FAST
@given(typed_field_confusions())
def test_fuzz_load_typed_fields(data):
    check_load(data)


@settings(FAST, max_examples=10)
@given(deep_nestings(max_depth=5000))        # beyond the recursion limit; the slow campaign goes to 200 000
def test_fuzz_load_deep_nesting(data):
    check_load(data)


def test_every_truncation_and_every_single_byte_flip_of_a_seed():
    data = seeds()[0]
    for cut in range(len(data)):
        check_load(data[:cut])
    for pos in range(0, len(data), 7):
        for bit in (0, 5, 7):
            b = bytearray(data)
            b[pos] ^= 1 << bit
            check_load(bytes(b))


def test_loading_never_executes_code(monkeypatch, tmp_path):
    sentinel = tmp_path / "pwned"
    payloads = [f'__import__("os").system("touch {sentinel}")', "!!python/object/apply:os.system",
                pickle.dumps(Fraction(1, 2)).hex()]
    called = []

    def trap(name):
        def f(*a, **k):
            called.append(name)
            raise AssertionError(f"{name} called while loading")
        return f

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, trap(name))
    monkeypatch.setattr(pickle, "loads", trap("pickle.loads"))
    for p in payloads:
        for where in ("meta", "name", "fraction", "const"):
            doc = parsed(0)
            if where == "meta":
                doc["meta"] = {"__class__": p, "$fraction": p}
            elif where == "name":
                doc["name"] = p
            elif where == "fraction":
                doc["meta"] = {"x": {"$fraction": p}}
            else:
                doc["nodes"][0][1] = p
            try:
                loads(json.dumps(doc))
            except FormatError:
                pass
    assert loads(seeds()[0].decode()).name == "laplace"       # a valid file loads with the traps set
    assert not called and not sentinel.exists()


# ---- the CLI --------------------------------------------------------------------------------------

def run_cli(argv) -> tuple[int, str, str]:
    out, err = _io.StringIO(), _io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def check_cli(argv) -> int:
    rc, out, err = run_cli(argv)
    assert rc in (0, 1, 2), (argv, rc, err[-500:])
    assert "Traceback" not in err
    if rc != 0:
        lines = err.rstrip("\n").split("\n")
        assert len(lines) == 1 and lines[0].startswith("rnnsim: error: "), (argv, err[-500:])
    COUNTS[f"cli rc {rc}"] += 1
    return rc


weird_text = st.one_of(st.text(max_size=20), st.sampled_from(
    ["", "-", "--", "0", "01", "0,1,,1", "inf", "nan", "1e19", str(2 ** 64 - 1), "٣", "\ud800", "a" * 500,
     "fixed:8:16", "fixed:1:62", "fixed:100000000000:0", "fixed:8:16:saturate:x", "fixed:0:0", "exact",
     "float64", "reference", "numba", "cupy", "*", "count.*", "/dev/null", "/dev/zero", "/nonexistent/x",
     "example", "laplace", "-1", "99999999999999999999"]))


@st.composite
def argvs(draw, files):
    cmd = draw(st.sampled_from(["info", "run", "example", "lemmas", "frob", "--version", ""]))
    argv = [cmd] if cmd else []
    if cmd in ("info", "run"):
        argv.append(draw(st.one_of(st.sampled_from(files), weird_text)))
    if cmd == "run":
        argv += ["--tokens", draw(st.one_of(st.text("01,", max_size=8), weird_text))]
        if draw(st.booleans()):
            argv += ["--arithmetic", draw(weird_text)]
        if draw(st.booleans()):
            argv += ["--engine", draw(st.sampled_from(["auto", "reference", "numba", "x"]))]
        if draw(st.booleans()):
            argv += ["--trace", draw(weird_text)]
        for opt in ("--start", "--stop"):
            if draw(st.booleans()):
                argv += [opt, draw(weird_text)]
    if cmd == "info" and draw(st.booleans()):
        argv.append("--nodes")
    if cmd == "example":
        argv += draw(st.lists(weird_text, max_size=2))
    if cmd == "lemmas" and draw(st.booleans()):
        argv += ["--tests", draw(weird_text)]
    argv += draw(st.lists(st.sampled_from(["--x", "-h", "--nodes", "--strict", "--", "-"]) | weird_text, max_size=2))
    return argv


@pytest.fixture(scope="module")
def fuzz_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    paths = []
    for i, data in enumerate(seeds()[:2]):
        p = d / f"seed{i}.json"
        p.write_bytes(data)
        paths.append(str(p))
        q = d / f"cut{i}.json"
        q.write_bytes(data[: len(data) // 2])
        paths.append(str(q))
    (d / "bin.json").write_bytes(b"\xff\xfe\x00" * 10)
    paths += [str(d / "bin.json"), str(d)]
    return paths


@settings(FAST, max_examples=40, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_cli_argument_vectors(fuzz_files, data):
    check_cli(data.draw(argvs(fuzz_files)))


@settings(FAST, max_examples=40, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_cli_on_mutated_files(tmp_path_factory, data):
    blob = data.draw(st.one_of(byte_mutations(), number_mutations(), type_confusions()))
    p = tmp_path_factory.getbasetemp() / "cli_mutated.json"
    p.write_bytes(blob)
    check_cli(["info", str(p), "--nodes"])


# ---- the long campaign (slow) -------------------------------------------------------------------------

class Hang(Exception):
    pass


@contextlib.contextmanager
def hang_guard(seconds: int):
    """Turn an input that runs for minutes into a failure naming it (a hang detector with a
    bound far above any input's real cost, not a timing assertion)."""
    def on_alarm(signum, frame):
        raise Hang(f"an input ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


SLOW = settings(max_examples=SLOW_N, deadline=None, derandomize=False, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.mark.slow
@pytest.mark.parametrize("name, strategy", [
    ("byte mutations", byte_mutations()), ("numbers", number_mutations()), ("type confusion", type_confusions()),
    ("typed fields", typed_field_confusions()),
])
def test_fuzz_campaign_load(name, strategy):
    before = sum(COUNTS[k] for k in ("loaded", "rejected"))

    @SLOW
    @given(strategy)
    def campaign(data):
        with hang_guard(60):
            check_load(data)

    campaign()
    n = sum(COUNTS[k] for k in ("loaded", "rejected")) - before
    print(f"\nfuzz {name}: {n} inputs, loaded {COUNTS['loaded']}, rejected {COUNTS['rejected']} (cumulative)")
    assert n >= SLOW_N


@pytest.mark.slow
def test_fuzz_campaign_deep_nesting_and_cli(fuzz_files):
    @settings(SLOW, max_examples=max(200, SLOW_N // 50))
    @given(deep_nestings())
    def nest(data):
        with hang_guard(120):
            check_load(data)

    @settings(SLOW, max_examples=max(500, SLOW_N // 5))
    @given(data=st.data())
    def argv_campaign(data):
        with hang_guard(300):
            check_cli(data.draw(argvs(fuzz_files)))

    nest()
    argv_campaign()
    print(f"\nfuzz totals: {dict(COUNTS)}")
