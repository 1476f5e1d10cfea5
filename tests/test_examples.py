"""Every script in examples/ runs to the end (in this process, with an output directory) and
writes what it says it writes, so the examples users copy cannot rot."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WRITES = {"own_lm_boost.py": ["own_growth.png"], "selfboost_own_source.py": ["own_selfboost.png", "own_selfboost.json"]}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(WRITES)


@pytest.mark.parametrize("name", sorted(WRITES))
def test_example_runs(name, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [name, str(tmp_path)])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    out = capsys.readouterr().out
    for f in WRITES[name]:
        assert (tmp_path / f).stat().st_size > 1000, f
        assert f"wrote {tmp_path / f}" in out or f.endswith(".json")
