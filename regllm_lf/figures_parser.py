"""Parse figures out of free text, Spanish or English style: ``1.797.062 millones EUR``, ``1,797,062``,
``11.076 M€``, ``12,3 %``, ``0,123``, ``11.1 bn``, ``1,8 billones``.

Every figure is returned in a canonical unit: ``millones EUR`` for amounts, ``%`` for ratios, or ``""``
when the text names no unit. Ambiguous separators follow Spanish convention (our data's): ``11.076``
is eleven thousand and seventy-six, ``12,3`` is twelve point three; a separator followed by exactly
three digits is a thousands separator unless the other separator also appears after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = r"(?<![\w.,])[-−]?\d{1,3}(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?(?![\d])|(?<![\w.,])[-−]?\d+(?:[.,]\d+)?(?![\d])"
_UNIT = (
    r"(?P<unit>%|por\s?ciento|puntos porcentuales|p\.\s?p\.|"
    r"miles de millones(?:\s+de)?(?:\s+(?:euros|EUR|€))?|billones(?:\s+de)?(?:\s+(?:euros|EUR|€))?|"
    r"bn|billion|mil millones(?:\s+de)?(?:\s+(?:euros|EUR|€))?|"
    r"millones(?:\s+de)?(?:\s+(?:euros|EUR|€))?|million(?:s)?(?:\s+(?:euros|EUR))?|mill\.|M\s?€|M€|MEUR|mn|"
    r"miles(?:\s+de)?(?:\s+(?:euros|EUR|€))?|(?:euros|EUR|€))?"
)
_FIGURE = re.compile(rf"(?P<number>{_NUMBER})\s?{_UNIT}", re.IGNORECASE)

# Multiplier to millions of euros.
_SCALE = {
    "miles de millones": 1000.0,
    "mil millones": 1000.0,
    "bn": 1000.0,
    "billion": 1000.0,
    "billones": 1_000_000.0,  # Spanish "billón" = 10^12
    "millones": 1.0,
    "million": 1.0,
    "mill.": 1.0,
    "m€": 1.0,
    "meur": 1.0,
    "mn": 1.0,
    "miles": 0.001,
    "euros": 1e-6,
    "eur": 1e-6,
    "€": 1e-6,
}


@dataclass(frozen=True)
class ParsedFigure:
    value: float
    unit: str  # "millones EUR", "%", "pp" or ""
    text: str


def parse_number(text: str) -> float:
    """A number written Spanish or English style."""
    text = text.replace("−", "-").replace("\u00a0", "").replace(" ", "")
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("-")
    has_dot, has_comma = "." in text, "," in text
    if has_dot and has_comma:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        return sign * float(text.replace(thousands, "").replace(decimal, "."))
    separator = "." if has_dot else "," if has_comma else ""
    if not separator:
        return sign * float(text)
    groups = text.split(separator)
    if len(groups) > 2 or (len(groups[-1]) == 3 and groups[0] != "0"):
        return sign * float(text.replace(separator, ""))  # thousands separators
    return sign * float(text.replace(separator, "."))


def _canonical_unit(raw: str | None) -> tuple[str, float]:
    if not raw:
        return "", 1.0
    lowered = " ".join(raw.lower().split())
    if lowered in ("%", "por ciento", "porciento"):
        return "%", 1.0
    if lowered.startswith("puntos porcentuales") or lowered.startswith("p."):
        return "pp", 1.0
    for key, scale in _SCALE.items():
        if lowered.startswith(key) or lowered.replace(" ", "").startswith(key):
            return "millones EUR", scale
    return "", 1.0


def parse_figures(text: str) -> list[ParsedFigure]:
    """Every figure in ``text``, in order; years (1990–2100 without a unit) are skipped."""
    found = []
    for match in _FIGURE.finditer(text):
        raw_number = match.group("number")
        unit, scale = _canonical_unit(match.group("unit"))
        try:
            value = parse_number(raw_number)
        except ValueError:
            continue
        if not unit and re.fullmatch(r"(19|20)\d\d", raw_number):
            continue
        found.append(ParsedFigure(value * scale, unit, match.group(0).strip()))
    return found


def figure_matches(
    figure: ParsedFigure,
    value: float,
    unit: str,
    relative_tolerance: float = 0.005,
    absolute_tolerance_pp: float = 0.05,
) -> bool:
    """True when ``figure`` states ``value`` in ``unit`` within tolerance (0.5 % of amounts; 0.05 pp of ratios)."""
    if unit == "%":
        return figure.unit in ("%", "pp") and abs(figure.value - value) <= absolute_tolerance_pp + 1e-9
    if figure.unit not in ("millones EUR", ""):
        return False
    return abs(figure.value - value) <= relative_tolerance * abs(value) + 1e-9
