"""The rule in force on a review's reference date: regulatory constants a SQL block applies, by date.

``data/regulation/regime_constants.yaml`` says, per constant (1,06 factor, PD floor, LGD input floors,
output floor factor), how to find the values a SQL block applies and which values are allowed in each
period. ``Regime.problems`` compares the two for one review; the data, not this code, knows the rules.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from regllm_lf import project
from regllm_lf.core.problems import DataError, Problem
from regllm_lf.core.structured import load_checked
from regllm_lf.tasks.regulation.citations import RegulationIndex, parse_citations
from regllm_lf.tasks.regulation.periods import Period


def regime_path() -> Path:
    return project.data_dir() / "regulation" / "regime_constants.yaml"


def _number(node: exp.Expression) -> float | None:
    """The value of a numeric literal (or its negation), else None."""
    if isinstance(node, exp.Neg):
        inner = _number(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Paren):
        return _number(node.this)
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return round(float(node.this), 10)
        except ValueError:
            return None
    return None


def _literal_values(node: exp.Expression) -> list[float] | None:
    """A literal, or a CASE whose every branch is a literal: its values; anything else: None."""
    value = _number(node)
    if value is not None:
        return [value]
    if isinstance(node, exp.Case):
        branches = [branch.args.get("true") for branch in node.args.get("ifs") or []]
        branches.append(node.args.get("default"))
        values = [_number(branch) if branch is not None else None for branch in branches]
        return None if any(value is None for value in values) else values  # type: ignore[return-value]
    return None


def _alias_above(node: exp.Expression) -> str | None:
    """The alias the value of ``node`` ends up in, unless another GREATEST wraps it first."""
    parent = node.parent
    while parent is not None and not isinstance(parent, (exp.Select, exp.Subquery)):
        if isinstance(parent, exp.Greatest):
            return None
        if isinstance(parent, exp.Alias):
            return parent.alias
        parent = parent.parent
    return None


def _is_column(node: exp.Expression, pattern: re.Pattern[str]) -> bool:
    if isinstance(node, exp.AggFunc) and isinstance(node.this, exp.Column):
        node = node.this
    return isinstance(node, exp.Column) and bool(pattern.search(node.name.lower()))


@dataclass(frozen=True)
class Scope:
    name: str
    literals: frozenset[float]
    identifiers: frozenset[str]
    topics: frozenset[str]

    def contains(self, tree: exp.Expression, topic: str) -> bool:
        if self.topics and topic not in self.topics:
            return False
        if not self.literals and not self.identifiers:
            return True
        literals = {_number(node) for node in tree.find_all(exp.Literal)}
        names = {node.name.lower() for node in tree.find_all(exp.Column, exp.Identifier)}
        return bool(literals & self.literals) or bool(names & self.identifiers)


@dataclass(frozen=True)
class Version:
    period: Period
    values: frozenset[float]
    required: bool
    citations: tuple[str, ...]


@dataclass(frozen=True)
class Constant:
    id: str
    title: str
    kind: str
    column: re.Pattern[str] | None
    checked_in: Scope | None
    required_in: Scope | None
    versions: tuple[Version, ...]

    def candidates(self) -> frozenset[float]:
        return frozenset(value for version in self.versions for value in version.values)

    def version_on(self, day: dt.date) -> Version | None:
        return next((version for version in self.versions if version.period.covers(day)), None)

    def applied(self, tree: exp.Expression) -> set[float]:
        """The values of this constant that the SQL ``tree`` applies."""
        found: set[float] = set()
        if self.kind == "literal":
            watched = self.candidates()
            found = {value for node in tree.find_all(exp.Literal) if (value := _number(node)) in watched}
        elif self.kind == "floor":
            for node in tree.find_all(exp.Greatest):
                arguments = [node.this, *node.expressions]
                literal = [values for argument in arguments if (values := _literal_values(argument)) is not None]
                others = [argument for argument in arguments if _literal_values(argument) is None]
                if len(literal) != 1 or len(others) != 1:
                    continue
                alias = _alias_above(node)
                if _is_column(others[0], self.column) or (alias and self.column.search(alias.lower())):
                    found.update(literal[0])
        elif self.kind == "multiplier":
            for node in tree.find_all(exp.Mul):
                for one, other in ((node.left, node.right), (node.right, node.left)):
                    value = _number(one)
                    if value is not None and _is_column(other, self.column):
                        found.add(value)
        return found


def _format(values: set[float] | frozenset[float]) -> str:
    return ", ".join(f"{value:g}" for value in sorted(values)) or "none"


class Regime:
    def __init__(self, constants: list[Constant]) -> None:
        self.constants = constants

    def problems(self, day: dt.date, topic: str, blocks: list[tuple[str, str]]) -> list[str]:
        """Why the SQL ``blocks`` ((label, sql), the code a review applies) break the rules in force on ``day``."""
        messages = []
        for label, sql in blocks:
            try:
                tree = sqlglot.parse_one(sql, read="duckdb")
            except ParseError:
                continue  # the parse rule reports it
            for constant in self.constants:
                version = constant.version_on(day)
                if version is None or (constant.checked_in and not constant.checked_in.contains(tree, topic)):
                    continue
                applied = constant.applied(tree)
                cited = " ".join(version.citations)
                stray = applied - version.values
                if stray:
                    messages.append(
                        f"{label}: {constant.id} on {day.isoformat()} allows {_format(version.values)} "
                        f"{cited} but the SQL applies {_format(stray)}".replace("  ", " ")
                    )
                required = version.required and (
                    constant.required_in is None or constant.required_in.contains(tree, topic)
                )
                if required and not applied & version.values and not stray:
                    messages.append(
                        f"{label}: {constant.id} on {day.isoformat()} requires {_format(version.values)} "
                        f"{cited} and the SQL applies none"
                    )
        return messages


def _scope(name: str, item: dict[str, Any]) -> Scope:
    return Scope(
        name,
        frozenset(round(float(value), 10) for value in item.get("literals", [])),
        frozenset(identifier.lower() for identifier in item.get("identifiers", [])),
        frozenset(item.get("topics", [])),
    )


def load_regime(index: RegulationIndex, path: Path | None = None) -> Regime:
    """The regime constants, checked: scopes exist, periods do not overlap, citations resolve and apply."""
    loaded = load_checked(path or regime_path(), "regime_constants")
    scopes = {name: _scope(name, item) for name, item in loaded.data["scopes"].items()}
    problems: list[Problem] = []
    constants = []
    for position, item in enumerate(loaded.data["constants"]):
        field = ("constants", position)
        for key in ("checked_in", "required_in"):
            if key in item and item[key] not in scopes:
                problems.append(loaded.problem((*field, key), f"unknown scope {item[key]!r}"))
        if item["detect"]["kind"] != "literal" and "column" not in item["detect"]:
            problems.append(loaded.problem((*field, "detect"), f"kind {item['detect']['kind']!r} needs a column"))
        versions = []
        for number, raw in enumerate(item["versions"]):
            period = Period.of(raw)
            if not period.is_valid() or any(period.overlaps(other.period) for other in versions):
                problems.append(loaded.problem((*field, "versions", number), "invalid or overlapping period"))
            for reference in raw["citations"]:
                parsed = parse_citations(reference)
                days = [day for day in (period.start, period.end) if day is not None]
                if not parsed or not index.is_canonical(reference):
                    problems.append(loaded.problem((*field, "versions", number), f"{reference} does not resolve"))
                elif not all(index.in_force(parsed[0], day) for day in days):
                    problems.append(
                        loaded.problem((*field, "versions", number), f"{reference} is not in force {period.describe()}")
                    )
            versions.append(
                Version(
                    period,
                    frozenset(round(float(v), 10) for v in raw["values"]),
                    raw.get("required", False),
                    tuple(raw["citations"]),
                )
            )
        constants.append(
            Constant(
                item["id"],
                item["title"],
                item["detect"]["kind"],
                re.compile(item["detect"]["column"]) if "column" in item["detect"] else None,
                scopes.get(item.get("checked_in", "")),
                scopes.get(item.get("required_in", "")),
                tuple(versions),
            )
        )
    if problems:
        raise DataError(problems)
    return Regime(constants)
