"""The household rules one agent at a time: a plain Mesa model, for reading and for checking.

``ReferenceModel`` simulates the same households as ``sim.model.MigrantIncomeModel`` with the same
calendar and monthly order (DESIGN §3), but every household is a :class:`Household` Mesa agent
holding its :class:`Member` objects in a list, and every rule is scalar Python with its own draws
from the model's stdlib stream (``self.random``). It is the readable specification of the
household rules, the oracle the fast engine must agree with in distribution
(``tests/test_reference.py``) and the baseline of the speed benchmark.

Shared by design with the engine: the meso agents of ``sim.agents`` (one hiring rule for both),
the parameter snapshots, and ``sim.accounts`` (the same tables). The providers' hiring order uses
the numpy stream ``self.rng``; price moves and county disasters use ``self.macro_rng``, a child of
it that household draws never touch, as in the engine.

Each month, in order: January yearly processes (demography, wage and price trends, brokers, job
capacities, training, livestock and business entry); ``households.shuffle_do("step")`` (illness,
job loss, separations, who searches); ``households.do("weigh_options")`` (logit utilities, with
this month's village shares working away); recruitment by the providers; ``households.do("go_away")``;
county disasters at harvest; ``households.do("advance")`` (wages, industry, transfers);
accounting; the December review.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import mesa
import numpy as np
from mesa.agent import AgentSet

from . import accounts as acc
from .agents import create_meso_agents
from .model import add_months, run_to_end
from .parameters import Snapshot
from .population import COUNTIES, CROPS, EDGE, NOT_MONITORED, SUDDEN, UNSTABLE
from .submodels.labour import AWAY, JOBS, LOCAL, NONE, PARK, POST, WORKSHOP

ABILITY_NONE, ABILITY_WEAK, ABILITY_FULL = 0, 1, 2
ABILITY_KEYS = {ABILITY_WEAK: "weak", ABILITY_FULL: "full"}
WAGE_KEYS = {AWAY: "away", LOCAL: "local", WORKSHOP: "workshop", PARK: "park", POST: "public_post"}
GRAIN = CROPS.index("grain_potato")


# -- scalar rules -------------------------------------------------------------------------------
def labour_ability(age, student, disabled, chronic, L):
    """Labour ability: 0 none, 1 weak or half, 2 full.

    Of working age (``labour.working_age``, PRC Labour Law art. 15), not in school and without a
    disability: full, or weak from ``labour.weak_age`` or with a chronic illness (NBS rural
    household survey convention for 半劳动力).
    """
    if not L.working_age["min"] <= age <= L.working_age["max"] or student or disabled:
        return ABILITY_NONE
    return ABILITY_WEAK if age >= L.weak_age or chronic else ABILITY_FULL


def stays_in_school(age, student, pp, random):
    """School after a birthday (``population.*_enrolment``): 6-15 all; at 16 and 19 some go on.

    The chance of going on to tertiary study is conditional on upper secondary, so the shares
    of 16-18 and 19-22 year-olds in school stay at the enrolment rates.
    """
    if age < 6 or age > 22:
        return False
    if age <= 15:
        return True
    if age == 16:
        return student and random() < pp.upper_secondary_enrolment
    if age == 19:
        return student and random() < min(1.0, pp.tertiary_enrolment / pp.upper_secondary_enrolment)
    return student


def death_probability(age, P):
    """Yearly chance of death by age (``demography.mortality``, China rural life tables)."""
    m = P.demography.mortality
    return m["under60"] if age < 60 else m["a60_69"] if age < 70 else m["over70"]


def is_mother_age(m):
    """Women aged 20-44 may give birth (``demography.births``)."""
    return m.female and 20 <= m.age <= 44


def illness_probability(age, chronic, P):
    """Monthly chance of an inpatient episode by age band, doubled-or-so if chronically ill.

    ``shocks.illness.probability`` (NHC health statistics) and ``shocks.illness.chronic_factor``.
    """
    I = P.shocks.illness
    base = I.probability["under45"] if age < 45 else I.probability["a45_59"] if age < 60 \
        else I.probability["over60"]
    return min(base * (I.chronic_factor if chronic else 1.0), 1.0)


def separation_hazard(job, L):
    """Monthly chance that a job ends (``labour.separation``); macro shocks multiply the hazard
    of market jobs (``labour.job_loss_multiplier``, DESIGN §3)."""
    hazard = L.separation[WAGE_KEYS[job]]
    if job != POST:
        hazard *= L.job_loss_multiplier
    return min(hazard, 1.0)


def in_season(L, month):
    """Whether work away pays in calendar ``month``: February to November (DESIGN §3)."""
    return L.away_season["first_month"] <= month <= L.away_season["last_month"]


def market_wage(job, L, wage_index):
    """Monthly wage of a median full-ability worker in ``job`` (yuan/month); posts pay a flat rate."""
    if job == POST:
        return L.wage.public_post
    return getattr(L.wage, WAGE_KEYS[job]) * wage_index


def personal_wage_factor(m, L):
    """Wage relative to the median full worker: own factor, weak labour and training premium."""
    factor = m.wage_factor * (L.weak_wage_factor if m.ability == ABILITY_WEAK else 1.0)
    return factor * (1.0 + L.skill_premium if m.trained else 1.0)


def logistic(x):
    """``1 / (1 + exp(-x))``, safe for large ``|x|`` and ``x = -inf``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def logaddexp(a, b):
    """``log(exp(a) + exp(b))`` for scalars, ``b`` may be ``-inf``."""
    if b == -math.inf:
        return a
    hi, lo = max(a, b), min(a, b)
    return hi + math.log1p(math.exp(lo - hi))


