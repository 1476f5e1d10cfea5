"""Gated state updates (paper: Lemma 10; THEORY §4.2).

Lemma 10. Given an RNN R with node set V, a control network whose outputs
(c_load, c_run, c_hold) are one-hot at every step, and an external source z_u for each
node, there is an augmented RNN of size |R| + |control| (the control's input node is
shared with R's, so |R| + |C| − |I_C| nodes) holding a copy u' of each u ∈ V with

    u'(t+1) = c_load(t)·z_u(t) + c_run(t)·f_u(…)(t) + c_hold(t)·u'(t).

Controls are *nodes* declared Boolean (``RNN.boolean_nodes``). A gated transition is
kept in the flat form Σ_g AND(C_g)·body_g with AND(C) = ReLU(Σ_{c∈C} c − (|C|−1)) (the
bare node when |C| = 1); a constant body w appears as the affine term w·AND(C_g). Gating
an already-gated transition merges the controls instead of nesting them:
c·Σ_g AND(C_g)·body_g = Σ_g AND(C_g ∪ {c})·body_g. Hence the depth of a gated node is at
most max(depth(body), 1) + 1 after any number of gatings (depth(body) + 1 with a single
control) — constant over boosting rounds (THEORY §2.2) — while its expression gains one HOLD
and one LOAD term per gating. :func:`gated_depth` is that depth in closed form, term by term
(a constant body adds no level: w·AND(C) is affine in AND(C)).
"""

from __future__ import annotations

from typing import Iterable, Mapping

from rnnsim import Affine, Builder, Claims, Const, Expr, Node, Prod, ReLU, as_expr
from rnnsim.errors import NetworkError
from rnnsim.registry import realizes

from . import records
from .gadgets import AND

_STMT = "LOAD/RUN/HOLD gating: u'(t+1) = c_load·z_u + c_run·f_u + c_hold·u'(t), controls one-hot"


def split_gated(f: Expr, controls: set[str]) -> list[tuple[frozenset[str], Expr]] | None:
    """Decompose f = Σ_g AND(C_g)·body_g over control nodes, or None if f is not gated."""
    if isinstance(f, Affine):
        if f.const != 0:
            return None
        terms = f.terms
    else:
        terms = ((f, 1),)
    out = []
    for t, w in terms:
        if isinstance(t, Prod):
            cs = _control_set(t.left, controls)
            if cs is None:
                return None
            out.append((cs, t.right if w == 1 else w * t.right))
            continue
        # a control (or AND of controls) times a constant: a constant LOAD source or body
        cs = _control_set(t, controls)
        if cs is None:
            return None
        out.append((cs, Const(w)))
    return out


def _control_set(e: Expr, controls: set[str]) -> frozenset[str] | None:
    if isinstance(e, Node):
        return frozenset([e.name]) if e.name in controls else None
    if isinstance(e, ReLU) and isinstance(e.arg, Affine):
        a = e.arg
        names = []
        for t, w in a.terms:
            if w != 1 or not isinstance(t, Node) or t.name not in controls:
                return None
            names.append(t.name)
        if a.const != -(len(names) - 1) or len(names) < 2:
            return None
        return frozenset(names)
    return None


def gated_term(ctrls: Iterable[str], body) -> Expr:
    """AND(controls)·body, with the controls in a canonical (sorted) order."""
    names = sorted(set(ctrls))
    return AND(*[Node(n) for n in names]) * as_expr(body)


def _term_depth(n_controls: int, body: Expr) -> int:
    """Depth of AND(C)·body with |C| = n_controls: AND is the node itself for one control
    (depth 0) and a ReLU otherwise (depth 1); a constant body makes the term affine."""
    d_and = 0 if n_controls == 1 else 1
    if isinstance(body, Const):
        return d_and
    return 1 + max(d_and, body.depth())


def gated_depth(f, *, load: bool, source=None, controls: set[str] = frozenset()) -> int:
    """Depth of :func:`gate` (f, u, run=c, hold=h[, load=l, source]) for a fresh run control
    c: the RUN part merged with f's own controls (``controls``), the HOLD term h·u (depth
    1) and the LOAD term l·source."""
    f = as_expr(f)
    split = split_gated(f, set(controls))
    run = _term_depth(1, f) if split is None else max(_term_depth(len(cs) + 1, body) for cs, body in split)
    parts = [run, 1]
    if load:
        parts.append(_term_depth(1, as_expr(source)))
    return max(parts)


