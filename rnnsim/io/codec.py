"""The network ⇄ JSON-data codec (THEORY §6): :func:`to_dict` writes an :class:`~rnnsim.RNN`
as the dictionary of the file format (shared expression DAG stored once, children first,
exact constants), :func:`from_dict` reads it back, checking every field and raising
:class:`~rnnsim.errors.FormatError` naming the JSON path; the network is created (and
validated by :class:`~rnnsim.RNN`) only once the whole dictionary has been read, so loading
never half-builds a network. :func:`dumps` is the JSON text :func:`rnnsim.io.save` writes.
"""

from __future__ import annotations

import json
from typing import Any

from ..claims import Claims
from ..errors import FormatError, NetworkError
from ..expr import Affine, Const, Expr, Node, Prod, Recip, ReLU
from ..network import RNN
from ..roles import Role
from .values import check_text, meta_in, meta_out, num_in, num_out

FORMAT = "rnnsim-network"
VERSION = 1
MAX_INDEX = 2 ** 63 - 1      # τ and the alphabet size must fit the engines' int64

__all__ = ["FORMAT", "VERSION", "MAX_INDEX", "to_dict", "from_dict", "dumps"]


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
                c = num_out(e.value, f"a constant of node {name!r}")
                i = add(("const", c), ["const", c])
            elif isinstance(e, Affine):
                terms = tuple((id_index[id(t)], num_out(w, f"a weight of node {name!r}")) for t, w in e.terms)
                c = num_out(e.const, f"an offset of node {name!r}")
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
    check_text(rnn.name, "the network name", saving=True)
    for n in rnn.nodes:
        check_text(n, "a node name", saving=True)
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
        "nodes": [[n, num_out(rnn.init[n], f"the initial value of node {n!r}"), roots[n]]
                  for n in rnn.nodes if n not in rnn.inputs],
        "exprs": ops,
        "meta": meta_out(dict(rnn.meta), "meta"),
        **({"role": rnn.role.to_json()} if rnn.role is not None else {}),
        **({"boolean_nodes": list(rnn.boolean_nodes)} if rnn.boolean_nodes else {}),
        **({"claims": rnn.claims.to_json()} if rnn.claims is not None else {}),
        **({"construction": meta_out(dict(rnn.construction), "construction")}
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
        check_text(s, f"{source}: {where}")
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
                check_text(args[0], where)
                e = Node(args[0])
            elif kind == "const":
                e = Const(num_in(args[0], where))
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
                    terms.append((sub, num_in(t[1], f"{where} term {j} weight")))
                e = Affine(tuple(terms), num_in(c, f"{where} offset"))
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
        check_text(n, where)
        if n in transitions:
            raise FormatError(f"{where}: node {n!r} is listed twice")
        nodes.append(n)
        init[n] = num_in(iv, f"{where} (initial value of {n!r})")
        transitions[n] = ops[_index(ei, len(ops), f"{where} (transition of {n!r})")]
    meta = _get(d, "meta", dict, source)
    try:
        meta = meta_in(meta)
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
            out["construction"] = meta_in(_get(d, "construction", dict, source))
        except FormatError as err:
            raise FormatError(f"{source}: field 'construction': {err}") from None
    if "boolean_nodes" in d:
        out["boolean_nodes"] = _str_list(d, "boolean_nodes", source)
    elif isinstance(meta.get("boolean_nodes"), list):   # written before the field existed
        out["boolean_nodes"] = meta.pop("boolean_nodes")
    return out
