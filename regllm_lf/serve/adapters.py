"""The one reader of a LoRA adapter's ``adapter_config.json`` (PEFT's file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ADAPTER_CONFIG = "adapter_config.json"


def adapter_config(folder: Path) -> dict[str, Any] | None:
    """The adapter's configuration, or None when ``folder`` holds no adapter (a merged or base model)."""
    path = Path(folder) / ADAPTER_CONFIG
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def is_adapter(folder: Path) -> bool:
    return (Path(folder) / ADAPTER_CONFIG).is_file()


def adapter_base_model(folder: Path) -> str:
    """The base model the adapter was trained on (``base_model_name_or_path``)."""
    config = adapter_config(folder) or {}
    return config.get("base_model_name_or_path", "")


def adapter_rank(folder: Path) -> int:
    return int((adapter_config(folder) or {})["r"])
