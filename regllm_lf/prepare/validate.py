"""``regllm-lf validate``: every problem in every file, as ``file:line: field: message``."""

from __future__ import annotations

from pathlib import Path

from regllm_lf.core.jsonio import Record, read_records
from regllm_lf.core.problems import Problem, display_path
from regllm_lf.prepare.domain import DomainRules
from regllm_lf.prepare.rows import duplicate_id_problems, row_problems


def expand_paths(paths: list[Path], problems: list[Problem]) -> list[Path]:
    files = []
    for path in paths:
        if not path.exists():
            problems.append(Problem(display_path(path), 0, "file", "does not exist"))
        else:
            files.append(path)
    return files


def validate_records(records: list[Record], rules: DomainRules | None = None) -> list[Problem]:
    problems = duplicate_id_problems(records)
    for record in records:
        found = row_problems(record)
        problems += found
        if not found and rules is not None:
            problems += rules.problems(record)
    if rules is not None:
        problems += rules.catalogue_problems
    return problems


def validate_files(paths: list[Path], domain: bool = True) -> tuple[list[Problem], int]:
    """(problems, rows checked) for the given JSON/JSONL files, ids unique across all of them."""
    problems: list[Problem] = []
    records: list[Record] = []
    for path in expand_paths(paths, problems):
        records += read_records(path, problems)
    problems += validate_records(records, DomainRules() if domain else None)
    return sorted(set(problems)), len(records)
