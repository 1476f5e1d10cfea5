"""The CLI's error contract (README "Errors and exit status", THEORY §6) for the subcommands
that ``rnnsim.cli`` delegates to the application layer (``_DELEGATED``: demo, schedule, check,
algorithm1, selfboost, growth, bits): a file that cannot be read or written, bad tokens or an unknown engine is bad
input (status 1); a command line argparse cannot parse, or a parameter the command refuses
before any work, is a usage error (status 2); either way exactly one line
``rnnsim: error: …`` on standard error, nothing on standard output, no traceback, no warning.
Paths to write are checked before any work."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import warnings

import pytest

from rnnsim import cli
from rnnsim.io import example_path

MISSING_DIR = "/nonexistent/dir"


def _one_line(err: str) -> str:
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, f"expected one error line, got {err!r}"
    assert lines[0].startswith("rnnsim: error: ") and "Traceback" not in err, err
    return lines[0]


def _malformed(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{"format": "rnnsim-network", "version": 1,', encoding="utf-8")
    return str(p)


# (subcommand, argv after it, status, a piece of the message); "{bad}" is a malformed network file
CASES = [
    ("schedule", ["--net", "missing.json"], 1, "cannot read network file 'missing.json': No such file or directory"),
    ("schedule", ["--net", "/dev/zero"], 1, "cannot read network file '/dev/zero': not a regular file"),
    ("schedule", ["--net", "{bad}"], 1, "not valid JSON"),
    ("schedule", ["--png", f"{MISSING_DIR}/s.png"], 1, f"--png '{MISSING_DIR}/s.png': directory '{MISSING_DIR}' does not exist"),
    ("schedule", ["--N", "4", "--tokens", "01a1", "--png", "{tmp}/s.png"], 1,
     "token x_3 = 'a' (position 3) is not an ASCII digit"),
    ("schedule", ["--N", "4", "--tokens", "0151", "--png", "{tmp}/s.png"], 1, "token x_3 = 5 (position 3) is outside Σ"),
    ("schedule", ["--net", "{laplace}", "--png", "{tmp}/s.png"], 1, "network 'laplace' has no LOAD/RUN/HOLD control nodes"),
    ("schedule", ["--loops", "x", "--png", "{tmp}/s.png"], 2, "--loops 'x': write first:last"),
    ("schedule", ["--N", "2", "--loops", "3:4", "--png", "{tmp}/s.png"], 2, "the input loops first..last must lie in 1..2"),
    ("schedule", ["--p0", "abc"], 2, "--p0/--p1: Invalid literal for Fraction: 'abc'"),
    ("schedule", ["--k", "x"], 2, "argument --k: invalid int value: 'x'"),
    ("demo", ["--json", f"{MISSING_DIR}/d.json"], 1, f"--json '{MISSING_DIR}/d.json': directory '{MISSING_DIR}' does not exist"),
    ("demo", ["--json", "{tmp}"], 1, "is a directory; give a file name"),
    ("demo", ["--N", "4", "--k", "2", "--engine", "warp"], 1, "unknown engine 'warp'"),
    ("demo", ["--N", "x"], 2, "argument --N: invalid int value: 'x'"),
    ("check", ["--seed", "x"], 2, "argument --seed: invalid int value: 'x'"),
    ("check", ["--instances", "-1"], 2, "--instances must be ≥ 1"),
    ("algorithm1", ["--plot", f"{MISSING_DIR}/a.png"], 1, f"--plot '{MISSING_DIR}/a.png': directory '{MISSING_DIR}' does not exist"),
    ("algorithm1", ["--json", f"{MISSING_DIR}/a.json"], 1, f"--json '{MISSING_DIR}/a.json': directory '{MISSING_DIR}' does not exist"),
    ("algorithm1", ["--N", "x"], 2, "argument --N: invalid int value: 'x'"),
    ("algorithm1", ["--minimizer", "magic"], 2, "argument --minimizer: invalid choice: 'magic'"),
    ("selfboost", ["--source", "missing.json"], 1, "--source 'missing.json': no such network file"),
    ("selfboost", ["--start", "missing.json"], 1, "--start 'missing.json': no such network file"),
    ("selfboost", ["--N", "4", "--k", "1", "--engine", "warp"], 1, "unknown engine 'warp'"),
    ("selfboost", ["--N", "x"], 2, "argument --N: invalid int value: 'x'"),
    ("growth", ["--rounds", "x"], 2, "argument --rounds: invalid int value: 'x'"),
    ("bits", ["--plot", f"{MISSING_DIR}/b.png"], 1, f"--plot '{MISSING_DIR}/b.png': directory '{MISSING_DIR}' does not exist"),
    ("bits", ["--json", "{tmp}"], 1, "is a directory; give a file name"),
    ("bits", ["--engine", "warp"], 1, "unknown engine 'warp'"),
    ("bits", ["--delta", "-1"], 2, "need --k ≥ 1"),
    ("bits", ["--sweep", "6,x"], 2, "--sweep '6,x': write document lengths separated by commas"),
    ("bits", ["--rounds", "x"], 2, "argument --rounds: invalid int value: 'x'"),
]

# output paths are checked before any work, in every subcommand that writes files
CASES += [
    ("selfboost", ["--N", "4", "--k", "1", "--no-progress", "--json", f"{MISSING_DIR}/s.json"], 1,
                 f"--json '{MISSING_DIR}/s.json': directory '{MISSING_DIR}' does not exist"),
    ("growth", ["--k", "1", "--rounds", "1", "--no-progress", "--plot", f"{MISSING_DIR}/g.png"], 1,
                 f"--plot '{MISSING_DIR}/g.png': directory '{MISSING_DIR}' does not exist"),
]


def _plain(case):
    return case.values if hasattr(case, "values") else case


def test_every_delegated_subcommand_has_a_bad_input_and_a_usage_case():
    for cmd in cli._DELEGATED:
        statuses = {status for c, _, status, _ in map(_plain, CASES) if c == cmd}
        assert 2 in statuses, f"rnnsim {cmd}: no usage-error case"
        if cmd != "check":                     # it reads no file, writes none and takes no tokens or engine
            assert 1 in statuses, f"rnnsim {cmd}: no bad-input case"


@pytest.mark.parametrize("cmd, args, status, piece", CASES,
                         ids=[f"{c}-{' '.join(a)}" for c, a, _, _ in map(_plain, CASES)])
def test_delegated_subcommand_errors_are_one_line_with_the_documented_status(capsys, tmp_path, cmd, args,
                                                                            status, piece):
    argv = [cmd] + [a.replace("{bad}", _malformed(tmp_path)).replace("{laplace}", str(example_path())).replace("{tmp}", str(tmp_path)) for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rc = cli.main(argv)
    out, err = capsys.readouterr()
    assert rc == status, (rc, err)
    assert piece in _one_line(err)
    assert out == ""                           # refused before any output
    assert not any(tmp_path.glob("*.png"))     # and before any figure


@pytest.mark.parametrize("cmd", sorted(cli._DELEGATED))
def test_delegated_subcommand_help_exits_0(capsys, cmd):
    rc = cli.main([cmd, "--help"])
    out, err = capsys.readouterr()
    assert rc == 0 and err == "" and f"rnnsim {cmd}" in out


FIGURE_OPTIONS = [
    ("selfboost", ["--N", "4", "--k", "1", "--no-progress", "--plot", "{tmp}/f.png"], "--plot"),
    ("growth", ["--k", "1", "--rounds", "1", "--no-progress", "--plot", "{tmp}/f.png"], "--plot"),
    ("bits", ["--rounds", "1", "--no-simulate", "--plot", "{tmp}/f.png"], "--plot"),
    ("algorithm1", ["--plot", "{tmp}/f.png"], "--plot"),
    ("schedule", ["--png", "{tmp}/f.png"], "--png"),
]


def test_every_figure_option_is_in_the_table():
    for cmd in cli._DELEGATED:
        mod = importlib.import_module(cli._DELEGATED[cmd][0])
        src = inspect.getsource(mod.main) if hasattr(mod, "main") else ""
        for option in ("--plot", "--png"):
            if f'"{option}"' in src or (option == "--plot" and "add_report_options" in src):
                assert (cmd, option) in {(c, o) for c, _, o in FIGURE_OPTIONS}, f"rnnsim {cmd} {option}"


@pytest.mark.parametrize("cmd, args, option", FIGURE_OPTIONS, ids=[c for c, _, _ in FIGURE_OPTIONS])
def test_a_figure_without_matplotlib_is_refused_before_any_work(monkeypatch, capsys, tmp_path, cmd, args, option):
    """An installation without matplotlib (no `plot` / `test` extra) lacks figures: status 2,
    one line saying what to install, before any output (it was an internal error, status 3,
    after the whole run)."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a, **k: None if name == "matplotlib" else real(name, *a, **k))
    rc = cli.main([cmd] + [a.replace("{tmp}", str(tmp_path)) for a in args])
    out, err = capsys.readouterr()
    assert rc == 2, err
    assert _one_line(err) == (f"rnnsim: error: {option} '{tmp_path}/f.png': drawing figures needs matplotlib, "
                              "which this installation lacks (pip install 'rnnsim[plot]')")
    assert out == "" and not any(tmp_path.iterdir())
