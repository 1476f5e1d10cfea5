"""Saving and loading networks (THEORY §6, §7: "loading never half-builds a network; saving
never loses precision") and export to GraphML / DOT for drawing.

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
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import FormatError, NetworkError
from .expr import Affine, Const, Expr, Node, Prod, Recip, ReLU
from .claims import Claims
from .network import RNN
from .roles import Role

FORMAT = "rnnsim-network"
VERSION = 1
MAX_DIGITS = 4300            # decimal digits of one integer in a file (Python's int ↔ str limit)
MAX_INDEX = 2 ** 63 - 1      # τ and the alphabet size must fit the engines' int64
MAX_FILE_BYTES = 2 ** 30     # a network file larger than 1 GiB is refused, not read
MAX_META_DEPTH = 100         # lists/objects nested inside ``meta``
_TEN_MAX = 10 ** MAX_DIGITS

__all__ = ["save", "load", "dumps", "loads", "loads_bytes", "to_dict", "from_dict", "to_graphml", "to_dot", "dot_quote",
           "example_path", "example_names", "load_example", "FORMAT", "VERSION"]


# ---- numbers ------------------------------------------------------------------------------

def _too_long(n: int) -> bool:
    return abs(n) >= _TEN_MAX


def _num_out(v, where: str = "a constant"):
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


def _num_in(v, where: str):
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
            f"(e.g. {_num_out(Fraction(v).limit_denominator(1000))!r})" if math.isfinite(v)
            else f"{where}: non-finite constant {v!r}"
        )
    raise FormatError(f"{where}: expected a number, got {type(v).__name__} {v!r}")


# ---- meta ----------------------------------------------------------------------------------

def _meta_out(v, where: str, depth: int = 0):
    if depth > MAX_META_DEPTH:
        raise FormatError(f"cannot save {where}: meta nested deeper than {MAX_META_DEPTH} levels")
    if isinstance(v, Fraction):
        return {"$fraction": f"{v.numerator}/{v.denominator}"}
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return _num_out(v, where)
    if isinstance(v, str):
        _check_text(v, where, saving=True)
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise FormatError(f"cannot save {where}: non-finite float {v!r}")
        return v
    if hasattr(v, "tolist") and callable(v.tolist):  # numpy scalars and arrays
        return _meta_out(v.tolist(), where, depth)
    if isinstance(v, dict) or hasattr(v, "items"):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise FormatError(f"cannot save {where}: key {k!r} is not a string")
            _check_text(k, where, saving=True)
            out[k] = _meta_out(x, f"{where}.{k}", depth + 1)
        return out
    if isinstance(v, (list, tuple)):
        return [_meta_out(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(v)]
    raise FormatError(f"cannot save {where}: {type(v).__name__} {v!r} is not JSON-able")


def _meta_in(v):
    """Meta as read (fractions restored), without recursion: nesting depth is the file's."""
    def conv(x):
        if isinstance(x, dict) and set(x) == {"$fraction"} and isinstance(x["$fraction"], str):
            return _num_in(x["$fraction"], "meta")
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


