"""rnnsim — build, simulate and check the RNN constructions of the paper
"Next-token loss minimization yields k-token indistinguishable RNN language models".

Public API (THEORY §6): :class:`RNN`, :class:`Builder`, the expression constructors,
:func:`simulate`, :func:`simulate_batch`, :func:`simulate_all`, :class:`Fixed`,
:func:`save` / :func:`load`.
"""

from .arith import EXACT, FLOAT64, Exact, Fixed, Float64, parse_arithmetic
from .claims import Bounds, Claims
from .errors import (
    ClaimError,
    ConstructionError,
    EngineRangeExceeded,
    EngineUnavailable,
    ExactValueTooLarge,
    FixedPointOverflow,
    FormatError,
    InputError,
    NetworkError,
    ReciprocalOfZero,
    RNNSimError,
    RoleError,
    SimulationError,
    UnsupportedFormat,
)
from .expr import Affine, Const, Expr, Node, Prod, Recip, ReLU, affine, as_expr, const, prod, recip, relu
from .builder import Builder
from .network import RNN
from .roles import DistinguisherRole, LMRole, Role
from .simulate import Trace, all_documents, simulate, simulate_all, simulate_batch


def save(rnn, path) -> None:
    """Write ``rnn`` to a JSON file that round-trips exactly (see :mod:`rnnsim.io`)."""
    from .io import save as _save

    _save(rnn, path)


def load(path) -> RNN:
    """Read a network written by :func:`save`; malformed files raise FormatError."""
    from .io import load as _load

    return _load(path)


__version__ = "0.1.0"

__all__ = [
    "RNN", "Builder", "Expr", "Const", "Node", "Affine", "ReLU", "Prod", "Recip",
    "affine", "as_expr", "const", "prod", "recip", "relu",
    "simulate", "simulate_batch", "simulate_all", "all_documents", "Trace",
    "Exact", "Float64", "Fixed", "EXACT", "FLOAT64", "parse_arithmetic",
    "save", "load", "Role", "LMRole", "DistinguisherRole", "Claims", "Bounds",
    "RNNSimError", "NetworkError", "SimulationError", "ReciprocalOfZero", "FixedPointOverflow",
    "InputError", "UnsupportedFormat", "FormatError", "ConstructionError", "RoleError", "ClaimError",
    "ExactValueTooLarge", "EngineRangeExceeded", "EngineUnavailable",
]
