"""The rows of the deterministic synthetic loan-level portfolio: clients, operations, quarterly snapshots,
defaults and recoveries, reference rates, RWA totals, PD term structures and a macro history, seeded so
that query results are the same on every machine. Snapshots run to the end of 2025, so reviews can be
dated on either side of 1 January 2025 (CRR3). Every series is synthetic."""

from __future__ import annotations

import datetime as dt
import random

from regllm_lf.tasks.sql_review import portfolio_series as series
from regllm_lf.tasks.sql_review.portfolio_series import MASTER_SCALE_PD, SEGMENTS, quarter_ends

DEFAULT_SEED = 20240131

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
FIRST_SNAPSHOT_YEAR = 2014
LAST_SNAPSHOT_YEAR = 2025
# The 2014-2023 rows are those the reviews dated 2023 were checked against; 2024-2025 extends every
# live operation with its own generator, so adding years never changes the earlier rows.
FIRST_EXTENSION_YEAR = 2024
NUM_CLIENTS = 600
NEW_CLIENTS_EXTENSION = 120  # clients whose operations start in 2024-2025, so the book does not run off


def _add_years(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


class _PortfolioBuilder:
    """Builds all rows in memory with one seeded random generator."""

    def __init__(self, seed: int, last_year: int = LAST_SNAPSHOT_YEAR) -> None:
        self.last_year = last_year
        self.rng = random.Random(seed)
        self.extension_rng = random.Random(seed + 1)
        self.cutoff = dt.date(FIRST_EXTENSION_YEAR - 1, 12, 31)
        self.live: list[dict] = []  # operation paths still running at the cutoff
        self.pending: list[tuple] = []  # recoveries that fell after the cutoff
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
                "totales_apr",
                "curva_pd",
                "macro_historico",
            )
        }

    def build(self) -> dict[str, list[tuple]]:
        self.tables["tipos_referencia"] = series.reference_rates(self.last_year)
        self.tables["escala_maestra"] = series.master_scale()
        self.tables["escenarios_macro"], self.tables["sensibilidades_macro"] = series.scenarios()
        self.tables["totales_apr"] = series.rwa_totals(self.last_year)
        self.tables["curva_pd"] = series.pd_term_structure()
        self.tables["macro_historico"] = series.macro_history(self.last_year)
        operation_id = 0
        for client_id in range(1, NUM_CLIENTS + 1):
            segment = self.rng.choices(SEGMENTS, weights=(0.6, 0.3, 0.1))[0]
            self._client(client_id, segment)
            for _ in range(self.rng.choice((1, 1, 2))):
                operation_id += 1
                self._operation(operation_id, client_id, segment)
        self._extend()
        return self.tables

    def _extend(self) -> None:
        """New 2024-2025 business, then every live operation and every pending recovery through the extension
        years, all with the second generator."""
        self.rng = self.extension_rng
        if self.last_year >= FIRST_EXTENSION_YEAR:
            operation_id = len(self.tables["operaciones"])
            for client_id in range(NUM_CLIENTS + 1, NUM_CLIENTS + NEW_CLIENTS_EXTENSION + 1):
                segment = self.rng.choices(SEGMENTS, weights=(0.6, 0.3, 0.1))[0]
                self._client(client_id, segment)
                for _ in range(self.rng.choice((1, 1, 2))):
                    operation_id += 1
                    self._operation(operation_id, client_id, segment, (FIRST_EXTENSION_YEAR, self.last_year))
        self.cutoff = dt.date(self.last_year, 12, 31)
        quarters = quarter_ends(FIRST_EXTENSION_YEAR - 1, self.last_year)[1:]
        pending, self.pending = self.pending, []
        for path in self.live:
            self._advance(path, quarters)
        for default_id, operation_id, drawn, share, collateral, snapshot, first_step, steps, when in pending:
            self._recoveries(
                default_id, operation_id, drawn, share, collateral, snapshot, range(first_step, steps), when
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

    def _operation(
        self, operation_id: int, client_id: int, segment: str, years: tuple[int, int] = (2012, 2022)
    ) -> None:
        rng = self.rng
        product = rng.choice(PRODUCTS[segment])
        start = dt.date(rng.randint(*years), rng.randint(1, 12), rng.randint(1, 28))
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
        path = {
            "operation_id": operation_id,
            "client_id": client_id,
            "segment": segment,
            "product": product,
            "start": start,
            "maturity": maturity,
            "amount": amount,
            "revolving": revolving,
            "rating": rating,
            "collateral": collateral,
            "drawn_share": self.rng.uniform(0.2, 0.7) if revolving else 1.0,
            "days_past_due": 0,
            "default_id": None,
            "history": [],
            "closed": False,
        }
        self._advance(path, quarter_ends(FIRST_SNAPSHOT_YEAR, FIRST_EXTENSION_YEAR - 1))
        if not path["closed"] and maturity > self.cutoff:
            self.live.append(path)

    def _advance(self, path: dict, snapshots: list[dt.date]) -> None:
        """One operation's quarterly snapshots over ``snapshots``; ``path`` carries its state across calls."""
        rng = self.rng
        operation_id, client_id, segment = path["operation_id"], path["client_id"], path["segment"]
        product, start, maturity, amount = path["product"], path["start"], path["maturity"], path["amount"]
        revolving, collateral, history = path["revolving"], path["collateral"], path["history"]
        limit = amount
        drawn_share, days_past_due = path["drawn_share"], path["days_past_due"]
        default_id, rating = path["default_id"], path["rating"]
        for snapshot in snapshots:
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
                    path["closed"] = True
                    return
                if outcome == "curado":
                    default_id, days_past_due, rating = None, 0, 7
        path.update(drawn_share=drawn_share, days_past_due=days_past_due, default_id=default_id, rating=rating)

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
        self._recoveries(
            default_id, operation_id, drawn, recovered_share, collateral, snapshot, range(rng.randint(1, 4))
        )
        return default_id

    def _recoveries(
        self, default_id, operation_id, drawn, recovered_share, collateral, snapshot, steps, when=None
    ) -> None:  # noqa: ANN001
        """Recovery cash flows of one default, up to the cutoff; the rest wait for the extension."""
        rng = self.rng
        for step in steps:
            when = when or snapshot + dt.timedelta(days=90 * (step + 1) + rng.randint(0, 60))
            if when > self.cutoff:
                self.pending.append(
                    (default_id, operation_id, drawn, recovered_share, collateral, snapshot, step, steps.stop, when)
                )
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
            when = None

    def _exit_default(self, default_id: int, snapshot: dt.date) -> str | None:
        """Close or cure a default some quarters after entry: 'cerrado', 'curado' or None (still in default)."""
        row = self.tables["defaults"][default_id - 1]
        quarters_in_default = ((snapshot - row[3]).days + 45) // 91
        if quarters_in_default < 2 or self.rng.random() > 0.3:
            return None
        cured = self.rng.random() < 0.35
        row[4], row[11], row[12] = snapshot, "cerrado", cured
        return "curado" if cured else "cerrado"


def build_portfolio_rows(seed: int = DEFAULT_SEED, last_year: int = LAST_SNAPSHOT_YEAR) -> dict[str, list[tuple]]:
    """All table rows, keyed by table name (pure: same seed, same rows). ``last_year`` earlier than the
    default gives the portfolio as it stood then: the same rows up to that year."""
    tables = _PortfolioBuilder(seed, last_year).build()
    tables["defaults"] = [tuple(row) for row in tables["defaults"]]
    return tables
