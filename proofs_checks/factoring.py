"""The factorization text distribution of the paper's Appendix B (Definition 6, Observation 1).

**Appendix B (project form).** Pick two independent uniformly random n-digit primes, order
them p ≤ q, and write the document "P=pxq" with P = p·q in decimal, padded on the right with
spaces to the fixed length N = 4n + 2, over the alphabet Σ = "0123456789=x " (b = 13;
token t is ``ALPHABET[t]``, 'x' stands for ×). Sampling is easy non-autoregressively
(multiply two random primes), but the next-token conditionals after the prefix "P=" are the
factorization of P; a verifier (well-formed, both factors n-digit primes, p ≤ q, product
correct) is a next-N-token distinguisher (k = N, a single window j = 1) with advantage
E_q[verify] − 1 against any LM q, which is 0 exactly for the data distribution itself.

Public API
----------
``ALPHABET``, ``encode(text) -> tuple``, ``decode(tokens) -> str``, ``is_prime(n)`` (deterministic
Miller–Rabin, valid below 3.3·10^24), ``n_digit_primes(n)``, ``random_prime(n, rng)``;
``FactorizationDistribution(n)``: ``.N``, ``.b``, ``.document(p, q)``, ``.sample(size, rng)``
(tokens, shape (size, N)), ``.support()`` ({document: exact probability}, n ≤ 3),
``.probability(doc)``, ``.conditional(prefix)`` (exact next-token conditional, the LM callable
form of THEORY §6), ``.verifier()`` (the distinguisher d(j, x), k = N), ``.guessing_model()`` (an
LM that samples P correctly but guesses the factors: advantage ≈ −1);
``SparseText(support, b, N)`` (a distribution by its support, callable as an LM);
``verify(tokens, n) -> 0/1``; ``advantage_against(dist, q)`` (exact E_q[verify] − E_p[verify]).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from rnnsim.errors import ConstructionError
from rnnsim.registry import realizes

__all__ = ["ALPHABET", "encode", "decode", "is_prime", "n_digit_primes", "random_prime",
           "FactorizationDistribution", "SparseText", "verify", "advantage_against"]

ALPHABET = "0123456789=x "
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)


def encode(text: str) -> tuple[int, ...]:
    try:
        return tuple(_INDEX[c] for c in text)
    except KeyError as e:
        raise ConstructionError(f"character {e.args[0]!r} is not in the alphabet {ALPHABET!r}") from None


def decode(tokens) -> str:
    toks = [int(t) for t in tokens]
    bad = [t for t in toks if not 0 <= t < len(ALPHABET)]
    if bad:
        raise ConstructionError(f"token {bad[0]} is outside Σ = {{0, …, {len(ALPHABET) - 1}}}")
    return "".join(ALPHABET[t] for t in toks)


def is_prime(n: int) -> bool:
    """Deterministic Miller–Rabin with the first 13 prime bases (exact below 3.3·10^24)."""
    if n < 2:
        return False
    if n >= 3_317_044_064_679_887_385_961_981:
        raise ConstructionError("is_prime is deterministic only below 3.3e24; n is too large")
    for sp in _MR_BASES:
        if n % sp == 0:
            return n == sp
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in _MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


@lru_cache(maxsize=None)
def n_digit_primes(n: int) -> tuple[int, ...]:
    """All primes with exactly n decimal digits (n ≤ 7)."""
    if not 1 <= n <= 7:
        raise ConstructionError("n_digit_primes enumerates n ≤ 7 digits (use random_prime for larger n)")
    lo, hi = 10 ** (n - 1), 10 ** n
    sieve = np.ones(hi, dtype=bool)
    sieve[:2] = False
    for i in range(2, int(hi ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = False
    return tuple(int(v) for v in np.flatnonzero(sieve[lo:hi]) + lo)


def random_prime(n: int, rng: np.random.Generator) -> int:
    """A uniformly random n-digit prime (rejection sampling with is_prime)."""
    lo, hi = 10 ** (n - 1), 10 ** n
    while True:
        c = int(rng.integers(lo, hi)) if hi < 2 ** 63 else lo + int(rng.random() * (hi - lo))
        if is_prime(c):
            return c


class FactorizationDistribution:
    """Documents "P=pxq" (p ≤ q two uniformly random n-digit primes) padded to N = 4n + 2."""

    def __init__(self, n: int):
        if not (isinstance(n, int) and n >= 1):
            raise ConstructionError(f"number of digits n must be a positive integer, got {n!r}")
        self.n, self.N, self.b = n, 4 * n + 2, len(ALPHABET)

    def __repr__(self) -> str:
        return f"FactorizationDistribution(n={self.n}, N={self.N})"

    @realizes("Appendix B", "factorization documents 'P=pxq' (random n-digit primes) are easy to sample "
              "non-autoregressively; a verifier distinguishes any LM that cannot factor", kind="construction")
    def document(self, p: int, q: int) -> tuple[int, ...]:
        p, q = min(p, q), max(p, q)
        text = f"{p * q}={p}x{q}"
        return encode(text.ljust(self.N))

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Non-autoregressive sampler: multiply two random n-digit primes."""
        return np.array([self.document(random_prime(self.n, rng), random_prime(self.n, rng))
                         for _ in range(size)], dtype=np.int64).reshape(size, self.N)

    def support(self) -> dict[tuple[int, ...], Fraction]:
        """Every document with its exact probability: 2/P² for p < q, 1/P² for p = q."""
        if self.n > 3:
            raise ConstructionError("support() enumerates n ≤ 3 (the support has P(P+1)/2 documents)")
        primes = n_digit_primes(self.n)
        P2 = len(primes) ** 2
        return {self.document(p, q): Fraction(1 if p == q else 2, P2)
                for i, p in enumerate(primes) for q in primes[i:]}

    def probability(self, doc) -> Fraction:
        doc = tuple(int(t) for t in doc)
        if not verify(doc, self.n):
            return Fraction(0)
        primes = n_digit_primes(self.n)
        text = decode(doc).rstrip(" ")
        p, q = text.split("=")[1].split("x")
        return Fraction(1 if p == q else 2, len(primes) ** 2)

    def conditional(self, prefix) -> tuple:
        """Exact next-token conditional p(·|prefix) (uniform after a prefix of probability 0)."""
        if not hasattr(self, "_sparse"):
            self._sparse = SparseText(self.support(), self.b, self.N)
        return self._sparse.conditional(prefix)

    def guessing_model(self) -> "SparseText":
        """An LM that knows the distribution of P but not how to factor it: after "P=" it
        writes a fresh independent sorted pair of random n-digit primes (n ≤ 3)."""
        primes = n_digit_primes(self.n)
        P2 = len(primes) ** 2
        pairs = {(p, q): Fraction(1 if p == q else 2, P2) for i, p in enumerate(primes) for q in primes[i:]}
        out: dict = {}
        for (p, q), pr in pairs.items():
            head = f"{p * q}="
            for (a, c), pr2 in pairs.items():
                doc = encode((head + f"{a}x{c}").ljust(self.N))
                out[doc] = out.get(doc, Fraction(0)) + pr * pr2
        return SparseText(out, self.b, self.N)

    def verifier(self):
        """The verifier as a next-N-token distinguisher d(j, x) (k = N, only j = 1)."""
        n, N = self.n, self.N

        def d(j: int, x) -> int:
            if j != 1 or len(x) < N:
                raise ConstructionError(f"the verifier is a next-{N}-token distinguisher: j = 1 and |x| ≥ {N}")
            return verify(tuple(x[:N]), n)

        return d


