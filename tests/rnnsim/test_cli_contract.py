"""The CLI's error contract (README "Errors and exit status", THEORY §6) for every subcommand,
and the reproducers of issue 10: an error is exactly one line ``rnnsim: error: …`` on
standard error with status 1 (bad input), 2 (bad command line) or 3 (internal error);
never a traceback, a numpy warning or a hang."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import types
import warnings
from pathlib import Path

import pytest

import rnnsim
from rnnsim import Builder, Node, cli, io

ROOT = Path(__file__).resolve().parents[2]
SUBCOMMANDS = ["info", "run", "example", "lemmas", "demo", "schedule", "check", "algorithm1", "selfboost", "growth", "bits",
               "bench"]


def one_line_error(err: str) -> str:
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, f"expected one error line, got {err!r}"
    assert lines[0].startswith("rnnsim: error: "), lines[0]
    assert "Traceback" not in err
    return lines[0]


def run(capsys, *argv):
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # a numpy warning would be a failure
        rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def subprocess_cli(*argv, timeout=120, env_extra=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "rnnsim.cli", *argv], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_every_subcommand_is_covered_here():
    assert set(SUBCOMMANDS) == set(cli.build_parser()._subparsers._group_actions[0].choices)


@pytest.mark.parametrize("cmd", SUBCOMMANDS)
def test_an_unknown_option_is_one_line_and_status_2(capsys, cmd):
    argv = [cmd, "--no-such-option"] + (["example", "--tokens", "01"] if cmd == "run" else
                                        ["example"] if cmd == "info" else [])
    rc, out, err = run(capsys, *argv)
    assert rc == 2
    assert "--no-such-option" in one_line_error(err)


@pytest.mark.parametrize("argv, piece", [
    ([], "no command given"),
    (["frob"], "invalid choice: 'frob'"),
    (["run", "example"], "the following arguments are required: --tokens"),
    (["info"], "the following arguments are required: net"),
    (["bench", "--repeats", "0"], "--repeats"),
    (["check", "--instances", "0"], "--instances must be ≥ 1"),
    (["check", "--only", "no such lemma"], "matched no check"),
    (["demo", "--k", "0"], "window k must be"),
    (["schedule", "--k", "0"], "k must be a positive integer"),
    (["algorithm1", "--eps", "x"], "argument --eps: invalid float value: 'x'"),
])
def test_usage_errors_are_one_line_and_status_2(capsys, argv, piece):
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and piece in one_line_error(err)


@pytest.mark.parametrize("argv, piece", [
    (["info", "nosuch.json"], "cannot read network file 'nosuch.json'"),
    (["run", "/dev/zero", "--tokens", "01"], "'/dev/zero': not a regular file"),
    (["example", "nosuch"], "no shipped example 'nosuch'"),
    (["lemmas", "--tests", "/nonexistent/tests"], "no such directory"),
    (["run", "example", "--tokens", "01", "--arithmetic", "fixed:8:16:saturate:x"], "write fixed:INT_BITS:FRAC_BITS"),
    (["run", "example", "--tokens", "01", "--arithmetic", "fixed:100000000000:0"], "exceeds 65536 bits"),
    (["run", "example", "--tokens", "01", "--arithmetic", "fixed:40000:40000"], "exceeds 65536 bits"),
    (["run", "example", "--tokens", "01", "--engine", "warp"], "unknown engine 'warp'"),
    (["run", "example", "--tokens", "0110", "--vcd", "/nonexistent/dir/o.vcd"], "directory '/nonexistent/dir' does not exist"),
    (["example", "--save", "/nonexistent/dir/x.json"], "directory '/nonexistent/dir' does not exist"),
    (["bench", "--out", "/dev/null/x", "--sizes", "10"], "--out '/dev/null/x': cannot create"),
    (["algorithm1", "--eps", "0"], "--eps must be > 0"),
])
def test_bad_input_is_one_line_and_status_1(capsys, argv, piece):
    rc, out, err = run(capsys, *argv)
    assert rc == 1 and piece in one_line_error(err)


def test_vcd_and_save_failures_leave_no_partial_work(capsys, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    rc, out, err = run(capsys, "run", "example", "--tokens", "0110", "--vcd", str(blocker / "o.vcd"))
    assert rc == 1 and out == ""                 # checked before simulating: no half output
    one_line_error(err)
    rc, out, err = run(capsys, "example", "--save", str(tmp_path))
    assert rc == 1 and "is a directory" in one_line_error(err)


# ---- strict token parsing ----------------------------------------------------------------------

@pytest.mark.parametrize("tokens, piece", [
    ("0,1,,1", "item 3 is empty"),
    ("0,1,", "item 3 is empty"),
    (",0", "item 1 is empty"),
    ("inf", "is not a token"),
    ("0,inf", "item 2 ('inf') is not a token"),
    ("0,1e19", "item 2 ('1e19') is not a token"),
    ("0,1.0", "item 2 ('1.0') is not a token"),
    ("0,-1", "item 2 ('-1') is not a token"),
    ("0,+1", "item 2 ('+1') is not a token"),
    ("0,١", "item 2 ('١') is not a token"),
    ("0,18446744073709551615", "token x_2 = 18446744073709551615 (position 2) is outside Σ"),
    ("0,9223372036854775808", "token x_2 = 9223372036854775808 (position 2) is outside Σ"),
    ("0," + "9" * 5000, "token x_2 = 999999999"),
    ("012", "token x_3 = 2 (position 3) is outside Σ"),
    ("   ", "--tokens is empty"),
])
def test_tokens_are_parsed_strictly(capsys, tokens, piece):
    rc, out, err = run(capsys, "run", "example", "--tokens", tokens)
    line = one_line_error(err)
    assert rc == 1 and piece in line and "-1 " not in line and out == ""


def test_valid_token_forms_run_every_token(capsys):
    for form in ("0110", "0,1,1,0", "0 1 1 0", " 0, 1 ,1 ,0 "):
        rc, out, _ = run(capsys, "run", "example", "--tokens", form)
        rows = [ln.split("\t") for ln in out.splitlines() if ln[:1].isdigit()]
        assert rc == 0 and [r[1] for r in rows] == ["0", "1", "1", "0"], form


# ---- outputs and listings that used to crash or hang -------------------------------------------

def test_exact_outputs_beyond_1e308_and_4000_digits_print(capsys, tmp_path):
    b = Builder("square", tau=1)
    x = b.input("x")
    y = b.node("y", init=2)
    b.update(y, y * y + x)
    b.output(y)
    b.hidden(y)
    p = tmp_path / "sq.json"
    rnnsim.save(b.build(), p)
    rc, out, err = run(capsys, "run", str(p), "--tokens", "0" * 14)
    assert rc == 0, err
    assert "(exact rational with more than 4000 digits)" in out      # m = 14: 4933 digits
    rows = {int(r[0]): r for r in (ln.split("\t") for ln in out.splitlines() if ln[:1].isdigit())}
    for m in range(1, 15):                       # y after m tokens is 2^(2^m): log10 = 2^m·log10(2)
        lg = 2 ** m * math.log10(2)
        e = math.floor(lg)
        if e + 1 <= 4000:                        # digits of 2^(2^m)
            assert int(rows[m][2]) == 2 ** (2 ** m)
        else:
            assert rows[m][2] == "(exact rational with more than 4000 digits)"
        if e >= 10:
            mant, exp = rows[m][3].strip("()").split("e")
            assert int(exp) == e and abs(float(mant) - 10 ** (lg - e)) < 1e-8


@pytest.mark.parametrize("n", [20_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_info_nodes_on_a_deep_chain_prints_without_recursion_error(capsys, tmp_path, n):
    d = {**io.to_dict(io.load_example()), "name": "deep", "tau": 1, "inputs": ["x"], "output": "y",
         "hidden": [], "nodes": [["y", 0, n]], "exprs": [["node", "x"]] + [["relu", i] for i in range(n)],
         "meta": {}}
    p = tmp_path / "deep.json"
    p.write_text(json.dumps(d))
    rc, out, err = run(capsys, "info", str(p), "--nodes")
    assert rc == 0, err
    assert f"depth       {n}" in out and "y [out] := relu(relu(relu(" in out and "…" in out


def test_info_nodes_on_a_shared_product_dag_does_not_hang(tmp_path):
    b = Builder("dag", tau=1)
    x = b.input("x")
    y = b.node("y", init=1)
    e = y + x
    for _ in range(200):                         # written out: 2^200 leaves
        e = e * e
    b.update(y, e)
    b.output(y)
    b.hidden(y)
    p = tmp_path / "dag.json"
    rnnsim.save(b.build(), p)
    r = subprocess_cli("info", str(p), "--nodes", timeout=120)
    assert r.returncode == 0, r.stderr
    assert "depth       200" in r.stdout and "…" in r.stdout and len(r.stdout) < 20_000


def test_huge_fixed_format_is_refused_at_once():
    r = subprocess_cli("run", "example", "--tokens", "01", "--arithmetic", "fixed:100000000000:0", timeout=120)
    assert r.returncode == 1 and "exceeds 65536 bits" in one_line_error(r.stderr)


def test_a_lone_surrogate_in_a_file_is_a_format_error(capsys, tmp_path):
    d = io.to_dict(io.load_example())
    d["name"] = "a\ud800b"
    p = tmp_path / "s.json"
    p.write_text(json.dumps(d))                  # json writes the escape \ud800
    rc, out, err = run(capsys, "info", str(p))
    assert rc == 1 and "not valid Unicode" in one_line_error(err)


def test_printing_never_crashes_on_a_narrow_terminal_encoding(tmp_path):
    b = Builder("café·σ", tau=1)
    x = b.input("x")
    y = b.node("ü", init=0)
    b.update(y, y + x)
    b.output(y)
    b.hidden(y)
    p = tmp_path / "u.json"
    rnnsim.save(b.build(), p)
    r = subprocess_cli("info", str(p), "--nodes", env_extra={"PYTHONIOENCODING": "ascii"})
    assert r.returncode == 0, r.stderr
    assert "caf\\xe9\\xb7\\u03c3" in r.stdout


# ---- statuses 3 and 130, and delegated commands --------------------------------------------------

def _fake_delegate(monkeypatch, fn):
    mod = types.ModuleType("fake_cmd")
    mod.main = fn
    monkeypatch.setitem(sys.modules, "fake_cmd", mod)
    monkeypatch.setitem(cli._DELEGATED, "fake", ("fake_cmd", "x"))


def test_an_internal_error_is_one_line_and_status_3(capsys, monkeypatch):
    def boom(argv):
        raise RuntimeError("boom\nsecond line")

    _fake_delegate(monkeypatch, boom)
    monkeypatch.delenv("RNNSIM_DEBUG", raising=False)
    rc, out, err = run(capsys, "fake")
    assert rc == 3 and "internal error (RuntimeError: boom second line)" in one_line_error(err)
    monkeypatch.setenv("RNNSIM_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["fake"])


def test_interrupt_is_status_130_and_sys_exit_text_is_one_line(capsys, monkeypatch):
    def interrupted(argv):
        raise KeyboardInterrupt

    _fake_delegate(monkeypatch, interrupted)
    rc, _, err = run(capsys, "fake")
    assert rc == 130 and "interrupted" in one_line_error(err)

    def exits(argv):
        sys.exit("something went wrong\nbadly")

    _fake_delegate(monkeypatch, exits)
    rc, _, err = run(capsys, "fake")
    assert rc == 1 and "something went wrong badly" in one_line_error(err)


def test_a_delegated_parser_usage_error_is_one_line_and_argparse_is_restored(capsys, monkeypatch):
    import argparse

    original = argparse.ArgumentParser.error

    def strict(argv):
        ap = argparse.ArgumentParser(prog="rnnsim fake")
        ap.add_argument("--n", type=int, required=True)
        ap.parse_args(argv)
        return 0

    _fake_delegate(monkeypatch, strict)
    rc, out, err = run(capsys, "fake", "--n", "x")
    assert rc == 2 and "rnnsim fake: argument --n: invalid int value: 'x'" in one_line_error(err)
    assert "usage:" not in err and argparse.ArgumentParser.error is original


def test_help_and_version_exit_0(capsys):
    for argv in (["--help"], ["run", "--help"], ["--version"], ["check", "--help"], ["bench", "--help"]):
        rc, out, err = run(capsys, *argv)
        assert rc == 0 and err == "" and out


def test_run_help_states_the_default_arithmetic(capsys):
    run(capsys, "run", "--help")
    rc, out, _ = run(capsys, "run", "--help")
    assert "exact (default here; the Python functions default to float64)" in " ".join(out.split())


def test_module_entry_point_keeps_the_contract():
    r = subprocess_cli("run", "example", "--tokens", "0,1,,1")
    assert r.returncode == 1 and "item 3 is empty" in one_line_error(r.stderr)
    r = subprocess_cli("run", "example", "--tokens")
    assert r.returncode == 2 and "expected one argument" in one_line_error(r.stderr)
