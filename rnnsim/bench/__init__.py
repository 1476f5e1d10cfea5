"""The engine benchmark behind ``rnnsim bench`` (THEORY §8), shipped with the package so that
an installed rnnsim can measure itself.

:mod:`rnnsim.bench.netgen` makes the random benchmark networks; :mod:`rnnsim.bench.throughput`
times every engine and arithmetic on them (node-updates per second, with the ratio to the
reference engine) and writes the tables; ``c_baseline.c`` is the C loop over the same
operation list that the compiled engines are compared with.
"""
