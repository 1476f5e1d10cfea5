"""Exact numbers, texts and ``meta`` data in the network file format (THEORY §6, §7: "saving
never loses precision").

An int is a JSON integer and a rational the string ``"p/q"``, of at most :data:`MAX_DIGITS`
decimal digits (ASCII only); in ``meta`` (and the construction record) a Fraction is stored
as ``{"$fraction": "p/q"}`` and comes back as a Fraction, nesting is bounded by
:data:`MAX_META_DEPTH`, and every text must be valid Unicode. Each converter raises
:class:`~rnnsim.errors.FormatError` naming where the bad value is.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from ..errors import FormatError

MAX_DIGITS = 4300            # decimal digits of one integer in a file (Python's int ↔ str limit)
MAX_META_DEPTH = 100         # lists/objects nested inside ``meta``
_TEN_MAX = 10 ** MAX_DIGITS

__all__ = ["MAX_DIGITS", "MAX_META_DEPTH", "num_out", "num_in", "meta_out", "meta_in", "check_text"]


# ---- numbers ------------------------------------------------------------------------------

def _too_long(n: int) -> bool:
    return abs(n) >= _TEN_MAX


def num_out(v, where: str = "a constant"):
    """An exact number as written to a file: an int, or the string ``"p/q"``."""
    if isinstance(v, Fraction) and v.denominator != 1:
        if _too_long(v.numerator) or _too_long(v.denominator):
            raise FormatError(f"cannot save {where}: a rational with more than {MAX_DIGITS} digits "
                              "(the file format's limit)")
        return f"{v.numerator}/{v.denominator}"
    n = int(v)
    if _too_long(n):
        raise FormatError(f"cannot save {where}: an integer with more than {MAX_DIGITS} digits "
                          "(the file format's limit)")
    return n


# ASCII digits only (str.isdigit and int() would also take '١' or '²'); no spaces, no '_'
_RAT = re.compile(r"([+-]?[0-9]+)(?:/([0-9]+))?", re.ASCII)


def num_in(v, where: str):
    """An exact number read from a file (int or Fraction); no bools, floats or other text."""
    if isinstance(v, bool):
        raise FormatError(f"{where}: expected a number, got {v!r}")
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        m = _RAT.fullmatch(v)
        if m:
            if len(m.group(1).lstrip("+-")) > MAX_DIGITS or len(m.group(2) or "") > MAX_DIGITS:
                raise FormatError(f"{where}: a number with more than {MAX_DIGITS} digits (the file format's limit)")
            p, q = int(m.group(1)), int(m.group(2) or 1)
            if q == 0:
                raise FormatError(f"{where}: {v!r} has denominator 0")
            f = Fraction(p, q)
            return f.numerator if f.denominator == 1 else f
        raise FormatError(f"{where}: {v!r} is not an integer or a 'p/q' rational")
    if isinstance(v, float):
        raise FormatError(
            f"{where}: {v!r} is a float; exact constants are written as integers or 'p/q' strings "
            f"(e.g. {num_out(Fraction(v).limit_denominator(1000))!r})" if math.isfinite(v)
            else f"{where}: non-finite constant {v!r}"
        )
    raise FormatError(f"{where}: expected a number, got {type(v).__name__} {v!r}")


# ---- texts ---------------------------------------------------------------------------------

def check_text(s: str, where: str, *, saving: bool = False) -> None:
    """Names and texts must be valid Unicode (JSON's \\ud800 escapes can make lone surrogates)."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        what = "cannot save" if saving else "invalid text in"
        raise FormatError(f"{what} {where}: {s[:40]!r} is not valid Unicode (lone surrogate at "
                          f"character {e.start})") from None


# ---- meta ----------------------------------------------------------------------------------

def meta_out(v, where: str, depth: int = 0):
    """``meta`` as JSON data: Fractions tagged, numpy values as lists/numbers, no non-finite
    floats, string keys only."""
    if depth > MAX_META_DEPTH:
        raise FormatError(f"cannot save {where}: meta nested deeper than {MAX_META_DEPTH} levels")
    if isinstance(v, Fraction):
        return {"$fraction": f"{v.numerator}/{v.denominator}"}
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return num_out(v, where)
    if isinstance(v, str):
        check_text(v, where, saving=True)
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise FormatError(f"cannot save {where}: non-finite float {v!r}")
        return v
    if hasattr(v, "tolist") and callable(v.tolist):  # numpy scalars and arrays
        return meta_out(v.tolist(), where, depth)
    if isinstance(v, dict) or hasattr(v, "items"):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise FormatError(f"cannot save {where}: key {k!r} is not a string")
            check_text(k, where, saving=True)
            out[k] = meta_out(x, f"{where}.{k}", depth + 1)
        return out
    if isinstance(v, (list, tuple)):
        return [meta_out(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(v)]
    raise FormatError(f"cannot save {where}: {type(v).__name__} {v!r} is not JSON-able")


def meta_in(v):
    """Meta as read (fractions restored), without recursion: nesting depth is the file's."""
    def conv(x):
        if isinstance(x, dict) and set(x) == {"$fraction"} and isinstance(x["$fraction"], str):
            return num_in(x["$fraction"], "meta")
        return x

    root = conv(v)
    stack = [(root, 0)] if isinstance(root, (dict, list)) else []
    while stack:
        c, depth = stack.pop()
        if depth >= MAX_META_DEPTH:
            raise FormatError(f"meta: nested deeper than {MAX_META_DEPTH} levels")
        items = c.items() if isinstance(c, dict) else enumerate(c)
        for k, x in list(items):
            y = conv(x)
            if y is not x:
                c[k] = y
            elif isinstance(x, (dict, list)):
                stack.append((x, depth + 1))
    return root
