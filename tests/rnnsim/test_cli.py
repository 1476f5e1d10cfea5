"""The ``rnnsim`` command line (rnnsim/cli.py): info, run, example, lemmas, delegation to
the other packages' entry points, and one-line errors with exit status 1."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import pytest

import rnnsim
from rnnsim import Builder, Node, cli, registry
from rnnsim.io import load_example, save


def run_cli(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_info_on_the_shipped_example(capsys):
    rc, out, _ = run_cli(capsys, "info", "example")
    rnn = load_example()
    assert rc == 0
    fields = {ln.split()[0]: ln.split()[1:] for ln in out.splitlines() if ln.strip() and not ln.startswith(" ")}
    assert fields["size"][0] == str(rnn.size)
    assert fields["hidden"][1] == str(rnn.hidden_size)  # "hidden size N"
    assert fields["tau"] == [str(rnn.tau)] and fields["depth"] == [str(rnn.depth)]
    kinds = rnn.program.kind_counts()
    for k, v in kinds.items():
        assert f"{k} {v}" in out


def test_info_on_a_file_lists_nodes(capsys, tmp_path):
    b = Builder("tiny", tau=3)
    x = b.input("x")
    b.node("blk.c", update=Node("blk.c") + x, hidden=True)
    b.output("blk.c")
    p = tmp_path / "tiny.json"
    save(b.build(), p)
    rc, out, _ = run_cli(capsys, "info", str(p), "--nodes")
    assert rc == 0 and "tiny" in out and "tau         3" in out
    assert "blk.c [H] [out] := (blk.c + x)" in out


def test_run_prints_laplace_rule_outputs(capsys):
    rc, out, _ = run_cli(capsys, "run", "example", "--tokens", "0110")
    assert rc == 0
    rows = [ln.split("\t") for ln in out.splitlines() if ln and ln[0].isdigit()]
    assert [r[1] for r in rows] == ["0", "1", "1", "0"]
    ones, want = 0, []
    for m, x in enumerate([0, 1, 1, 0], start=1):
        p1 = Fraction(ones + 1, m + 1)
        want.append(p1 if x else 1 - p1)
        ones += x
    assert [Fraction(r[2]) for r in rows] == want


def test_run_fixed_point_with_trace_and_vcd(capsys, tmp_path):
    vcd = tmp_path / "o.vcd"
    rc, out, err = run_cli(capsys, "run", "example", "--tokens", "0,1,1", "--arithmetic", "fixed:4:3",
                           "--trace", "count.*", "--trace", "q", "--vcd", str(vcd))
    assert rc == 0
    assert "arithmetic fixed:4:3" in out
    want = rnnsim.simulate(load_example(), [0, 1, 1], "fixed:4:3").outputs
    rows = [ln.split("\t") for ln in out.splitlines() if ln and ln[0].isdigit() and "\t" in ln]
    assert [Fraction(r[2]) for r in rows] == want
    assert "count.phase" in out and "│" in out
    assert vcd.is_file() and "wrote 4 signal(s)" in err


@pytest.mark.parametrize("argv, piece", [
    (["run", "example", "--tokens", "0120"], "token x_3 = 2 (position 3) is outside Σ"),
    (["run", "missing.json", "--tokens", "01"], "cannot read network file 'missing.json'"),
    (["run", "example", "--tokens", "01", "--arithmetic", "fixed:x"], "write fixed:INT_BITS:FRAC_BITS"),
    (["run", "example", "--tokens", "01", "--engine", "warp"], "unknown engine 'warp'"),
    (["info", "example2"], "cannot read network file"),
])
def test_errors_print_one_line_and_exit_1(capsys, argv, piece):
    rc, out, err = run_cli(capsys, *argv)
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnsim: error: ") and piece in lines[0]
    assert "Traceback" not in err


def test_multi_problem_network_error_is_one_line(capsys, tmp_path):
    d = rnnsim.io.to_dict(load_example())
    d["tau"] = 0
    d["hidden"] = ["q"]  # q reads the counters, which are then outside H
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(d))
    rc, _, err = run_cli(capsys, "info", str(p))
    assert rc == 1
    line = err.strip()
    assert "\n" not in line and "(2 problems): " in line
    assert "τ (steps per token) must be a positive integer, got 0; hidden node 'q' reads" in line


def test_example_command_and_save(capsys, tmp_path):
    rc, out, _ = run_cli(capsys, "example")
    assert rc == 0 and "laplace" in out and "rnnsim run example" in out
    p = tmp_path / "copy.json"
    rc, out, _ = run_cli(capsys, "example", "--save", str(p))
    assert rc == 0 and rnnsim.io.dumps(rnnsim.load(p)) == rnnsim.io.dumps(load_example())


def test_missing_delegate_module_exits_2_with_a_clear_message(capsys, monkeypatch):
    monkeypatch.setitem(cli._DELEGATED, "future", ("constructions.not_written_yet", "later"))
    rc, _, err = run_cli(capsys, "future", "--x")
    assert rc == 2
    assert "the 'future' command needs constructions.not_written_yet" in err


def test_delegation_passes_arguments_and_return_code(capsys, monkeypatch):
    import types

    calls = []
    fake = types.ModuleType("fake_runner")
    fake.main = lambda argv: calls.append(argv) or 3
    monkeypatch.setitem(sys.modules, "fake_runner", fake)
    monkeypatch.setitem(cli._DELEGATED, "fake", ("fake_runner", "x"))
    rc, _, _ = run_cli(capsys, "fake", "--a", "1", "b")
    assert rc == 3 and calls == [["--a", "1", "b"]]


@pytest.fixture
def fake_registry(monkeypatch):
    table = {}
    monkeypatch.setattr(registry, "_TABLE", table)
    monkeypatch.setattr(registry, "STATEMENTS", ())
    monkeypatch.setattr(cli, "_collect_lemmas", lambda: ([], {}))

    @registry.realizes("Lemma 99", "a fake lemma for the CLI test")
    def built():  # pragma: no cover - only registered
        pass

    return table


def test_lemmas_strict_fails_when_a_lemma_has_no_test(capsys, tmp_path, fake_registry):
    (tmp_path / "test_x.py").write_text("import pytest\n")
    rc, out, err = run_cli(capsys, "lemmas", "--tests", str(tmp_path))
    assert rc == 0 and "| Lemma 99 |" in out and "NO TEST" in out
    rc, _, err = run_cli(capsys, "lemmas", "--strict", "--tests", str(tmp_path))
    assert rc == 1 and "1 lemma(s) without a test: Lemma 99" in err
    (tmp_path / "test_y.py").write_text('@pytest.mark.lemma("Lemma 99")\ndef test_y(): pass\n')
    rc, out, _ = run_cli(capsys, "lemmas", "--strict", "--tests", str(tmp_path))
    assert rc == 0 and "test_y.py | tested" in out


def test_no_command_prints_help_and_exits_2(capsys):
    rc, out, _ = run_cli(capsys)
    assert rc == 2 and "info" in out and "lemmas" in out


def test_console_entry_point_runs_in_a_subprocess():
    r = subprocess.run([sys.executable, "-m", "rnnsim.cli", "run", "example", "--tokens", "01"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "1\t0\t1/2" in r.stdout
    r = subprocess.run([sys.executable, "-m", "rnnsim.cli", "run", "example", "--tokens", "9"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and r.stderr.startswith("rnnsim: error: ") and "Traceback" not in r.stderr
