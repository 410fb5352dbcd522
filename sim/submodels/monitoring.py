"""Yearly monitoring (December, after harvest): who is monitored, who gets dibao, who is insured.

Seed 001 名词解释 2-3 defines the monitoring line (about 1.5 times the national poverty line);
seed 004 实施意见 §二(一) adds households whose rigid spending (illness, disaster) is large. Found
households get targeted help: priority for jobs and training (``labour.hiring_priority``,
``labour.train``), dibao review, and the county-subsidised health insurance.
"""
from __future__ import annotations

import numpy as np

from ..population import EDGE, NOT_MONITORED, SUDDEN, UNSTABLE


def review(h, income, dibao_paid, out_of_pocket, line, P, rng):
    """Update monitoring, dibao and insurance after a year.

    Parameters
    ----------
    h : Households
    income : numpy.ndarray
        Each household's disposable income this year (yuan).
    dibao_paid : numpy.ndarray
        Each household's dibao this year (yuan).
    out_of_pocket : numpy.ndarray
        Each household's out-of-pocket medical cost this year (yuan).
    line : float
        This year's monitoring line (yuan per person): ``monitoring.line`` raised by
        ``monitoring.line_growth`` each year after the start.
    """
    M = P.monitoring
    size = np.maximum(h.size, 1)
    per_capita = np.where(h.size > 0, income / size, np.inf)
    below = per_capita < line
    hardship = (h.size > 0) & (out_of_pocket > M.hardship_share * np.maximum(income, 0.0))
    new = (h.monitoring == NOT_MONITORED) & (below | hardship)
    h.monitoring[new & below] = np.where(h.alleviated[new & below], UNSTABLE, EDGE)
    h.monitoring[new & ~below] = SUDDEN
    recovered = (h.monitoring != NOT_MONITORED) & ~new & (per_capita > line * M.exit_factor) & ~hardship
    h.monitoring[recovered] = NOT_MONITORED

    assessed = np.where(h.size > 0, (income - dibao_paid) / size, np.inf)
    eligible = assessed < P.transfers.dibao.standard
    h.dibao = (h.dibao & eligible) | (~h.dibao & eligible & (rng.random(h.n) < P.transfers.dibao.takeup))
    h.insured = h.insured | h.alleviated | (h.monitoring > 0)
    h.last_income = np.where(h.size > 0, per_capita, 0.0)
    h.assessed_income = np.where(h.size > 0, assessed, 0.0)
