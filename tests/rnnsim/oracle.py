"""An independent test oracle for THEORY §2.3–§2.4: a tree-walking interpreter of the RNN
semantics written directly from the THEORY text, sharing no code with rnnsim.arith or the
lowering (program.py) or the reference engine.

``run(rnn, tokens, mode)`` returns ``("ok", outputs, states)`` — outputs[m-1] = v_{mτ}(o),
states[t] = {node: value} for every time t — or ``("recip", node, t)`` /
``("overflow", node, t)`` / ``("size", node, t)`` for the first run-time error (node = the
first node in node order whose transition divides by zero, or whose new value breaks the
node-value rule; t = the time of the values read for a reciprocal, the time of the new
value otherwise). Modes: ``("exact",)`` or ``("exact", max_bits)`` (a node value whose
numerator or denominator has more bits is a "size" error), ``("float",)``,
``("fixed", int_bits, frac_bits, policy)``.
"""

from __future__ import annotations

import math
from fractions import Fraction

from rnnsim import Affine, Const, Node, Prod, Recip, ReLU


def Q(x, f: int) -> Fraction:
    """Truncation toward zero to a multiple of 2^-f (THEORY §2.4)."""
    x = Fraction(x)
    m = math.floor(abs(x) * 2**f)
    return Fraction(m if x >= 0 else -m, 2**f)


class _Recip0(Exception):
    pass


def _ev(e, env, mode, memo, stats):
    k = id(e)
    if k in memo:
        return memo[k]
    kind = mode[0]
    fixed = kind == "fixed"
    q = (lambda v: Q(v, mode[2])) if fixed else (lambda v: v)
    c = (lambda v: float(v)) if kind == "float" else q
    if isinstance(e, Const):
        r = c(e.value)
    elif isinstance(e, Node):
        r = env[e.name]
    elif isinstance(e, Affine):
        s = c(e.const)
        for t, w in e.terms:
            s = s + c(w) * _ev(t, env, mode, memo, stats)
        r = q(s)
    elif isinstance(e, ReLU):
        a = _ev(e.arg, env, mode, memo, stats)
        r = a if a > 0 else 0 * a
    elif isinstance(e, Prod):
        r = q(_ev(e.left, env, mode, memo, stats) * _ev(e.right, env, mode, memo, stats))
    elif isinstance(e, Recip):
        a = _ev(e.arg, env, mode, memo, stats)
        if stats is not None:
            stats["min_recip_arg"] = min(stats.get("min_recip_arg", math.inf), abs(float(a)))
        if a == 0:
            raise _Recip0
        r = q(1 / Fraction(a)) if fixed else (1.0 / a if kind == "float" else Fraction(1) / a)
    else:  # pragma: no cover
        raise TypeError(type(e))
    memo[k] = r
    return r


def _node_value(v, mode):
    if mode[0] == "exact" and len(mode) > 1:
        q = Fraction(v)
        return v, (max(abs(q.numerator).bit_length(), q.denominator.bit_length()) > mode[1]) and "size"
    if mode[0] != "fixed":
        return v, False
    _, i, f, policy = mode
    if abs(v) >= 2**i:
        if policy == "saturate":
            top = Fraction(2**i) - Fraction(1, 2**f)
            return (top if v > 0 else -top), False
        return v, True
    return v, False


def run(rnn, tokens, mode, stats=None):
    tau = rnn.tau
    conv = (lambda v: float(v)) if mode[0] == "float" else (
        (lambda v: Q(v, mode[2])) if mode[0] == "fixed" else (lambda v: Fraction(v)))
    state = {}
    for n in rnn.nodes:
        if n in rnn.inputs:
            continue
        v, bad = _node_value(conv(rnn.init[n]), mode)
        if bad:
            return (bad if isinstance(bad, str) else "overflow", n, 0)
        state[n] = v
    states, outputs = [], []
    T = len(tokens) * tau
    for t in range(T):
        tok = tokens[t // tau]
        env = dict(state)
        if rnn.input_encoding == "value":
            env[rnn.inputs[0]] = tok
        else:
            for s, name in enumerate(rnn.inputs):
                env[name] = 1 if s == tok else 0
        states.append(env)
        memo: dict = {}
        new = {}
        for n in rnn.nodes:               # node order: the first node that divides by zero
            if n not in rnn.transitions:
                continue
            try:
                new[n] = _ev(rnn.transitions[n], env, mode, memo, stats)
            except _Recip0:
                return ("recip", n, t)
        for n in rnn.nodes:
            if n in new:
                v, bad = _node_value(new[n], mode)
                if bad:
                    return (bad if isinstance(bad, str) else "overflow", n, t + 1)
                new[n] = v
                if stats is not None:
                    stats["max_abs"] = max(stats.get("max_abs", 0), abs(float(v)))
        state = new
        if (t + 1) % tau == 0:
            outputs.append(state[rnn.output])
    states.append(dict(state))
    return ("ok", outputs, states)