def poisson(lam, random):
    """A Poisson draw with mean ``lam`` (Knuth's product method; fine for small means)."""
    limit, k, product = math.exp(-lam), 0, random()
    while product > limit:
        k += 1
        product *= random()
    return k


def critical_illness_cumulative(residual, hi):
    """Supplementary payout on a year's cumulative residual in-list cost (yuan), by tier, capped.

    Tiers and limit: seed 004 乡村振兴健康保通知 §二(二) (0-20000元20%, 20000-40000元30%,
    40000元以上40%; 每人年度累计限额50000元).
    """
    starts = sorted(hi.critical_rates, key=float)
    paid = 0.0
    for i, key in enumerate(starts):
        lo = float(key)
        top = float(starts[i + 1]) if i + 1 < len(starts) else math.inf
        paid += min(max(residual - lo, 0.0), top - lo) * hi.critical_rates[key]
    return min(paid, hi.critical_limit)


# -- agents -------------------------------------------------------------------------------------
class Member:
    """One person of a household (plain object; the household is the Mesa agent).

    Attributes follow ``sim.population.Persons``: age (years), female, chronic, disabled, student,
    trained, wage_factor (relative to the median worker), attachment (in [0, 1); takes part in the
    labour market while below ``labour.participation``), ability (0/1/2), job (index into
    ``labour.JOBS``), employer (index of the provider, -1 if none). Monthly and year-to-date:
    sick, cost (inpatient cost this month, yuan), residual_ytd (yuan), months_employed.
    """

    __slots__ = ("age", "female", "chronic", "disabled", "student", "trained", "wage_factor",
                 "attachment", "ability", "job", "employer", "sick", "cost", "residual_ytd",
                 "months_employed")

    def __init__(self, age, female, chronic, disabled, student, trained, wage_factor, attachment,
                 ability, job=NONE, employer=-1):
        self.age, self.female, self.chronic, self.disabled = age, female, chronic, disabled
        self.student, self.trained, self.wage_factor = student, trained, wage_factor
        self.attachment, self.ability, self.job, self.employer = attachment, ability, job, employer
        self.sick, self.cost, self.residual_ytd, self.months_employed = False, 0.0, 0.0, 0

    def quit(self):
        """Leave the current job."""
        self.job, self.employer = NONE, -1


class Search:
    """One member's search this month: their logit utilities and whether a provider hired them."""

    __slots__ = ("household", "member", "home", "away", "finite", "hired")

    def __init__(self, household, member, home, away, finite):
        self.household, self.member, self.home, self.away = household, member, home, away
        self.finite, self.hired = finite, False


