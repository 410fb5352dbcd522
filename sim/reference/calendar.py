"""The reference's calendar: burn-in months then the scenario's months, and running to the end.

ODD §2.3 and §5.3: the run starts ``model.burn_in_months`` months before the scenario's first
month; burn-in months are simulated but not recorded.
"""
from __future__ import annotations

import datetime as dt

MONTHS_A_YEAR = 12


def add_months(date, k):
    """The first day of the month ``k`` months after ``date``'s month (``k`` may be negative)."""
    index = date.year * MONTHS_A_YEAR + date.month - 1 + k
    return dt.date(index // MONTHS_A_YEAR, index % MONTHS_A_YEAR + 1, 1)


def month_calendar(months, burn_in):
    """``(first day of month, recorded)`` for ``burn_in`` unrecorded months before ``months``
    (the scenario's months, in order), then each of ``months``."""
    before = [add_months(months[0], -k) for k in range(burn_in, 0, -1)]
    return [(d, False) for d in before] + [(d, True) for d in months]


def run_to_end(model):
    """Step ``model`` until it stops; returns it (tables in ``model.accounts.tables()``)."""
    while model.running:
        model.step()
    return model
