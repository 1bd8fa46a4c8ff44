"""JSON Schemas shipped as package data (``regllm_lf/schemas/v1``), loaded with importlib.resources.

Validation has a fast path: a schema compiled to Python by ``fastjsonschema`` answers "valid" for the
great majority of rows in microseconds; only a row it rejects goes to ``jsonschema``, which lists every
problem with its path. Our schemas use only draft-07 keywords, so both agree (tests/test_schema_fast_path.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
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


_compiled: dict[int, Callable[[Any], Any]] = {}


def compiled_check(schema: str | dict[str, Any]) -> Callable[[Any], Any]:
    """The fastjsonschema validator of ``schema`` (raises on the first violation), compiled once."""
    document = load_schema(schema) if isinstance(schema, str) else schema
    key = id(document)
    if key not in _compiled:
        import fastjsonschema

        # fastjsonschema knows drafts 4-7; our schemas use no keyword newer than draft-07.
        draft7 = {**document, "$schema": "http://json-schema.org/draft-07/schema#"}
        _compiled[key] = _without_item_names(fastjsonschema, draft7) or fastjsonschema.compile(
            draft7, use_formats=False
        )
    return _compiled[key]


# The generated code names each array item for its error message (``"data.messages[2]"``, built with
# ``str.format(**locals())``) before validating it: a third of a row's check. We only ask for a verdict
# (jsonschema explains), so the name is dropped; the verdicts are the same (tests/test_schema_fast_path.py).
_ITEM_NAME = re.compile(r'\(name_prefix or "data"\) \+ "[^"\n]*"\.format\(\*\*locals\(\)\)')


def _without_item_names(fastjsonschema: Any, draft7: dict[str, Any]) -> Callable[[Any], Any] | None:
    """The compiled validator with item names dropped; None where the generated code has none to drop."""
    code = fastjsonschema.compile_to_code(draft7, use_formats=False)
    if not _ITEM_NAME.search(code):
        return None
    namespace: dict[str, Any] = {}
    exec(compile(_ITEM_NAME.sub('"data"', code), "<fastjsonschema>", "exec"), namespace)  # noqa: S102 - our schema's code
    return namespace[_FIRST_FUNCTION.search(code).group(1)]  # the generator writes the root's function first


_FIRST_FUNCTION = re.compile(r"^def (\w+)\(", re.MULTILINE)


def is_valid(schema: str | dict[str, Any], instance: Any) -> bool:
    check = compiled_check(schema)  # imports fastjsonschema, once
    try:
        check(instance)
    except _fast_exception():
        return False
    return True


@cache
def _fast_exception() -> type[Exception]:
    import fastjsonschema

    return fastjsonschema.JsonSchemaException


def schema_errors(schema: str | dict[str, Any], instance: Any) -> list[tuple[tuple, str]]:
    """(path, message) for every violation of a named shipped schema or a schema document."""
    if is_valid(schema, instance):
        return []
    checker = validator(schema) if isinstance(schema, str) else document_validator(schema)
    found = []
    for error in sorted(checker.iter_errors(instance), key=lambda item: list(map(str, item.absolute_path))):
        found.append((tuple(error.absolute_path), _short_message(error)))
    return found


def _short_message(error: Any) -> str:
    # Messages quoting a huge instance (a 1 MB content string) would drown the report.
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."