class Household(mesa.Agent):
    """A migrant household: its members and its own state, as in ``sim.population.Households``.

    Money in yuan, land in mu, livestock in head. ``income`` holds this month's four components;
    ``year_income``, ``year_dibao`` and ``year_out_of_pocket`` are this year's sums.
    """

    STATE = ("county", "village", "cohort", "self_initiated", "alleviated", "monitoring", "dibao",
             "insured", "land", "rents_out", "crop", "cattle", "sheep", "business",
             "business_factor", "coop_member", "last_income", "assessed_income")

    def __init__(self, model, members, **state):
        super().__init__(model)
        self.members = members
        for name in self.STATE:
            setattr(self, name, state[name])
        self.searching, self.searches = [], []
        self.income = dict.fromkeys(acc.COMPONENTS, 0.0)
        self.start_year()

    @property
    def size(self):
        return len(self.members)

    @property
    def monitored(self):
        return self.monitoring != NOT_MONITORED

    def start_year(self):
        """Reset the year-to-date sums of the household and its members (January)."""
        self.year_income = self.year_dibao = self.year_out_of_pocket = 0.0
        for m in self.members:
            m.residual_ytd, m.months_employed = 0.0, 0

    # -- before the job market ------------------------------------------------------------------
    def step(self):
        """The month before the job market: illness, job losses, separations, who searches."""
        P = self.model.P
        self.income = dict.fromkeys(acc.COMPONENTS, 0.0)
        self.searching = []
        for m in self.members:
            self.fall_ill(m, P)
            if m.job != NONE and self.random.random() < separation_hazard(m.job, P.labour):
                m.quit()
            if self.searches_work(m, P.labour):
                self.searching.append(m)

    def fall_ill(self, m, P):
        """An inpatient episode (``shocks.illness``): lognormal cost (yuan); the sick may lose
        their job with ``shocks.illness.job_loss``."""
        I = P.shocks.illness
        m.sick = self.random.random() < illness_probability(m.age, m.chronic, P)
        m.cost = I.cost_median * math.exp(I.cost_sigma * self.random.gauss(0.0, 1.0)) if m.sick else 0.0
        if m.sick and m.job != NONE and self.random.random() < I.job_loss:
            m.quit()

    def searches_work(self, m, L):
        """Idle, able and not in hospital, taking part (``labour.participation``), and searching
        this month (``labour.search_probability``)."""
        if m.job != NONE or m.ability == ABILITY_NONE or m.sick:
            return False
        key = ABILITY_KEYS[m.ability]
        return m.attachment < L.participation[key] and self.random.random() < L.search_probability[key]

    def weigh_options(self):
        """Each searcher weighs the options (after every household's separations, so the village
        shares working away are this month's)."""
        self.searches = [self.search(m, self.model.P) for m in self.searching]

    def search(self, m, P):
        """Logit utilities of staying home, going away and each finite job (log wages, yuan/month).

        Work away is valued at its season's share of the year and raised by the village's share
        working away (network effect); weak labour cannot go away. Jobs near home carry
        ``labour.choice.home_preference``.
        """
        L, C, wi = P.labour, P.labour.choice, self.model.wage_index
        beta, factor = C.wage_sensitivity, personal_wage_factor(m, L)
        season = (L.away_season["last_month"] - L.away_season["first_month"] + 1) / 12
        home = beta * math.log(L.reservation_wage * wi)
        away = -math.inf if m.ability == ABILITY_WEAK else (
            beta * math.log(L.wage.away * wi * factor * season)
            + C.network_effect * self.model.away_share[self.village])
        finite = {job: beta * math.log(market_wage(job, L, wi) * (1.0 if job == POST else factor))
              + C.home_preference for job in (LOCAL, WORKSHOP, PARK, POST)}
        return Search(self, m, home, away, finite)

    # -- matching --------------------------------------------------------------------------------
    def accepts(self, s, job):
        """Take the job offered rather than the best of going away or staying home (binary logit)."""
        return self.random.random() < logistic(s.finite[job] - logaddexp(s.home, s.away))

    def hiring_priority(self, m, job):
        """Monitored households first (seed 004 实施方案 §二(二)1: 符合条件的优先安置); public
        posts also put weak labour first."""
        return int(self.monitored or (job == POST and m.ability == ABILITY_WEAK))

    def go_away(self):
        """Searchers not hired choose away or home by logit; those going away find work with
        ``labour.match_probability_away``, raised by a village broker (seed 004 实施方案 §二(二)2),
        by training and by organised transfer employment (seed 004 实施方案 §二(二)1)."""
        L = self.model.P.labour
        broker = self.model.brokers[self.village].active
        organised = 1.0 + L.organised_transfer * L.organised_transfer_gain
        for s in self.searches:
            if s.hired or self.random.random() >= logistic(s.away - s.home):
                continue
            chance = L.match_probability_away * organised * (L.broker_effect if broker else 1.0) * (
                L.skill_match_effect if s.member.trained else 1.0)
            if self.random.random() < min(chance, 1.0):
                s.member.job = AWAY

    # -- after matching --------------------------------------------------------------------------
    def advance(self):
        """The month after matching: wages, industry, transfers; adds to the year's income."""
        P, month = self.model.P, self.model.date.month
        self.earn_wages(P.labour, month)
        self.run_industry(P, month)
        self.receive_transfers(P, month)
        self.year_income += sum(self.income.values())

    def earn_wages(self, L, month):
        """Wages of the employed who are not in hospital (yuan/month); away only in season.
        Public posts pay a flat rate from public funds (seed 004 实施方案 §二(二)1)."""
        wages = posts = 0.0
        for m in self.members:
            if m.job != NONE:
                m.months_employed += 1
                self.model.away_months += m.job == AWAY
                if not m.sick and (m.job != AWAY or in_season(L, month)):
                    pay = market_wage(m.job, L, self.model.wage_index) * (
                        1.0 if m.job == POST else personal_wage_factor(m, L))
                    wages += pay
                    posts += pay if m.job == POST else 0.0
        self.income["wages"] += wages
        self.model.ledger.spend("public_posts", posts)

    def run_industry(self, P, month):
        """Net operating income (business, crops at harvest, livestock at sale) and property
        income (land rent monthly, dividends in December), yuan."""
        self.income["operating"] += self.business_profit(P) + self.livestock_income(P, month)
        if month == P.industry.crops.harvest_month:
            self.income["operating"] += self.crop_income(P)
        if self.rents_out:
            self.income["property"] += self.land * P.industry.land_rent / 12.0
        if month == 12:
            self.income["property"] += self.dividends(P)

    def business_profit(self, P):
        """Monthly small-business profit (``industry.business.monthly_profit``), growing with wages."""
        if not self.business:
            return 0.0
        return P.industry.business.monthly_profit * self.business_factor * self.model.wage_index

    def crop_income(self, P):
        """Net crop income at harvest on land not rented out (``industry.crops.net_per_mu``; seed
        004 §二(一)1 names the crops), cut by a county disaster (``industry.disaster.loss``)."""
        if self.rents_out:
            return 0.0
        cr = P.industry.crops
        net = cr.net_per_mu[CROPS[self.crop]] * (1.0 + cr.online_share * cr.online_premium) * self.model.prices["crops"]
        loss = P.industry.disaster.loss if self.model.disaster[self.county] else 0.0
        return self.land * net * (1.0 - loss)

    def livestock_income(self, P, month):
        """Cattle sold in their month: head x turnover x (fattened price now - calf price a year
        ago - costs) (household_facts: Haiyuan prices); sheep net per head in theirs (yuan)."""
        c, prices, out = P.industry.cattle, self.model.prices, 0.0
        if month == c.sale_month:
            cost = c.cost_per_head * (1.0 - P.industry.cattle_parks * P.industry.cattle_park_saving)
            margin = c.fattened_price * prices["livestock"] - c.calf_price * prices["livestock_last"] - cost
            out += self.cattle * c.turnover * margin
        if month == P.industry.sheep.sale_month:
            out += self.sheep * P.industry.sheep.net_per_head * prices["livestock"]
        return out

    def dividends(self, P):
        """December payouts: the key village's collective (seed 004 实施方案 §二(一)3) to living
        households, the county cooperative's dividend to members (household_facts)."""
        collective = self.model.collective_of.get(self.village)
        out = collective.payout_per_household(P) if collective is not None and self.size > 0 else 0.0
        return out + (self.model.coops[self.county].dividend(P) if self.coop_member else 0.0)

    def receive_transfers(self, P, month):
        """Net transfers (NBS): pensions, dibao, medical payouts, assistance, subsidies received,
        minus premiums (January) and pension contributions (``transfers.yearly_payment_month``)."""
        T, ledger = P.transfers, self.model.ledger
        pension = sum(T.pension.basic for m in self.members if m.age >= T.pension.age)
        dibao = self.dibao_topup(T)
        reimbursed, out_of_pocket = self.medical_payouts(P)
        assistance = T.temporary_assistance.amount if out_of_pocket > T.temporary_assistance.threshold else 0.0
        received = pension + dibao + reimbursed + assistance
        if month == 1:
            received -= self.pay_premiums(T.health_insurance)
        if month == T.yearly_payment_month:
            received += self.yearly_subsidies(P) - self.pension_contributions(P)
        ledger.spend("pensions", pension)
        ledger.spend("dibao", dibao)
        ledger.spend("temporary_assistance", assistance)
        self.income["transfers"] += received
        self.year_dibao += dibao
        self.year_out_of_pocket += out_of_pocket

    def dibao_topup(self, T):
        """Monthly dibao: tops last year's per-capita income before dibao up to the standard
        (rural dibao 补差; seed 004 实施方案 §二(四)4 gives the standard, yuan/person/year)."""
        if not self.dibao:
            return 0.0
        return max(T.dibao.standard - self.assessed_income, 0.0) * self.size / 12.0

    def medical_payouts(self, P):
        """Reimbursed inpatient costs (basic insurance, then 乡村振兴健康保 on the year's cumulative
        residual for the insured, seed 004 通知 §二(二)) and the household's out-of-pocket rest."""
        hi, share = P.transfers.health_insurance, P.shocks.illness.basic_reimbursement
        reimbursed = out_of_pocket = 0.0
        for m in self.members:
            if m.cost > 0.0:
                basic = m.cost * share
                residual = m.cost - basic
                before, m.residual_ytd = m.residual_ytd, m.residual_ytd + residual
                critical = (critical_illness_cumulative(m.residual_ytd, hi)
                            - critical_illness_cumulative(before, hi)) if self.insured else 0.0
                reimbursed += basic + critical
                out_of_pocket += residual - critical
        return reimbursed, out_of_pocket

    def pay_premiums(self, hi):
        """January premiums of 乡村振兴健康保 (seed 004 通知 §三): 70 yuan a person; the county pays
        50 for alleviated and monitored households. Returns the household's own share (yuan)."""
        if not self.insured:
            return 0.0
        county = hi.county_share * self.size if (self.alleviated or self.monitored) else 0.0
        self.model.ledger.spend("health_insurance", county)
        return hi.premium * self.size - county

    def yearly_subsidies(self, P):
        """Farmland protection subsidy per mu and cattle subsidy per head (seed 004 §二(一)1)."""
        farmland = self.land * P.transfers.farmland_subsidy
        cattle = self.cattle * P.industry.cattle.subsidy_per_head
        self.model.ledger.spend("farmland_subsidy", farmland)
        self.model.ledger.spend("livestock_subsidy", cattle)
        return farmland + cattle

    def pension_contributions(self, P):
        """Yearly pension contributions of members 16-59 not in school; dibao households and
        persons with a disability pay none (the government pays for them)."""
        if self.dibao:
            return 0.0
        pen, first = P.transfers.pension, P.labour.working_age["min"]
        return sum(pen.contribution for m in self.members
                   if first <= m.age < pen.age and not m.student and not m.disabled)

    # -- yearly ----------------------------------------------------------------------------------
    def grow_older(self, P):
        """Birthdays and school transitions (January)."""
        for m in self.members:
            m.age += 1
            m.student = stays_in_school(m.age, m.student, P.population, self.random.random)

    def deaths_and_births(self, P, birth_chance):
        """Deaths by age, births to women 20-44 who survive, then labour ability, a main earner
        and jobs that no longer fit; a household left without members is dissolved."""
        survivors, born = [], []
        for m in self.members:
            dies = self.random.random() < death_probability(m.age, P)
            gives_birth = is_mother_age(m) and self.random.random() < birth_chance
            if not dies:
                survivors.append(m)
                if gives_birth:
                    born.append(self.newborn(P))
        self.members = survivors + born
        for m in self.members:
            m.ability = labour_ability(m.age, m.student, m.disabled, m.chronic, P.labour)
            if m.ability == ABILITY_NONE or (m.ability == ABILITY_WEAK and m.job == AWAY):
                m.quit()
        self.choose_main_earner()
        if not self.members:
            self.land = self.cattle = self.sheep = 0.0
            self.business = self.coop_member = self.rents_out = self.dibao = False

    def newborn(self, P):
        """A person aged 0 (``population.female_share``, ``population.productivity_sigma``)."""
        pp = P.population
        return Member(age=0, female=self.random.random() < pp.female_share, chronic=False,
                      disabled=False, student=False, trained=False,
                      wage_factor=self.random.lognormvariate(0.0, pp.productivity_sigma),
                      attachment=self.random.random(), ability=ABILITY_NONE)

    def choose_main_earner(self):
        """With full labour but no main earner (attachment 0), one full member at random becomes
        it: households send at least one member to work (seed 004 实施意见 §二(三))."""
        full = [m for m in self.members if m.ability == ABILITY_FULL]
        if full and not any(m.attachment == 0.0 for m in full):
            self.random.choice(full).attachment = 0.0

    def adopt_livestock(self, P, peers):
        """Yearly entry to and exit from cattle (with the village's share as peer effect) and sheep
        (``industry.cattle.adoption/peer_effect/exit``, ``industry.sheep.adoption/exit``)."""
        pp, c, s, rand = P.population, P.industry.cattle, P.industry.sheep, self.random.random
        chance = c.adoption + c.peer_effect * peers + P.industry.leading_industry * P.industry.leading_industry_gain
        start = self.size > 0 and self.cattle == 0 and rand() < min(chance, 1.0)
        if self.cattle > 0 and rand() < c.exit:
            self.cattle = 0.0
        if start:
            self.cattle = float(1 + poisson(pp.cattle_herd - 1, rand))
        start = self.size > 0 and self.sheep == 0 and rand() < s.adoption
        if self.sheep > 0 and rand() < s.exit:
            self.sheep = 0.0
        if start:
            self.sheep = float(1 + poisson(pp.sheep_flock - 1, rand))

    def close_business(self, P):
        """A small business closes with ``industry.business.exit`` a year."""
        if self.business and self.random.random() < P.industry.business.exit:
            self.business = False

    def open_business(self, P):
        """Start a business funded by a guarantee loan (seed 004 实施方案 §二(二)1), with a profit
        factor of mean one (lognormal, ``industry.business.profit_sigma``)."""
        sigma = P.industry.business.profit_sigma
        self.business, self.business_factor = True, self.random.lognormvariate(-sigma ** 2 / 2, sigma)

    def enrol(self, P):
        """乡村振兴健康保 each January: alleviated and monitored households (county-subsidised, seed
        004 健康保通知 §三), others by choice with ``transfers.health_insurance.voluntary_takeup``."""
        self.insured = (self.alleviated or self.monitored
                        or self.random.random() < P.transfers.health_insurance.voluntary_takeup)

    def review(self, P):
        """December review (seed 001 名词解释 2-3; seed 004 实施意见 §二(一)): monitoring status,
        dibao eligibility and take-up, insurance, and the incomes next year's dibao is based on."""
        M, size = P.monitoring, self.size
        per_capita = self.year_income / size if size else math.inf
        line = M.line * self.model.line_index
        below = per_capita < line
        hardship = size > 0 and self.year_out_of_pocket > M.hardship_share * max(self.year_income, 0.0)
        new = self.monitoring == NOT_MONITORED and (below or hardship)
        if new:
            self.monitoring = (UNSTABLE if self.alleviated else EDGE) if below else SUDDEN
        elif self.monitored and per_capita > line * M.exit_factor and not hardship:
            self.monitoring = NOT_MONITORED
        assessed = (self.year_income - self.year_dibao) / size if size else math.inf
        eligible = assessed < P.transfers.dibao.standard
        self.dibao = eligible and (self.dibao or self.random.random() < P.transfers.dibao.takeup)
        self.insured = self.insured or self.alleviated or self.monitored
        self.last_income = per_capita if size else 0.0
        self.assessed_income = assessed if size else 0.0


