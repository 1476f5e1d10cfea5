"""The strict JSON reader behind :func:`rnnsim.io.load` (THEORY §7: a malformed file fails only
with :class:`~rnnsim.errors.FormatError`, never a hang, a crash or another exception).

Stricter than :func:`json.loads`: no duplicate keys in an object, no ``NaN``/``Infinity``
and no float beyond the double range, integers of at most :data:`~rnnsim.io.values.MAX_DIGITS`
digits, valid Unicode only (no lone surrogates from ``\\ud800`` escapes), bounded nesting,
UTF-8 bytes only, and a file is read only when it is a regular file of at most
:data:`MAX_FILE_BYTES` bytes (``/dev/zero``, a FIFO or a directory is never read). Each
error names the source and, for syntax errors, line and column.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from ..errors import FormatError
from .values import MAX_DIGITS

MAX_FILE_BYTES = 2 ** 30     # a network file larger than 1 GiB is refused, not read

__all__ = ["MAX_FILE_BYTES", "parse", "decode", "read_file"]


def _pairs(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise FormatError(f"duplicate key {k[:60]!r} in one JSON object (a file must say each field once)")
        d[k] = v
    return d


def _parse_int(s: str) -> int:
    if len(s.lstrip("-")) > MAX_DIGITS:
        raise FormatError(f"an integer with {len(s.lstrip('-'))} digits; the file format allows at most {MAX_DIGITS}")
    return int(s)


def _parse_float(s: str) -> float:
    v = float(s)
    if not math.isfinite(v):
        raise FormatError(f"the number {_clip(s)} is beyond the double range (a non-finite float)")
    return v


def _clip(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[:n - 1] + "…"


def _parse_constant(s: str):
    raise FormatError(f"{s} is not a JSON number (non-finite constants are not allowed)")


def parse(text: str, *, source: str = "network") -> Any:
    """The JSON data of ``text`` under the rules of the module docstring; FormatError otherwise."""
    if not isinstance(text, str):
        raise FormatError(f"{source}: expected the JSON text as str, got {type(text).__name__}")
    try:
        d = json.loads(text, object_pairs_hook=_pairs, parse_int=_parse_int, parse_float=_parse_float,
                       parse_constant=_parse_constant)
    except FormatError as e:
        raise FormatError(f"{source}: {e}") from None
    except json.JSONDecodeError as e:
        truncated = e.pos >= len(text.rstrip()) or e.msg.startswith("Unterminated string")
        hint = " (the file looks truncated)" if truncated else ""
        at = "" if e.msg.endswith(" at") else " at"
        raise FormatError(
            f"{source}: not valid JSON: {e.msg}{at} line {e.lineno}, column {e.colno}{hint}"
        ) from None
    except RecursionError:
        raise FormatError(f"{source}: JSON nested too deeply") from None
    except ValueError as e:  # e.g. a float literal json cannot convert
        raise FormatError(f"{source}: not valid JSON: {e}") from None
    try:
        json.dumps(d, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as e:
        raise FormatError(f"{source}: a string is not valid Unicode (a lone surrogate such as \\ud800; "
                          f"character {e.start} of the re-encoded text)") from None
    except RecursionError:
        raise FormatError(f"{source}: JSON nested too deeply") from None
    return d


def decode(data: bytes, *, source: str = "network") -> str:
    """The text of a file's bytes (UTF-8; FormatError otherwise)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"{source}: expected bytes, got {type(data).__name__}")
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"{source}: not UTF-8 text (byte {e.start}); is this a network JSON file?") from None


def read_file(path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`; FormatError otherwise
    (missing, unreadable, not a regular file, too large, a NUL byte in the path)."""
    p = Path(path)
    problem = None
    try:
        st = os.stat(p)
        if not stat.S_ISREG(st.st_mode):      # /dev/zero, a FIFO, a directory: never read
            problem = "not a regular file"
        elif st.st_size > MAX_FILE_BYTES:
            problem = f"{st.st_size} bytes, more than the {MAX_FILE_BYTES} a network file may have"
        else:
            with open(p, "rb") as f:
                raw = f.read(MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:
                problem = f"more than {MAX_FILE_BYTES} bytes"
    except OSError as e:
        problem = e.strerror or str(e)
    except ValueError as e:  # e.g. a NUL byte in the path
        problem = str(e)
    if problem is not None:
        raise FormatError(f"cannot read network file {str(p)!r}: {problem}")
    return raw