def _check_text(s: str, where: str, *, saving: bool = False) -> None:
    """Names and texts must be valid Unicode (JSON's \\ud800 escapes can make lone surrogates)."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        what = "cannot save" if saving else "invalid text in"
        raise FormatError(f"{what} {where}: {s[:40]!r} is not valid Unicode (lone surrogate at "
                          f"character {e.start})") from None


# ---- network → dict ----------------------------------------------------------------------

def to_dict(rnn: RNN) -> dict:
    """The JSON-able dictionary :func:`save` writes."""
    ops: list = []
    key_index: dict = {}
    id_index: dict[int, int] = {}

    def add(key, op) -> int:
        i = key_index.get(key)
        if i is None:
            i = key_index[key] = len(ops)
            ops.append(op)
        return i

    roots = {}
    for name in rnn.nodes:
        f = rnn.transitions.get(name)
        if f is None:
            continue
        for e in f.walk():
            if id(e) in id_index:
                continue
            if isinstance(e, Node):
                i = add(("node", e.name), ["node", e.name])
            elif isinstance(e, Const):
                c = _num_out(e.value, f"a constant of node {name!r}")
                i = add(("const", c), ["const", c])
            elif isinstance(e, Affine):
                terms = tuple((id_index[id(t)], _num_out(w, f"a weight of node {name!r}")) for t, w in e.terms)
                c = _num_out(e.const, f"an offset of node {name!r}")
                i = add(("affine", terms, c), ["affine", [list(t) for t in terms], c])
            elif isinstance(e, ReLU):
                a = id_index[id(e.arg)]
                i = add(("relu", a), ["relu", a])
            elif isinstance(e, Prod):
                a, b = id_index[id(e.left)], id_index[id(e.right)]
                i = add(("prod", a, b), ["prod", a, b])
            elif isinstance(e, Recip):
                a = id_index[id(e.arg)]
                i = add(("recip", a), ["recip", a])
            else:  # pragma: no cover - closed set
                raise TypeError(type(e))
            id_index[id(e)] = i
        roots[name] = id_index[id(f)]
    _check_text(rnn.name, "the network name", saving=True)
    for n in rnn.nodes:
        _check_text(n, "a node name", saving=True)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": rnn.name,
        "tau": rnn.tau,
        "alphabet": rnn.alphabet,
        "input_encoding": rnn.input_encoding,
        "inputs": list(rnn.inputs),
        "output": rnn.output,
        "hidden": list(rnn.hidden),
        "nodes": [[n, _num_out(rnn.init[n], f"the initial value of node {n!r}"), roots[n]]
                  for n in rnn.nodes if n not in rnn.inputs],
        "exprs": ops,
        "meta": _meta_out(dict(rnn.meta), "meta"),
        **({"role": rnn.role.to_json()} if rnn.role is not None else {}),
        **({"boolean_nodes": list(rnn.boolean_nodes)} if rnn.boolean_nodes else {}),
        **({"claims": rnn.claims.to_json()} if rnn.claims is not None else {}),
        **({"construction": _meta_out(dict(rnn.construction), "construction")}
           if rnn.construction is not None else {}),
    }


def dumps(rnn: RNN, *, indent: int | None = None) -> str:
    d = to_dict(rnn)
    if indent is None:
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))
    # one expression / node per line: readable and diff-friendly
    head = {k: v for k, v in d.items() if k not in ("nodes", "exprs", "meta", "construction")}
    parts = [json.dumps(head, ensure_ascii=False)[:-1]]
    for key in ("nodes", "exprs"):
        rows = ",\n  ".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in d[key])
        parts.append(f',\n "{key}": [\n  {rows}\n ]')
    if "construction" in d:
        parts.append(f',\n "construction": {json.dumps(d["construction"], ensure_ascii=False)}')
    parts.append(f',\n "meta": {json.dumps(d["meta"], ensure_ascii=False)}\n}}\n')
    return "".join(parts)


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


# ---- dict → network ----------------------------------------------------------------------

def _get(d: dict, key: str, typ: type, where: str = "file"):
    if key not in d:
        raise FormatError(f"{where}: missing field {key!r}")
    v = d[key]
    if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
        raise FormatError(f"{where}: field {key!r} should be {_TYPE_NAMES[typ]}, got {_short(v)}")
    return v


_TYPE_NAMES = {int: "an integer", str: "a string", list: "a list", dict: "an object"}


def _short(v) -> str:
    try:
        s = json.dumps(v) if not isinstance(v, str) else repr(v)
    except (ValueError, TypeError, RecursionError):
        s = f"<{type(v).__name__}>"
    return s if len(s) <= 60 else s[:57] + "..."


def _index(v, n_done: int, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise FormatError(f"{where}: operand {_short(v)} is not an integer index")
    if not 0 <= v < n_done:
        raise FormatError(f"{where}: operand {v} does not refer to an earlier expression (0..{n_done - 1})")
    return v


def _str_list(d, key, source) -> list[str]:
    v = _get(d, key, list, source)
    for i, s in enumerate(v):
        if not isinstance(s, str):
            raise FormatError(f"{key}[{i}]: node names are strings, got {_short(s)}")
    return v


def from_dict(d: Any, *, source: str = "network") -> RNN:
    """Build (and validate) a network from the dictionary form; FormatError on any problem."""
    if not isinstance(d, dict):
        raise FormatError(f"{source}: the top level must be a JSON object, got {type(d).__name__}")
    fmt = d.get("format")
    if fmt != FORMAT:
        raise FormatError(f"{source}: not an rnnsim network file (field 'format' is {_short(fmt)}, expected {FORMAT!r})")
    version = d.get("version")
    if type(version) is not int or version != VERSION:
        raise FormatError(
            f"{source}: unknown format version {_short(version)} (this rnnsim reads version {VERSION}); "
            "upgrade rnnsim or re-save the network"
        )
    name = _get(d, "name", str, source)
    tau = _get(d, "tau", int, source)
    alphabet = _get(d, "alphabet", int, source)
    for key, v in (("tau", tau), ("alphabet", alphabet)):
        if v > MAX_INDEX:
            raise FormatError(f"{source}: field {key!r} is {v}, above 2^63 − 1 (the largest the engines can index)")
    enc = _get(d, "input_encoding", str, source)
    inputs = _str_list(d, "inputs", source)
    output = _get(d, "output", str, source)
    hidden = _str_list(d, "hidden", source)
    for where, s in [("name", name), ("output", output)] + [(f"inputs[{i}]", s) for i, s in enumerate(inputs)] \
            + [(f"hidden[{i}]", s) for i, s in enumerate(hidden)]:
        _check_text(s, f"{source}: {where}")
    raw_ops = _get(d, "exprs", list, source)
    ops: list[Expr] = []
    for k, op in enumerate(raw_ops):
        where = f"exprs[{k}]"
        if not (isinstance(op, list) and op and isinstance(op[0], str)):
            raise FormatError(f"{where}: expected [kind, …], got {_short(op)}")
        kind, args = op[0], op[1:]
        arity = {"node": 1, "const": 1, "affine": 2, "relu": 1, "prod": 2, "recip": 1}.get(kind)
        if arity is None:
            raise FormatError(f"{where}: unknown expression kind {kind!r} (node, const, affine, relu, prod, recip)")
        if len(args) != arity:
            raise FormatError(f"{where}: {kind!r} takes {arity} argument(s), got {len(args)}")
        try:
            if kind == "node":
                if not isinstance(args[0], str):
                    raise FormatError(f"{where}: node name should be a string, got {_short(args[0])}")
                _check_text(args[0], where)
                e = Node(args[0])
            elif kind == "const":
                e = Const(_num_in(args[0], where))
            elif kind == "affine":
                terms_raw, c = args
                if not isinstance(terms_raw, list):
                    raise FormatError(f"{where}: affine terms should be a list of [index, weight]")
                terms = []
                for j, t in enumerate(terms_raw):
                    if not (isinstance(t, list) and len(t) == 2):
                        raise FormatError(f"{where}: term {j} should be [index, weight], got {_short(t)}")
                    sub = ops[_index(t[0], k, f"{where} term {j}")]
                    if isinstance(sub, (Affine, Const)):
                        raise FormatError(f"{where}: term {j} refers to a nested affine/const (flatten it)")
                    terms.append((sub, _num_in(t[1], f"{where} term {j} weight")))
                e = Affine(tuple(terms), _num_in(c, f"{where} offset"))
            elif kind in ("relu", "recip"):
                a = ops[_index(args[0], k, where)]
                e = ReLU(a) if kind == "relu" else Recip(a)
            else:
                e = Prod(ops[_index(args[0], k, where)], ops[_index(args[1], k, where)])
        except NetworkError as err:  # e.g. a malformed node name
            raise FormatError(f"{where}: {err}") from None
        ops.append(e)
    nodes_raw = _get(d, "nodes", list, source)
    nodes = list(inputs)
    transitions: dict[str, Expr] = {}
    init: dict[str, Any] = {}
    for k, row in enumerate(nodes_raw):
        where = f"nodes[{k}]"
        if not (isinstance(row, list) and len(row) == 3 and isinstance(row[0], str)):
            raise FormatError(f"{where}: expected [name, init, expr_index], got {_short(row)}")
        n, iv, ei = row
        _check_text(n, where)
        if n in transitions:
            raise FormatError(f"{where}: node {n!r} is listed twice")
        nodes.append(n)
        init[n] = _num_in(iv, f"{where} (initial value of {n!r})")
        transitions[n] = ops[_index(ei, len(ops), f"{where} (transition of {n!r})")]
    meta = _get(d, "meta", dict, source)
    try:
        meta = _meta_in(meta)
    except FormatError as err:
        raise FormatError(f"{source}: {err}") from None
    extra = set(d) - {"format", "version", "name", "tau", "alphabet", "input_encoding", "inputs",
                      "output", "hidden", "nodes", "exprs", "meta", *_TYPED}
    if extra:
        raise FormatError(f"{source}: unknown field(s) {', '.join(sorted(map(repr, extra)))}")
    typed = _typed_in(d, meta, source)
    try:
        return RNN(nodes=nodes, inputs=inputs, output=output, hidden=hidden, tau=tau,
                   transitions=transitions, init=init, alphabet=alphabet, input_encoding=enc,
                   name=name, meta=meta, **typed)
    except NetworkError as err:
        raise FormatError(f"{source} describes an invalid network: {err}") from None


_TYPED = ("role", "boolean_nodes", "claims", "construction")


def _typed_in(d: dict, meta: dict, source: str) -> dict:
    """The optional typed fields (module docstring); old files: Boolean nodes from meta."""
    out: dict[str, Any] = {}
    for key, parse in (("role", Role.from_json), ("claims", Claims.from_json)):
        if key in d:
            try:
                out[key] = parse(d[key])
            except ValueError as e:
                raise FormatError(f"{source}: field {key!r}: {e}") from None
    if "construction" in d:
        try:
            out["construction"] = _meta_in(_get(d, "construction", dict, source))
        except FormatError as err:
            raise FormatError(f"{source}: field 'construction': {err}") from None
    if "boolean_nodes" in d:
        out["boolean_nodes"] = _str_list(d, "boolean_nodes", source)
    elif isinstance(meta.get("boolean_nodes"), list):   # written before the field existed
        out["boolean_nodes"] = meta.pop("boolean_nodes")
    return out


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


def loads(text: str, *, source: str = "network") -> RNN:
    """Parse the JSON text of a network (strict JSON: no duplicate keys, no NaN/Infinity,
    integers of at most :data:`MAX_DIGITS` digits) and build it; FormatError on any problem."""
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
    try:
        return from_dict(d, source=source)
    except RecursionError:
        raise FormatError(f"{source}: expressions or meta nested too deeply") from None


def load(path) -> RNN:
    """Read a network written by :func:`save` (FormatError on a malformed file)."""
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
    return loads_bytes(raw, source=str(p))


def loads_bytes(data: bytes, *, source: str = "network") -> RNN:
    """:func:`loads` for the bytes of a file (UTF-8; FormatError otherwise)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"{source}: expected bytes, got {type(data).__name__}")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"{source}: not UTF-8 text (byte {e.start}); is this a network JSON file?") from None
    return loads(text, source=source)


