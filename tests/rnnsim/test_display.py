"""Trace display: glob selection, the text waveform (token boundaries every τ, exact values,
per-node formats) and VCD export read back with pyvcd's reader."""

from __future__ import annotations

from fractions import Fraction

import pytest
from vcd.reader import TokenKind, tokenize

import rnnsim
from rnnsim import Builder, simulate
from rnnsim.display import format_value, select, waveform, write_vcd
from rnnsim.errors import InputError
from rnnsim.io import load_example


def trace(tokens="0110", **kw):
    return simulate(load_example(), tokens, "exact", record="all", **kw)


def test_select_by_glob_on_hierarchical_names():
    tr = trace()
    assert select(tr, "count.*") == ["count.phase", "count.n", "count.ones"]
    assert select(tr, ["q", "x"]) == ["x", "q"]  # network order, not pattern order
    assert select(tr, "*") == list(load_example().nodes)
    with pytest.raises(InputError, match="no recorded node matches 'nope.*'"):
        select(tr, "nope.*")
    untraced = simulate(load_example(), "01", "exact")
    with pytest.raises(InputError, match="record='all'"):
        select(untraced, "*")


def test_waveform_marks_every_token_boundary_and_shows_exact_values():
    tr = trace("0110")  # τ = 2, times 0..8
    text = waveform(tr, "*", width=0)
    lines = text.splitlines()
    assert [ln.split()[0] for ln in lines] == ["t", "token", "x", "count.phase", "count.n", "count.ones", "q"]
    for ln in lines:
        if ln.startswith(("t ", "token")):
            continue
        # a boundary mark before t = 0, 2, 4, 6, 8: five per row, and nine values
        assert ln.count("│") == 5
        assert len(ln.replace("│", " ").split()) == 1 + 9
    q_row = lines[-1].replace("│", " ").split()[1:]
    assert q_row == [format_value(v) for v in tr.values["q"]]
    assert q_row[2] == "1/2" and q_row[8] == "2/5"  # Laplace: q(x1=0) = 1/2, q(x4=0 | 011) = 2/5
    token_row = lines[1]
    for m, x in enumerate("0110", start=1):
        assert f"x{m}={x}" in token_row


def test_waveform_window_formats_and_wrapping():
    tr = trace("011011")
    text = waveform(tr, "count.n", start=3, stop=7, fmt={"count.*": ".2f"}, width=0)
    row = text.splitlines()[-1]
    assert row.replace("│", " ").split() == ["count.n", "2.00", "2.00", "3.00", "3.00"]
    wrapped = waveform(tr, "*", width=40)
    blocks = wrapped.split("\n\n")
    assert len(blocks) > 1
    assert all(len(ln) <= 40 for ln in wrapped.splitlines())
    with pytest.raises(InputError, match="no recorded time"):
        waveform(tr, "*", start=100)


def test_format_value_rules():
    assert format_value(3) == "3"
    assert format_value(Fraction(-2, 3)) == "-2/3"
    assert format_value(Fraction(1, 3**20)) == f"{float(Fraction(1, 3**20)):.4g}"
    assert format_value(0.5) == "0.5"
    assert format_value(Fraction(1, 3), ".3f") == "0.333"
    assert format_value(Fraction(1, 4), "{:.1e}") == "2.5e-01"
    assert format_value(7, lambda v: f"<{v}>") == "<7>"


def test_trace_waveform_method_matches_function():
    tr = trace("01")
    assert tr.waveform("q", width=0) == waveform(tr, "q", width=0)


def _read_vcd(path):
    """{(scope.var): [(time, value)]} and the declared scope names, via pyvcd's tokenizer."""
    ids, changes, scopes, t = {}, {}, [], 0
    stack = []
    with open(path, "rb") as f:
        for tok in tokenize(f):
            if tok.kind is TokenKind.SCOPE:
                stack.append(tok.scope.ident)
                scopes.append(".".join(stack))
            elif tok.kind is TokenKind.UPSCOPE:
                stack.pop()
            elif tok.kind is TokenKind.VAR:
                ids[tok.var.id_code] = ".".join(stack + [tok.var.reference])
            elif tok.kind is TokenKind.CHANGE_TIME:
                t = tok.time_change
            elif tok.kind in (TokenKind.CHANGE_REAL, TokenKind.CHANGE_VECTOR):
                changes.setdefault(ids[tok.data.id_code], []).append((t, tok.data.value))
    return changes, scopes


def test_vcd_export_reads_back_with_hierarchical_scopes(tmp_path):
    tr = trace("0110")
    p = tmp_path / "t.vcd"
    names = write_vcd(tr, p, "*")
    assert names == list(tr.rnn.nodes)
    changes, scopes = _read_vcd(p)
    assert "laplace.count" in scopes
    # reconstruct every signal at every time from its change list and compare
    for n in names:
        ch = changes["laplace." + n]
        for j, t in enumerate(tr.times):
            last = [v for (tt, v) in ch if tt <= t][-1]
            assert last == pytest.approx(float(tr.values[n][j]), rel=0, abs=0)
    tok = changes["laplace.token"]
    assert [v for _, v in tok] == [0, 1, 0] and [t for t, _ in tok] == [0, 2, 6]


def test_vcd_sanitizes_names_without_merging_them(tmp_path):
    b = Builder("oh", tau=1, alphabet=2)
    xs = b.input_onehot("x")
    b.node("x_0_", update=xs[0])  # sanitized 'x[0]' would collide with this name
    b.output("x_0_")
    tr = simulate(b.build(), [0, 1, 0], "exact", record="all")
    p = tmp_path / "oh.vcd"
    write_vcd(tr, p)
    changes, _ = _read_vcd(p)
    assert len([k for k in changes if k != "oh.token"]) == 3


def test_trace_to_vcd_method(tmp_path):
    tr = trace("01")
    tr.to_vcd(tmp_path / "m.vcd", "q")
    changes, _ = _read_vcd(tmp_path / "m.vcd")
    assert set(changes) == {"laplace.q", "laplace.token"}


def test_record_tokens_only_shows_boundaries():
    tr = simulate(load_example(), "0110", "exact", record="tokens")
    assert tr.times == [0, 2, 4, 6, 8]
    text = waveform(tr, "q", width=0)
    assert text.splitlines()[-1].count("│") == 5
    assert isinstance(rnnsim.display.format_value(tr.values["q"][1]), str)
