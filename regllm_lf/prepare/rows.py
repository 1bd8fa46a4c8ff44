"""Row checks: the JSON Schema plus the role order that LLaMA-Factory's sharegpt converter demands.

LLaMA-Factory (data/converter.py) honours a system message only at index 0, then needs user/assistant
alternating and an even count; any other row is skipped with a warning. We reject such rows loudly.
"""

from __future__ import annotations

import re
from typing import Any

from regllm_lf.core.jsonio import Record, lone_surrogate_message
from regllm_lf.core.problems import Problem
from regllm_lf.core.schema import field_path, schema_errors

# C0 control characters other than tab, LF and CR: invisible junk a model should not learn.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Any character ``_content_problems`` can object to (control, lone surrogate, U+FFFD): one search per
# message tells a clean content (nearly all of them) without the three separate checks.
_SUSPECT_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffd]")


def is_preference_row(row: Any) -> bool:
    return isinstance(row, dict) and ("chosen" in row or "rejected" in row)


def row_problems(record: Record) -> list[Problem]:
    """Every problem of one row (schema, role order, content); preference pairs have their own rules."""
    row = record.data
    preference = is_preference_row(row)
    schema = "preference_row" if preference else "row"
    problems = [
        Problem(record.path, record.line, field_path(path), message) for path, message in schema_errors(schema, row)
    ]
    if not preference and not problems:
        problems += _task_metadata_problems(record, row["metadata"])
    if isinstance(row, dict) and isinstance(row.get("messages"), list):
        problems += _role_order_problems(record, row["messages"], prompt_only=preference)
        problems += _content_problems(record, row["messages"])
    if preference and isinstance(row.get("chosen"), dict) and row.get("chosen") == row.get("rejected"):
        problems.append(Problem(record.path, record.line, "rejected", "identical to chosen: the pair teaches nothing"))
    return problems


def _task_metadata_problems(record: Record, metadata: dict[str, Any]) -> list[Problem]:
    """The row's task decides what else its metadata holds (``tasks/<task>/metadata.schema.json``)."""
    from regllm_lf.tasks.registry import tasks_by_name

    tasks = tasks_by_name()
    task = tasks.get(metadata["dataset"])
    if task is None:
        return [
            Problem(
                record.path, record.line, "metadata.dataset", f"{metadata['dataset']!r} is not one of {sorted(tasks)}"
            )
        ]
    return [
        Problem(record.path, record.line, field_path(("metadata", *path)), message)
        for path, message in schema_errors(task.metadata_schema, metadata)
    ]


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, dict) else None


def _role_order_problems(record: Record, messages: list, prompt_only: bool = False) -> list[Problem]:
    """User/assistant alternation after an optional system message; the last turn is the assistant's,
    or the user's for a preference prompt (LLaMA-Factory's ranking rows: an odd number of turns)."""
    problems = []
    conversation = messages[1:] if messages and _role(messages[0]) == "system" else messages
    offset = len(messages) - len(conversation)
    for index, message in enumerate(conversation):
        expected = "user" if index % 2 == 0 else "assistant"
        role = _role(message)
        if role != expected and role in ("system", "user", "assistant"):
            where = "system message allowed only as the first message" if role == "system" else f"expected {expected!r}"
            problems.append(
                Problem(record.path, record.line, f"messages[{index + offset}].role", f"{role!r} out of order: {where}")
            )
    if prompt_only and conversation and len(conversation) % 2 == 0:
        problems.append(
            Problem(record.path, record.line, "messages", "a preference prompt must end with the user's turn")
        )
    elif not prompt_only and conversation and len(conversation) % 2 != 0:
        problems.append(
            Problem(
                record.path, record.line, "messages", "the last message must be the assistant's (user/assistant pairs)"
            )
        )
    if not conversation:
        problems.append(Problem(record.path, record.line, "messages", "no user/assistant turn"))
    return problems


def _content_problems(record: Record, messages: list) -> list[Problem]:
    problems = []
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str) and _SUSPECT_CHARACTERS.search(content) is not None:
            match = _CONTROL_CHARACTERS.search(content)
            if match:
                problems.append(
                    Problem(
                        record.path,
                        record.line,
                        f"messages[{index}].content",
                        f"control character U+{ord(match.group()):04X} at position {match.start()}",
                    )
                )
            try:
                content.encode("utf-8")
            except UnicodeEncodeError as error:
                problems.append(
                    Problem(
                        record.path,
                        record.line,
                        f"messages[{index}].content",
                        lone_surrogate_message(error.start),
                    )
                )
            if "\ufffd" in content:
                problems.append(
                    Problem(
                        record.path,
                        record.line,
                        f"messages[{index}].content",
                        "replacement character U+FFFD (broken encoding)",
                    )
                )
    return problems


def row_id(record: Record) -> str | None:
    row = record.data
    metadata = row.get("metadata") if isinstance(row, dict) else None
    identifier = metadata.get("id") if isinstance(metadata, dict) else None
    return identifier if isinstance(identifier, str) else None


def duplicate_id_problems(records: list[Record]) -> list[Problem]:
    """Ids must be unique across every dataset: splits and CSV round trips key on them."""
    first_seen: dict[str, Record] = {}
    problems = []
    for record in records:
        identifier = row_id(record)
        if identifier is None:
            continue
        if identifier in first_seen:
            first = first_seen[identifier]
            problems.append(
                Problem(
                    record.path,
                    record.line,
                    "metadata.id",
                    f"duplicate id {identifier!r} (first at {first.path}:{first.line})",
                )
            )
        else:
            first_seen[identifier] = record
    return problems