# ---- shipped examples ------------------------------------------------------------------------

_EXAMPLES = Path(__file__).resolve().parent / "examples"
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


# ---- drawing -------------------------------------------------------------------------------

def to_graphml(rnn: RNN, path) -> None:
    """Write the graph (edge v → u when f_u reads v; node kind/init/depth/transition) as GraphML."""
    import networkx as nx

    g = rnn.to_networkx()
    g.graph = {k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in g.graph.items()}
    nx.write_graphml(g, str(path))


def dot_quote(s) -> str:
    """``s`` as a DOT double-quoted string whose label shows ``s`` exactly: ``\\`` and ``"``
    escaped, a line break as DOT's centred ``\\n``, other control characters shown as
    ``\\xNN`` (Graphviz cannot draw them)."""
    out = []
    for ch in str(s).replace("\r\n", "\n").replace("\r", "\n"):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'



def to_dot(rnn: RNN, *, transitions: bool = False) -> str:
    """DOT text for Graphviz: inputs as boxes, hidden nodes filled, the output doubled;
    nodes grouped into clusters by their hierarchical name prefix."""
    g = rnn.to_networkx()
    lines = [f"digraph {dot_quote(rnn.name)} {{", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    clusters: dict[str, list[str]] = {}
    for n in g.nodes:
        prefix = n.rsplit(".", 1)[0] if "." in n else ""
        clusters.setdefault(prefix, []).append(n)

    def node_line(n):
        a = g.nodes[n]
        label = n.rsplit(".", 1)[-1]
        if transitions and "transition" in a:
            label += "\n" + str(a["transition"])      # a real line break; dot_quote writes DOT's \n
        attrs = {"label": label}
        if a["kind"] == "input":
            attrs["shape"] = "box"
        elif a["kind"] == "hidden":
            attrs.update(style="filled", fillcolor="lightblue")
        if a.get("output"):
            attrs["peripheries"] = "2"
        attr_s = ", ".join(f"{k}={dot_quote(v)}" for k, v in attrs.items())
        return f"{dot_quote(n)} [{attr_s}];"

    for i, (prefix, members) in enumerate(sorted(clusters.items())):
        if prefix:
            lines.append(f"  subgraph cluster_{i} {{ label={dot_quote(prefix)};")
            lines += [f"    {node_line(n)}" for n in members]
            lines.append("  }")
        else:
            lines += [f"  {node_line(n)}" for n in members]
    for u, v in g.edges:
        lines.append(f"  {dot_quote(u)} -> {dot_quote(v)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
