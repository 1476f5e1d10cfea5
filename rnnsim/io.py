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
import re
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

__all__ = ["save", "load", "dumps", "loads", "to_dict", "from_dict", "to_graphml", "to_dot",
           "example_path", "example_names", "load_example", "FORMAT", "VERSION"]


# ---- numbers ------------------------------------------------------------------------------

def _num_out(v):
    if isinstance(v, Fraction) and v.denominator != 1:
        return f"{v.numerator}/{v.denominator}"
    return int(v)


_RAT = re.compile(r"^\s*([+-]?\d+)\s*(?:/\s*(\d+)\s*)?$")


def _num_in(v, where: str):
    if isinstance(v, bool):
        raise FormatError(f"{where}: expected a number, got {v!r}")
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        m = _RAT.match(v)
        if m:
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

def _meta_out(v, where: str):
    if isinstance(v, Fraction):
        return {"$fraction": f"{v.numerator}/{v.denominator}"}
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise FormatError(f"cannot save {where}: non-finite float {v!r}")
        return v
    if hasattr(v, "tolist") and callable(v.tolist):  # numpy scalars and arrays
        return _meta_out(v.tolist(), where)
    if isinstance(v, dict) or hasattr(v, "items"):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise FormatError(f"cannot save {where}: key {k!r} is not a string")
            out[k] = _meta_out(x, f"{where}.{k}")
        return out
    if isinstance(v, (list, tuple)):
        return [_meta_out(x, f"{where}[{i}]") for i, x in enumerate(v)]
    raise FormatError(f"cannot save {where}: {type(v).__name__} {v!r} is not JSON-able")


def _meta_in(v):
    if isinstance(v, dict):
        if set(v) == {"$fraction"} and isinstance(v["$fraction"], str):
            return _num_in(v["$fraction"], "meta")
        return {k: _meta_in(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_meta_in(x) for x in v]
    return v


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
                c = _num_out(e.value)
                i = add(("const", c), ["const", c])
            elif isinstance(e, Affine):
                terms = tuple((id_index[id(t)], _num_out(w)) for t, w in e.terms)
                c = _num_out(e.const)
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
        "nodes": [[n, _num_out(rnn.init[n]), roots[n]] for n in rnn.nodes if n not in rnn.inputs],
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
    """Write ``rnn`` as JSON (exact constants; see the module docstring)."""
    text = dumps(rnn, indent=1)
    Path(path).write_text(text, encoding="utf-8")


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
    s = json.dumps(v) if not isinstance(v, str) else repr(v)
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
    if version != VERSION:
        raise FormatError(
            f"{source}: unknown format version {_short(version)} (this rnnsim reads version {VERSION}); "
            "upgrade rnnsim or re-save the network"
        )
    name = _get(d, "name", str, source)
    tau = _get(d, "tau", int, source)
    alphabet = _get(d, "alphabet", int, source)
    enc = _get(d, "input_encoding", str, source)
    inputs = _str_list(d, "inputs", source)
    output = _get(d, "output", str, source)
    hidden = _str_list(d, "hidden", source)
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
        if n in transitions:
            raise FormatError(f"{where}: node {n!r} is listed twice")
        nodes.append(n)
        init[n] = _num_in(iv, f"{where} (initial value of {n!r})")
        transitions[n] = ops[_index(ei, len(ops), f"{where} (transition of {n!r})")]
    meta = _meta_in(_get(d, "meta", dict, source))
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
        out["construction"] = _meta_in(_get(d, "construction", dict, source))
    if "boolean_nodes" in d:
        out["boolean_nodes"] = _str_list(d, "boolean_nodes", source)
    elif isinstance(meta.get("boolean_nodes"), list):   # written before the field existed
        out["boolean_nodes"] = meta.pop("boolean_nodes")
    return out


def loads(text: str, *, source: str = "network") -> RNN:
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        truncated = e.pos >= len(text.rstrip()) or e.msg.startswith("Unterminated string")
        hint = " (the file looks truncated)" if truncated else ""
        at = "" if e.msg.endswith(" at") else " at"
        raise FormatError(
            f"{source}: not valid JSON: {e.msg}{at} line {e.lineno}, column {e.colno}{hint}"
        ) from None
    except RecursionError:
        raise FormatError(f"{source}: JSON nested too deeply") from None
    return from_dict(d, source=source)


def load(path) -> RNN:
    """Read a network written by :func:`save` (FormatError on a malformed file)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise FormatError(f"cannot read network file {str(p)!r}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"{p}: not UTF-8 text (byte {e.start}); is this a network JSON file?") from None
    return loads(text, source=str(p))


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


def _dot_id(s) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(rnn: RNN, *, transitions: bool = False) -> str:
    """DOT text for Graphviz: inputs as boxes, hidden nodes filled, the output doubled;
    nodes grouped into clusters by their hierarchical name prefix."""
    g = rnn.to_networkx()
    lines = [f"digraph {_dot_id(rnn.name)} {{", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    clusters: dict[str, list[str]] = {}
    for n in g.nodes:
        prefix = n.rsplit(".", 1)[0] if "." in n else ""
        clusters.setdefault(prefix, []).append(n)

    def node_line(n):
        a = g.nodes[n]
        attrs = {"label": n.rsplit(".", 1)[-1] + (f"\\n{a['transition']}" if transitions and "transition" in a else "")}
        if a["kind"] == "input":
            attrs["shape"] = "box"
        elif a["kind"] == "hidden":
            attrs.update(style="filled", fillcolor="lightblue")
        if a.get("output"):
            attrs["peripheries"] = "2"
        attr_s = ", ".join(f"{k}={_dot_id(v)}" for k, v in attrs.items())
        return f"{_dot_id(n)} [{attr_s}];"

    for i, (prefix, members) in enumerate(sorted(clusters.items())):
        if prefix:
            lines.append(f"  subgraph cluster_{i} {{ label={_dot_id(prefix)};")
            lines += [f"    {node_line(n)}" for n in members]
            lines.append("  }")
        else:
            lines += [f"  {node_line(n)}" for n in members]
    for u, v in g.edges:
        lines.append(f"  {_dot_id(u)} -> {_dot_id(v)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
