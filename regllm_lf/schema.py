"""JSON Schemas shipped as package data (``regllm_lf/schemas/v1``), loaded with importlib.resources."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_VERSION = "v1"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema document ``schemas/<version>/<name>.json``."""
    text = resources.files("regllm_lf").joinpath("schemas", SCHEMA_VERSION, f"{name}.json").read_text("utf-8")
    return json.loads(text)


@cache
def validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def field_path(path: Any) -> str:
    """jsonschema's error path as ``messages[2].content``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(row)"


def schema_errors(name: str, instance: Any) -> list[tuple[tuple, str]]:
    """(path, message) for every schema violation, deepest first within each branch."""
    found = []
    for error in sorted(validator(name).iter_errors(instance), key=lambda item: list(map(str, item.absolute_path))):
        found.append((tuple(error.absolute_path), _short_message(error)))
    return found


def _short_message(error: Any) -> str:
    # Messages quoting a huge instance (a 1 MB content string) would drown the report.
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."
