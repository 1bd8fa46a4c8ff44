"""JSON Schemas shipped as package data (``regllm_lf/schemas/v1``), loaded with importlib.resources."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from regllm_lf.core.problems import field_path

__all__ = ["field_path", "load_schema", "schema_errors", "validator"]

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


_document_validators: dict[int, Draft202012Validator] = {}


def document_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for a schema given as a document (a task's metadata schema), built once per document."""
    key = id(schema)
    if key not in _document_validators:
        _document_validators[key] = Draft202012Validator(schema)
    return _document_validators[key]


def check_document(schema: Any) -> list[str]:
    """Why ``schema`` is not a valid JSON Schema (empty when it is)."""
    return [error.message for error in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema)]


def schema_errors(schema: str | dict[str, Any], instance: Any) -> list[tuple[tuple, str]]:
    """(path, message) for every violation of a named shipped schema or a schema document."""
    checker = validator(schema) if isinstance(schema, str) else document_validator(schema)
    found = []
    for error in sorted(checker.iter_errors(instance), key=lambda item: list(map(str, item.absolute_path))):
        found.append((tuple(error.absolute_path), _short_message(error)))
    return found


def _short_message(error: Any) -> str:
    # Messages quoting a huge instance (a 1 MB content string) would drown the report.
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."
