"""Saving and loading networks (THEORY §6, §7: "loading never half-builds a network; saving
never loses precision"), the shipped examples, and export to GraphML / DOT for drawing.

File format (JSON, ``"format": "rnnsim-network"``, ``"version": 1``)::

    {"format": "rnnsim-network", "version": 1, "name": …, "tau": τ, "alphabet": b,
     "input_encoding": "value"|"onehot", "inputs": [names], "output": name,
     "hidden": [names],
     "nodes": [[name, init, expr_index], …],        # every non-input node, in order
     "exprs": [op, …],                              # shared expression DAG, children first
     "meta": {…},
     "role": {"kind": "lm", "alphabet": b} | {"kind": "distinguisher", "window": k, "alphabet": b},
     "boolean_nodes": [names], "claims": {…}, "construction": {"kind": …, …}}   # optional

The last four fields (:class:`rnnsim.RNN`'s typed fields) are written only when set and are
optional on load: a file written before they existed loads with no role, no claims and no
construction record, and its Boolean nodes are read from the old ``meta["boolean_nodes"]``.

Numbers are exact: an int is a JSON integer, a rational is the string ``"p/q"``. Each op
is a list: ``["node", name]``, ``["const", c]``, ``["affine", [[i, w], …], c]``,
``["relu", i]``, ``["prod", i, j]``, ``["recip", i]`` where i, j index earlier ops;
structurally equal subexpressions are stored once, so files stay linear in the size of
the shared expression DAG. ``meta`` must be JSON-able (Fractions are stored as
``{"$fraction": "p/q"}`` and come back as Fractions; tuples come back as lists).

:func:`load` checks everything and raises :class:`~rnnsim.errors.FormatError` saying what
is wrong and where (JSON path, line/column for syntax errors); the network is only
created (and validated by :class:`~rnnsim.RNN`) once the whole file has been read.

The parts, one concept each: :mod:`.values` (exact numbers, texts, meta), :mod:`.codec`
(network ⇄ JSON data: :func:`to_dict`, :func:`from_dict`, :func:`dumps`), :mod:`.strict_json`
(the strict reader and its limits), :mod:`.drawing` (:func:`to_graphml`, :func:`to_dot`,
:func:`dot_quote`); this module joins them into files and holds the shipped examples.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import FormatError
from ..network import RNN
from .codec import FORMAT, MAX_INDEX, VERSION, dumps, from_dict, to_dict
from .drawing import dot_quote, to_dot, to_graphml
from .strict_json import MAX_FILE_BYTES, decode, parse, read_file
from .values import MAX_DIGITS, MAX_META_DEPTH

__all__ = ["save", "load", "dumps", "loads", "loads_bytes", "to_dict", "from_dict", "to_graphml", "to_dot", "dot_quote",
           "example_path", "example_names", "load_example", "DEFAULT_EXAMPLE", "FORMAT", "VERSION",
           "MAX_DIGITS", "MAX_INDEX", "MAX_FILE_BYTES", "MAX_META_DEPTH"]


# ---- files ---------------------------------------------------------------------------------

def save(rnn: RNN, path) -> None:
    """Write ``rnn`` as JSON (exact constants; see the module docstring). Raises FormatError for
    what the format cannot hold (see :data:`MAX_DIGITS`, invalid Unicode) and OSError for the
    file system; nothing is written then."""
    text = dumps(rnn, indent=1)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as e:
        bad = text[max(0, e.start - 30):e.end + 10]
        raise FormatError(f"cannot save network {rnn.name!r}: a name or text is not valid Unicode "
                          f"(lone surrogate near {bad!r})") from None
    Path(path).write_bytes(data)


def loads(text: str, *, source: str = "network") -> RNN:
    """Parse the JSON text of a network (strict JSON: no duplicate keys, no NaN/Infinity,
    integers of at most :data:`MAX_DIGITS` digits) and build it; FormatError on any problem."""
    d = parse(text, source=source)
    try:
        return from_dict(d, source=source)
    except RecursionError:
        raise FormatError(f"{source}: expressions or meta nested too deeply") from None


def loads_bytes(data: bytes, *, source: str = "network") -> RNN:
    """:func:`loads` for the bytes of a file (UTF-8; FormatError otherwise)."""
    return loads(decode(data, source=source), source=source)


def load(path) -> RNN:
    """Read a network written by :func:`save` (FormatError on a malformed file)."""
    return loads_bytes(read_file(path), source=str(Path(path)))


# ---- shipped examples ------------------------------------------------------------------------

_EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEFAULT_EXAMPLE = "laplace"


def example_names() -> list[str]:
    return sorted(p.stem for p in _EXAMPLES.glob("*.json"))


def example_path(name: str = "example") -> Path:
    """Path of a shipped example (``"example"`` = the default one)."""
    stem = DEFAULT_EXAMPLE if name == "example" else name
    p = _EXAMPLES / f"{stem}.json"
    if not p.is_file():
        raise FormatError(f"no shipped example {name!r}; available: {', '.join(['example'] + example_names())}")
    return p


def load_example(name: str = "example") -> RNN:
    return load(example_path(name))
