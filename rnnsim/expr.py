"""Expression IR for transition functions (THEORY §2.2; paper: Definition 3).

A transition function f_u is an immutable expression tree over the values of nodes at the
previous time step, built from the closed set

    Const(c) | Node(u) | Affine(Σ w_i·e_i + c) | ReLU(e) | Prod(e1, e2) | Recip(e)

Affine combinations with constant weights are free glue; ReLU, Prod and Recip are the
paper's elementary functions. The *depth* of an expression is the largest number of
ReLU/Prod/Recip on a root-to-leaf path; the paper's "composition of a constant number of
elementary functions" is depth bounded by a constant. Operators build trees so builders
read like the paper (``relu(x - c + 1) - relu(x - c)``); ``bool(expr)`` raises, so that
``if x > 0:`` on an expression fails loudly instead of silently picking a branch.

Constants are kept exact: ints and Fractions as given, floats converted exactly with
``Fraction(float)``; a non-finite constant raises :class:`~rnnsim.errors.NetworkError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from fractions import Fraction
from numbers import Rational
from typing import Callable, Iterator, Mapping, Union

from .errors import NetworkError

Number = Union[int, Fraction]


def exact(value, *, where: str = "constant") -> Number:
    """Convert a Python number to an exact int or Fraction (ints stay ints)."""
    t = type(value)
    if t is int:                  # the common cases first (network building calls this millions of times)
        return value
    if t is Fraction:
        return value.numerator if value.denominator == 1 else value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else value
    if isinstance(value, Rational):
        return exact(Fraction(value.numerator, value.denominator))
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise NetworkError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(f):
        raise NetworkError(
            f"{where}: non-finite constant {value!r}; every weight and initial value must be a finite number"
        )
    return exact(Fraction(f))


class Expr:
    """Base class of the closed expression set. Instances are immutable and hashable.

    Every class is a slotted frozen dataclass (no per-object ``__dict__``: a 10^5-node
    network holds millions of these); ``_h`` caches the hash and ``_n`` the node set
    (:func:`~rnnsim.expr_passes.node_names`), both unset until first asked for and never
    pickled (the dataclass pickles the fields only)."""

    __slots__ = ("_h", "_n")

    # ---- operators -------------------------------------------------------------------
    # A plain int or Fraction operand is the constant itself (as_expr would wrap it in a
    # Const for _affine_sum to unwrap): big networks call these 10^5–10^6 times.
    def __add__(self, other):
        if type(other) in _PLAIN:
            return _affine_sum(((self, 1),), other)
        return _affine_sum(((self, 1), (as_expr(other), 1)))

    def __radd__(self, other):
        if type(other) in _PLAIN:
            return _affine_sum(((self, 1),), other)
        return _affine_sum(((as_expr(other), 1), (self, 1)))

    def __sub__(self, other):
        if type(other) in _PLAIN:
            return _affine_sum(((self, 1),), -other)
        return _affine_sum(((self, 1), (as_expr(other), -1)))

    def __rsub__(self, other):
        if type(other) in _PLAIN:
            return _affine_sum(((self, -1),), other)
        return _affine_sum(((as_expr(other), 1), (self, -1)))

    def __neg__(self):
        return _affine_sum(((self, -1),))

    def __pos__(self):
        return self

    def __mul__(self, other):
        t = type(other)
        if t is Fraction and other.denominator != 1 and type(self) not in _FOLDS:
            # what _affine_sum makes of one term with a non-integer weight (the common case)
            return Affine._exact(((self, other),), 0)
        if t in _PLAIN:
            return _affine_sum(((self, other),))
        other = as_expr(other)
        if isinstance(other, Const):
            return _affine_sum(((self, other.value),))
        if isinstance(self, Const):
            return _affine_sum(((other, self.value),))
        return Prod(self, other)

    def __rmul__(self, other):
        t = type(other)
        if t is Fraction and other.denominator != 1 and type(self) not in _FOLDS:
            return Affine._exact(((self, other),), 0)
        if t in _PLAIN:
            return _affine_sum(((self, other),))
        return as_expr(other).__mul__(self)

    def __truediv__(self, other):
        other = as_expr(other)
        if isinstance(other, Const):
            if other.value == 0:
                raise NetworkError("division of an expression by the constant 0")
            return _affine_sum([(self, Fraction(1) / other.value)])
        return Prod(self, Recip(other))

    def __rtruediv__(self, other):
        return as_expr(other) / self

    def __bool__(self):
        raise TypeError(
            f"the truth value of an expression ({self}) is not known while building a network; "
            "use the gadgets (constructions.gadgets.ge/le/eq/ite) to build a comparison into "
            "the network instead of branching in Python"
        )

    # comparisons would silently give Python bools on trees; make them loud
    def __lt__(self, other):
        raise TypeError(_cmp_msg("<"))

    __le__ = __gt__ = __ge__ = __lt__

    # ---- structure -------------------------------------------------------------------
    def children(self) -> tuple["Expr", ...]:
        return ()

    def depth(self) -> int:
        """Largest number of ReLU/Prod/Recip on a root-to-leaf path."""
        return depth_of(self, {})

    def nodes(self) -> frozenset[str]:
        """Names of the nodes this expression reads (computed once per object: the range
        analysis asks for it for every node at every time; a subexpression whose set is
        already known is not walked again)."""
        return node_names(self)

    def walk(self) -> Iterator["Expr"]:
        """Every distinct subexpression, each once (post-order)."""
        return walk_expr(self)

    def substitute(self, mapping: Mapping[str, "Expr"]) -> "Expr":
        """Replace Node(name) leaves by mapping[name] (names not in mapping stay)."""
        return map_leaves(self, lambda n: mapping.get(n.name, n))

    def rename(self, fn: Callable[[str], str]) -> "Expr":
        """Rename every node this expression reads."""
        return map_leaves(self, lambda n: Node(fn(n.name)))

    def evaluate(self, env: Mapping[str, object], arith) -> object:
        """Tree-walking evaluation under an arithmetic (see rnnsim.arith); test oracle."""
        return evaluate_expr(self, env, arith)

    def __str__(self) -> str:
        return format_expr(self)

    def __repr__(self) -> str:
        return str(self)

    # ---- structural equality and hashing ---------------------------------------------------
    # Expressions are DAGs (a subexpression is often shared by many parents); a recursive
    # dataclass hash/eq would revisit shared subtrees and take time exponential in the depth.
    # The hash is computed once per object from the children's cached hashes, and equality
    # compares each pair of subexpressions once.
    def _fields(self) -> tuple:
        names = _FIELD_NAMES.get(type(self))
        if names is None:
            names = _FIELD_NAMES[type(self)] = tuple(f.name for f in fields(self))
        return tuple(getattr(self, n) for n in names)

    # (each class below spells its fields out as _fields: the same tuple, without the lookup)
    def __hash__(self):
        try:
            return self._h
        except AttributeError:          # first call on this object
            h = hash((type(self).__name__, self._fields()))
            object.__setattr__(self, "_h", h)
            return h

    def __eq__(self, other):
        if self is other:
            return True
        if type(self) is not type(other):
            return NotImplemented if not isinstance(other, Expr) else False
        if hash(self) != hash(other):
            return False
        return struct_eq(self, other)

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _weight(w, e) -> Number:
    try:
        return exact(w)
    except NetworkError:  # name the term only now: str(e) of a big shared DAG is expensive
        return exact(w, where=f"weight of {e}")


def _cmp_msg(op: str) -> str:
    return (
        f"expressions cannot be compared with '{op}' while building a network; "
        "use constructions.gadgets.ge/le/eq to build the comparison into the network"
    )


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Const(Expr):
    value: Number

    def _fields(self):
        return (self.value,)

    def __post_init__(self):
        object.__setattr__(self, "value", exact(self.value))
        object.__setattr__(self, "_h", hash(("Const", (self.value,))))

    @classmethod
    def _exact(cls, value) -> "Const":
        """A Const of a value that is already exact: skips the conversion."""
        k = object.__new__(cls)
        object.__setattr__(k, "value", value)
        object.__setattr__(k, "_h", hash(("Const", (value,))))
        return k

    def _eval(self, env, arith, memo):
        return arith.const(self.value)

    def _text(self, memo):
        return _fmt(self.value)


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Node(Expr):
    name: str

    def _fields(self):
        return (self.name,)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise NetworkError(f"node names are non-empty strings, got {self.name!r}")
        object.__setattr__(self, "_h", hash(("Node", (self.name,))))

    def _eval(self, env, arith, memo):
        try:
            return env[self.name]
        except KeyError:
            raise NetworkError(f"unknown node {self.name!r} referenced") from None

    def _text(self, memo):
        return self.name


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Affine(Expr):
    """Σ w_i·e_i + c with exact constant weights; e_i are never Affine or Const themselves."""

    terms: tuple[tuple[Expr, Number], ...]
    const: Number = 0

    def _fields(self):
        return (self.terms, self.const)

    def __post_init__(self):
        object.__setattr__(self, "terms", tuple((e, _weight(w, e)) for e, w in self.terms))
        object.__setattr__(self, "const", exact(self.const))
        object.__setattr__(self, "_h", hash(("Affine", (self.terms, self.const))))

    @classmethod
    def _exact(cls, terms, const) -> "Affine":
        """An Affine from terms whose weights and constant are already exact (int or
        Fraction, as :func:`exact` returns them): skips the conversion."""
        a = object.__new__(cls)
        object.__setattr__(a, "terms", terms)
        object.__setattr__(a, "const", const)
        object.__setattr__(a, "_h", hash(("Affine", (terms, const))))
        return a

    def children(self):
        return tuple([e for e, _ in self.terms])

    def _eval(self, env, arith, memo):
        return arith.affine(
            [(memo[id(e)], arith.const(w)) for e, w in self.terms], arith.const(self.const)
        )

    def _text(self, memo):
        parts = []
        for e, w in self.terms:
            s = memo[id(e)]
            if w == 1:
                parts.append(f"+ {s}")
            elif w == -1:
                parts.append(f"- {s}")
            elif w < 0:
                parts.append(f"- {_fmt(-w)}*{s}")
            else:
                parts.append(f"+ {_fmt(w)}*{s}")
        if self.const:
            parts.append(f"- {_fmt(-self.const)}" if self.const < 0 else f"+ {_fmt(self.const)}")
        if not parts:                       # no terms and offset 0
            return "(0)"
        text = " ".join(parts)
        text = text[2:] if text.startswith("+ ") else "-" + text[2:]
        return f"({text})"


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class ReLU(Expr):
    arg: Expr

    def _fields(self):
        return (self.arg,)

    def __post_init__(self):
        object.__setattr__(self, "_h", hash(("ReLU", (self.arg,))))

    def children(self):
        return (self.arg,)

    def _eval(self, env, arith, memo):
        return arith.relu(memo[id(self.arg)])

    def _text(self, memo):
        return f"relu{_paren(memo[id(self.arg)])}"


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Prod(Expr):
    left: Expr
    right: Expr

    def _fields(self):
        return (self.left, self.right)

    def __post_init__(self):
        object.__setattr__(self, "_h", hash(("Prod", (self.left, self.right))))

    def children(self):
        return (self.left, self.right)

    def _eval(self, env, arith, memo):
        return arith.prod(memo[id(self.left)], memo[id(self.right)])

    def _text(self, memo):
        return f"{_atom(self.left, memo)}·{_atom(self.right, memo)}"


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Recip(Expr):
    arg: Expr

    def _fields(self):
        return (self.arg,)

    def __post_init__(self):
        object.__setattr__(self, "_h", hash(("Recip", (self.arg,))))

    def children(self):
        return (self.arg,)

    def _eval(self, env, arith, memo):
        return arith.recip(memo[id(self.arg)])

    def _text(self, memo):
        return f"recip{_paren(memo[id(self.arg)])}"


# ---- constructors -----------------------------------------------------------------------

def as_expr(value) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, str):
        raise TypeError(
            f"{value!r} is a string; refer to a node with rnnsim.Node({value!r}) (or the "
            "expression returned when it was declared)"
        )
    return Const(value)


def const(value) -> Const:
    return Const(value)


def relu(e) -> Expr:
    e = as_expr(e)
    if isinstance(e, Const):
        return Const(max(e.value, 0))
    return ReLU(e)


def recip(e) -> Expr:
    e = as_expr(e)
    if isinstance(e, Const):
        if e.value == 0:
            raise NetworkError("recip of the constant 0")
        return Const(Fraction(1) / e.value)
    return Recip(e)


def prod(a, b) -> Expr:
    return as_expr(a) * as_expr(b)


def _fmt(v: Number) -> str:
    return str(v)


def _paren(s: str) -> str:
    return s if s.startswith("(") else f"({s})"


def _atom(e: Expr, memo) -> str:
    s = memo[id(e)]
    return s if isinstance(e, (Node, Const, Affine)) else f"({s})"


_PLAIN = frozenset((int, Fraction))     # operand types taken as exact constants as they are
_FOLDS = frozenset((Affine, Const))     # terms _affine_sum folds into the sum (flattened)

# weighted sums and whole-tree passes read the classes above (imported last: they import this)
from .expr_sum import _affine_sum, affine  # noqa: E402
from .expr_passes import (  # noqa: E402
    depth_of, evaluate_expr, format_expr, map_leaves, node_names, struct_eq, walk_expr,
)
