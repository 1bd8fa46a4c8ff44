"""Domain rules on top of the row schema: citations resolve in the regulation index (every task), then
each task's own rules (its ``row_problems`` hook: findings, SQL runs, ...).

Catalogues load lazily, once: validating a file of banking rows never builds the SQL portfolio. A
broken catalogue is reported once (with its file and line) and its task's rules are skipped.
"""

from __future__ import annotations

from collections.abc import Callable

from regllm_lf.core.jsonio import Record
from regllm_lf.core.problems import DataError, Problem
from regllm_lf.prepare.rows import is_preference_row
from regllm_lf.tasks.registry import Task, task_named
from regllm_lf.tasks.regulation.citations import RegulationIndex, canonical_citations, load_index

_BROKEN = object()


class DomainRules:
    def __init__(self) -> None:
        self.catalogue_problems: list[Problem] = []
        self._loaded: dict[str, object] = {}
        self._canonical: dict[str, bool] = {}  # bracket -> resolves exactly; rows repeat the same citations
        self._tasks: dict[str, Task] = {}  # dataset name -> task, looked up once per run

    def _guarded(self, key: str, load: Callable[[], object]) -> object | None:
        """``load()`` once; a DataError becomes catalogue problems and None from then on."""
        if key not in self._loaded:
            try:
                self._loaded[key] = load()
            except DataError as error:
                self.catalogue_problems += error.problems
                self._loaded[key] = _BROKEN
        value = self._loaded[key]
        return None if value is _BROKEN else value

    @property
    def index(self) -> RegulationIndex | None:
        return self._guarded("regulation index", load_index)

    def problems(self, record: Record) -> list[Problem]:
        """Domain problems of a row that already satisfies the schema."""
        if is_preference_row(record.data):
            return []  # pairs are derived from validated rows; their rejected side is wrong on purpose
        name = record.data["metadata"]["dataset"]
        task = self._tasks.get(name) or self._tasks.setdefault(name, task_named(name))
        answer = "\n".join(m["content"] for m in record.data["messages"] if m["role"] == "assistant")
        problems = self._citation_problems(record, answer, task)
        row_rules = task.hook("row_problems")
        if row_rules is not None:
            rules_ready = self._guarded(f"{task.name} catalogues", lambda: _ready(task))
            if rules_ready:
                problems += row_rules(record)
        return problems

    def _citation_problems(self, record: Record, answer: str, task: Task) -> list[Problem]:
        cited = canonical_citations(answer)
        if (not cited and not task.citations_required) or self.index is None:
            return []
        index = self.index
        problems = []
        for bracket in cited:  # = index.unresolved(answer), with the answer parsed once
            known = self._canonical.get(bracket)
            if known is None:
                known = self._canonical[bracket] = index.is_canonical(bracket)
            if not known:
                problems.append(
                    Problem(
                        record.path,
                        record.line,
                        "messages.content",
                        f"citation {bracket} does not resolve in the regulation index",
                    )
                )
        declared = record.data["metadata"].get("citations")
        if declared is not None and declared != cited:
            problems.append(
                Problem(
                    record.path,
                    record.line,
                    "metadata.citations",
                    f"must list the answer's citations in order of appearance: {cited}",
                )
            )
        return problems


def _ready(task: Task) -> bool:
    """Load a task's catalogues up front (its ``load_catalogues`` hook) so a broken one is reported once."""
    load = task.hook("load_catalogues")
    if load is not None:
        load()
    return True
