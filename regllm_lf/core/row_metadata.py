"""A row's ``metadata`` on disk and in memory: one Arrow schema on disk, each task's rich dict in memory.

On disk every training row's metadata holds exactly ``id``, ``dataset``, ``topic`` and ``details``, all
strings; ``details`` is the JSON text of the task's own keys (figures, findings, citations…), compact,
keys sorted. So any of our files loads together with any other in ``datasets.load_dataset("json", ...)``:
Arrow infers the schema from the first file and casts every later one to it, which fails when a struct's
fields or a field's type differ (a key null in every row of the first file is inferred as type ``null``).

In memory the code sees the rich dict ``{"id", "dataset", "topic", "findings": [...], ...}``: rows are
decoded where they are read (``core.jsonio``) and encoded where they are written (``dump_rows``).
A row in the rich shape (no ``details``) is accepted as it is and written in the encoded shape.
Preference pairs (DPO) keep their metadata as it is: flat strings, the same keys in every pair.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COMMON = ("id", "dataset", "topic")  # beside ``details``; the row schema requires them
DETAILS = "details"
_DETAILS_FIELD = f"metadata.{DETAILS}"


class MetadataError(ValueError):
    """A row's encoded metadata cannot be decoded: ``field`` names where (``metadata.details``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _is_preference(row: dict[str, Any]) -> bool:
    return "chosen" in row or "rejected" in row


def details_text(details: dict[str, Any]) -> str:
    """The one text of a details dict: compact, keys sorted, non-ASCII kept (byte-reproducible)."""
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def encode_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """The on-disk shape of a rich metadata dict (an encoded one is returned normalised)."""
    decoded = decode_metadata(metadata) if DETAILS in metadata else metadata
    common = {key: decoded[key] for key in COMMON if key in decoded}
    details = {key: value for key, value in decoded.items() if key not in COMMON}
    return {**common, DETAILS: details_text(details)}


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def decode_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """The rich dict of an encoded metadata; a dict without ``details`` (the rich shape) as it is.

    Raises MetadataError naming the field when ``details`` is not the text of a JSON object, repeats a
    common key, or shares the metadata with other keys.
    """
    if DETAILS not in metadata:
        return metadata
    from regllm_lf.core.jsonio import loads_strict  # jsonio decodes through this module

    text = metadata[DETAILS]
    if not isinstance(text, str):
        raise MetadataError(_DETAILS_FIELD, f"must be a string holding a JSON object, not {_kind(text)}")
    stray = [key for key in metadata if key not in (*COMMON, DETAILS)]
    if stray:
        raise MetadataError(
            f"metadata.{stray[0]}", f"belongs inside metadata.{DETAILS} (beside it only {', '.join(COMMON)})"
        )
    try:
        details = loads_strict(text)
    except json.JSONDecodeError as error:
        raise MetadataError(_DETAILS_FIELD, f"not JSON text: {error.msg} (column {error.colno})") from None
    except ValueError as error:
        raise MetadataError(_DETAILS_FIELD, str(error)) from None
    if not isinstance(details, dict):
        raise MetadataError(_DETAILS_FIELD, f"must be the text of a JSON object, not of {_kind(details)}")
    repeated = [key for key in details if key in (*COMMON, DETAILS)]
    if repeated:
        raise MetadataError(_DETAILS_FIELD, f"{repeated[0]!r} belongs beside details, not inside it")
    return {**{key: metadata[key] for key in COMMON if key in metadata}, **details}


def decode_row(row: Any) -> Any:
    """``row`` with its metadata decoded (anything that is not a training row is returned as it is)."""
    if not isinstance(row, dict) or _is_preference(row):
        return row
    metadata = row.get("metadata")
    if not isinstance(metadata, dict) or DETAILS not in metadata:
        return row
    return {**row, "metadata": decode_metadata(metadata)}


def encode_row(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its metadata in the on-disk shape (preference pairs as they are)."""
    if _is_preference(row) or not isinstance(row.get("metadata"), dict):
        return row
    return {**row, "metadata": encode_metadata(row["metadata"])}


def dump_rows(rows: list[dict[str, Any]]) -> str:
    """Rows as JSON Lines, metadata encoded (as ``jsonio.dump_jsonl`` writes them)."""
    from regllm_lf.core.jsonio import dump_jsonl

    return dump_jsonl([encode_row(row) for row in rows])


def dump_rows_json(rows: list[dict[str, Any]]) -> str:
    """Rows as an indented JSON array, metadata encoded (as ``jsonio.dump_json`` writes it)."""
    from regllm_lf.core.jsonio import dump_json

    return dump_json([encode_row(row) for row in rows])


def rows_text(path: Path, rows: list[dict[str, Any]]) -> str:
    """The text of a row file as our writers write it: JSON Lines for ``.jsonl``, else a JSON array."""
    return dump_rows(rows) if path.suffix == ".jsonl" else dump_rows_json(rows)


__all__ = [
    "COMMON",
    "DETAILS",
    "MetadataError",
    "decode_metadata",
    "decode_row",
    "details_text",
    "dump_rows",
    "dump_rows_json",
    "encode_metadata",
    "encode_row",
    "rows_text",
]