@realizes("Lemma 10", _STMT, bound="size |R| + |control|; depth max(depth f, 1) + 1, constant under repeated gating")
def gate(f, u, *, run, hold, load=None, source=None, controls: set[str] = frozenset()) -> Expr:
    """The gated transition c_load·z + c_run·f + c_hold·u (merging controls inside f).

    ``run``, ``hold``, ``load`` are control nodes (names or Nodes); ``controls`` is the set
    of node names known to be Boolean controls (so that an already-gated f is merged).
    Any of the three controls may be None (that branch never happens).
    """
    u = _node(u)
    ctrl = set(controls)
    parts: list[Expr] = []
    if run is not None:
        run = _node(run).name
        split = split_gated(as_expr(f), ctrl | {run})
        if split is None:
            parts.append(gated_term([run], f))
        else:
            parts.extend(gated_term(cs | {run}, body) for cs, body in split)
    if hold is not None:
        parts.append(gated_term([_node(hold).name], u))
    if load is not None:
        if source is None:
            raise NetworkError(f"gate {u.name!r}: a LOAD control needs a source expression")
        parts.append(gated_term([_node(load).name], source))
    if not parts:
        raise NetworkError(f"gate {u.name!r}: no control given")
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


@realizes("Lemma 10", _STMT)
def gate_nodes(b: Builder, nodes: Iterable, *, run=None, hold=None, load=None,
               sources: Mapping[str, object] | None = None) -> None:
    """Replace the transition of each node by its gated form, in place in the builder.

    ``sources[name]`` is the LOAD source z_u of node ``name`` (needed when ``load`` is
    given). The control nodes must be declared Boolean in ``b`` (``b.node(..., boolean=True)``).
    """
    controls = set(b.boolean_nodes)
    for c in (run, hold, load):
        if c is not None and _node(c).name not in controls:
            raise NetworkError(
                f"gating control {_node(c).name!r} is not declared Boolean; declare it with "
                "Builder.node(..., boolean=True) so that gates can be merged"
            )
    sources = dict(sources or {})
    for n in nodes:
        name = _node(n).name
        src = sources.get(name)
        if load is not None and src is None:
            raise NetworkError(f"gate_nodes: node {name!r} has no LOAD source")
        b.update(name, gate(b.transition(name), name, run=run, hold=hold, load=load,
                            source=src, controls=controls))


@realizes("Lemma 10", _STMT)
def augment(rnn, control, *, sources: Mapping[str, object], load: str = "load", run: str = "run",
            hold: str = "hold", prefix: str = "ctl", name: str | None = None):
    """Lemma 10 as a standalone builder: R's nodes gated by a control RNN.

    ``control`` is an RNN with the same alphabet whose nodes ``load``, ``run``, ``hold``
    are one-hot at every step (its input is wired to R's input). ``sources[u]`` is an
    expression over the control's nodes (names as in ``control``) or a constant: the
    external vector z_u. Returns ``(augmented_rnn, claimed_size)`` with
    claimed_size = |R| + |C| − |I_C|. R's output, hidden set (plus every control node,
    since gated hidden nodes read them), role and τ carry over. Claims: size as above,
    hidden size |H_R| + |C| − |I_C|, τ = τ_R, depth = max(depth C, the gated depth of R's
    nodes, :func:`gated_depth`).
    """
    if control.input_encoding != rnn.input_encoding or control.alphabet != rnn.alphabet:
        raise NetworkError("augment: control and R must have the same alphabet and input encoding")
    b = Builder(name or f"{rnn.name}+gated", tau=rnn.tau, alphabet=rnn.alphabet, role=rnn.role)
    if rnn.input_encoding == "value":
        x = b.input(rnn.inputs[0])
        in_map = {control.inputs[0]: x}
    else:
        xs = b.input_onehot(rnn.inputs[0].split("[")[0])
        in_map = dict(zip(control.inputs, xs))
    cmap = b.embed(control, prefix, inputs=in_map)
    b.hidden(list(cmap.values()))  # R's hidden nodes now read the controls
    for c in (load, run, hold):
        if c not in cmap:
            raise NetworkError(f"augment: control network has no node {c!r}")
        b.boolean(cmap[c])
    booleans = set(rnn.boolean_nodes)
    for u in rnn.nodes:
        if u in rnn.inputs:
            continue
        b.node(u, init=rnn.init[u], update=rnn.transitions[u], boolean=u in booleans)
    src = {u: as_expr(v).substitute({k: cmap[k] for k in cmap}) if isinstance(v, Expr) else as_expr(v)
           for u, v in sources.items()}
    inner = [u for u in rnn.nodes if u not in rnn.inputs]
    depth = max([control.depth] + [gated_depth(rnn.transitions[u], load=True, source=src.get(u), controls=booleans)
                                   for u in inner if u in src])
    gate_nodes(b, inner, run=cmap[run], hold=cmap[hold], load=cmap[load], sources=src)
    b.output(rnn.output)
    b.hidden(list(rnn.hidden))
    n_ctl = control.size - len(control.inputs)
    claimed = rnn.size + n_ctl
    net = b.build(claims=Claims(claimed, rnn.hidden_size + n_ctl, rnn.tau, depth, statement="Lemma 10"),
                  construction=records.Gated(records.record_or_none(rnn)).to_json())
    return net, claimed


def _node(n) -> Node:
    if isinstance(n, Node):
        return n
    if isinstance(n, str):
        return Node(n)
    raise NetworkError(f"expected a control node, got {n!r}")


__all__ = ["gate", "gate_nodes", "augment", "split_gated", "gated_term", "gated_depth"]
