"""Trace display (THEORY §2.3 time semantics made visible): choose nodes by glob patterns on
their hierarchical names, render a text waveform for a terminal, or export a VCD file for
a waveform viewer such as GTKWave.

Text waveform: one row per node, one column per recorded time step; a ``│`` before a
column marks a token boundary (t a multiple of τ, where the input switches to the next
token and where the output is read). Header rows give the time and the token present.
Values are printed exactly (ints, small ``p/q``) or with 4 significant digits; ``fmt``
chooses per node: a format spec (``".3f"``), a ``str.format`` template (``"{:.2e}"``), a
callable, or a dict glob → any of these.

VCD: every selected node is a ``real`` variable in a scope tree that follows its
hierarchical name (``boost.U.H2.c3`` → scope ``boost.U.H2``, variable ``c3``), plus an
integer ``token`` variable; one VCD time unit is one RNN step.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
from fractions import Fraction
from typing import Callable, Iterable

from .errors import InputError

__all__ = ["select", "waveform", "write_vcd", "format_value"]


def select(trace, patterns: str | Iterable[str] = "*") -> list[str]:
    """Recorded node names matching glob pattern(s), in network order; raises if none."""
    pats = [patterns] if isinstance(patterns, str) else list(patterns)
    names = [n for n in trace.rnn.nodes if n in trace.values and any(fnmatch.fnmatchcase(n, p) for p in pats)]
    if not names:
        if not trace.values:
            raise InputError("the trace recorded no node values; simulate with record='all' (or times)")
        raise InputError(f"no recorded node matches {', '.join(map(repr, pats))}")
    return names


def format_value(v, spec=None) -> str:
    """One value as text: exact ints and small fractions exactly, else 4 significant digits."""
    if spec is not None:
        if callable(spec):
            return str(spec(v))
        if "{" in spec:
            return spec.format(float(v) if isinstance(v, Fraction) else v)
        return format(float(v) if isinstance(v, Fraction) or "f" in spec or "e" in spec else v, spec)
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        if v.denominator <= 999 and abs(v.numerator) <= 99999:
            return f"{v.numerator}/{v.denominator}"
        return f"{float(v):.4g}"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{float(v):.4g}"


def _spec_for(name: str, fmt):
    if isinstance(fmt, dict):
        for pat, spec in fmt.items():
            if fnmatch.fnmatchcase(name, pat):
                return spec
        return None
    return fmt


def waveform(
    trace,
    patterns: str | Iterable[str] = "*",
    *,
    start: int | None = None,
    stop: int | None = None,
    fmt: str | Callable | dict | None = None,
    width: int | None = None,
) -> str:
    """Text waveform of the recorded nodes matching ``patterns`` for times in [start, stop).

    ``width``: wrap into blocks of at most this many characters (default: the terminal
    width; 0 = never wrap).
    """
    names = select(trace, patterns)
    tau = trace.rnn.tau
    cols = [(j, t) for j, t in enumerate(trace.times)
            if (start is None or t >= start) and (stop is None or t < stop)]
    if not cols:
        raise InputError(f"no recorded time in [{start}, {stop}); recorded: {trace.times[:1]}…{trace.times[-1:]}")
    N = len(trace.tokens)
    rows_label = ["t", "token"] + names
    cells: list[list[str]] = [[], []] + [[] for _ in names]
    for j, t in cols:
        m = t // tau  # token x_{m+1} is present at time t
        cells[0].append(str(t))
        cells[1].append(f"x{m + 1}={trace.tokens[m]}" if t % tau == 0 and m < N else "")
        for i, n in enumerate(names):
            cells[2 + i].append(format_value(trace.values[n][j], _spec_for(n, fmt)))
    colw = [max(len(cells[r][c]) for r in range(len(cells))) for c in range(len(cols))]
    labw = max(len(s) for s in rows_label)
    seps = ["│" if t % tau == 0 else " " for _, t in cols]

    def render(c0, c1):
        out = []
        for r, lab in enumerate(rows_label):
            line = lab.ljust(labw) + " "
            for c in range(c0, c1):
                cell = cells[r][c]
                line += seps[c] + (cell.ljust(colw[c]) if r == 1 else cell.rjust(colw[c]))
            out.append(line.rstrip())
        return out

    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns
    blocks, c0, used = [], 0, labw + 1
    for c in range(len(cols)):
        w = colw[c] + 1
        if width and c > c0 and used + w > width:
            blocks.append(render(c0, c))
            c0, used = c, labw + 1
        used += w
    blocks.append(render(c0, len(cols)))
    return "\n\n".join("\n".join(b) for b in blocks)


_VCD_SAFE = re.compile(r"[^A-Za-z0-9_$]")


def _vcd_name(part: str) -> str:
    s = _VCD_SAFE.sub("_", part)
    return s if s and not s[0].isdigit() else "_" + s


def write_vcd(trace, path, patterns: str | Iterable[str] = "*", *, top: str | None = None) -> list[str]:
    """Write the recorded nodes matching ``patterns`` to a VCD file; returns the node names.

    Real-valued signals (exact values are converted to the nearest double); one VCD time
    unit per RNN step; the token present at each time is the integer variable ``token``.
    """
    from vcd import VCDWriter

    names = select(trace, patterns)
    top = _vcd_name(top or trace.rnn.name)
    with open(path, "w", encoding="ascii") as f, VCDWriter(f, timescale="1 ns", date="rnnsim",
                                                           comment=f"rnnsim trace of {trace.rnn.name}, tau={trace.rnn.tau}") as w:
        tok_var = w.register_var(top, "token", "integer", size=32)
        taken: set[tuple[str, str]] = set()
        vars_ = []
        for n in names:
            parts = [_vcd_name(p) for p in n.split(".")]
            scope = ".".join([top] + parts[:-1])
            leaf = parts[-1]
            while (scope, leaf) in taken:  # sanitizing may merge names ('x[0]' vs 'x_0_')
                leaf += "_"
            taken.add((scope, leaf))
            vars_.append(w.register_var(scope, leaf, "real"))
        tau = trace.rnn.tau
        last: list = [None] * len(names)
        last_tok = None
        for j, t in enumerate(trace.times):
            m = t // tau
            if m < len(trace.tokens) and trace.tokens[m] != last_tok:
                last_tok = trace.tokens[m]
                w.change(tok_var, t, last_tok)
            for i, n in enumerate(names):
                v = float(trace.values[n][j])
                if v != last[i]:
                    last[i] = v
                    w.change(vars_[i], t, v)
    return names
