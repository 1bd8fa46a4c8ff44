"""Hard negatives for SQL reviews: ``hallazgo_omitido`` (one finding left out), ``falso_cumplimiento``
(flawed code called compliant)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FALSE_COMPLIANCE = (
    "**ANÁLISIS DE CONFORMIDAD METODOLÓGICA**\n\n**Hallazgos:**\n"
    "1. ✅ **Metodología conforme**: el cálculo sigue los requisitos aplicables y no se observan incumplimientos.\n\n"
    "**Conclusión:** No requiere corrección."
)


def sql_candidates(row: dict[str, Any]) -> list[tuple[str, str]]:
    if row["metadata"]["compliant"]:
        return []
    answer = row["messages"][-1]["content"]
    lines = answer.split("\n")
    flagged = [number for number, line in enumerate(lines) if "❌" in line]
    options = [("falso_cumplimiento", FALSE_COMPLIANCE)]
    if len(flagged) >= 1 and len(lines) > 3:
        options.append(("hallazgo_omitido", "\n".join(line for n, line in enumerate(lines) if n != flagged[0])))
    return options


def negatives(rows: list[dict[str, Any]]) -> Callable[[dict[str, Any]], list[tuple[str, str]]]:
    return sql_candidates
