"""What each construction records about the network it built: one typed record per builder.

Every builder of this package leaves a record in the network it builds
(``RNN.construction``, saved by :mod:`rnnsim.io` as JSON data): the model parameters of
THEORY §4.7 (a Markov table, a PFA, a pattern set, …), the schedule of Claim 1 / Lemma 11
(:class:`constructions.schedule.Schedule`), the factor e^{−η}, the offset r and the
document length N of a boost, the names of the component nodes u, v, 1_num, 1_den and of
the accumulators, and — for networks built from other networks — the records of those
(so a boost of two models knows both exact definitions, and a round of ``iterate`` knows
every earlier round). :func:`record_of` is the one place that reads ``RNN.construction``
and turns it back into the typed record; nothing else looks into it. The core never
interprets the record (it may not import this package): it only stores and saves it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from fractions import Fraction
from typing import Any, ClassVar, Mapping

from rnnsim.errors import ConstructionError

from .schedule import Schedule


KINDS: dict[str, type] = {"schedule": Schedule}
"""Every record class by its ``kind`` (filled as the classes are defined; ``"schedule"`` is
:class:`~constructions.schedule.Schedule`, recorded inside the records that have one)."""


class Record:
    """Base class of the construction records; ``kind`` names the builder in saved files,
    ``statement`` the lemma whose claims the builder states. Each subclass that sets a
    ``kind`` is registered in :data:`KINDS` (a kind defined twice is an error)."""

    kind: ClassVar[str] = ""
    statement: ClassVar[str] = ""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        kind = cls.__dict__.get("kind")
        if kind:
            if kind in KINDS:
                raise TypeError(f"record kind {kind!r} is defined twice ({KINDS[kind].__name__}, {cls.__name__})")
            KINDS[kind] = cls

    def to_json(self) -> dict:
        return _encode(self)


# ---- models (THEORY §4.7) ----------------------------------------------------------------------

class ModelRecord(Record):
    """A model of THEORY §4.7 (language model or distinguisher), built from its parameters alone."""

    statement: ClassVar[str] = "§4.7 models"


@dataclass(frozen=True)
class UniformLM(ModelRecord):
    kind: ClassVar[str] = "uniform_lm"
    b: int


@dataclass(frozen=True)
class MarkovLM(ModelRecord):
    """Binary order-``order`` Markov chain; ``table[c]`` = P(1 | context c read as a binary number)."""

    kind: ClassVar[str] = "markov_lm"
    order: int
    table: tuple


@dataclass(frozen=True)
class PFALM(ModelRecord):
    """Deterministic-transition PFA: ``delta[i][σ]``, ``emit[i][σ]``, start state."""

    kind: ClassVar[str] = "pfa_lm"
    delta: tuple
    emit: tuple
    start: int


@dataclass(frozen=True)
class MotifAutomatonLM(ModelRecord):
    """The motif-filtering automaton ``motif_pfa(motif, mode, p=p, N=N, noise=noise)``."""

    kind: ClassVar[str] = "motif_automaton_lm"
    motif: str
    mode: str
    p: Fraction
    N: int | None
    noise: Fraction


@dataclass(frozen=True)
class PatternDistinguisher(ModelRecord):
    kind: ClassVar[str] = "pattern_distinguisher"
    k: int
    patterns: tuple


@dataclass(frozen=True)
class MotifDistinguisher(ModelRecord):
    kind: ClassVar[str] = "motif_distinguisher"
    k: int
    motif: str


@dataclass(frozen=True)
class ParityDistinguisher(ModelRecord):
    kind: ClassVar[str] = "parity_distinguisher"
    k: int


@dataclass(frozen=True)
class RepeatDistinguisher(ModelRecord):
    kind: ClassVar[str] = "repeat_distinguisher"
    k: int


@dataclass(frozen=True)
class BracketDistinguisher(ModelRecord):
    kind: ClassVar[str] = "bracket_distinguisher"
    k: int
    cap: int


@dataclass(frozen=True)
class Complement(ModelRecord):
    """1 − d for the distinguisher with window ``k`` and record ``base`` (None when that
    network was built by hand): :func:`constructions.families.complement` (a model whose
    statement is §3's, where 1 − d flips the advantage)."""

    kind: ClassVar[str] = "complement_distinguisher"
    statement: ClassVar[str] = "§3 advantage"
    k: int
    base: Record | None


# ---- constructions of THEORY §4 -------------------------------------------------------------------

@dataclass(frozen=True)
class Nodes(Record):
    """Names of the component nodes (None where the network has no such node)."""

    kind: ClassVar[str] = "nodes"
    u: str | None = None
    v: str | None = None
    num: str | None = None
    den: str | None = None
    acc_num: str | None = None
    acc_den: str | None = None


@dataclass(frozen=True)
class Gated(Record):
    """Lemma 10: ``base`` (the record of R, if any) gated by a control network."""

    kind: ClassVar[str] = "gated"
    statement: ClassVar[str] = "Lemma 10"
    base: Record | None


@dataclass(frozen=True)
class Counters(Record):
    kind: ClassVar[str] = "counters"
    statement: ClassVar[str] = "Claim 1"
    schedule: Schedule


@dataclass(frozen=True)
class Enumeration(Record):
    """Lemma 11: the enumeration of a network with record ``base`` (full copies: Section 2.1)."""

    kind: ClassVar[str] = "enumeration"
    statement: ClassVar[str] = "Lemma 11"
    schedule: Schedule
    full: bool
    base: Record | None


@dataclass(frozen=True)
class Components(Record):
    """Lemmas 7–9 on one skeleton; ``lemma`` says which ("Lemma 7", "Lemma 8", "Lemma 9" or
    "Lemmas 7–9"); ``factor`` = e^{−η} when V is present."""

    kind: ClassVar[str] = "components"
    lemma: str
    schedule: Schedule
    factor: Fraction | None
    nodes: Nodes
    lm: Record | None
    dist: Record | None

    @property
    def statement(self) -> str:
        return self.lemma


@dataclass(frozen=True)
class Boost(Record):
    """Lemma 3 (``simple``: Section 2.1): q' of Lemma 2 from the LM with record ``lm`` and
    the distinguisher with record ``dist`` (None when built by hand), factor w = e^{−η},
    window k, offset r, document length N."""

    kind: ClassVar[str] = "boost"
    schedule: Schedule
    factor: Fraction
    k: int
    r: int
    N: int
    simple: bool
    nodes: Nodes
    lm: Record | None
    dist: Record | None

    @property
    def statement(self) -> str:
        return "Section 2.1" if self.simple else "Lemma 3"


@dataclass(frozen=True)
class Universal(Record):
    """THEORY §4.8: the universal graph G(size, hidden, time) with weights θ (exact numbers)."""

    kind: ClassVar[str] = "universal"
    statement: ClassVar[str] = "§4.8 universal graph"
    size: int
    hidden: int
    time: int
    weights: tuple


@dataclass(frozen=True)
class ElementaryUniversal(Record):
    """THEORY §4.8 with elementary-function templates: U(C, T) for the class C(size, hidden,
    time, depth, ops) and the template (depth, relu, prod, recip) per layer; ``weights`` is the
    JSON text of the sparse weights (constructions.universal_elementary.UniversalWeights)."""

    kind: ClassVar[str] = "elementary_universal"
    statement: ClassVar[str] = "§4.8 universal graph"
    size: int
    hidden: int
    time: int
    depth: int
    ops: int | None
    template: tuple
    weights: str


@dataclass(frozen=True)
class InhomogeneousMarkovLM(Record):
    """Binary inhomogeneous order-``order`` Markov LM on documents of length ``N``:
    ``tables[i-1]`` maps the context of position i (its last ``order`` tokens, left-padded
    with 0, read as a binary number) to P(x_i = 1 | context), for the contexts that occur."""

    kind: ClassVar[str] = "inhomogeneous_markov_lm"
    statement: ClassVar[str] = "§9 workflows"
    order: int
    N: int
    tables: tuple


@dataclass(frozen=True)
class ReluRNNLM(Record):
    """An imported ReLU RNN LM (h_m = ReLU(W_ih·x_m + W_hh·h_{m−1} + b), h_0 given) with its
    probability readout (``readout``: "ratio" or "linear", ``floor`` for "ratio"); the
    weights are exact numbers (rows of tuples)."""

    kind: ClassVar[str] = "relu_rnn_lm"
    statement: ClassVar[str] = "§9 workflows"
    W_ih: tuple
    W_hh: tuple
    b: tuple
    h0: tuple
    W_out: tuple
    b_out: tuple
    readout: str
    floor: Fraction


MODEL_RECORDS = tuple(c for c in KINDS.values() if isinstance(c, type) and issubclass(c, ModelRecord))


# ---- the one reader ---------------------------------------------------------------------------------

def record_of(rnn) -> Record:
    """The typed record of the construction that built ``rnn`` (ConstructionError if none)."""
    data = getattr(rnn, "construction", None)
    if data is None:
        raise ConstructionError(
            f"network {getattr(rnn, 'name', '?')!r} carries no construction record: it was built by hand, "
            "changed after it was built (RNN.replace drops the record), or loaded from a file saved "
            "without one; build it with a builder of the constructions package")
    rec = _decode(dict(data), "construction")
    if not isinstance(rec, Record):
        raise ConstructionError(f"network {rnn.name!r}: its construction record is not a record ({data!r})")
    return rec


def record_or_none(rnn) -> Record | None:
    """:func:`record_of`, or None for a network without a record."""
    return None if getattr(rnn, "construction", None) is None else record_of(rnn)


def schedule_of(rnn) -> Schedule:
    """The :class:`Schedule` of a network built on the enumeration skeleton (counters,
    enumeration, components, boost): τ_S, t(i, n, m), t_U(i, n), …"""
    rec = record_of(rnn)
    sched = getattr(rec, "schedule", None)
    if not isinstance(sched, Schedule):
        raise ConstructionError(
            f"network {rnn.name!r} was built by {rec.kind!r}, which has no enumeration schedule "
            "(only counters, enumeration, components and boost networks have one)")
    return sched


def schedule_or_none(rnn) -> Schedule | None:
    rec = record_or_none(rnn)
    sched = getattr(rec, "schedule", None)
    return sched if isinstance(sched, Schedule) else None


# ---- JSON form ------------------------------------------------------------------------------------

def _encode(v) -> Any:
    if is_dataclass(v) and type(v) in KINDS.values():
        return {"kind": type(v).kind if isinstance(v, Record) else "schedule",
                **{f.name: _encode(getattr(v, f.name)) for f in fields(v)}}
    if isinstance(v, (list, tuple)):
        return [_encode(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _encode(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, str, Fraction)):
        return v
    raise ConstructionError(f"cannot record {type(v).__name__} {v!r} in a construction record")


def _decode(v, where: str) -> Any:
    if isinstance(v, Mapping):
        kind = v.get("kind")
        cls = KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise ConstructionError(
                f"{where}: unknown construction kind {kind!r} (known: {', '.join(sorted(KINDS))}); "
                "was the network saved by a newer rnnsim?")
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in v and _required(cls, n)]
        extra = sorted(set(v) - set(names) - {"kind"})
        if missing or extra:
            raise ConstructionError(f"{where}: a {kind!r} record has fields {names}; missing {missing}, "
                                    f"unknown {extra}")
        try:
            return cls(**{n: _decode(v[n], f"{where}.{n}") for n in names if n in v})
        except (TypeError, ValueError) as e:
            raise ConstructionError(f"{where}: invalid {kind!r} record: {e}") from None
    if isinstance(v, (list, tuple)):
        return tuple(_decode(x, f"{where}[{i}]") for i, x in enumerate(v))
    return v


def _required(cls, name: str) -> bool:
    from dataclasses import MISSING

    f = next(f for f in fields(cls) if f.name == name)
    return f.default is MISSING and f.default_factory is MISSING


__all__ = ["Record", "ModelRecord", "record_of", "record_or_none", "schedule_of", "schedule_or_none", "KINDS", "MODEL_RECORDS",
           "UniformLM", "MarkovLM", "PFALM", "MotifAutomatonLM", "PatternDistinguisher",
           "MotifDistinguisher", "ParityDistinguisher", "RepeatDistinguisher", "BracketDistinguisher", "Complement",
           "Nodes", "Gated", "Counters", "Enumeration", "Components", "Boost", "Universal",
           "ElementaryUniversal", "InhomogeneousMarkovLM", "ReluRNNLM"]
