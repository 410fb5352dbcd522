"""The reference's January programmes that hand out places: training, Fujian placements, loans, cooperatives.

ODD §7.3 (January) and §7.4 (January): each programme has a number of places at the simulated
population's scale and a pool; targeted households come first, the rest in random order
(the model's stdlib stream).
"""
from __future__ import annotations

from .members import ABILITY_FULL, ABILITY_NONE, AWAY


def targeted_first(pool, targeted, random):
    """``pool`` in random order, with the members for which ``targeted`` holds first."""
    pool = list(pool)
    random.shuffle(pool)
    pool.sort(key=lambda item: not targeted(item))  # stable: random within each level
    return pool


def train(households, places, random):
    """Skills training places (seed 004 实施方案 §二(二)2) go to untrained members with labour
    ability, monitored households first (seed 004 实施意见 §二(一)). Returns places used."""
    pool = [(hh, m) for hh in households for m in hh.members if m.ability > ABILITY_NONE and not m.trained]
    chosen = targeted_first(pool, lambda pair: pair[0].monitored, random)[:places]
    for _, m in chosen:
        m.trained = True
    return len(chosen)


def place_in_fujian(households, places, random):
    """Fujian-Ningxia labour cooperation (seed 002 第五章; seed 000 第五章§二) puts idle members of
    full labour, participants or not, into work away, monitored and alleviated households first.
    Returns persons placed."""
    pool = [(hh, m) for hh in households for m in hh.members if not m.employed and m.ability == ABILITY_FULL]
    chosen = targeted_first(pool, lambda pair: pair[0].monitored or pair[0].alleviated, random)[:places]
    for _, m in chosen:
        m.take(AWAY)
    return len(chosen)


def start_businesses(households, P, scale, random):
    """Businesses close; the guarantee loans (seed 004 实施方案 §二(二)1) fund new ones in alive
    households without one, chosen at random. Returns loans issued (yuan)."""
    b = P.industry.business
    for hh in households:
        hh.close_business(P)
    pool = [hh for hh in households if not hh.business and hh.alive]
    chosen = random.sample(pool, min(int(round(b.guarantee_loans * scale / b.loan_size)), len(pool)))
    for hh in chosen:
        hh.open_business(P)
    return len(chosen) * b.loan_size


def join_cooperatives(households, places, random):
    """New farm businesses (新型经营主体, seed 004 实施方案 §二(一)3) take in alive non-member
    households at random as dividend-paying members, for good. Returns households joined."""
    pool = [hh for hh in households if not hh.coop_member and hh.alive]
    chosen = random.sample(pool, min(places, len(pool)))
    for hh in chosen:
        hh.coop_member = True
    return len(chosen)
