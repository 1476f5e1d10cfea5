"""Export of a network's graph for drawing (THEORY §6): GraphML for graph tools and DOT for
Graphviz. The graph has an edge v → u when f_u reads v; nodes carry kind, initial value,
depth and transition. In DOT, inputs are boxes, hidden nodes filled and the output doubled,
nodes are grouped into clusters by their hierarchical name prefix, and every string goes
through :func:`dot_quote`, so a label shows its text exactly.
"""

from __future__ import annotations

from ..network import RNN

__all__ = ["to_graphml", "to_dot", "dot_quote"]


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
