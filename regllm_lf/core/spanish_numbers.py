"""Spanish numbers, one way everywhere: the parser (``11.076`` is eleven thousand and seventy-six, ``12,3``
is twelve point three; English style ``1,797,062`` and ``11.1`` also read) and the formatter
(``11.076 millones EUR``, ``12,3 %``) used by generation, evaluation and spreadsheet import.

``parse_figures`` finds every figure in free text with its unit in a canonical form: ``millones EUR``
for amounts, ``%`` for ratios, ``pp`` for percentage points, ``""`` when the text names no unit. A
separator followed by exactly three digits is a thousands separator (``0,123`` excepted) unless the
other separator also appears after it. Non-finite values (``NaN``, ``inf``) are never numbers here.

*Ambiguous* numbers have one separator followed by exactly three digits (``713.140``, ``12,345``): Spanish
reads a thousands separator, English a decimal point. Free text and amounts in millions take the
thousands reading (our own answers write ``713.140 millones EUR``); a caller that knows better asks for
``ambiguous="decimal"`` or ``"refuse"`` (a ratio in % is never 12.345 % written as ``12,345`` by accident
of style: the spreadsheet import refuses it and says how to write it).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_NUMBER = r"(?<![\w.,])[-−]?\d{1,3}(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?(?![\d])|(?<![\w.,])[-−]?\d+(?:[.,]\d+)?(?![\d])"
_UNIT = (
    r"(?P<unit>%|por\s?ciento|per\s?cent\b|percent\b|puntos porcentuales|p\.\s?p\.|pp\b|"
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


_NUMBER_SHAPE = re.compile(r"\d[\d.,]*(?:[eE][-+]?\d+)?")
_AMBIGUOUS = re.compile(r"(?!0+[.,])\d{1,3}[.,]\d{3}")
AMBIGUOUS_CHOICES = ("thousands", "decimal", "refuse")


class AmbiguousNumber(ValueError):
    """``12,345`` where the caller cannot tell twelve thousand from twelve point three."""


def _split_number(text: str) -> tuple[float, str, str]:
    """(sign, mantissa, exponent) of a number's text; ValueError when it is not one."""
    text = text.strip().replace("−", "-").replace("\u00a0", "").replace(" ", "")
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.removeprefix("-").removeprefix("+") if sign < 0 else text.removeprefix("+")
    if not _NUMBER_SHAPE.fullmatch(text):
        raise ValueError(f"not a number: {text!r}")
    mantissa, exponent = re.fullmatch(r"([\d.,]+)((?:[eE][-+]?\d+)?)", text).groups()
    return sign, mantissa, exponent


def is_ambiguous(text: str) -> bool:
    """One separator followed by exactly three digits (``713.140``, ``12,345``; not ``0,125``)."""
    try:
        _, mantissa, _ = _split_number(text)
    except ValueError:
        return False
    return _AMBIGUOUS.fullmatch(mantissa) is not None


def parse_number(text: str, ambiguous: str = "thousands") -> float:
    """A number written Spanish or English style; ValueError for anything else (``NaN``, ``inf``, words).

    Scientific notation (``1e-05``, as spreadsheets write small values) is read; the result is always finite.
    ``ambiguous`` says how to read ``713.140``: ``thousands`` (713140), ``decimal`` (713.14) or ``refuse``
    (AmbiguousNumber).
    """
    if ambiguous not in AMBIGUOUS_CHOICES:
        raise ValueError(f"ambiguous must be one of {AMBIGUOUS_CHOICES}")
    sign, mantissa, exponent = _split_number(text)
    unclear = _AMBIGUOUS.fullmatch(mantissa) is not None
    if unclear and ambiguous == "refuse":
        raise AmbiguousNumber(f"{text.strip()!r} is ambiguous: a thousands separator or a decimal point?")
    plain = mantissa.replace(",", ".") if unclear and ambiguous == "decimal" else _plain_decimal(mantissa)
    value = sign * float(plain + exponent)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text.strip()!r}")
    return value


def parse_quantity(text: str, ambiguous: str = "thousands") -> int | float:
    """``parse_number``, but a number written without decimals (``713.140``, ``845``) stays an int."""
    value = parse_number(text, ambiguous)
    _, mantissa, exponent = _split_number(text)
    if ambiguous == "decimal" and _AMBIGUOUS.fullmatch(mantissa):
        return value
    whole = not exponent and "." not in _plain_decimal(mantissa)
    return int(value) if whole and value.is_integer() else value


def _plain_decimal(text: str) -> str:
    """``1.797.062,5`` → ``1797062.5``: separators resolved by the rules in the module docstring."""
    has_dot, has_comma = "." in text, "," in text
    if has_dot and has_comma:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        integer, _, fraction = text.rpartition(decimal)
        if thousands in fraction or decimal in integer:
            raise ValueError(f"separators out of order: {text!r}")
        return integer.replace(thousands, "") + "." + fraction
    separator = "." if has_dot else "," if has_comma else ""
    if not separator:
        return text
    groups = text.split(separator)
    # One separator before three digits is a thousands separator unless the integer part cannot be a group
    # (``0,125``, ``1000.000``): then it is a decimal point.
    if len(groups) > 2 or (len(groups[-1]) == 3 and groups[0].strip("0") and len(groups[0]) <= 3):
        if any(len(group) != 3 for group in groups[1:]) or not 1 <= len(groups[0]) <= 3:
            raise ValueError(f"misplaced thousands separator: {text!r}")
        return text.replace(separator, "")
    return text.replace(separator, ".")


def _canonical_unit(raw: str | None) -> tuple[str, float]:
    if not raw:
        return "", 1.0
    lowered = " ".join(raw.lower().split())
    if lowered in ("%", "por ciento", "porciento", "percent", "per cent"):
        return "%", 1.0
    if lowered.startswith(("puntos porcentuales", "p.", "pp")):
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


def decimals_of(value: float) -> int:
    """Decimals as written in the source (12.30 is stored as 12.3: one decimal; 1e-05 has five)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    text = format(float(value), ".15g")
    if "e" in text:  # 1e-05: shortest repr in scientific notation
        text = f"{float(value):.{max(0, -int(text.split('e')[1]) + 15)}f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text and text.split(".")[1].strip("0") else 0


def format_number(value: float, decimals: int | None = None) -> str:
    """Any finite number the Spanish way (``1.234,5``); ValueError for NaN and infinities."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    decimals = decimals_of(value) if decimals is None else decimals
    text = f"{abs(value):,.{decimals}f}".replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return ("-" if value < 0 and float(text.replace(".", "").replace(",", ".")) != 0 else "") + text


def format_figure(value: float, unit: str) -> str:
    """``1.797.062 millones EUR`` or ``12,3 %`` (Spanish style: space before %)."""
    return f"{format_number(value)} %" if unit == "%" else f"{format_number(value)} {unit}"
