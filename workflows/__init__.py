"""The application layer: every workflow that combines builders (``constructions``), the
distribution-level mathematics (``proofs_checks``) and simulation (``rnnsim``).

Imports point one way: workflows → constructions, proofs_checks, rnnsim; nothing below
imports this package (``rnnsim.cli`` dispatches here lazily, by module name).
"""
