"""``regllm-lf train``: the original guide's training interface on top of the LLaMA-Factory recipes.

It picks the model's recipe and hands the overrides to ``llamafactory-cli train`` as ``key=value``
arguments after the YAML, exactly what a LLaMA-Factory user would type.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from regllm_lf import project
from regllm_lf.core.jsonio import Record, read_records
from regllm_lf.core.problems import DataError, Problem
from regllm_lf.prepare.dataset_info import file_name_for, register_entries, sharegpt_entry
from regllm_lf.train.models import ModelSpec

SMALL_SUBSET_SAMPLES = 40


@dataclass
class TrainOptions:
    model: ModelSpec
    qlora: bool = False
    epochs: float | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    small_subset: bool = False
    data: str | None = None
    output_dir: str | None = None
    extra: list[str] = field(default_factory=list)


def llamafactory_cli() -> str:
    """The ``llamafactory-cli`` beside this interpreter, so an unactivated venv works too."""
    beside = Path(sys.executable).parent / "llamafactory-cli"
    return str(beside) if beside.exists() else "llamafactory-cli"


def llamafactory_argv(verb: str, recipe: str | None, options: dict[str, str], executable: bool = False) -> list[str]:
    """The one ``llamafactory-cli`` command line: after a YAML recipe, overrides are ``key=value``;
    without one (``api``), LLaMA-Factory reads ``--key value`` pairs. ``executable`` resolves the
    program beside this interpreter (for running); otherwise the plain name (for showing)."""
    program = llamafactory_cli() if executable else "llamafactory-cli"
    if recipe is not None:
        return [program, verb, recipe, *(f"{key}={value}" for key, value in options.items())]
    return [program, verb, *(part for key, value in options.items() for part in (f"--{key}", value))]


def register_custom_data(path: Path, dataset_dir: Path | None = None) -> str:
    """Validate a JSON/JSONL file of rows and register it as ``regllm_custom_<name>``; returns the name."""
    from regllm_lf.prepare.validate import validate_records

    dataset_dir = dataset_dir or project.datasets_dir()
    problems: list[Problem] = []
    records: list[Record] = read_records(path, problems)
    problems += validate_records(records)
    if problems:
        raise DataError(problems)
    name = "regllm_custom_" + re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_")
    register_entries(dataset_dir, {name: sharegpt_entry(file_name_for(path, dataset_dir))})
    return name


def overrides_for(options: TrainOptions) -> dict[str, str]:
    overrides: dict[str, str] = {}
    if options.epochs is not None:
        overrides["num_train_epochs"] = str(options.epochs)
    if options.batch_size is not None:
        overrides["per_device_train_batch_size"] = str(options.batch_size)
    if options.learning_rate is not None:
        overrides["learning_rate"] = str(options.learning_rate)
    if options.small_subset:
        overrides["max_samples"] = str(SMALL_SUBSET_SAMPLES)
        overrides.setdefault("num_train_epochs", "1.0")
        overrides["output_dir"] = options.model.adapter_dir(options.qlora).replace("/sft", "/quick")
    if options.data:
        candidate = Path(options.data)
        overrides["dataset"] = register_custom_data(candidate) if candidate.is_file() else options.data
    if options.output_dir:
        overrides["output_dir"] = options.output_dir
    for item in options.extra:
        key, separator, value = item.partition("=")
        if not separator:
            raise ValueError(f"extra argument {item!r}: expected key=value")
        overrides[key] = value
    return overrides


def train_command(options: TrainOptions) -> list[str]:
    recipe = project.relative_to_root(options.model.recipe(options.qlora))
    return llamafactory_argv("train", str(recipe), overrides_for(options))
