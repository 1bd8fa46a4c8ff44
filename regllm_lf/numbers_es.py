"""Spanish number formatting: ``11.076 millones EUR``, ``12,3 %``."""

from __future__ import annotations


def decimals_of(value: float) -> int:
    """Decimals as written in the source (12.30 is stored as 12.3: one decimal)."""
    text = repr(float(value))
    return 0 if text.endswith(".0") else len(text.split(".")[1])


def format_number(value: float, decimals: int | None = None) -> str:
    decimals = decimals_of(value) if decimals is None else decimals
    text = f"{abs(value):,.{decimals}f}".replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return ("-" if value < 0 and float(text.replace(".", "").replace(",", ".")) != 0 else "") + text


def format_figure(value: float, unit: str) -> str:
    """``1.797.062 millones EUR`` or ``12,3 %`` (Spanish style: space before %)."""
    return f"{format_number(value)} %" if unit == "%" else f"{format_number(value)} {unit}"
