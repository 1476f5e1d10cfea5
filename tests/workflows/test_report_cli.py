"""workflows.report_cli: the shared end of `rnnsim selfboost` / `rnnsim growth` — status 1
and the failures on stderr when a check failed, 0 otherwise; JSON and figure written where
asked; output paths refused before any work."""

import argparse
import json

import pytest

from rnnsim.errors import InputError
from workflows.report_cli import add_report_options, check_outputs, finish


class _Rep:
    def __init__(self, failures):
        self.failures = failures

    def as_dict(self):
        return {"failures": self.failures, "tau": 10 ** 30}


def _args(argv):
    ap = argparse.ArgumentParser()
    add_report_options(ap, "a figure")
    return ap.parse_args(argv)


@pytest.mark.parametrize("failures, status", [([], 0), (["round 2: size 7 ≠ closed form 8"], 1)])
def test_finish_status_outputs_and_failures(tmp_path, capsys, failures, status):
    drawn = []
    args = _args(["--json", str(tmp_path / "r.json"), "--plot", str(tmp_path / "r.png")])
    rc = finish(_Rep(failures), args, "| table |", lambda rep, path: drawn.append(path), "all good")
    out, err = capsys.readouterr()
    assert rc == status
    assert out.startswith("| table |")
    assert json.loads((tmp_path / "r.json").read_text()) == {"failures": failures, "tau": 10 ** 30}
    assert drawn == [str(tmp_path / "r.png")]
    if failures:
        assert "FAILED:\n  round 2: size 7 ≠ closed form 8" in err and "all good" not in out
    else:
        assert out.rstrip().endswith("all good") and "FAILED" not in err


def test_check_outputs_refuses_a_missing_directory_before_any_work(tmp_path):
    with pytest.raises(InputError, match=r"--json '.*/nowhere/r.json': directory '.*/nowhere' does not exist"):
        check_outputs(_args(["--json", str(tmp_path / "nowhere" / "r.json")]))
    check_outputs(_args(["--plot", str(tmp_path / "ok.png")]))          # a writable path passes
