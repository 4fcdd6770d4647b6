"""Analyses: the functions that read the store through :mod:`defectradar.query` and hand the
result to a method (a detector, a fitter, the remedies engine).

This floor sits above both the queries and the methods, so neither has to import the other;
see ``docs/architecture.md``.
"""
