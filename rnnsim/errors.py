"""Exception types of rnnsim (THEORY §7: bad input).

Every error a user can trigger is one of these, never a bare assert or a numpy warning.
Messages name the node, the time (for run-time errors) and the cause, and where possible
say how to fix the mistake. Build-time validation collects *every* problem before raising.
"""

from __future__ import annotations


class RNNSimError(Exception):
    """Base class of every rnnsim error."""


class NetworkError(RNNSimError, ValueError):
    """A network is malformed (raised while building or validating it).

    ``problems`` lists every problem found, one line each.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems) if problems else [message]
        super().__init__(message)


class SimulationError(RNNSimError, ArithmeticError):
    """A run-time failure: ``node`` and ``time`` say where, the message says why."""

    def __init__(self, message: str, *, node: str | None = None, time: int | None = None):
        self.node = node
        self.time = time
        super().__init__(message)


class ReciprocalOfZero(SimulationError, ZeroDivisionError):
    """Recip(e) evaluated with e = 0."""


class FixedPointOverflow(SimulationError, OverflowError):
    """A node value left the range of a fixed-point format (policy 'raise')."""


class ExactValueTooLarge(SimulationError):
    """An ``exact`` node value whose numerator or denominator has more bits than the
    arithmetic's limit (``rnnsim.Exact(max_bits=…)``, default 2^16): exact runs cannot run
    away. ``bits`` is the larger of the two sizes."""

    def __init__(self, message: str, *, node: str | None = None, time: int | None = None,
                 bits: int | None = None):
        self.bits = bits
        super().__init__(message, node=node, time=time)


class InputError(RNNSimError, ValueError):
    """Tokens given to a simulation are invalid (outside Σ, wrong shape, …)."""


class UnsupportedFormat(RNNSimError, ValueError):
    """An engine cannot represent an arithmetic format exactly and refuses it (before
    running), or an arithmetic cannot represent a constant of the network (a float64
    constant beyond the double range)."""


class EngineUnavailable(UnsupportedFormat):
    """A compiled engine could not be made to run here (e.g. its kernels failed to compile
    even without numba's cache); ``engine="auto"`` then runs the job on the reference."""


class EngineRangeExceeded(UnsupportedFormat):
    """A compiled engine met a value it cannot hold exactly (a checked 128→64-bit
    narrowing failed) at ``node`` and ``time``: it stops instead of differing from the
    reference. ``bits`` is the size the value needed. ``engine="auto"`` then reruns the
    job on the reference engine."""

    def __init__(self, message: str, *, node: str | None = None, time: int | None = None,
                 bits: int | None = None):
        self.node = node
        self.time = time
        self.bits = bits
        super().__init__(message)


class FormatError(RNNSimError, ValueError):
    """A saved network file is malformed, truncated or of an unknown version."""


class ConstructionError(RNNSimError, ValueError):
    """A construction or a check was given something it cannot work with: a parameter out
    of range, a network of the wrong role, a table that is not what it should be. The
    message names the argument and says how to fix the call."""


class RoleError(ConstructionError):
    """A network's role does not fit where it is used: a language model passed as a
    distinguisher (or the reverse), a distinguisher whose window is not k, networks over
    different alphabets, or a network without a role where one is needed."""


class ClaimError(ConstructionError, NetworkError):
    """A construction's claimed size, hidden size, τ or depth differs from the network it
    built, or exceeds its bound: the closed form (or the construction) is wrong."""


class NotALanguageModel(ConstructionError):
    """Conditionals that are not probability distributions (negative, or not summing to 1)."""


class NotADistinguisher(ConstructionError):
    """A distinguisher value outside {0, 1}, or a window that does not fit in the document."""
