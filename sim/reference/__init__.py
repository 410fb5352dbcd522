"""The per-household reference implementation of the model rules: the engine's independent oracle.

Modules: ``members`` (persons and their rules), ``household`` (the household agent), ``income``
(a household's monthly wages, industry and transfers), ``providers`` (employers, programmes,
brokers, cooperatives, collectives and hiring), ``programmes`` (January places: training, Fujian,
loans, cooperatives), ``accounts`` (income by group, jobs, spending), ``calendar`` and ``model``.
Nothing here imports ``sim.agents``, ``sim.accounts``, ``sim.model`` or ``sim.submodels``
(``tests/test_reference.py`` checks it): engine and reference agree because two implementations
of docs/ODD.md agree.
"""
from .model import ReferenceModel, simulate_reference

__all__ = ["ReferenceModel", "simulate_reference"]
