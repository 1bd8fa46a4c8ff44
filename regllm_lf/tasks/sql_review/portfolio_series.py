"""Market and model series of the synthetic portfolio that need no random draws: reference rates,
master scale, macro scenarios and sensitivities, RWA totals for the output floor, PD term structures
and a macro history. All synthetic: plausible shapes, not published figures."""

from __future__ import annotations

import datetime as dt
import math

SEGMENTS = ("minorista", "pyme", "empresa")
# Master scale: central PD per rating grade 1 (best) .. 10 (worst).
MASTER_SCALE_PD = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.06, 0.12, 0.25)
SCENARIO_YEARS = range(2024, 2029)  # forward-looking years for reviews dated 2023 to 2025


def quarter_ends(first_year: int, last_year: int) -> list[dt.date]:
    ends = [dt.date(first_year, 12, 31)]
    for year in range(first_year + 1, last_year + 1):
        ends += [dt.date(year, 3, 31), dt.date(year, 6, 30), dt.date(year, 9, 30), dt.date(year, 12, 31)]
    return ends


def reference_rates(last_year: int) -> list[tuple]:
    rows = []
    # A plausible Euribor path: slightly positive, negative 2016-2021, the 2022-23 rise, the 2024-25
    # decline; the 3-month rate sits a little below the 12-month one.
    for year in range(2010, last_year + 1):
        for month in range(1, 13):
            t = year + (month - 1) / 12
            if t < 2016:
                rate = 0.02 - 0.0035 * (t - 2010)
            elif t < 2022:
                rate = -0.002 - 0.0005 * math.sin(t)
            elif t < 2024:
                rate = min(0.04, -0.005 + 0.025 * (t - 2022))
            else:
                rate = max(0.022, 0.04 - 0.009 * (t - 2024))
            spread = 0.0025 if rate > 0 else 0.0015
            rows.append((dt.date(year, month, 1), round(rate, 5), round(rate - spread, 5)))
    return rows


def master_scale() -> list[tuple]:
    rows = []
    for grade, pd_central in enumerate(MASTER_SCALE_PD, start=1):
        lower = MASTER_SCALE_PD[grade - 2] if grade > 1 else 0.0
        pd_min = round(math.sqrt(lower * pd_central), 6) if lower else 0.0
        upper = MASTER_SCALE_PD[grade] if grade < len(MASTER_SCALE_PD) else 1.0
        pd_max = round(math.sqrt(upper * pd_central), 6) if grade < len(MASTER_SCALE_PD) else 1.0
        rows.append((grade, pd_min, pd_max, pd_central))
    return rows


def scenarios() -> tuple[list[tuple], list[tuple]]:
    rows, sensitivities = [], []
    settings = {
        "base": (0.5, 0.02, 0.11, 0.03, 0.03, 1.0, 1.0),
        "adverso": (0.3, -0.02, 0.16, 0.045, -0.08, 1.8, 1.25),
        "favorable": (0.2, 0.03, 0.10, 0.025, 0.05, 0.8, 0.95),
    }
    for scenario, (weight, gdp, unemployment, rate, housing, pd_mult, lgd_mult) in settings.items():
        for offset, year in enumerate(SCENARIO_YEARS):
            fade = 1 - 0.25 * min(offset, 2)
            rows.append(
                (
                    scenario,
                    year,
                    weight,
                    round(gdp * fade, 4),
                    round(unemployment, 4),
                    rate,
                    round(housing * fade, 4),
                )
            )
            for segment in SEGMENTS:
                bump = 1.1 if segment == "pyme" else 1.0
                sensitivities.append(
                    (
                        segment,
                        scenario,
                        year,
                        round(1 + (pd_mult - 1) * fade * bump, 4),
                        round(1 + (lgd_mult - 1) * fade, 4),
                    )
                )
    return rows, sensitivities


def rwa_totals(last_year: int) -> list[tuple]:
    rows = []
    # Million EUR by risk type: internal models give less than the standardised approaches, so the
    # output floor binds at 72,5 % but not at 50 %.
    shares = {"credito": (0.84, 1.55), "mercado": (0.04, 1.3), "operacional": (0.1, 1.0), "cva": (0.02, 1.2)}
    for quarter, day in enumerate(quarter_ends(2023, last_year)):
        total = 100_000 * (1 + 0.01 * quarter)
        for risk, (share, ratio) in shares.items():
            unfloored = round(total * share, 1)
            rows.append((day, risk, unfloored, round(unfloored * ratio, 1)))
    return rows


def pd_term_structure() -> list[tuple]:
    rows = []
    # Cumulative PD by grade: the one-year PD compounded, with good grades deteriorating and bad
    # grades improving over the horizon (mean reversion).
    for grade, one_year in enumerate(MASTER_SCALE_PD, start=1):
        survival = 1.0
        for horizon in range(1, 11):
            drift = 1 + 0.06 * (horizon - 1) if grade <= 5 else max(0.5, 1 - 0.05 * (horizon - 1))
            survival *= 1 - min(0.99, one_year * drift)
            rows.append((grade, horizon, round(1 - survival, 6)))
    return rows


def macro_history(last_year: int) -> list[tuple]:
    rows = []
    # A synthetic cycle: expansion, a long 2009-2013 recession, recovery, the 2020 shock, rebound.
    gdp = {2008: 0.009, 2009: -0.038, 2010: 0.002, 2011: -0.008, 2012: -0.03, 2013: -0.014, 2020: -0.11, 2021: 0.064}
    unemployment = {2008: 0.11, 2009: 0.18, 2010: 0.2, 2011: 0.21, 2012: 0.25, 2013: 0.26, 2020: 0.155, 2021: 0.148}
    housing = {2008: -0.03, 2009: -0.07, 2010: -0.04, 2011: -0.07, 2012: -0.13, 2013: -0.1, 2020: -0.01}
    for year in range(2000, last_year + 1):
        default_gdp = 0.035 if year < 2008 else 0.025
        default_unemployment = 0.1 if year < 2008 else max(0.115, 0.24 - 0.017 * (year - 2014))
        rows.append(
            (
                year,
                gdp.get(year, default_gdp),
                round(unemployment.get(year, default_unemployment), 4),
                housing.get(year, 0.08 if year < 2008 else 0.04),
            )
        )
    return rows
