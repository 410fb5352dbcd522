"""Uncertainties: draw the assumed parameters of each replication by Latin hypercube.

A parameter file's ``metadata.uncertainty`` gives a distribution (uniform, normal, triangular,
lognormal) and a kind: ``value`` draws the value the parameter file has at the scenario start,
and every dated value of the scenario is shifted by the draw's distance from it (so a package's
changes, dated or not, keep their size);
``factor`` draws a common multiplier on every value (and every category of a mapping).
With ``applies_to: base`` only the values the parameter file itself gives are drawn, not a
scenario's own: a programme's 2021 size is uncertain, the size a package sets is a choice.
Drawn values are clipped to the parameter's ``min``/``max`` and rounded where it is whole.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from .parameters import Parameter, ParameterTree


def uncertain_parameters(tree):
    """Paths of the parameters with a declared uncertainty, sorted."""
    return [p for p in tree if tree[p].metadata.get("uncertainty")]


def _distribution(unc):
    d = unc["distribution"]
    if d == "uniform":
        return stats.uniform(unc["low"], unc["high"] - unc["low"])
    if d == "normal":
        return stats.norm(unc["mean"], unc["sd"])
    if d == "triangular":
        width = unc["high"] - unc["low"]
        return stats.triang((unc["mode"] - unc["low"]) / width, unc["low"], width)
    return stats.lognorm(unc["sigma"], scale=unc["median"])


def sample(tree, replications, seed):
    """Latin hypercube draws of every uncertain parameter, one row per replication.

    Parameters
    ----------
    tree : ParameterTree
    replications : int
    seed : numpy.random.SeedSequence or int
        The design's own stream; the design depends on it and on ``replications`` only.

    Returns
    -------
    pandas.DataFrame
        Index ``replication``, one column per uncertain parameter (the drawn value or factor).
    """
    paths = uncertain_parameters(tree)
    if not paths or replications < 1:
        return pd.DataFrame(index=pd.RangeIndex(replications, name="replication"), columns=paths, dtype=float)
    u = qmc.LatinHypercube(d=len(paths), rng=np.random.default_rng(seed)).random(replications)
    return from_quantiles(tree, paths, u)


def from_quantiles(tree, paths, u):
    """Each parameter's prior at quantiles ``u`` (runs x ``paths``, in (0, 1)): the inverse CDF.

    The Latin hypercube maps its unit draws this way; so do the Morris and Sobol designs
    (``sim.sensitivity_designs``), so every design samples the same priors.
    """
    draws = {p: _distribution(tree[p].metadata["uncertainty"]).ppf(u[:, j]) for j, p in enumerate(paths)}
    return pd.DataFrame(draws, index=pd.RangeIndex(len(u), name="replication"))


def _bounded(param, v):
    md = param.metadata
    v = float(np.clip(v, md.get("min", -np.inf), md.get("max", np.inf)))
    return int(round(v)) if md.get("integer") else v


def _apply_one(param, draw, base, start):
    unc = param.metadata["uncertainty"]
    if unc.get("kind", "value") == "factor":
        change = lambda v: v * draw  # noqa: E731
    else:
        shift = draw - base.at(start)
        change = lambda v: v + shift  # noqa: E731
    own = list(base.values) if unc.get("applies_to") == "base" else None
    values = tuple((d, v) if own is not None and (d, v) not in own else
                   (d, {k: _bounded(param, change(x)) for k, x in v.items()} if isinstance(v, dict)
                    else _bounded(param, change(v))) for d, v in param.values)
    return Parameter(param.path, param.description, values, param.metadata, param.file)


def apply(tree, draws, start, base=None):
    """A new tree with one replication's ``draws`` (``{path: value or factor}``) applied.

    ``base`` holds the parameter files' own values (default ``tree``): a ``value`` draw shifts
    ``tree``'s values by its distance from ``base``'s value at ``start``.
    """
    base = base or tree
    params = dict(tree.parameters)
    for path, draw in draws.items():
        params[path] = _apply_one(tree[path], float(draw), base[path], start)
    return ParameterTree(params)
