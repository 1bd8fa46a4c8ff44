"""One basis per comparison: which two values a year-on-year change or a ranking may put side by side.

A year-on-year change from year N-1 to N takes N's figure and, for N-1, the comparative that the
report carrying N's figure shows (restated if the bank restated it); only when no such comparative
is on file does it compare the two figures as originally reported. Values of different metrics,
units, variants (fully loaded / phased-in, a changed definition) or precision (a rounded 7,8 against
an exact 11,49) are never compared: ``comparison_problem`` says why, ``compare`` refuses.
Rankings compare banks' figures as originally reported for the year, one variant at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from regllm_lf.tasks.banking_qa.figures import Figure


class Incomparable(ValueError):
    """Two values that do not measure the same thing on the same basis."""


def comparison_problem(before: Figure, after: Figure) -> str | None:
    """Why ``before`` and ``after`` cannot be compared, or None when they can."""
    if (before.bank_id, before.metric) != (after.bank_id, after.metric):
        return "different bank or metric"
    if before.year >= after.year:
        return f"{before.year} is not before {after.year}"
    if before.unit != after.unit:
        return f"different units ({before.unit} / {after.unit})"
    if before.variant != after.variant:
        return f"different variants ({before.variant or 'sin variante'} / {after.variant or 'sin variante'})"
    same_report = before.document.year == after.document.year
    both_original = before.reporting == after.reporting == "original"
    if not (same_report or both_original):
        return (
            f"different bases: {before.year} from {before.document.id!r} ({before.reporting}), "
            f"{after.year} from {after.document.id!r} ({after.reporting})"
        )
    if before.unit == "%" and before.decimals != after.decimals:
        return f"different precision ({before.decimals} / {after.decimals} decimals): a rounded value"
    return None


@dataclass(frozen=True)
class Comparison:
    before: Figure
    after: Figure
    original_before: Figure | None = None  # the earlier year as first published, when ``before`` restates it

    @property
    def same_report(self) -> bool:
        return self.before.document.year == self.after.document.year


def compare(before: Figure, after: Figure) -> Comparison:
    problem = comparison_problem(before, after)
    if problem:
        raise Incomparable(f"{after.bank_id} {after.metric} {before.year}→{after.year}: {problem}")
    return Comparison(before, after)


def year_on_year(before_figure: Figure, after_figure: Figure) -> Comparison | None:
    """The comparison of two consecutive years on one basis, or None when no pair shares one."""
    after = after_figure
    candidates = before_figure.values()
    in_after_report = [value for value in candidates if value.document.year == after.document.year]
    in_after_report.sort(key=lambda value: value.document.id != after.document.id)  # the same document first
    if in_after_report:
        chosen = in_after_report[0]
    elif before_figure.reporting == after.reporting == "original":
        chosen = before_figure
    else:
        return None
    if comparison_problem(chosen, after):
        return None
    original = before_figure if chosen is not before_figure and before_figure.reporting == "original" else None
    return Comparison(chosen, after, original)


def ranking_group(figures: list[Figure]) -> dict[str | None, list[Figure]]:
    """Figures of one metric and year as originally reported, grouped by variant (one ranking each)."""
    groups: dict[str | None, list[Figure]] = {}
    for figure in figures:
        if figure.reporting == "original":
            groups.setdefault(figure.variant, []).append(figure)
    return groups