@realizes("Appendix B", "the verifier accepts exactly the documents of the factorization distribution",
          bound="advantage = E_q[verify] − 1", kind="check")
def verify(tokens, n: int) -> int:
    """1 iff tokens spell "P=pxq" + spaces (length 4n+2), p ≤ q n-digit primes, P = p·q
    written without leading zeros."""
    try:
        text = decode(tokens)
    except ValueError:
        return 0
    if len(text) != 4 * n + 2:
        return 0
    body = text.rstrip(" ")
    if " " in body or body.count("=") != 1 or body.count("x") != 1 or body.index("=") > body.index("x"):
        return 0
    P, rest = body.split("=")
    p, q = rest.split("x")
    for part, length in ((p, (n,)), (q, (n,)), (P, (2 * n - 1, 2 * n))):
        if len(part) not in length or not part.isdigit() or part[0] == "0":
            return 0
    ip, iq, iP = int(p), int(q), int(P)
    return int(ip <= iq and is_prime(ip) and is_prime(iq) and ip * iq == iP)


class SparseText:
    """A text distribution given by its (small) support {document: probability}; callable as an
    LM (``q(prefix) -> b probabilities``, uniform after a prefix of probability 0)."""

    def __init__(self, support: dict, b: int, N: int):
        self.support, self.b, self.N = dict(support), b, N
        mass: dict = {}
        for doc, pr in self.support.items():
            if len(doc) != N:
                raise ConstructionError(f"document {doc} does not have length N = {N}")
            for i in range(N + 1):
                mass[doc[:i]] = mass.get(doc[:i], 0) + pr
        self._mass = mass

    def conditional(self, prefix) -> tuple:
        prefix = tuple(int(t) for t in prefix)
        if len(prefix) >= self.N:
            raise ConstructionError(f"prefix of length {len(prefix)} ≥ N = {self.N}")
        tot = self._mass.get(prefix, 0)
        if tot == 0:
            return (Fraction(1, self.b),) * self.b
        return tuple(self._mass.get(prefix + (s,), Fraction(0)) / tot for s in range(self.b))

    __call__ = conditional


def advantage_against(dist: FactorizationDistribution, q) -> Fraction:
    """α of the verifier (k = N, M = 1) for model q against the factorization distribution:
    E_{x∼q} verify(x) − E_{x∼p} verify(x) = q(valid documents) − 1 (exact for exact q).
    ``q`` is an LM callable q(prefix) -> b probabilities."""
    total = 0
    for doc in dist.support():
        pr = 1
        for i in range(dist.N):
            pr = pr * q(doc[:i])[doc[i]]
            if pr == 0:
                break
        total = total + pr
    return total - 1
