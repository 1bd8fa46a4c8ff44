"""The rule in force on a review's reference date: regime constants, dated citations and findings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from regllm_lf.core.problems import DataError
from regllm_lf.prepare.validate import validate_files
from regllm_lf.tasks.regulation.citations import Citation, load_index
from regllm_lf.tasks.sql_review.findings import load_findings
from regllm_lf.tasks.sql_review.portfolio_rows import build_portfolio_rows
from regllm_lf.tasks.sql_review.regime import load_regime

# One IRB snippet for corporates; the placeholders take the constants of each regime.
IRB = """
WITH expo AS (
    SELECT c.operacion_id, GREATEST(c.pd_12m, {pd_floor}) AS pd, {lgd} AS lgd,
           LEAST(GREATEST(c.vencimiento_anios, 1.0), 5.0) AS m,
           c.saldo_dispuesto + c.ccf * c.saldo_disponible AS ead
    FROM cartera c
    WHERE c.fecha_referencia = DATE '2023-12-31' AND c.segmento = 'empresa' AND NOT c.default_flag
),
r AS (
    SELECT *, 0.12 * (1 - EXP(-50 * pd)) / (1 - EXP(-50))
            + 0.24 * (1 - (1 - EXP(-50 * pd)) / (1 - EXP(-50))) AS rho,
           POWER(0.11852 - 0.05478 * LN(pd), 2) AS b
    FROM expo
)
SELECT SUM({scale}ead * lgd * 3.090232 * rho * (1 + (m - 2.5) * b) / (1 - 1.5 * b)) AS apr FROM r
"""
CRR2 = {"pd_floor": "0.0003", "lgd": "c.lgd", "scale": "12.5 * 1.06 * "}
CRR3 = {"pd_floor": "0.0005", "lgd": "GREATEST(c.lgd, 0.25)", "scale": "12.5 * "}
CRR3_SIN_SUELO_LGD = {**CRR3, "lgd": "c.lgd"}
CRR3_CON_106 = {**CRR3, "scale": "12.5 * 1.06 * "}
SUELO_QRRE = {**CRR3, "pd_floor": "CASE WHEN c.producto = 'tarjeta' THEN 0.001 ELSE 0.0005 END"}


@pytest.fixture(scope="module")
def regime():
    return load_regime(load_index())


def constants_broken(regime, day: str, sql: str, topic: str = "rwa_irb") -> set[str]:
    messages = regime.problems(dt.date.fromisoformat(day), topic, [("SQL", sql)])
    return {message.split(":")[1].split()[0] for message in messages}


@pytest.mark.parametrize(
    ("day", "variant", "broken"),
    [
        ("2023-12-31", CRR2, set()),
        ("2023-12-31", CRR3, {"factor_escala_irb", "suelo_pd", "suelo_lgd"}),
        ("2024-12-31", CRR2, set()),
        ("2024-12-31", CRR3_CON_106, {"suelo_pd", "suelo_lgd"}),
        ("2025-01-01", CRR2, {"factor_escala_irb", "suelo_pd", "suelo_lgd"}),
        ("2025-01-01", CRR3, set()),
        ("2025-12-31", CRR3, set()),
        ("2025-12-31", SUELO_QRRE, set()),
        ("2023-12-31", SUELO_QRRE, {"factor_escala_irb", "suelo_pd", "suelo_lgd"}),
        ("2025-12-31", CRR3_SIN_SUELO_LGD, {"suelo_lgd"}),
        ("2025-12-31", CRR3_CON_106, {"factor_escala_irb"}),
    ],
)
def test_same_snippet_at_several_dates(regime, day: str, variant: dict, broken: set[str]) -> None:
    assert constants_broken(regime, day, IRB.format(**variant)) == broken


@pytest.mark.parametrize(
    ("day", "factor", "ok"),
    [
        ("2025-12-31", "0.5", True),
        ("2025-12-31", "0.725", True),  # the transitional factor is optional
        ("2025-12-31", "0.55", False),
        ("2026-06-30", "0.55", True),
        ("2026-06-30", "0.5", False),
        ("2029-12-31", "0.7", True),
        ("2030-01-01", "0.7", False),
        ("2030-01-01", "0.725", True),
        ("2024-12-31", "0.5", False),  # no output floor before CRR3
    ],
)
def test_output_floor_factor_by_year(regime, day: str, factor: str, ok: bool) -> None:
    sql = f"SELECT GREATEST(SUM(u_trea), {factor} * SUM(s_trea)) AS trea FROM totales_apr"
    assert constants_broken(regime, day, sql) == (set() if ok else {"factor_suelo_resultados"})


def test_floors_are_read_only_where_they_floor_the_parameter(regime) -> None:
    # A floor under an alias named pd_*, nested MoC floors at zero ignored, a GREATEST on LGD realised
    # outside the IRB formula ignored, and no PD floor required outside the IRB formula.
    calibration = """
        SELECT greatest(tdlp + greatest(moc_a, 0) + 1.645 * ee, 0.0005) AS pd_final
        FROM (SELECT 0.01 AS tdlp, 0.001 AS moc_a, 0.002 AS ee)
    """
    assert constants_broken(regime, "2023-12-31", calibration, "pd_calibracion") == {"suelo_pd"}
    assert constants_broken(regime, "2025-12-31", calibration, "pd_calibracion") == set()
    assert constants_broken(regime, "2023-12-31", "SELECT 0.01 AS tdlp", "pd_calibracion") == set()
    realised = "SELECT greatest(lgd, 0) AS lgd_realizada FROM (SELECT -0.1 AS lgd)"
    assert constants_broken(regime, "2023-12-31", realised, "lgd_workout") == set()
    ecl = "SELECT greatest(pd_12m, 0.0005) AS pd FROM cartera"
    assert constants_broken(regime, "2023-12-31", ecl, "niif9_ecl") == set()


def test_dated_citations_and_findings() -> None:
    index = load_index()
    new_floor = Citation("CRR", "163.1.a")
    assert not index.in_force(new_floor, dt.date(2024, 12, 31))
    assert index.in_force(new_floor, dt.date(2025, 1, 1))
    assert "0,03 %" in index.title(Citation("CRR", "160.1"), dt.date(2024, 12, 31))
    assert "0,05 %" in index.title(Citation("CRR", "160.1"), dt.date(2025, 1, 1))
    assert not index.in_force(Citation("EBA/GL/2017/16", "143"), dt.date(2020, 12, 31))  # applies from 2021
    assert index.not_in_force("[CRR, art. 160.1] y [CRR, art. 163.1.b]", dt.date(2023, 12, 31)) == [
        "[CRR, art. 163.1.b]"
    ]
    findings = load_findings(index=index)
    assert findings["IRB_FACTOR_ESCALA_OMITIDO"].period.covers(dt.date(2024, 12, 31))
    assert not findings["IRB_FACTOR_ESCALA_OMITIDO"].period.covers(dt.date(2025, 1, 1))
    assert not findings["IRB_FACTOR_ESCALA_DEROGADO"].period.covers(dt.date(2024, 12, 31))


def _review(day: str, findings: list[str], answer: str, sql: str) -> dict:
    return {
        "messages": [
            {"role": "user", "content": f"Revisa el APR a {day[:4]}.\n```sql\n{sql}\n```"},
            {"role": "assistant", "content": f"**ANÁLISIS**\n{answer}\n```sql\n{sql}\n```"},
        ],
        "metadata": {
            "id": f"s-{day}",
            "dataset": "sql_review",
            "topic": "rwa_irb",
            "reference_date": day,
            "findings": findings,
            "compliant": False,
        },
    }


def test_validate_applies_the_rule_in_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    crr2, crr3 = IRB.format(**CRR2), IRB.format(**CRR3)
    rows = [
        _review("2023-12-31", ["IRB_FACTOR_ESCALA_OMITIDO"], "❌ Falta el factor de escala [CRR, art. 153.1].", crr2),
        _review("2023-12-31", ["IRB_FACTOR_ESCALA_DEROGADO"], "❌ El factor 1,06 ya no [CRR, art. 163.1.a].", crr3),
        _review("2025-12-31", ["IRB_FACTOR_ESCALA_OMITIDO"], "❌ Falta el factor de escala.", crr2),
    ]
    path = tmp_path / "reviews.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    problems, _ = validate_files([path])
    text = "\n".join(str(problem) for problem in problems)
    assert "reviews.jsonl:1:" not in text, text
    assert "reviews.jsonl:2: metadata.findings: IRB_FACTOR_ESCALA_DEROGADO applies desde el 2025-01-01" in text
    assert "reviews.jsonl:2: messages.content: citation [CRR, art. 163.1.a] is not in force" in text
    assert (
        "reviews.jsonl:2: messages.content: corrected SQL block 1: factor_escala_irb on 2023-12-31 requires 1.06"
        in text
    )
    assert "reviews.jsonl:2: messages.content: reviewed SQL block 1: DuckDB" not in text
    assert "reviews.jsonl:3: metadata.findings: IRB_FACTOR_ESCALA_OMITIDO applies hasta el 2024-12-31" in text
    assert (
        "reviews.jsonl:3: messages.content: corrected SQL block 1: factor_escala_irb on 2025-12-31 allows none" in text
    )
    assert "reviews.jsonl:3: messages.content: corrected SQL block 1: reads dates after" not in text


def test_request_must_state_the_date_and_code_cannot_read_later_dates(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    row = _review("2022-12-31", [], "✅", "SELECT COUNT(*) FROM cartera WHERE fecha_referencia = DATE '2023-12-31'")
    row["metadata"]["compliant"] = True
    row["messages"][0]["content"] = (
        "Revisa:\n```sql\nSELECT COUNT(*) FROM cartera WHERE fecha_referencia = DATE '2023-12-31'\n```"
    )
    path = tmp_path / "late.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    text = "\n".join(str(problem) for problem in validate_files([path])[0])
    assert "the request must state the reference date (2022 not mentioned)" in text
    assert "reads dates after the reference date 2022-12-31: ['2023-12-31']" in text


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["constants"][0].update(checked_in="inexistente"), "unknown scope 'inexistente'"),
        (lambda d: d["constants"][1]["versions"][1].update({"from": "2024-06-30"}), "invalid or overlapping period"),
        (
            lambda d: d["constants"][1]["versions"][0]["citations"].append("[CRR, art. 163.1.a]"),
            "[CRR, art. 163.1.a] is not in force hasta el 2024-12-31",
        ),
    ],
)
def test_broken_regime_file_is_reported(tmp_path: Path, edit, message: str) -> None:
    import yaml

    from regllm_lf.tasks.sql_review.regime import regime_path

    data = yaml.safe_load(regime_path().read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "regime.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_regime(load_index(), path)
    assert any(message in str(problem) for problem in caught.value.problems), caught.value.problems


def test_adding_years_keeps_the_earlier_portfolio() -> None:
    full, until_2023 = build_portfolio_rows(), build_portfolio_rows(last_year=2023)
    cut = dt.date(2023, 12, 31)
    assert [row for row in full["cartera"] if row[0] <= cut] == until_2023["cartera"]
    assert max(row[0] for row in full["cartera"]) == dt.date(2025, 12, 31)
    rates = {row[0]: row for row in full["tipos_referencia"]}
    assert all(row[2] < row[1] for row in rates.values() if row[1] > 0)  # Euribor 3M below 12M


def test_applied_lgd_discounting_uses_three_month_euribor() -> None:
    """EBA/GL/2017/16 para. 143 names the 3-month rate: no endorsed LGD code discounts with euribor_12m."""
    from regllm_lf.core.jsonio import read_records
    from regllm_lf.tasks.registry import task_named
    from regllm_lf.tasks.sql_review.blocks import sql_blocks

    problems: list = []
    offenders = []
    for record in read_records(task_named("sql_review").source, problems):
        metadata, messages = record.data["metadata"], record.data["messages"]
        role = "user" if metadata["compliant"] else "assistant"
        applied = [sql for m in messages if m["role"] == role for sql in sql_blocks(m["content"])]
        if any("euribor_12m" in sql for sql in applied):
            offenders.append(metadata["id"])
    assert problems == [] and offenders == []