# -- the model ----------------------------------------------------------------------------------
def households_from(model, population):
    """One :class:`Household` agent per household row of ``population``, members in row order."""
    h, p = population.households, population.persons
    members = [[] for _ in range(h.n)]
    for i in range(p.n):
        members[int(p.hh[i])].append(Member(
            age=int(p.age[i]), female=bool(p.female[i]), chronic=bool(p.chronic[i]),
            disabled=bool(p.disabled[i]), student=bool(p.student[i]), trained=bool(p.trained[i]),
            wage_factor=float(p.wage_factor[i]), attachment=float(p.attachment[i]),
            ability=int(p.ability[i]), job=int(p.job[i]), employer=int(p.employer[i])))
    return [Household(model, members[r], **{name: getattr(h, name)[r].item() for name in Household.STATE})
            for r in range(h.n)]


class ReferenceModel(mesa.Model):
    """Monthly simulation of migrant household incomes, one household agent at a time.

    Parameters
    ----------
    scenario : sim.scenario.Scenario
    population : sim.population.Population
        The households to simulate, converted row by row (not changed).
    rng : numpy.random.Generator or seed-like
        The model's random stream; ``self.random`` is seeded from it.
    burn_in : int, optional
        Months of burn-in; by default ``model.burn_in_months``.
    """

    def __init__(self, scenario, *, population, rng=None, burn_in=None):
        super().__init__(rng=rng)
        self.macro_rng = self.rng.spawn(1)[0]  # prices and disasters, as in the engine
        self.scenario, self.villages, self.scale = scenario, population.villages, population.scale
        self.providers, self.brokers, self.coops, self.collectives = create_meso_agents(self, population)
        self.collective_of = {c.village: c for c in self.collectives}
        self.household_list = households_from(self, population)
        self.households = AgentSet(self.household_list, random=self.random)
        months = scenario.months()
        burn = int(self.params(months[0]).model.burn_in_months if burn_in is None else burn_in)
        before = [add_months(months[0], -k) for k in range(burn, 0, -1)]
        self.calendar = [(d, False) for d in before] + [(d, True) for d in months]
        self.wage_index, self.line_index, self.loans = 1.0, 1.0, 0.0
        self.prices = {"livestock": 1.0, "livestock_last": 1.0, "crops": 1.0}
        self.disaster = [False] * len(COUNTIES)
        self.accounts = acc.Accounts()
        self.running = True

    def params(self, date):
        """Parameters in effect on ``date``; burn-in months use the start month's.

        The snapshot is read through plain attributes (``P.labour.wage.away``), as in the engine.
        """
        return _attributes(self.scenario.parameters.at(max(date, self.scenario.start)))

    def step(self):
        """One month (DESIGN §3 order)."""
        self.date, recorded = self.calendar[self.steps - 1]
        self.P = P = self.params(self.date)
        self.ledger = acc.Ledger(len(self.household_list))
        if self.date.month == 1 or self.steps == 1:
            self.new_year(P, trend=recorded and self.date > self.scenario.start)
        self.households.shuffle_do("step")
        self.away_share = self.away_share_by_village()
        self.households.do("weigh_options")
        self.recruit()
        self.households.do("go_away")
        if self.date.month == P.industry.crops.harvest_month:
            self.disaster = list(self.macro_rng.random(len(COUNTIES)) < P.industry.disaster.probability)
        self.households.do("advance")
        for c in acc.COMPONENTS:
            self.ledger.income[c][:] = [hh.income[c] for hh in self.household_list]
        if recorded:
            self.accounts.record_month(self.date, self.ledger, self.household_view(), self.person_view())
        if self.date.month == 12:
            self.end_year(P, recorded)
        if self.steps >= len(self.calendar):
            self.running = False

    # -- yearly ----------------------------------------------------------------------------------
    def new_year(self, P, trend):
        """January: trends (after the start only), brokers, capacities, training, livestock,
        businesses; then a new year of accounts."""
        if trend:
            self.age_population(P)
            self.wage_index *= 1.0 + P.labour.wage_growth
            self.line_index *= 1.0 + P.monitoring.line_growth
            self.move_prices(P)
        for b in self.brokers:
            b.update(P.labour.broker_coverage)
        self.set_capacities(P)
        self.train(P)
        self.placed = self.place_in_fujian(P)
        shares = self.village_share(lambda hh: hh.cattle > 0)
        for hh in self.household_list:
            hh.adopt_livestock(P, shares[hh.village])
        self.loans = self.start_businesses(P)
        self.joined = self.join_cooperatives(P)
        for hh in self.household_list:
            hh.enrol(P)
        self.away_months = 0
        self.accounts.start_year(self.household_view(), self.villages)
        for hh in self.household_list:
            hh.start_year()

    def age_population(self, P):
        """A year of ageing, school, deaths and births. The chance of a birth per woman 20-44 makes
        births per person equal ``demography.births`` (Ningxia communique)."""
        self.households.do("grow_older", P)
        people = [m for hh in self.household_list for m in hh.members]
        mothers = sum(is_mother_age(m) for m in people)
        chance = min(P.demography.births * len(people) / max(mothers, 1), 1.0)
        self.households.do("deaths_and_births", P, chance)

    def move_prices(self, P):
        """Yearly log random walks of the livestock (with drift) and crop price indices."""
        c, old = P.industry.cattle, self.prices
        livestock = old["livestock"] * math.exp(c.price_drift + c.price_volatility * self.macro_rng.standard_normal())
        crops = old["crops"] * math.exp(P.industry.crops.price_volatility * self.macro_rng.standard_normal())
        self.prices = {"livestock": livestock, "livestock_last": old["livestock"], "crops": crops}

    def set_capacities(self, P):
        """Near-home jobs per household of the county; other programmes scaled to the population."""
        per_county = [0] * len(COUNTIES)
        for hh in self.household_list:
            per_county[hh.county] += 1
        for a in self.providers:
            size = _lookup(P, a.size_parameter)
            a.set_capacity(size * per_county[a.county] if a.kind == "local" else size * self.scale)

    def train(self, P):
        """Skills training places (seed 004 实施方案 §二(二)2) go to untrained members with labour
        ability, monitored households first (seed 004 实施意见 §二(一)), the rest at random."""
        pool = [(hh, m) for hh in self.household_list for m in hh.members
                if m.ability > ABILITY_NONE and not m.trained]
        self.random.shuffle(pool)
        pool.sort(key=lambda pair: not pair[0].monitored)
        chosen = pool[:int(P.labour.training_places * self.scale)]
        for _, m in chosen:
            m.trained = True
        self.ledger.spend("training", len(chosen) * P.labour.training_cost)

    def place_in_fujian(self, P):
        """Fujian-Ningxia labour cooperation (seed 002 第五章; seed 000 第五章§二) places idle
        members of full labour in work away, monitored and alleviated households first."""
        pool = [(hh, m) for hh in self.household_list for m in hh.members
                if m.job == NONE and m.ability == ABILITY_FULL]
        self.random.shuffle(pool)
        pool.sort(key=lambda pair: not (pair[0].monitored or pair[0].alleviated))
        chosen = pool[:round(P.labour.fujian_placements * self.scale)]
        for _, m in chosen:
            m.job = AWAY
        return len(chosen)

    def join_cooperatives(self, P):
        """New farm businesses (新型经营主体, seed 004 实施方案 §二(一)3) take in households at
        random among living non-members as dividend-paying members."""
        pool = [hh for hh in self.household_list if not hh.coop_member and hh.size > 0]
        chosen = self.random.sample(pool, min(round(P.industry.new_cooperative_members * self.scale), len(pool)))
        for hh in chosen:
            hh.coop_member = True
        return len(chosen)

    def start_businesses(self, P):
        """Businesses close; the guarantee loans (seed 004 实施方案 §二(二)1) fund new ones in
        households chosen at random. Returns loans issued (yuan)."""
        b = P.industry.business
        self.households.do("close_business", P)
        pool = [hh for hh in self.household_list if not hh.business and hh.size > 0]
        chosen = self.random.sample(pool, min(int(round(b.guarantee_loans * self.scale / b.loan_size)), len(pool)))
        for hh in chosen:
            hh.open_business(P)
        return len(chosen) * b.loan_size

    def end_year(self, P, recorded):
        """Record the year; review households in recorded Decembers and the last burn-in one.

        As in the engine, the year's indicators are taken before the review, so the monitored and
        dibao shares are the statuses in force during the year.
        """
        if recorded:
            self.accounts.record_year(self.date.year, self.indicators(P))
        if recorded or self.calendar[self.steps][1]:
            self.households.do("review", P)

    def indicators(self, P):
        """Household-level outcomes of the year (shares of living households, yuan)."""
        alive = [hh for hh in self.household_list if hh.size > 0]
        labour = [hh for hh in alive if any(m.ability > ABILITY_NONE for m in hh.members)]
        stable = [any(m.months_employed >= P.monitoring.stable_job_months for m in hh.members) for hh in labour]
        industry = [hh.cattle > 0 or hh.sheep > 0 or hh.business
                    or (not hh.rents_out and hh.crop != GRAIN and hh.land > 0) for hh in labour]
        below = [hh.year_income / hh.size < P.monitoring.line * self.line_index for hh in alive]
        return {"households": len(alive), "below_monitoring_line_share": np.mean(below),
                "monitored_share": np.mean([hh.monitored for hh in alive]),
                "dibao_share": np.mean([hh.dibao for hh in alive]),
                "labour_households_with_stable_job_share": np.mean(stable),
                "labour_households_with_stable_job_or_industry_share":
                    np.mean([s or i for s, i in zip(stable, industry)]),
                "guarantee_loans_issued_yuan": self.loans,
                "away_workers_mean": self.away_months / 12.0,
                "fujian_placed": self.placed, "cooperative_members_joined": self.joined,
                "villages_with_cattle": len({hh.village for hh in self.household_list if hh.cattle > 0})}

    # -- monthly ---------------------------------------------------------------------------------
    def village_share(self, flag):
        """Share of each village's households (all rows) for which ``flag(household)`` holds."""
        n, k = [0] * len(self.villages.key), [0] * len(self.villages.key)
        for hh in self.household_list:
            n[hh.village] += 1
            k[hh.village] += bool(flag(hh))
        return [k[v] / n[v] if n[v] else 0.0 for v in range(len(n))]

    def recruit(self):
        """Providers, in order, offer their free jobs to this month's searchers of their county;
        each searcher accepts by logit and the provider hires by priority (``JobProvider.hire``)."""
        searches = [s for hh in self.household_list for s in hh.searches]
        filled = [0] * len(self.providers)
        for hh in self.household_list:
            for m in hh.members:
                if m.employer >= 0:
                    filled[m.employer] += 1
        for i, provider in enumerate(self.providers):
            job = JOBS.index(provider.kind)
            willing = [s for s in searches if not s.hired and provider.county in (-1, s.household.county)
                       and s.household.accepts(s, job)]
            priority = np.array([s.household.hiring_priority(s.member, job) for s in willing], dtype=np.int8)
            for j in provider.hire(np.arange(len(willing)), priority, filled[i]):
                s = willing[j]
                s.member.job, s.member.employer, s.hired = job, i, True

    def away_share_by_village(self):
        """Share of each village's members with labour ability who work away."""
        able, away = [0] * len(self.villages.key), [0] * len(self.villages.key)
        for hh in self.household_list:
            for m in hh.members:
                able[hh.village] += m.ability > ABILITY_NONE
                away[hh.village] += m.job == AWAY
        return [away[v] / able[v] if able[v] else 0.0 for v in range(len(able))]

    # -- accounting ------------------------------------------------------------------------------
    def household_view(self):
        """The households as arrays, as ``sim.accounts`` reads them."""
        hl = self.household_list
        view = SimpleNamespace(**{name: np.array([getattr(hh, name) for hh in hl])
                                  for name in ("county", "village", "cohort", "self_initiated",
                                               "alleviated", "monitoring", "dibao")})
        view.size = np.array([hh.size for hh in hl], dtype=np.int64)
        view.n = len(hl)
        return view

    def person_view(self):
        """Every member's job and labour ability as arrays, as ``sim.accounts`` reads them."""
        people = [m for hh in self.household_list for m in hh.members]
        return SimpleNamespace(job=np.array([m.job for m in people], dtype=np.int64),
                               ability=np.array([m.ability for m in people], dtype=np.int64))

    @property
    def year_income(self):
        """Each household's disposable income so far this year (yuan), in row order."""
        return np.array([hh.year_income for hh in self.household_list])


def simulate_reference(scenario, population, rng, burn_in=None):
    """Run ``scenario`` on ``population`` to its end; returns the model (tables in ``model.accounts``)."""
    return run_to_end(ReferenceModel(scenario, population=population, rng=rng, burn_in=burn_in))


def _lookup(snapshot, path):
    for part in path.split("."):
        snapshot = getattr(snapshot, part)
    return snapshot


def _attributes(snapshot):
    """A parameter snapshot as nested namespaces (fast attribute access); mapping values stay dicts."""
    return SimpleNamespace(**{k: _attributes(v) if isinstance(v, Snapshot) else v
                              for k, v in snapshot.items()})
