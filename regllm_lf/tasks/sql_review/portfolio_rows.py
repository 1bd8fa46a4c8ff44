"""The rows of the deterministic synthetic loan-level portfolio: clients, operations, quarterly snapshots,
defaults and recoveries, seeded so that query results are the same on every machine."""

from __future__ import annotations

import datetime as dt
import math
import random

DEFAULT_SEED = 20240131

SEGMENTS = ("minorista", "pyme", "empresa")
SECTORS = {
    "minorista": ("hogares",),
    "pyme": ("comercio", "industria", "construccion", "servicios"),
    "empresa": ("industria", "servicios", "inmobiliario", "construccion"),
}
PRODUCTS = {
    "minorista": ("hipoteca", "prestamo_consumo", "tarjeta"),
    "pyme": ("prestamo_empresa", "linea_credito"),
    "empresa": ("prestamo_empresa", "linea_credito"),
}
PROVINCES = ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bizkaia", "Málaga", "Zaragoza", "A Coruña")
# Master scale: central PD per rating grade 1 (best) .. 10 (worst).
MASTER_SCALE_PD = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.06, 0.12, 0.25)
FIRST_SNAPSHOT_YEAR = 2014
LAST_SNAPSHOT_YEAR = 2023
NUM_CLIENTS = 600


def _quarter_ends(first_year: int, last_year: int) -> list[dt.date]:
    ends = [dt.date(first_year, 12, 31)]
    for year in range(first_year + 1, last_year + 1):
        ends += [dt.date(year, 3, 31), dt.date(year, 6, 30), dt.date(year, 9, 30), dt.date(year, 12, 31)]
    return ends


