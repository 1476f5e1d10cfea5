"""The exact definitions of the model networks, read from their construction records (THEORY §4.7, §6).

Every network built by :mod:`constructions.models` records its parameters
(:mod:`constructions.records`); :func:`exact_definition` turns that record back into the
model's exact Python definition — an LM ``q(prefix) -> [q(0|prefix), …]`` of Fractions or a
distinguisher ``d(j, x) -> 0/1`` — so a network can be checked against what it should
compute without knowing how it was built. :data:`DEFINITIONS` is the table: record type →
definition.
"""

from __future__ import annotations

from fractions import Fraction

from rnnsim import ConstructionError

from .. import records
from .dist import bracket_d, motif_d, parity_d, pattern_d, repeat_d
from .lm import PFA, markov_q, motif_pfa, uniform_q

DEFINITIONS = {
    records.UniformLM: lambda r: uniform_q(r.b),
    records.MarkovLM: lambda r: markov_q(r.order, [Fraction(v) for v in r.table]),
    records.PFALM: lambda r: PFA(r.delta, r.emit, r.start),
    records.MotifAutomatonLM: lambda r: motif_pfa(r.motif, r.mode, p=r.p, N=r.N, noise=r.noise),
    records.PatternDistinguisher: lambda r: pattern_d(r.k, r.patterns),
    records.MotifDistinguisher: lambda r: motif_d(r.k, r.motif),
    records.ParityDistinguisher: lambda r: parity_d(r.k),
    records.RepeatDistinguisher: lambda r: repeat_d(r.k),
    records.BracketDistinguisher: lambda r: bracket_d(r.k, r.cap),
    records.Complement: lambda r: _complement(r),
}


def _complement(r: records.Complement):
    """1 − d for the distinguisher recorded in ``r.base`` (constructions.families.complement)."""
    from ..families import complement_d

    if r.base is None:
        raise ConstructionError("the complemented distinguisher was built by hand (its record is missing), so "
                                "1 − d has no exact definition here; read d from the network "
                                "(proofs_checks.advantage.distinguisher_from_rnn)")
    return complement_d(exact_definition(r.base))


def exact_definition(net_or_record):
    """The exact definition (LM ``q`` or distinguisher ``d``) of a network built by
    :mod:`constructions.models` (or of its record)."""
    rec = net_or_record if isinstance(net_or_record, records.Record) else records.record_of(net_or_record)
    make = DEFINITIONS.get(type(rec))
    if make is None:
        raise ConstructionError(
            f"a {rec.kind!r} network is not a model of constructions.models, so it has no exact "
            "definition here (the boosted LM's is Lemma 2's q': proofs_checks.boost.boosted_conditional)")
    return make(rec)


__all__ = ["exact_definition", "DEFINITIONS"]
