"""What a network computes, as a typed field of the RNN (THEORY §2.6).

An RNN's *role* says how its output is read. :class:`LMRole` (a language model over
Σ = {0, …, b−1}): the output at time mτ is q(x_m | x_<m), the probability of the token just
read. :class:`DistinguisherRole` (a next-k-token distinguisher with window k over Σ): the
output at time mτ, m ≥ k, is d(m−k+1, x_≤m) ∈ {0, 1}. The role is declared by whoever builds
the network (every builder of ``constructions`` does; ``rnnsim.Builder(..., role=…)`` or
:meth:`rnnsim.RNN.with_role` by hand), validated against the network when it is built
(its alphabet must be the network's), and saved by :mod:`rnnsim.io`. A network may have no
role (None): then constructions that need one refuse it with a message saying how to set it.

:func:`require_lm` and :func:`require_distinguisher` are the one place that checks a role
where it is used (``boost``, ``iterate``, the components of Lemmas 7–8, ``lm_from_rnn``,
``distinguisher_from_rnn``, the workflows); they raise :class:`~rnnsim.errors.RoleError`
naming the network, the role it has, the role it needs and how to fix the call.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from .errors import RoleError


def _positive_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


class Role:
    """Base class of the roles; every role has ``alphabet`` (b, the number of tokens).

    Each role is a frozen dataclass with a class-level ``kind``; its JSON form is ``kind``
    followed by its fields, so :meth:`to_json` and :meth:`from_json` are written once here."""

    kind: ClassVar[str]
    alphabet: int

    def __new__(cls, *args, **kwargs):
        if cls is Role:
            raise TypeError("Role is the base class of the roles; use rnnsim.LMRole(b) or "
                            "rnnsim.DistinguisherRole(k, b)")
        return super().__new__(cls)

    def problems(self, alphabet: int) -> list[str]:
        """Why this role cannot be the role of a network over ``alphabet`` tokens."""
        out = []
        if not (_positive_int(self.alphabet) and self.alphabet >= 2):
            out.append(f"role {self!r}: the alphabet size must be an integer ≥ 2")
        elif self.alphabet != alphabet:
            out.append(f"role {self!r} is over b = {self.alphabet} tokens but the network is over "
                       f"b = {alphabet} (give the role the network's alphabet)")
        return out

    def to_json(self) -> dict:
        """``{"kind": …, <field>: <value>, …}`` (fields in declaration order)."""
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}

    @staticmethod
    def from_json(d: Any) -> "Role":
        """The inverse of :meth:`to_json`; ValueError (naming the problem) on anything else."""
        if not isinstance(d, dict) or not isinstance(d.get("kind"), str) or d["kind"] not in _KINDS:
            raise ValueError(f"a role is {{\"kind\": \"lm\" | \"distinguisher\", …}}, got {d!r}")
        cls = _KINDS[d["kind"]]
        want = {"kind"} | {f.name for f in fields(cls)}
        if set(d) != want:
            raise ValueError(f"role of kind {d['kind']!r} has fields {sorted(want)}, got {sorted(d)}")
        if not all(_positive_int(d[f]) for f in want - {"kind"}):
            raise ValueError(f"role fields must be positive integers, got {d!r}")
        return cls(**{k: v for k, v in d.items() if k != "kind"})


@dataclass(frozen=True)
class LMRole(Role):
    """A language model over Σ = {0, …, b−1}: output at mτ = q(x_m | x_<m)."""

    kind: ClassVar[str] = "lm"
    alphabet: int = 2

    def __str__(self) -> str:
        return f"language model over b = {self.alphabet} tokens"


@dataclass(frozen=True)
class DistinguisherRole(Role):
    """A next-k-token distinguisher with window k over Σ: output at mτ (m ≥ k) =
    d(m−k+1, x_≤m) ∈ {0, 1}. ``DistinguisherRole(k)`` is over the binary alphabet."""

    kind: ClassVar[str] = "distinguisher"
    window: int
    alphabet: int = 2

    def __str__(self) -> str:
        return f"distinguisher with window k = {self.window} over b = {self.alphabet} tokens"

    def problems(self, alphabet: int) -> list[str]:
        out = super().problems(alphabet)
        if not _positive_int(self.window):
            out.append(f"role {self!r}: the window k must be a positive integer")
        return out


_KINDS: dict[str, type[Role]] = {"lm": LMRole, "distinguisher": DistinguisherRole}
_CONSTRUCTOR = {"lm": "rnnsim.LMRole(b)", "distinguisher": "rnnsim.DistinguisherRole(k, b)"}
_NOUN = {"lm": "language model", "distinguisher": "distinguisher"}


def _require(net, where: str, kind: str, what: str, alphabet: int | None, expects: str) -> Role:
    """``net``'s role when it is of ``kind`` over ``alphabet`` tokens, or the RoleError that
    says what the network is and how to fix the call (``expects``: what to pass instead)."""
    role = getattr(net, "role", None)
    name = getattr(net, "name", "?")
    noun = _NOUN[kind]
    if role is None:
        role_expr = _CONSTRUCTOR[kind]
        raise RoleError(f"{where}: {what} {name!r} has no role, so nothing says it computes a {noun}; "
                        f"declare it when building (rnnsim.Builder(name, role={role_expr})) or on "
                        f"the built network (net.with_role({role_expr}))")
    if not isinstance(role, _KINDS[kind]):
        other = next(k for k in _KINDS if k != kind)
        swap = (f" (was the {_NOUN[other]} passed where the {noun} goes?)"
                if isinstance(role, _KINDS[other]) else "")
        raise RoleError(f"{where}: {what} {name!r} is a {role}, not a {noun}{swap}; {expects}")
    if alphabet is not None and role.alphabet != alphabet:
        raise RoleError(f"{where}: {what} {name!r} is over b = {role.alphabet} tokens, but b = {alphabet} "
                        "is needed here; use networks over the same alphabet")
    return role


def require_lm(net, where: str, *, what: str = "the language model", alphabet: int | None = None) -> LMRole:
    """``net``'s role as an :class:`LMRole` (over ``alphabet`` tokens when given), or RoleError."""
    return _require(net, where, "lm", what, alphabet, "pass an LM RNN (role rnnsim.LMRole) here")


def require_distinguisher(net, where: str, *, window: int | None = None, alphabet: int | None = None,
                          what: str = "the distinguisher") -> DistinguisherRole:
    """``net``'s role as a :class:`DistinguisherRole` with the given window and alphabet, or
    RoleError."""
    with_k = f" with window k = {window}" if window is not None else ""
    role = _require(net, where, "distinguisher", what, alphabet,
                    f"pass a distinguisher RNN (role rnnsim.DistinguisherRole){with_k} here")
    if window is not None and role.window != window:
        raise RoleError(f"{where}: {what} {getattr(net, 'name', '?')!r} has window {role.window}, but k = {window}; build the "
                        f"distinguisher with window {window} or pass k={role.window}")
    return role


__all__ = ["Role", "LMRole", "DistinguisherRole", "require_lm", "require_distinguisher"]
