"""Load YAML/JSON source files (catalogues, indexes, bank figures) and check them against a schema,
reporting each problem at the line of the offending field.

YAML is a superset of JSON, so one composer gives line numbers for both formats.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from regllm_lf.core.jsonio import JSON_DECODER, non_finite_fields, non_finite_message, read_text
from regllm_lf.core.problems import DataError, Problem, display_path
from regllm_lf.core.schema import field_path, schema_errors

# libyaml's C loader when present (ten times faster on the regulation index), same results.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StructuredFile:
    """A parsed file plus its node tree, to turn a field path into a line number."""

    def __init__(self, path: Path, data: Any, root: yaml.Node | None) -> None:
        self.path = path
        self.shown = display_path(path)
        self.data = data
        self.root = root

    def _walk(self, field: tuple | list) -> tuple[yaml.Node | None, int]:
        """(node at ``field`` or None, line of the deepest node found on the way)."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else 1
        for part in field:
            if isinstance(node, yaml.MappingNode):
                node = next((value for key, value in node.value if key.value == str(part)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
            else:
                node = None
            if node is None:
                return None, line
            line = node.start_mark.line + 1
        return node, line

    def line_of(self, field: tuple | list) -> int:
        return self._walk(field)[1]

    def scalar_text(self, field: tuple | list) -> str | None:
        """A scalar exactly as written in the file (``3.0``, ``12.70``): JSON parsing drops trailing zeros."""
        node = self._walk(field)[0]
        return node.value if isinstance(node, yaml.ScalarNode) else None

    def problem(self, field: tuple | list, message: str) -> Problem:
        return Problem(self.shown, self.line_of(field), field_path(field), message)


def load_structured(path: Path, problems: list[Problem]) -> StructuredFile | None:
    text = read_text(path, problems)
    if text is None:
        return None
    shown = display_path(path)
    try:
        data = JSON_DECODER.decode(text) if path.suffix == ".json" else yaml.load(text, Loader=_LOADER)
        root = yaml.compose(text, Loader=_LOADER)
    except json.JSONDecodeError as error:
        problems.append(Problem(shown, error.lineno, "json", error.msg))
        return None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.append(Problem(shown, mark.line + 1 if mark else 1, "yaml", str(getattr(error, "problem", error))))
        return None
    except RecursionError:
        problems.append(Problem(shown, 1, path.suffix.lstrip(".") or "file", "nested too deeply"))
        return None
    loaded = StructuredFile(path, data, root)
    non_finite = non_finite_fields(data)
    problems += [loaded.problem(field, non_finite_message(what)) for field, what in non_finite]
    return None if non_finite else loaded


def load_checked(path: Path, schema: str | None) -> StructuredFile:
    """A file that parses and satisfies ``schema`` (None: parses); otherwise DataError with every problem."""
    problems: list[Problem] = []
    loaded = load_structured(path, problems)
    if loaded is not None and schema is not None:
        problems += [loaded.problem(field, message) for field, message in schema_errors(schema, loaded.data)]
    if problems or loaded is None:
        raise DataError(problems)
    return loaded
