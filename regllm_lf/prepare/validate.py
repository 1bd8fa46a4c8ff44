"""``regllm-lf validate``: every problem in every file, as ``file:line: field: message``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from regllm_lf.core.jsonio import Record, iter_records
from regllm_lf.core.problems import Problem, display_path
from regllm_lf.prepare.domain import DomainRules
from regllm_lf.prepare.rows import duplicate_id_problems, row_id, row_problems


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


class StreamValidator:
    """``validate_records`` one row at a time: it keeps only each id's first place, not the rows."""

    def __init__(self, rules: DomainRules | None = None) -> None:
        self.rules = rules
        self.problems: list[Problem] = []
        self.rows = 0
        self._first_seen: dict[str, tuple[str, int]] = {}

    def check(self, record: Record) -> bool:
        """Record the row's problems; True when it has none."""
        self.rows += 1
        unique = self.note_id(row_id(record), record.path, record.line)
        found = self.row_check(record)
        self.problems += found
        return unique and not found

    def note_id(self, identifier: str | None, path: str, line: int) -> bool:
        """Remember an id's first place; False (and a problem) when it was seen before."""
        if identifier is None:
            return True
        first = self._first_seen.get(identifier)
        if first is None:
            self._first_seen[identifier] = (path, line)
            return True
        message = f"duplicate id {identifier!r} (first at {first[0]}:{first[1]})"
        self.problems.append(Problem(path, line, "metadata.id", message))
        return False

    def row_check(self, record: Record) -> list[Problem]:
        """The row's own problems (schema, roles, content; then domain rules if those pass), ids aside.

        Needs no other row, so worker processes can run it (``prepare.parallel``)."""
        found = row_problems(record)
        if not found and self.rules is not None:
            found = self.rules.problems(record)
        return found

    def checked(self, records: Iterable[Record]) -> Iterator[Record]:
        """The records that pass, as they stream by (their problems are recorded)."""
        for record in records:
            if self.check(record):
                yield record

    def finish(self) -> list[Problem]:
        """Every problem, sorted and without repeats (the catalogues' own problems included)."""
        if self.rules is not None:
            self.problems += self.rules.catalogue_problems
        return sorted(set(self.problems))


def stream_files(paths: list[Path], problems: list[Problem]) -> Iterator[Record]:
    """Every record of every file, one at a time; file-level problems go to ``problems``."""
    for path in expand_paths(paths, problems):
        yield from iter_records(path, problems)


def validate_files(paths: list[Path], domain: bool = True) -> tuple[list[Problem], int]:
    """(problems, rows checked) for the given JSON/JSONL files, ids unique across all of them.

    Rows stream through: memory holds one row plus the ids seen, whatever the file size.
    """
    from regllm_lf.prepare import parallel  # it imports this module

    read_problems: list[Problem] = []
    validator = StreamValidator(DomainRules() if domain else None)
    if parallel.worth_it(paths):  # large JSON Lines files: the row checks in worker processes
        for _ in parallel.prepared_rows(paths, read_problems, validator, test_share=None):
            pass
    else:
        for _ in validator.checked(stream_files(paths, read_problems)):
            pass
    return sorted(set(read_problems + validator.finish())), validator.rows