def _add_years(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


class _PortfolioBuilder:
    """Builds all rows in memory with one seeded random generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tables: dict[str, list[tuple]] = {
            name: []
            for name in (
                "clientes",
                "operaciones",
                "cartera",
                "defaults",
                "recuperaciones",
                "tipos_referencia",
                "escala_maestra",
                "escenarios_macro",
                "sensibilidades_macro",
            )
        }

    def build(self) -> dict[str, list[tuple]]:
        self._reference_rates()
        self._master_scale()
        self._scenarios()
        operation_id = 0
        for client_id in range(1, NUM_CLIENTS + 1):
            segment = self.rng.choices(SEGMENTS, weights=(0.6, 0.3, 0.1))[0]
            self._client(client_id, segment)
            for _ in range(self.rng.choice((1, 1, 2))):
                operation_id += 1
                self._operation(operation_id, client_id, segment)
        return self.tables

    def _reference_rates(self) -> None:
        # A plausible Euribor 12M path: slightly positive, negative 2016-2021, then the 2022-23 rise.
        for year in range(2010, LAST_SNAPSHOT_YEAR + 1):
            for month in range(1, 13):
                t = year + (month - 1) / 12
                if t < 2016:
                    rate = 0.02 - 0.0035 * (t - 2010)
                elif t < 2022:
                    rate = -0.002 - 0.0005 * math.sin(t)
                else:
                    rate = min(0.04, -0.005 + 0.025 * (t - 2022))
                self.tables["tipos_referencia"].append((dt.date(year, month, 1), round(rate, 5)))

    def _master_scale(self) -> None:
        for grade, pd_central in enumerate(MASTER_SCALE_PD, start=1):
            lower = MASTER_SCALE_PD[grade - 2] if grade > 1 else 0.0
            pd_min = round(math.sqrt(lower * pd_central), 6) if lower else 0.0
            upper = MASTER_SCALE_PD[grade] if grade < len(MASTER_SCALE_PD) else 1.0
            pd_max = round(math.sqrt(upper * pd_central), 6) if grade < len(MASTER_SCALE_PD) else 1.0
            self.tables["escala_maestra"].append((grade, pd_min, pd_max, pd_central))

    def _scenarios(self) -> None:
        settings = {
            "base": (0.5, 0.02, 0.11, 0.03, 0.03, 1.0, 1.0),
            "adverso": (0.3, -0.02, 0.16, 0.045, -0.08, 1.8, 1.25),
            "favorable": (0.2, 0.03, 0.10, 0.025, 0.05, 0.8, 0.95),
        }
        for scenario, (weight, gdp, unemployment, rate, housing, pd_mult, lgd_mult) in settings.items():
            for offset, year in enumerate(range(2024, 2027)):
                fade = 1 - 0.25 * offset
                self.tables["escenarios_macro"].append(
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
                    self.tables["sensibilidades_macro"].append(
                        (
                            segment,
                            scenario,
                            year,
                            round(1 + (pd_mult - 1) * fade * bump, 4),
                            round(1 + (lgd_mult - 1) * fade, 4),
                        )
                    )

    def _client(self, client_id: int, segment: str) -> None:
        rng = self.rng
        sales = (
            None
            if segment == "minorista"
            else round(rng.uniform(1, 45) if segment == "pyme" else rng.uniform(50, 900), 2)
        )
        since = dt.date(rng.randint(2000, 2015), rng.randint(1, 12), rng.randint(1, 28))
        self.tables["clientes"].append(
            (client_id, segment, rng.choice(SECTORS[segment]), rng.choice(PROVINCES), since, sales)
        )

    def _operation(self, operation_id: int, client_id: int, segment: str) -> None:
        rng = self.rng
        product = rng.choice(PRODUCTS[segment])
        start = dt.date(rng.randint(2012, 2022), rng.randint(1, 12), rng.randint(1, 28))
        term = {"hipoteca": rng.randint(15, 30), "tarjeta": 3, "linea_credito": rng.randint(1, 3)}.get(
            product, rng.randint(3, 8)
        )
        maturity = _add_years(start, term)
        amount = {
            "hipoteca": rng.uniform(60_000, 350_000),
            "prestamo_consumo": rng.uniform(3_000, 30_000),
            "tarjeta": rng.uniform(1_000, 12_000),
            "linea_credito": rng.uniform(50_000, 2_000_000),
            "prestamo_empresa": rng.uniform(100_000, 5_000_000),
        }[product]
        amount = round(amount, 2)
        revolving = product in ("tarjeta", "linea_credito")
        collateral_type = "hipotecaria" if product == "hipoteca" else rng.choice(("personal", "aval", "ninguna"))
        collateral = round(amount * rng.uniform(1.1, 1.8), 2) if collateral_type == "hipotecaria" else 0.0
        rating = rng.choices(range(1, 11), weights=(2, 4, 7, 10, 12, 12, 9, 6, 3, 1))[0]
        rate = round(0.01 + 0.004 * rating + rng.uniform(0, 0.02), 4)
        self.tables["operaciones"].append(
            (
                operation_id,
                client_id,
                product,
                start,
                maturity,
                amount,
                amount,
                rate,
                collateral_type,
                collateral,
                rating,
                MASTER_SCALE_PD[rating - 1],
            )
        )
        self._history(operation_id, client_id, segment, product, start, maturity, amount, revolving, rating, collateral)

    def _history(
        self, operation_id, client_id, segment, product, start, maturity, amount, revolving, rating, collateral
    ) -> None:  # noqa: ANN001 - internal, positional by design
        rng = self.rng
        limit = amount
        drawn_share = rng.uniform(0.2, 0.7) if revolving else 1.0
        days_past_due = 0
        default_id: int | None = None
        history: list[tuple[dt.date, float, float]] = []
        for snapshot in _quarter_ends(FIRST_SNAPSHOT_YEAR, LAST_SNAPSHOT_YEAR):
            if snapshot < start or snapshot > maturity:
                continue
            elapsed = (snapshot - start).days / 365.25
            life = max((maturity - start).days / 365.25, 0.25)
            if revolving:
                drawn_share = min(1.0, max(0.0, drawn_share + rng.uniform(-0.08, 0.1)))
                drawn = round(limit * drawn_share, 2)
            else:
                drawn = round(amount * max(0.0, 1 - elapsed / life), 2)
            if default_id is None:
                if rng.random() < 0.06:
                    rating = min(10, max(1, rating + rng.choice((-1, 1))))
                quarterly_pd = 1 - (1 - MASTER_SCALE_PD[rating - 1] * 1.4) ** 0.25
                if days_past_due >= 30 or rng.random() < quarterly_pd * 3:
                    days_past_due = min(days_past_due + rng.choice((30, 60, 90)), 180)
                elif days_past_due and rng.random() < 0.5:
                    days_past_due = 0
            if revolving and days_past_due >= 60:
                # Drawdowns before default: the CCF's reason for being.
                drawn_share = min(1.0, drawn_share + 0.25)
                drawn = round(limit * drawn_share, 2)
            in_default = default_id is not None or days_past_due >= 90
            if in_default and default_id is None:
                default_id = self._default(
                    operation_id, client_id, snapshot, days_past_due, drawn, history, collateral, product
                )
                rating = 10
            if default_id is not None:
                days_past_due = max(days_past_due, 90)
            overdue = round(drawn * min(1.0, days_past_due / 360), 2) if days_past_due else 0.0
            pd_12m = 1.0 if in_default else MASTER_SCALE_PD[rating - 1]
            residual = max((maturity - snapshot).days / 365.25, 0.0)
            pd_life = 1.0 if in_default else round(1 - (1 - pd_12m) ** max(residual, 1.0), 6)
            lgd = 0.15 if collateral else (0.45 if segment != "minorista" else 0.6)
            ccf = 0.75 if revolving else 0.0
            stage = 3 if in_default else (2 if days_past_due >= 30 or rating >= 8 else 1)
            refinanced = stage >= 2 and rng.random() < 0.2
            watchlist = stage == 2 and rng.random() < 0.5
            exposure = drawn + ccf * (limit - drawn)
            provision = round(exposure * lgd * (pd_12m if stage == 1 else pd_life), 2)
            self.tables["cartera"].append(
                (
                    snapshot,
                    operation_id,
                    client_id,
                    segment,
                    product,
                    drawn,
                    limit,
                    round(limit - drawn, 2),
                    overdue,
                    days_past_due,
                    rating,
                    pd_12m,
                    pd_life,
                    lgd,
                    ccf,
                    round(min(max(residual, 1.0), 5.0), 4),
                    stage,
                    refinanced,
                    watchlist,
                    in_default,
                    round(collateral, 2),
                    provision,
                )
            )
            history.append((snapshot, drawn, limit))
            if default_id is not None:
                outcome = self._exit_default(default_id, snapshot)
                if outcome == "cerrado":
                    return
                if outcome == "curado":
                    default_id, days_past_due, rating = None, 0, 7

    def _default(self, operation_id, client_id, snapshot, days_past_due, drawn, history, collateral, product) -> int:  # noqa: ANN001
        rng = self.rng
        default_id = len(self.tables["defaults"]) + 1
        year_before = snapshot.replace(year=snapshot.year - 1)
        earlier = [row for row in history if row[0] <= year_before]
        drawn_before, limit_before = (earlier[-1][1], earlier[-1][2]) if earlier else (None, None)
        reason = rng.choices(("impago_90", "improbable_pago", "reestructuracion_forzosa"), weights=(7, 2, 1))[0]
        self.tables["defaults"].append(
            [
                default_id,
                operation_id,
                client_id,
                snapshot,
                None,
                reason,
                days_past_due,
                round(drawn * 0.1, 2),
                drawn,
                drawn_before,
                limit_before,
                "abierto",
                False,
            ]
        )
        recovered_share = rng.uniform(0.5, 0.95) if collateral else rng.uniform(0.05, 0.6)
        for step in range(rng.randint(1, 4)):
            when = snapshot + dt.timedelta(days=90 * (step + 1) + rng.randint(0, 60))
            if when > dt.date(LAST_SNAPSHOT_YEAR, 12, 31):
                break
            kind = (
                "ejecucion_garantia"
                if collateral and step == 0
                else rng.choice(("efectivo", "efectivo", "venta_cartera"))
            )
            self.tables["recuperaciones"].append(
                (
                    len(self.tables["recuperaciones"]) + 1,
                    default_id,
                    operation_id,
                    when,
                    kind,
                    round(drawn * recovered_share / 3, 2),
                    round(drawn * rng.uniform(0.005, 0.03), 2),
                    round(drawn * rng.uniform(0.002, 0.01), 2),
                )
            )
        return default_id

    def _exit_default(self, default_id: int, snapshot: dt.date) -> str | None:
        """Close or cure a default some quarters after entry: 'cerrado', 'curado' or None (still in default)."""
        row = self.tables["defaults"][default_id - 1]
        quarters_in_default = ((snapshot - row[3]).days + 45) // 91
        if quarters_in_default < 2 or self.rng.random() > 0.3:
            return None
        cured = self.rng.random() < 0.35
        row[4], row[11], row[12] = snapshot, "cerrado", cured
        return "curado" if cured else "cerrado"


def build_portfolio_rows(seed: int = DEFAULT_SEED) -> dict[str, list[tuple]]:
    """All table rows, keyed by table name (pure: same seed, same rows)."""
    tables = _PortfolioBuilder(seed).build()
    tables["defaults"] = [tuple(row) for row in tables["defaults"]]
    return tables
